package dev.pocketrag.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One writer per directory across processes: the second gets a one-line typed error. */
class SecondWriterTest {
    @TempDir
    Path dir;

    @Test
    void a_second_process_cannot_open_an_index_that_this_process_holds() throws Exception {
        try (NoteIndex held = NoteIndex.open(dir, IndexOptions.of(TestSupport.MODEL, TestSupport.DIM));
                ChildJvm child = ChildJvm.start(LockHolder.class, "try", dir.toString())) {
            String line = child.nextLine(60_000);
            String expected = "IndexInUseException: index is in use by another process: " + dir.toAbsolutePath()
                    + " (held by process " + ProcessHandle.current().pid() + " since ";
            assertTrue(line.startsWith(expected), line);
            assertEquals(0, child.process.waitFor());
        }
    }

    @Test
    void this_process_cannot_open_an_index_that_another_process_holds_until_it_lets_go() throws Exception {
        try (ChildJvm child = ChildJvm.start(LockHolder.class, "hold", dir.toString())) {
            assertEquals("OPEN", child.nextLine(60_000));
            IndexInUseException e = assertThrows(IndexInUseException.class,
                    () -> NoteIndex.open(dir, IndexOptions.of(TestSupport.MODEL, TestSupport.DIM)));
            assertTrue(e.getMessage().matches("index is in use by another process: \\Q" + dir.toAbsolutePath()
                    + "\\E \\(held by process " + child.process.pid() + " since [-0-9T:]+Z: the lock-holder test child:"
                    + " let go of it first\\)"), e.getMessage());
            assertTrue(e.holder().startsWith("process " + child.process.pid()), e.holder());
            assertFalse(e.getMessage().contains("\n"));
            assertEquals(dir.toAbsolutePath(), e.path());
            // reading needs no lock: what the holder committed is there
            try (NoteIndex reader = NoteIndex.openReadOnly(dir, IndexOptions.of(TestSupport.MODEL, TestSupport.DIM))) {
                assertEquals("Held", reader.get("held").orElseThrow().title());
                assertThrows(IllegalStateException.class, () -> reader.delete("held"));
            }
            child.process.getOutputStream().close(); // let go
            assertEquals("CLOSED", child.nextLine(60_000));
            assertEquals(0, child.process.waitFor());
        }
        NoteIndex.open(dir, IndexOptions.of(TestSupport.MODEL, TestSupport.DIM)).close();
    }

    @Test
    void a_holder_file_left_by_a_process_that_is_gone_names_no_one() throws Exception {
        try (ChildJvm child = ChildJvm.start(LockHolder.class, "hold", dir.toString())) {
            assertEquals("OPEN", child.nextLine(60_000));
            java.nio.file.Files.writeString(dir.resolve(LuceneNoteIndex.HOLDER_FILE), "pid=" + Long.MAX_VALUE + "\nwhat=gone\n");
            IndexInUseException e = assertThrows(IndexInUseException.class,
                    () -> NoteIndex.open(dir, IndexOptions.of(TestSupport.MODEL, TestSupport.DIM)));
            assertEquals("index is in use by another process: " + dir.toAbsolutePath()
                    + " (stop that process, or wait until it is done)", e.getMessage());
            child.process.getOutputStream().close();
            assertEquals("CLOSED", child.nextLine(60_000));
        }
    }
}
