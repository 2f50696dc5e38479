package dev.pocketrag.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FilterDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexOutput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk that fills up (an injected directory whose writes fail with ENOSPC's message while
 * {@code full} is set): the failing write says so, naming the index; reads keep working; once there
 * is room again writes work without reopening the index, and what was committed before stays.
 */
class WriteFailureTest {
    @TempDir
    Path dir;

    /** Every new file, and every byte written to any file, fails while {@link #full} is set. */
    static final class FullDisk extends FilterDirectory {
        final AtomicBoolean full = new AtomicBoolean();

        FullDisk(Directory in) {
            super(in);
        }

        private void check() throws IOException {
            if (full.get()) {
                throw new IOException("No space left on device");
            }
        }

        @Override
        public IndexOutput createOutput(String name, IOContext context) throws IOException {
            check();
            return new Out(super.createOutput(name, context));
        }

        @Override
        public IndexOutput createTempOutput(String prefix, String suffix, IOContext context) throws IOException {
            check();
            return new Out(super.createTempOutput(prefix, suffix, context));
        }

        @Override
        public void sync(java.util.Collection<String> names) throws IOException {
            check();
            super.sync(names);
        }

        final class Out extends org.apache.lucene.store.FilterIndexOutput {
            Out(IndexOutput out) {
                super("full disk: " + out, out.getName(), out);
            }

            @Override
            public void writeByte(byte b) throws IOException {
                check();
                super.writeByte(b);
            }

            @Override
            public void writeBytes(byte[] b, int offset, int length) throws IOException {
                check();
                super.writeBytes(b, offset, length);
            }
        }
    }

    private static Note note(String id, String text) {
        Instant t = Instant.parse("2025-03-01T10:00:00Z");
        return new Note(id, id, text, List.of("t"), "", t, t);
    }

    private static ChunkedNote chunked(String id, String text, int axis) {
        return TestSupport.chunked(note(id, text), TestSupport.axis(axis, TestSupport.DIM), 64);
    }

    private static IndexOptions options() {
        return IndexOptions.of(TestSupport.MODEL, TestSupport.DIM);
    }

    @Test
    void a_full_disk_fails_the_write_keeps_reads_and_recovers_when_space_returns() throws IOException {
        FullDisk[] disk = new FullDisk[1];
        Path index = dir.resolve("index");
        try (NoteIndex idx = LuceneNoteIndex.open(index, options(), d -> disk[0] = new FullDisk(d))) {
            idx.put(chunked("a", "The boiler was serviced in March.", 1));
            idx.commit();

            disk[0].full.set(true);
            IndexWriteException e = assertThrows(IndexWriteException.class, () -> {
                for (int i = 0; i < 200; i++) { // enough to make Lucene flush a segment
                    idx.put(chunked("b" + i, "Lots of text about the garden shed, number " + i + ". ".repeat(20), 2));
                }
                idx.commit();
            });
            assertTrue(e.diskFull(), e.getMessage());
            assertTrue(e.getMessage().contains(index.toAbsolutePath().normalize().toString())
                    && e.getMessage().contains("No space left on device"), e.getMessage());

            // reads keep working, at the last commit
            assertTrue(idx.get("a").isPresent());
            assertFalse(idx.get("b0").isPresent(), "what failed is not there");
            assertEquals(1, idx.stats().notes());
            assertEquals(List.of("a"), idx.list(SearchFilter.NONE, 0, 10).stream().map(Note::id).toList());
            assertEquals("a", idx.search(SearchRequest.bm25("boiler", 3)).get(0).noteId());
            // a write while the disk is still full fails the same way, and reads still work
            assertThrows(IndexWriteException.class, () -> {
                idx.put(chunked("c", "Still full.", 3));
                idx.commit();
            });
            assertTrue(idx.get("a").isPresent());

            disk[0].full.set(false);
            idx.put(chunked("d", "Space again: the roof was fixed.", 4));
            idx.commit();
            assertTrue(idx.get("d").isPresent());
            assertEquals(2, idx.stats().notes());
        }
        try (NoteIndex idx = NoteIndex.open(index, options())) {
            assertEquals(List.of("a", "d"), idx.list(SearchFilter.NONE, 0, 10).stream().map(Note::id).sorted().toList(),
                    "acknowledged commits stayed, the failed writes did not come back");
        }
    }

    @Test
    void a_commit_never_reports_as_saved_what_another_thread_s_failure_dropped() throws Exception {
        FullDisk[] disk = new FullDisk[1];
        try (NoteIndex idx = LuceneNoteIndex.open(dir.resolve("index"), options(), d -> disk[0] = new FullDisk(d))) {
            idx.put(chunked("a", "first", 1));
            idx.commit();
            // another client (one thread) writes, but has not committed yet
            try (var other = java.util.concurrent.Executors.newSingleThreadExecutor()) {
                other.submit(() -> {
                    idx.put(chunked("x", "written by the other thread", 2));
                    return null;
                }).get();
                disk[0].full.set(true);
                assertThrows(IndexWriteException.class, idx::commit); // fails, and drops x too
                disk[0].full.set(false);
                var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> other.submit(() -> {
                    idx.commit();
                    return null;
                }).get());
                assertTrue(e.getCause() instanceof IndexWriteException && e.getCause().getMessage().contains("not saved"),
                        "the other client's commit is refused: " + e.getCause());
            }
            assertFalse(idx.get("x").isPresent());
            assertTrue(idx.get("a").isPresent());
        }
    }
}
