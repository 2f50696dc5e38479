package dev.pocketrag.desktop;

import static dev.pocketrag.desktop.Ui.onEdt;
import static dev.pocketrag.desktop.Ui.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.chat.testing.ScriptedChatModel;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.Notebook;
import java.awt.Point;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.swing.JLabel;
import javax.swing.JList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The app as a user drives it, on a temp notebook with the sample notes (examples/notes): import
 * them through the app, type a query, open a result at its passage, ask a question, follow the
 * citation link. Events are dispatched on the components (key presses into the fields, mouse
 * clicks on the list and the link), so no window manager or focus is needed. Skipped without a
 * display; CI runs it under Xvfb. Leaves target/desktop-ui-test.png.
 *
 * <p>Expected values come from examples/QUESTIONS.md (question 4: "How many clamshells should I
 * do for my knee?" - "3 x 15 each side", in health/physio-knee-exercises.md) and the note's own
 * title.
 */
class DesktopAppUiTest {
    private static final Duration IMPORT = Duration.ofMinutes(5);
    private static final Duration STEP = Duration.ofSeconds(90);
    private static final String PHYSIO_TITLE = "Physio: left knee exercises";
    private static final Pattern CITATION = Pattern.compile("\\[\\d+\\]");

    @Test
    void imports_searches_as_you_type_asks_and_opens_the_cited_passage(@TempDir Path tmp) throws Exception {
        Ui.assumeDisplay();
        Path notes = Ui.moduleDir().resolve("../notes").normalize();
        assertTrue(Files.isDirectory(notes.resolve("health")), "sample notes not found at " + notes);
        Path shot = Ui.moduleDir().resolve("target/desktop-ui-test.png");
        Files.deleteIfExists(shot);

        AppOptions options = new AppOptions(tmp.resolve("notebook"), null, 0, false, tmp.resolve("config.properties"),
                (d, w) -> Embedders.miniLm(), null, Duration.ofSeconds(2), Duration.ofSeconds(10));
        MainWindow w = DesktopApp.open(options);
        boolean passed = false;
        try {
            // import the sample notes through the app (progress bar, in the background)
            onEdt(() -> w.startImport(notes));
            assertTrue(onEdt(w::isImporting), "the import started");
            waitUntil("the import of the 60 sample notes", IMPORT,
                    () -> !w.isImporting() && w.notesTable().getRowCount() == 60,
                    () -> "importing=" + w.isImporting() + ", rows=" + w.notesTable().getRowCount() + ", status="
                            + w.statusLabel().getText() + ", error=" + w.lastError());
            assertTrue(onEdt(() -> w.statusLabel().getText()).contains("60 added"), () -> onEdt(() -> w.statusLabel().getText()));

            // type a query: results appear (debounced) for exactly what was typed
            String query = "clamshells knee";
            Ui.type(w.searchField(), query);
            assertEquals(query, onEdt(() -> w.searchField().getText()));
            waitUntil("search results for '" + query + "'", STEP,
                    () -> query.equals(w.resultsQuery()) && w.resultsList().getModel().getSize() > 0,
                    () -> "resultsQuery=" + w.resultsQuery() + ", error=" + w.lastError());
            SearchHit top = onEdt(() -> w.resultsList().getModel().getElementAt(0));
            assertEquals(PHYSIO_TITLE, top.title());
            String cell = onEdt(() -> renderedText(w.resultsList(), 0));
            assertTrue(Pattern.compile("<b style='background-color:#[0-9a-f]{6}'>(?i:knee|clamshells)</b>").matcher(cell).find(),
                    "query terms marked in the result: " + cell);

            // click the result: the note opens with the passage selected
            Ui.click(w.resultsList(), Ui.center(onEdt(() -> w.resultsList().getCellBounds(0, 0))));
            waitUntil("the note of the first result to open", STEP,
                    () -> top.noteId().equals(w.editor().noteId()),
                    () -> "editor shows " + w.editor().noteId() + ", error=" + w.lastError());
            assertEquals(PHYSIO_TITLE, onEdt(() -> w.editor().titleField().getText()));
            assertEquals(top.start(), (int) onEdt(() -> w.editor().bodyArea().getSelectionStart()));
            assertEquals(top.end(), (int) onEdt(() -> w.editor().bodyArea().getSelectionEnd()));

            // ask: the answer is extractive (no chat model) and cites the physio note
            AskPanel ask = w.askPanel();
            onEdt(() -> w.tabs().setSelectedComponent(ask));
            Ui.type(ask.questionField(), "How many clamshells should I do for my knee?");
            Ui.pressEnter(ask.questionField());
            waitUntil("the answer", STEP, () -> !ask.isBusy() && ask.answer() != null,
                    () -> "busy=" + ask.isBusy() + ", error=" + w.lastError());
            Answer a = onEdt(ask::answer);
            assertEquals(Answer.Kind.EXTRACTIVE, a.kind());
            assertTrue(CITATION.matcher(a.text()).find(), "a citation like [1] in: " + a.text());
            assertTrue(a.text().contains("3 x 15"), "QUESTIONS.md's answer (3 x 15 each side) in: " + a.text());
            assertFalse(a.citations().isEmpty(), a::toString);
            Answer.Citation first = a.citations().get(0);
            assertTrue(first.passage().source().endsWith("physio-knee-exercises.md"), first.passage()::toString);
            String html = onEdt(() -> ask.answerPane().getText());
            assertTrue(html.contains("cite:" + first.n()), "a citation link in the answer: " + html);
            assertNull(onEdt(w::lastError));

            BufferedImage img = Ui.paint(w);
            assertTrue(Ui.colours(img) > 8, "the screenshot is not blank");
            Ui.save(img, shot);

            // follow the citation link: the cited note opens at the passage
            onEdt(() -> w.editor().clear());
            Point link = Ui.linkPoint(ask.answerPane(), "cite:" + first.n());
            assertNotNull(link, "link cite:" + first.n() + " in " + html);
            Ui.click(ask.answerPane(), link);
            waitUntil("the cited note to open at the passage", STEP,
                    () -> first.passage().noteId().equals(w.editor().noteId())
                            && w.tabs().getSelectedComponent() == w.editor()
                            && w.editor().bodyArea().getSelectionStart() == first.passage().start(),
                    () -> "editor shows " + w.editor().noteId() + " selection "
                            + w.editor().bodyArea().getSelectionStart() + ", error=" + w.lastError());
            assertEquals(first.passage().end(), (int) onEdt(() -> w.editor().bodyArea().getSelectionEnd()));

            // a conversation: New conversation clears the panel; a follow-up is searched for with the
            // context of the first question ("searched for: ..."), which is listed below the answer
            onEdt(() -> w.tabs().setSelectedComponent(ask));
            assertTrue(onEdt(() -> ask.newConversationButton().isEnabled()), "a conversation to leave");
            Ui.click(ask.newConversationButton(), new Point(5, 5));
            waitUntil("the new conversation", STEP, () -> ask.answer() == null && ask.questionField().getText().isEmpty(),
                    () -> "answer=" + ask.answer());
            assertTrue(onEdt(() -> w.session().askThread().turns()).isEmpty(), "nothing carried");
            assertFalse(onEdt(() -> ask.newConversationButton().isEnabled()));
            assertFalse(onEdt(() -> ask.answerPane().getText()).contains("Earlier in this conversation"));
            String cutOver = "When is the Atlas cut-over?";
            Ui.type(ask.questionField(), cutOver);
            Ui.pressEnter(ask.questionField());
            waitUntil("the answer to the first question", STEP, () -> !ask.isBusy() && ask.answer() != null,
                    () -> "busy=" + ask.isBusy() + ", error=" + w.lastError());
            Answer atlas = onEdt(ask::answer);
            onEdt(() -> ask.questionField().setText(""));
            Ui.type(ask.questionField(), "Who owns the rollback?");
            Ui.pressEnter(ask.questionField());
            waitUntil("the answer to the follow-up", STEP, () -> !ask.isBusy() && ask.answer() != null && ask.answer() != atlas,
                    () -> "busy=" + ask.isBusy() + ", error=" + w.lastError());
            Answer rollback = onEdt(ask::answer);
            assertTrue(rollback.searchedFor().toLowerCase(java.util.Locale.ROOT).contains("atlas"), rollback.searchedFor());
            assertTrue(rollback.citations().get(0).passage().source().contains("atlas"), rollback::toString);
            String convo = onEdt(() -> ask.answerPane().getText());
            assertTrue(convo.contains("searched for: " + rollback.searchedFor()), "searched for shown: " + convo);
            assertTrue(convo.contains("Earlier in this conversation") && convo.contains(cutOver), "earlier turn listed: " + convo);
            assertEquals(java.util.List.of(cutOver), onEdt(ask::earlierQuestions));
            assertEquals(2, onEdt(() -> w.session().askThread().turns()).size());
            assertTrue(onEdt(() -> ask.newConversationButton().isEnabled()));
            Ui.save(Ui.paint(w), Ui.moduleDir().resolve("target/desktop-ui-conversation.png"));
            // a citation of the earlier turn opens its note at the passage
            assertFalse(atlas.citations().isEmpty(), atlas::toString);
            Answer.Citation earlierCite = atlas.citations().get(0);
            Point turnLink = Ui.linkPoint(ask.answerPane(), "turn:0:" + earlierCite.n());
            assertNotNull(turnLink, "link turn:0:" + earlierCite.n() + " in " + convo);
            onEdt(() -> w.editor().clear());
            Ui.click(ask.answerPane(), turnLink);
            waitUntil("the note cited in the earlier turn to open", STEP,
                    () -> earlierCite.passage().noteId().equals(w.editor().noteId())
                            && w.editor().bodyArea().getSelectionStart() == earlierCite.passage().start(),
                    () -> "editor shows " + w.editor().noteId() + ", error=" + w.lastError());
            onEdt(() -> w.tabs().setSelectedComponent(ask));
            Ui.click(ask.newConversationButton(), new Point(5, 5));
            waitUntil("the second new conversation", STEP, () -> ask.answer() == null && ask.earlierQuestions().isEmpty(),
                    () -> "answer=" + ask.answer() + ", earlier=" + ask.earlierQuestions());
            assertTrue(onEdt(() -> w.session().askThread().turns()).isEmpty(), "nothing carried");
            assertNull(onEdt(w::lastError));

            // with a chat model the answer streams in (shown before it is finished) and keeps its citations
            java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
            ScriptedChatModel scripted = new ScriptedChatModel("fake-model", 4096,
                    "Do the clamshells 3 x 15 on each side, every day [1].");
            scripted.pauseAt = 18; // the first 18 characters stream, then the gate holds the rest
            scripted.gate = gate;
            w.session().setChatModel(scripted);
            onEdt(() -> {
                w.tabs().setSelectedComponent(ask);
                ask.questionField().setText("");
            });
            Ui.type(ask.questionField(), "clamshells for the knee?");
            Ui.pressEnter(ask.questionField());
            waitUntil("the first part of the answer, streamed", STEP,
                    () -> ask.isBusy() && ask.answerPane().getText().contains("Do the clamshells"),
                    () -> "busy=" + ask.isBusy() + ", pane=" + ask.answerPane().getText());
            assertNull(onEdt(ask::answer), "not finished while the model is still writing");
            gate.countDown();
            waitUntil("the generated answer", STEP,
                    () -> !ask.isBusy() && ask.answer() != null && ask.answer().kind() == Answer.Kind.GENERATED,
                    () -> "busy=" + ask.isBusy() + ", answer=" + ask.answer() + ", error=" + w.lastError());
            Answer g = onEdt(ask::answer);
            assertEquals("Do the clamshells 3 x 15 on each side, every day [1].", g.text());
            assertEquals(1, g.citations().size());
            assertTrue(onEdt(() -> ask.answerPane().getText()).contains("cite:1"));

            // settings: a real GGUF model (stories260K writes nonsense, but generation, packing and
            // citation checking run end to end) and its context, remembered in the config file
            String shared = System.getProperty("pocketrag.shared");
            Path stories = shared == null ? null : Path.of(shared, "models", "stories260K.gguf");
            if (stories != null && Files.isRegularFile(stories)) {
                onEdt(() -> w.applySettings(new SettingsDialog.Choice(stories, 1024, false, true)));
                waitUntil("the model loaded", STEP, () -> w.answerMode().contains("1024-token context"),
                        () -> "error=" + w.lastError() + ", mode=" + w.answerMode());
                assertTrue(gate.getCount() == 0);
                onEdt(() -> ask.questionField().setText(""));
                Ui.type(ask.questionField(), "How many clamshells should I do for my knee?");
                Ui.pressEnter(ask.questionField());
                waitUntil("the answer of the GGUF model", STEP,
                        () -> !ask.isBusy() && (w.lastError() != null || ask.answer() != null && ask.answer() != g),
                        () -> "busy=" + ask.isBusy() + ", error=" + w.lastError());
                assertNull(onEdt(w::lastError));
                Answer s2 = onEdt(ask::answer);
                assertEquals(Answer.Kind.GENERATED, s2.kind(), s2::toString);
                assertFalse(s2.passages().isEmpty(), s2::toString);
                assertTrue(s2.timings().answerTokens() > 0, s2::toString);

                Path config = tmp.resolve("config.properties");
                waitUntil("the settings saved", STEP, () -> Files.isRegularFile(config)
                        && Files.readString(config).contains("ctx=1024"), () -> "no ctx=1024 in " + config);
                java.util.Properties p = new java.util.Properties();
                try (var r = Files.newBufferedReader(config)) {
                    p.load(r);
                }
                assertEquals(stories.toAbsolutePath().toString(), p.getProperty("model"));
                assertEquals("light", p.getProperty("desktop.theme"));
            }
            passed = true;
        } finally {
            if (!passed) {
                Ui.save(Ui.paint(w), Ui.moduleDir().resolve("target/desktop-ui-test-failure.png"));
            }
            onEdt(w::shutdown);
            assertTrue(w.awaitClosed(2, TimeUnit.MINUTES), "the window closed and released the notebook");
        }
        assertTrue(Files.size(shot) > 10_000, "screenshot written: " + shot);
    }

    @Test
    void says_the_notebook_is_busy_while_another_process_holds_it_and_loads_it_when_free(@TempDir Path tmp)
            throws Exception {
        Ui.assumeDisplay();
        Path dir = tmp.resolve("notebook");
        try (Embedder e = Embedders.miniLm()) {
            // another holder of the index: refused to a second writer in this JVM exactly as across processes
            Notebook holder = Notebook.builder(dir).embedder(e).build();
            try {
                holder.add(Note.of("n1", "Dentist", "Dentist appointment on 14 March at 09:30 with Dr. Sousa."));
                AppOptions options = new AppOptions(dir, null, 0, false, tmp.resolve("config.properties"),
                        (d, w) -> Embedders.miniLm(), null, Duration.ofMillis(200), Duration.ofSeconds(10));
                MainWindow w = DesktopApp.open(options);
                try {
                    waitUntil("the busy message", STEP,
                            () -> w.busyMessage() != null && w.busyMessage().contains("attempt 2"),
                            () -> "busy=" + w.busyMessage() + ", error=" + w.lastError());
                    String busy = onEdt(w::busyMessage);
                    assertTrue(busy.startsWith("The notebook is busy: another pocketrag process is using " + dir), busy);
                    assertEquals(0, (int) onEdt(() -> w.notesTable().getRowCount()));
                    assertNull(onEdt(w::lastError), "waiting is not an error");
                    holder.close();
                    waitUntil("the notes once the notebook is free", STEP,
                            () -> w.notesTable().getRowCount() == 1 && w.busyMessage() == null,
                            () -> "rows=" + w.notesTable().getRowCount() + ", busy=" + w.busyMessage());
                    assertNull(onEdt(w::lastError));
                } finally {
                    onEdt(w::shutdown);
                    assertTrue(w.awaitClosed(2, TimeUnit.MINUTES));
                }
            } finally {
                holder.close();
            }
        }
    }

    @Test
    void settings_naming_another_embedder_offer_a_reindex_which_runs_with_progress(@TempDir Path tmp) throws Exception {
        Ui.assumeDisplay();
        Path dir = tmp.resolve("notebook");
        try (Embedder e = Embedders.miniLm(); Notebook nb = Notebook.builder(dir).embedder(e).build()) {
            nb.add(Note.of("n1", "Dentist", "Dentist appointment on 14 March at 09:30 with Dr. Sousa."));
            nb.add(Note.of("n2", "Kyoto hotel", "Hotel Kanra in Kyoto, check-in from 15:00, booking KX-4471."));
        }
        Path config = tmp.resolve("config.properties");
        Files.writeString(config, "embedder=bge-small\n"); // as the config file the app read says
        AppOptions options = new AppOptions(dir, null, 0, false, config, NotebookSession.BUILT_IN, "bge-small",
                Duration.ofSeconds(2), Duration.ofSeconds(10));
        MainWindow w = DesktopApp.open(options);
        try {
            waitUntil("the offer to re-index", STEP, () -> w.embedderOffer() != null,
                    () -> "offer=" + w.embedderOffer() + ", error=" + w.lastError());
            assertTrue(onEdt(w::embedderOffer).startsWith("The notes of this notebook were embedded with minilm; the"
                    + " settings ask for bge-small."), w::embedderOffer);
            assertNull(onEdt(w::lastError), "a choice, not an error");
            onEdt(() -> {
                w.acceptEmbedderOffer();
                return null;
            });
            waitUntil("the re-index", STEP, () -> !w.isReindexing() && w.notesTable().getRowCount() == 2,
                    () -> "reindexing=" + w.isReindexing() + ", rows=" + w.notesTable().getRowCount() + ", status="
                            + w.statusLabel().getText() + ", error=" + w.lastError());
            assertTrue(onEdt(() -> w.statusLabel().getText()).startsWith("Re-indexed with bge-small: 2 notes embedded"),
                    () -> onEdt(() -> w.statusLabel().getText()));
            assertNull(onEdt(w::embedderOffer));
            assertEquals("bge-small", onEdt(w::notebookEmbedder));
            Ui.type(w.searchField(), "hotel in Japan");
            waitUntil("search results", STEP, () -> "hotel in Japan".equals(w.resultsQuery())
                    && w.resultsList().getModel().getSize() > 0, () -> "error=" + w.lastError());
            assertEquals("n2", onEdt(() -> w.resultsList().getModel().getElementAt(0)).noteId());
        } finally {
            onEdt(w::shutdown);
            assertTrue(w.awaitClosed(2, TimeUnit.MINUTES));
        }
        assertTrue(Files.readString(config).contains("embedder=bge-small"));
    }

    @Test
    void a_folder_watched_from_settings_follows_its_files_and_shows_its_problems(@TempDir Path tmp) throws Exception {
        Ui.assumeDisplay();
        Path notes = Files.createDirectories(tmp.resolve("notes"));
        Files.writeString(notes.resolve("boiler.md"), "# Boiler\nThe boiler was serviced in March by Ana.\n");
        Files.write(notes.resolve("photo.md"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1});
        Path config = tmp.resolve("config.properties");
        AppOptions options = new AppOptions(tmp.resolve("notebook"), null, 0, false, config, (d, w) -> Embedders.miniLm(),
                null, Duration.ofSeconds(2), Duration.ofSeconds(10));
        MainWindow w = DesktopApp.open(options);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            SettingsDialog d = onEdt(() -> new SettingsDialog(w, pool, new SettingsDialog.Choice(null, 0, false, false),
                    config, w.watched()));
            javax.swing.SwingUtilities.invokeLater(d::ask); // modal: returns when disposed below
            waitUntil("the dialog", STEP, d::isShowing, () -> "not showing");
            onEdt(() -> d.addWatched(notes));
            waitUntil("the folder listed", STEP, () -> d.folderList().getModel().getSize() == 1,
                    () -> d.folderProblems().getText());
            waitUntil("its note in the list", STEP, () -> w.notesTable().getRowCount() == 1,
                    () -> "rows=" + w.notesTable().getRowCount() + ", error=" + w.lastError());
            assertTrue(onEdt(() -> w.watchLabel().getText()).startsWith("Watching 1 folder"),
                    () -> onEdt(() -> w.watchLabel().getText()));
            Files.writeString(notes.resolve("train.md"), "# Train\nThe train to Lisbon leaves at 08:10.\n");
            waitUntil("the new file's note", STEP, () -> w.notesTable().getRowCount() == 2,
                    () -> "rows=" + w.notesTable().getRowCount() + ", watching=" + w.watchLabel().getText());
            onEdt(d::dispose);

            // opened again: the folder with its counts, and the problem of the selected one
            SettingsDialog again = onEdt(() -> new SettingsDialog(w, pool, new SettingsDialog.Choice(null, 0, false,
                    false), config, w.watched()));
            javax.swing.SwingUtilities.invokeLater(again::ask);
            waitUntil("the dialog", STEP, again::isShowing, () -> "not showing");
            String line = onEdt(() -> SettingsDialog.describe(again.folderList().getModel().getElementAt(0)));
            assertEquals(notes.toAbsolutePath() + "  (2 notes, 1 skipped)", line);
            assertEquals("skipped  photo.md: binary (NUL byte at offset 4)", onEdt(() -> again.folderProblems().getText()));
            onEdt(() -> again.removeWatched(dev.pocketrag.retrieval.FolderWatcher.pathOf(notes)));
            waitUntil("the folder removed", STEP, () -> again.folderProblems().getText().startsWith("Removed"),
                    () -> again.folderProblems().getText());
            assertEquals("Removed " + notes.toAbsolutePath() + ": 2 notes deleted.", onEdt(() -> again.folderProblems()
                    .getText()));
            assertEquals(0, (int) onEdt(() -> again.folderList().getModel().getSize()));
            onEdt(again::dispose);
        } finally {
            pool.shutdownNow();
            onEdt(w::shutdown);
            assertTrue(w.awaitClosed(2, TimeUnit.MINUTES));
        }
    }

    private static String renderedText(JList<SearchHit> list, int index) {
        var r = list.getCellRenderer().getListCellRendererComponent(list, list.getModel().getElementAt(index), index,
                false, false);
        return ((JLabel) r).getText();
    }
}
