package dev.pocketrag.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
            assertEquals("IndexInUseException: index is in use by another process: " + dir.toAbsolutePath(),
                    child.nextLine(60_000));
            assertEquals(0, child.process.waitFor());
        }
    }

    @Test
    void this_process_cannot_open_an_index_that_another_process_holds_until_it_lets_go() throws Exception {
        try (ChildJvm child = ChildJvm.start(LockHolder.class, "hold", dir.toString())) {
            assertEquals("OPEN", child.nextLine(60_000));
            IndexInUseException e = assertThrows(IndexInUseException.class,
                    () -> NoteIndex.open(dir, IndexOptions.of(TestSupport.MODEL, TestSupport.DIM)));
            assertEquals("index is in use by another process: " + dir.toAbsolutePath(), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
            assertEquals(dir.toAbsolutePath(), e.path());
            child.process.getOutputStream().close(); // let go
            assertEquals("CLOSED", child.nextLine(60_000));
            assertEquals(0, child.process.waitFor());
        }
        NoteIndex.open(dir, IndexOptions.of(TestSupport.MODEL, TestSupport.DIM)).close();
    }
}
