package dev.pocketrag.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.index.IndexInUseException;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.retrieval.FolderChange.Kind;
import dev.pocketrag.retrieval.internal.FolderImporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watcher on real folders, the real {@link java.nio.file.WatchService} and a real notebook:
 * the index follows files created, edited, renamed and deleted; an unmounted root keeps its
 * notes; the notebook is free between writes. Waits poll with a generous timeout; no timing is
 * asserted.
 */
class FolderWatcherTest {
    static Embedder embedder;
    /** The longest wait for the watcher to catch up (a busy machine is slow; it is never this slow). */
    static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    Path tmp;
    Path dir;
    Path notes;
    TestEmbedders.Counting counting;
    final List<FolderChange> told = new CopyOnWriteArrayList<>();
    FolderWatcher watcher;

    @BeforeAll
    static void load() {
        embedder = Embedders.miniLm();
    }

    @AfterAll
    static void unload() {
        embedder.close();
    }

    @BeforeEach
    void setUp() throws IOException {
        dir = tmp.resolve("nb");
        notes = Files.createDirectories(tmp.resolve("notes"));
        counting = new TestEmbedders.Counting(embedder);
    }

    @AfterEach
    void stop() throws IOException {
        if (watcher != null) {
            watcher.close();
        }
    }

    static FolderWatcher.Options fast() {
        return FolderWatcher.Options.defaults().withQuiet(Duration.ofMillis(300)).withRetryBusy(Duration.ofMillis(100))
                .withRootCheckEvery(Duration.ofMillis(200));
    }

    void startWatching() throws IOException {
        startWatchingWith(fast());
    }

    void startWatchingWith(FolderWatcher.Options options) throws IOException {
        watcher = new FolderWatcher(dir, List.of(notes), options, FolderWatcher.reopening(dir, counting),
                new FolderWatcher.Listener() {
                    @Override
                    public void changed(FolderChange change) {
                        told.add(change);
                    }

                    @Override
                    public void scanFailed(String root, Exception e) {
                        told.add(new FolderChange(Kind.FAILED, root, "", e.toString()));
                    }
                });
        watcher.start();
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("waited " + PATIENCE.toSeconds() + " s for: " + what);
            }
            Thread.sleep(50);
        }
    }

    void awaitTold(Kind kind, Path file) throws InterruptedException {
        String s = FolderImporter.source(file);
        await(kind + " " + s + " (told so far: " + told + ")",
                () -> told.stream().anyMatch(c -> c.kind() == kind && c.path().equals(s)));
    }

    long count(Kind kind) {
        return told.stream().filter(c -> c.kind() == kind).count();
    }

    /** The notes as last committed, read without taking the notebook. */
    List<Note> stored() throws IOException {
        try (Notebook nb = Notebook.builder(dir).embedder(counting).readOnly().build()) {
            return nb.list(SearchFilter.NONE, 0, 100);
        }
    }

    Optional<Note> storedAt(Path file) throws IOException {
        String s = FolderImporter.source(file);
        return stored().stream().filter(n -> n.source().equals(s)).findFirst();
    }

    @Test
    void the_index_follows_files_created_edited_renamed_and_deleted() throws Exception {
        Path a = notes.resolve("a.md");
        Files.writeString(a, "# Boiler\nThe boiler was serviced in March by Ana.\n");
        startWatching();
        await("the first scan", () -> count(Kind.SCANNED) == 1);
        assertEquals(1, stored().size());

        Path sub = Files.createDirectories(notes.resolve("trips"));
        Path b = sub.resolve("b.md");
        Files.writeString(b, "# Lisbon\nThe train to Lisbon leaves at 08:10 from platform 4.\n");
        awaitTold(Kind.ADDED, b);
        assertTrue(storedAt(b).isPresent(), "a file in a new folder is indexed");

        Files.writeString(a, "# Boiler\nThe boiler was serviced in May by Rui.\n");
        awaitTold(Kind.UPDATED, a);
        assertTrue(storedAt(a).orElseThrow().body().contains("Rui"));

        long embedded = counting.passages.get();
        Path c = notes.resolve("lisbon-train.md");
        Files.move(b, c);
        awaitTold(Kind.RENAMED, c);
        Note moved = storedAt(c).orElseThrow();
        assertEquals(FolderImporter.noteId(b), moved.id(), "the renamed file keeps its note id");
        assertEquals(embedded, counting.passages.get(), "and its vectors: nothing embedded");
        assertEquals(0, count(Kind.DELETED), told::toString);

        Files.writeString(c, "# Lisbon\nThe train to Lisbon leaves at 09:40 from platform 2.\n");
        awaitTold(Kind.UPDATED, c);
        assertEquals(FolderImporter.noteId(b), storedAt(c).orElseThrow().id(), "an edit updates the same note");

        Files.delete(a);
        awaitTold(Kind.DELETED, a);
        assertEquals(List.of(FolderImporter.source(c)), stored().stream().map(Note::source).toList());

        watcher.close();
        try (Notebook nb = Notebook.builder(dir).embedder(counting).build()) {
            ImportProgress p = nb.importFolder(notes, ImportListener.NONE);
            assertEquals(0, p.added(), "a later import finds the renamed note by its path: " + p);
            assertEquals(1, nb.stats().notes());
        }
    }

    @Test
    void a_file_written_in_pieces_is_read_once_when_it_is_done() throws Exception {
        watcher = null;
        startWatchingWith(fast().withQuiet(Duration.ofSeconds(1)));
        await("the first scan", () -> count(Kind.SCANNED) == 1);
        Path f = notes.resolve("download.txt");
        try (var out = Files.newBufferedWriter(f)) {
            for (int i = 0; i < 30; i++) { // a slow writer: a piece every 50 ms for 1.5 s
                out.write("line " + i + " of a file arriving slowly\n");
                out.flush();
                Thread.sleep(50);
            }
            out.write("THE END\n");
        }
        awaitTold(Kind.ADDED, f);
        Thread.sleep(1500); // time for a second, wrong import to show up if there were one
        assertTrue(storedAt(f).orElseThrow().body().contains("THE END"), "imported whole");
        assertEquals(0, count(Kind.UPDATED), "read once: " + told);
    }

    @Test
    void a_periodic_rescan_that_finds_nothing_changed_does_not_open_the_notebook() throws Exception {
        Files.writeString(notes.resolve("a.md"), "# A\nalpha\n");
        java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();
        FolderWatcher.Access real = FolderWatcher.reopening(dir, counting);
        watcher = new FolderWatcher(dir, List.of(notes), fast().withRescanEvery(Duration.ofMillis(200)), task -> {
            opened.incrementAndGet();
            real.use(task);
        }, told::add);
        watcher.start();
        await("the first scan", () -> count(Kind.SCANNED) == 1);
        java.time.Instant first = watcher.status().roots().get(0).lastScan();
        await("two periodic rescans", () -> {
            java.time.Instant t = watcher.status().roots().get(0).lastScan();
            return t != null && t.isAfter(first.plusMillis(400));
        });
        assertEquals(1, opened.get(), "only the first scan opened the notebook");
        Path b = notes.resolve("b.md");
        Files.writeString(b, "# B\nbeta\n");
        awaitTold(Kind.ADDED, b);
        await("the rescan after a change", () -> count(Kind.SCANNED) == 2);
        assertEquals(2, stored().size());
    }

    @Test
    void a_long_first_scan_lets_go_of_the_notebook_between_parts_and_counts_them_all() throws Exception {
        for (int i = 0; i < 6; i++) {
            Files.writeString(notes.resolve("n" + i + ".md"), "# Note " + i + "\nThe text of note number " + i + ".\n");
        }
        java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();
        FolderWatcher.Access real = FolderWatcher.reopening(dir, counting);
        watcher = new FolderWatcher(dir, List.of(notes), fast().withHoldAtMost(Duration.ofNanos(1)), task -> {
            opened.incrementAndGet();
            real.use(task);
        }, told::add);
        watcher.start();
        await("the first scan", () -> count(Kind.SCANNED) == 1);
        assertTrue(opened.get() >= 6, "one part per embedded file: " + opened.get());
        FolderChange scanned = told.stream().filter(c -> c.kind() == Kind.SCANNED).findFirst().orElseThrow();
        assertTrue(scanned.reason().startsWith("6 files: 6 added, 0 updated, 0 renamed, 0 deleted, 0 unchanged"),
                scanned::toString);
        assertEquals(6, count(Kind.ADDED));
        assertEquals(6, stored().size());
    }

    @Test
    void the_notebook_is_free_between_writes_for_another_writer() throws Exception {
        Files.writeString(notes.resolve("a.md"), "# A\nThe first note.\n");
        startWatching();
        await("the first scan", () -> count(Kind.SCANNED) == 1);
        // another writer (as `pocketrag add` in another process would): it gets the notebook
        Note added = null;
        long end = System.nanoTime() + PATIENCE.toNanos();
        while (added == null) {
            try (Notebook nb = Notebook.builder(dir).embedder(counting).build()) {
                added = nb.add(Note.of("Typed", "A note typed while the folder is watched.", List.of()));
            } catch (IndexInUseException e) {
                if (System.nanoTime() > end) {
                    throw e;
                }
                Thread.sleep(20); // the watcher is writing just now
            }
        }
        Path b = notes.resolve("b.md");
        Files.writeString(b, "# B\nWritten after the other writer was done.\n");
        awaitTold(Kind.ADDED, b);
        String id = added.id();
        assertTrue(stored().stream().anyMatch(n -> n.id().equals(id)), "the typed note stays");
        assertEquals(3, stored().size());
    }

    @Test
    void a_moved_folder_keeps_its_notes_and_is_watched_at_its_new_place() throws Exception {
        Path sub = Files.createDirectories(notes.resolve("trips"));
        Files.writeString(sub.resolve("lisbon.md"), "# Lisbon\nThe train leaves at 08:10.\n");
        Files.writeString(sub.resolve("porto.md"), "# Porto\nThe hotel is near the river.\n");
        startWatching();
        await("the first scan", () -> count(Kind.SCANNED) == 1);
        String lisbonId = storedAt(sub.resolve("lisbon.md")).orElseThrow().id();
        long embedded = counting.passages.get();

        Path moved = notes.resolve("travel");
        Files.move(sub, moved);
        await("two renames", () -> count(Kind.RENAMED) == 2);
        assertEquals(embedded, counting.passages.get(), "nothing embedded again");
        assertEquals(lisbonId, storedAt(moved.resolve("lisbon.md")).orElseThrow().id());
        assertEquals(0, count(Kind.DELETED), told::toString);

        Files.writeString(moved.resolve("lisbon.md"), "# Lisbon\nThe train leaves at 09:40.\n");
        awaitTold(Kind.UPDATED, moved.resolve("lisbon.md")); // its new folder is watched
        assertEquals(lisbonId, storedAt(moved.resolve("lisbon.md")).orElseThrow().id());
        assertEquals(2, stored().size());
    }

    @Test
    void a_root_that_disappears_keeps_its_notes_is_shown_offline_and_comes_back() throws Exception {
        Files.writeString(notes.resolve("a.md"), "# A\nalpha\n");
        Files.createDirectories(notes.resolve("sub"));
        Files.writeString(notes.resolve("sub/b.md"), "# B\nbeta\n");
        startWatching();
        await("the first scan", () -> count(Kind.SCANNED) == 1);
        assertEquals(2, stored().size());

        Path away = tmp.resolve("unmounted");
        Files.move(notes, away); // the drive goes: the root itself is gone
        awaitTold(Kind.OFFLINE, notes);
        await("offline in the sources file", () -> Sources.read(dir).roots().size() == 1
                && !Sources.read(dir).roots().get(0).online());
        assertFalse(watcher.status().roots().get(0).online());
        assertEquals(2, stored().size(), "its notes are kept");
        assertEquals(0, count(Kind.DELETED), told::toString);

        Files.move(away, notes);
        awaitTold(Kind.ONLINE, notes);
        await("the scan after it came back", () -> count(Kind.SCANNED) == 2);
        assertEquals(0, count(Kind.DELETED), told::toString);
        assertEquals(2, stored().size());
        assertTrue(Sources.read(dir).roots().get(0).online());
        assertEquals(2, Sources.read(dir).roots().get(0).notes());

        watcher.close();
        try (Notebook nb = Notebook.builder(dir).embedder(counting).build()) {
            assertEquals(2, FolderWatcher.remove(nb, notes), "removing the root deletes its notes");
            assertEquals(0, nb.stats().notes());
        }
        assertEquals(List.of(), Sources.read(dir).roots(), "and forgets it");
    }

    @Test
    void a_root_found_empty_while_it_had_notes_is_offline_not_emptied() throws Exception {
        Files.writeString(notes.resolve("a.md"), "# A\nalpha\n");
        Files.writeString(notes.resolve("b.md"), "# B\nbeta\n");
        startWatching();
        await("the first scan", () -> count(Kind.SCANNED) == 1);
        watcher.close();
        Files.delete(dir.resolve(Sources.FILE_NAME)); // the notes count: from the notebook, not this file
        // the drive is not mounted at the next start: its mount point is an empty folder
        Path away = Files.createDirectories(tmp.resolve("drive"));
        Files.move(notes.resolve("a.md"), away.resolve("a.md"));
        Files.move(notes.resolve("b.md"), away.resolve("b.md"));
        told.clear();
        startWatching();
        awaitTold(Kind.OFFLINE, notes);
        assertTrue(told.stream().anyMatch(c -> c.kind() == Kind.OFFLINE && c.reason().startsWith("empty while it had 2"
                + " notes")), told::toString);
        assertEquals(2, stored().size(), "nothing deleted");
        assertEquals(0, count(Kind.DELETED));

        Files.move(away.resolve("a.md"), notes.resolve("a.md")); // mounted again
        Files.move(away.resolve("b.md"), notes.resolve("b.md"));
        awaitTold(Kind.ONLINE, notes);
        await("the scan after it came back", () -> count(Kind.SCANNED) == 1);
        assertEquals(0, count(Kind.DELETED), told::toString);
        assertEquals(0, count(Kind.ADDED), told::toString);
        assertEquals(2, stored().size());
    }

    @Test
    void skipped_files_are_recorded_with_why_and_told_once_and_a_damaged_sources_file_is_set_aside() throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(Sources.FILE_NAME), "not a sources file at all");
        Files.write(notes.resolve("photo.md"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1});
        Files.writeString(notes.resolve("ok.md"), "# ok\nfine\n");
        startWatching();
        await("the first scan", () -> count(Kind.SCANNED) == 1);
        FolderChange damaged = told.stream().filter(c -> c.path().equals(dir.resolve(Sources.FILE_NAME).toAbsolutePath()
                .toString())).findFirst().orElseThrow(() -> new AssertionError(told.toString()));
        assertTrue(damaged.reason().contains("set aside as " + dir.toAbsolutePath().resolve(Sources.FILE_NAME)
                + ".damaged-"), damaged::toString);
        Sources.Root r = Sources.read(dir).roots().get(0);
        assertEquals(1, r.skipped(), r::toString);
        assertEquals(List.of(new ImportProgress.Problem("photo.md", "binary (NUL byte at offset 4)", false)),
                r.problems());
        assertEquals(1, r.notes());
        assertTrue(r.lastScan() != null);

        Files.writeString(notes.resolve("photo.md"), "# Photo\nnow a note\n");
        awaitTold(Kind.ADDED, notes.resolve("photo.md"));
        await("the problem gone", () -> Sources.read(dir).roots().get(0).skipped() == 0);
        assertEquals(1, count(Kind.SKIPPED), told::toString);
    }
}
