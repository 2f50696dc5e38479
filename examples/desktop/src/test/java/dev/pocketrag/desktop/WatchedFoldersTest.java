package dev.pocketrag.desktop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.retrieval.FolderChange;
import dev.pocketrag.retrieval.FolderWatcher;
import dev.pocketrag.retrieval.Sources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The app's watched folders through its notebook session (no window needed): a folder added is
 * kept in sync, shows in the status, is watched again at the next start, and its removal deletes
 * its notes.
 */
class WatchedFoldersTest {
    private static Embedder embedder;

    @BeforeAll
    static void load() {
        embedder = Embedders.miniLm();
    }

    @AfterAll
    static void unload() {
        embedder.close();
    }

    /** The shared embedder; the session's close does not close it. */
    private static Embedder shared() {
        return (Embedder) java.lang.reflect.Proxy.newProxyInstance(Embedder.class.getClassLoader(),
                new Class<?>[] {Embedder.class}, (proxy, m, args) -> m.getName().equals("close") ? null
                        : m.invoke(embedder, args));
    }

    static void await(String what, BooleanSupplier condition, Object state) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("waited for " + what + "; " + state);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void a_folder_added_is_kept_in_sync_remembered_and_removed_with_its_notes(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("nb");
        Path notes = Files.createDirectories(tmp.resolve("notes"));
        Files.writeString(notes.resolve("a.md"), "# Boiler\nServiced in March.\n");
        List<FolderChange> told = new CopyOnWriteArrayList<>();
        FolderWatcher.Options fast = FolderWatcher.Options.defaults().withQuiet(Duration.ofMillis(300));
        NotebookSession.Listener quiet = new NotebookSession.Listener() {
            @Override
            public void busy(Path directory, int attempt, Duration retryIn) {}

            @Override
            public void available(Path directory) {}
        };
        try (NotebookSession session = new NotebookSession(dir, WatchedFoldersTest::shared, Duration.ofMillis(100),
                Duration.ofMillis(200), quiet);
             WatchedFolders w = new WatchedFolders(session, fast, told::add)) {
            w.start();
            assertEquals(0, w.count());
            w.add(notes);
            assertEquals(List.of(FolderWatcher.pathOf(notes)), w.status().roots().stream().map(Sources.Root::path).toList());
            await("the first scan", () -> told.stream().anyMatch(c -> c.kind() == FolderChange.Kind.SCANNED), told);
            Path b = notes.resolve("b.md");
            Files.writeString(b, "# Train\nLeaves at 08:10.\n");
            await("the new file", () -> told.stream().anyMatch(c -> c.kind() == FolderChange.Kind.ADDED
                    && c.path().equals(FolderWatcher.pathOf(b))), told);
            assertEquals(2L, (long) session.call(nb -> nb.stats().notes()));
            await("the status", () -> w.status().roots().get(0).notes() == 2, w.status());
            assertTrue(SettingsDialog.describe(w.status().roots().get(0)).endsWith("(2 notes)"),
                    SettingsDialog.describe(w.status().roots().get(0)));
            IllegalArgumentException nested = assertThrows(IllegalArgumentException.class,
                    () -> w.add(Files.createDirectories(notes.resolve("sub"))));
            assertTrue(nested.getMessage().contains("watch one of them"), nested.getMessage());
        }
        // the next start of the app watches it again; removing it deletes its notes
        try (NotebookSession session = new NotebookSession(dir, WatchedFoldersTest::shared, Duration.ofMillis(100),
                Duration.ofMillis(200), quiet);
             WatchedFolders w = new WatchedFolders(session, FolderWatcher.Options.defaults(), c -> {})) {
            w.start();
            assertEquals(1, w.count());
            assertEquals(2, w.remove(FolderWatcher.pathOf(notes)));
            assertEquals(0, w.count());
            assertEquals(0L, (long) session.call(nb -> nb.stats().notes()));
            assertEquals(List.of(), Sources.read(dir).roots());
        }
    }
}
