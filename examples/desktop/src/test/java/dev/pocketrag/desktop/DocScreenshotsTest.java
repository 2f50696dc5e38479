package dev.pocketrag.desktop;

import static dev.pocketrag.desktop.Ui.onEdt;
import static dev.pocketrag.desktop.Ui.waitUntil;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pocketrag.embedder.Embedders;
import java.awt.Dimension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.swing.SwingUtilities;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Makes the screenshots README shows (docs/desktop-*.png): the app on the sample notes in its main
 * states. Runs only when asked, with a display:
 * {@code DISPLAY=:99 ./mvnw -pl examples/desktop test -Dtest=DocScreenshotsTest -Dpocketrag.screenshots=../../docs}
 * (the path is relative to examples/desktop).
 */
class DocScreenshotsTest {
    private static final Duration WAIT = Duration.ofMinutes(3);

    @Test
    void writes_the_readme_screenshots(@TempDir Path tmp) throws Exception {
        String out = System.getProperty("pocketrag.screenshots");
        assumeTrue(out != null && !out.isBlank(), "set -Dpocketrag.screenshots=DIR to write the README screenshots");
        Ui.assumeDisplay();
        Path dir = Ui.moduleDir().resolve(out).normalize();
        Path notes = Ui.moduleDir().resolve("../notes").normalize();
        // a config path as a user would see it; the settings dialog below is cancelled, never saved
        Path config = Path.of("~/.config/pocketrag/config.properties");
        AppOptions options = new AppOptions(tmp.resolve("notebook"), null, 0, false, config,
                (d, w) -> Embedders.miniLm(), null,
                Duration.ofSeconds(2), Duration.ofSeconds(10));
        MainWindow w = DesktopApp.open(options);
        try {
            onEdt(() -> w.setSize(new Dimension(1280, 800)));
            onEdt(() -> w.startImport(notes));
            waitUntil("the import", WAIT, () -> !w.isImporting() && w.notesTable().getRowCount() == 60, w::lastError);

            // 1. search as you type, the first result opened at its passage
            search(w, "knee physio exercises");
            Ui.click(w.resultsList(), Ui.center(onEdt(() -> w.resultsList().getCellBounds(0, 0))));
            waitUntil("the note", WAIT, () -> w.editor().noteId() != null, w::lastError);
            settle();
            Ui.save(Ui.paint(w), dir.resolve("desktop-search.png"));

            // 2. a question answered with citations
            ask(w, "How many clamshells should I do for my knee?");
            Ui.save(Ui.paint(w), dir.resolve("desktop-ask.png"));

            // 3. the note editor: a new note being written, the notes list on the left
            onEdt(() -> w.searchField().setText(""));
            onEdt(() -> w.notesTable().clearSelection());
            onEdt(() -> w.editor().newNote());
            onEdt(() -> w.tabs().setSelectedComponent(w.editor()));
            Ui.type(w.editor().titleField(), "Call with Rui (physio), 12 May");
            Ui.type(w.editor().tagsField(), "health, physio, knee");
            Ui.type(w.editor().bodyArea(), "Knee much better: pain 0-1/10 on easy runs.\n\n"
                    + "- Keep clamshells and step-downs 3x a week.\n- Hills OK from June, one session a week.\n"
                    + "- Next check-in after the Porto weekend.\n");
            settle();
            Ui.save(Ui.paint(w), dir.resolve("desktop-editor.png"));
            onEdt(() -> w.editor().save());
            waitUntil("the new note saved", WAIT, () -> !w.editor().isSaving() && !w.editor().isDirty()
                    && w.notesTable().getRowCount() == 61, w::lastError);

            // 4. dark mode
            onEdt(() -> w.setDark(true, false));
            search(w, "kyoto hotel booking");
            ask(w, "What is the booking reference for the hotel in Kyoto?");
            Ui.save(Ui.paint(w), dir.resolve("desktop-dark.png"));
            onEdt(() -> w.setDark(false, false));

            // 5. settings: a model and what fits says about it
            Path model = Path.of(System.getProperty("pocketrag.shared", "../../../shared"), "models", "stories260K.gguf");
            if (Files.isRegularFile(model)) {
                SettingsDialog d = onEdt(() -> new SettingsDialog(w, java.util.concurrent.Executors.newSingleThreadExecutor(),
                        new SettingsDialog.Choice(null, 0, false, true), config));
                SwingUtilities.invokeLater(d::ask); // modal: returns when disposed below
                waitUntil("the dialog", WAIT, d::isShowing, () -> "not showing");
                onEdt(() -> d.modelField().setText(model.toAbsolutePath().normalize().toString()));
                waitUntil("the memory estimate", WAIT, () -> d.fitsArea().getText().contains("largest context"),
                        () -> d.fitsArea().getText());
                Ui.save(Ui.paint(d), dir.resolve("desktop-settings.png"));
                onEdt(d::dispose);
            }
        } finally {
            onEdt(w::shutdown);
            assertTrue(w.awaitClosed(2, TimeUnit.MINUTES));
        }
        for (String f : new String[] {"desktop-search.png", "desktop-ask.png", "desktop-editor.png", "desktop-dark.png"}) {
            assertTrue(Files.size(dir.resolve(f)) > 10_000, f);
        }
    }

    private static void search(MainWindow w, String q) {
        onEdt(() -> w.searchField().setText(""));
        Ui.type(w.searchField(), q);
        waitUntil("results for " + q, WAIT, () -> q.equals(w.resultsQuery()) && w.resultsList().getModel().getSize() > 0,
                w::lastError);
        settle();
    }

    private static void ask(MainWindow w, String q) {
        AskPanel a = w.askPanel();
        onEdt(() -> {
            w.tabs().setSelectedComponent(a);
            a.questionField().setText("");
        });
        Ui.type(a.questionField(), q);
        Ui.pressEnter(a.questionField());
        waitUntil("the answer to " + q, WAIT, () -> !a.isBusy() && a.answer() != null, w::lastError);
        settle();
    }

    /** Lets layout and painting catch up (screenshots only; no assertion depends on it). */
    private static void settle() {
        onEdt(() -> { });
        try {
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        onEdt(() -> { });
    }
}
