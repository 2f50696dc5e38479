package dev.pocketrag.retrieval.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pointer file and the index folders' generations (the crash states are in the class comment). */
class IndexLayoutTest {
    @TempDir
    Path dir;

    @Test
    void without_a_pointer_the_index_is_index_and_a_reindex_builds_index_1() throws IOException {
        assertEquals(dir.resolve("index"), IndexLayout.current(dir));
        assertEquals(dir.resolve("index-1"), IndexLayout.next(dir));
        assertEquals(List.of(), IndexLayout.stale(dir));
        assertEquals(Optional.empty(), IndexLayout.unfinished(dir));
        Files.createDirectories(dir.resolve("index-1"));
        assertEquals(Optional.of(dir.resolve("index-1")), IndexLayout.unfinished(dir));
    }

    @Test
    void after_a_switch_the_pointer_names_the_new_folder_and_the_old_ones_are_stale() throws IOException {
        Files.createDirectories(dir.resolve("index/sub"));
        Files.writeString(dir.resolve("index/sub/f"), "x");
        Files.createDirectories(dir.resolve("index-1"));
        Files.createDirectories(dir.resolve("index-2")); // a re-index under way, never stale
        IndexLayout.point(dir, "index-1");
        assertEquals("pocketrag-index-pointer 1\nindex-1\ncrc32 " + String.format("%08x", crc("index-1\n")) + "\n",
                Files.readString(dir.resolve(IndexLayout.POINTER)));
        assertEquals(dir.resolve("index-1"), IndexLayout.current(dir));
        assertEquals(dir.resolve("index-2"), IndexLayout.next(dir));
        assertEquals(List.of(dir.resolve("index")), IndexLayout.stale(dir));
        IndexLayout.deleteTree(dir.resolve("index"));
        assertTrue(Files.notExists(dir.resolve("index")));
        IndexLayout.deleteTree(dir.resolve("index")); // gone already: fine
    }

    @Test
    void a_damaged_pointer_is_refused_naming_the_file_and_the_folders() throws IOException {
        Files.createDirectories(dir.resolve("index-3"));
        IndexLayout.point(dir, "index-3");
        Path p = dir.resolve(IndexLayout.POINTER);
        Files.writeString(p, Files.readString(p).replace("index-3", "index-4")); // the checksum no longer fits
        IOException e = assertThrows(IOException.class, () -> IndexLayout.current(dir));
        assertTrue(e.getMessage().startsWith("the notebook's index pointer " + p + " is damaged (its checksum does"
                + " not match)"), e.getMessage());
        assertTrue(e.getMessage().contains("[index-3]"), e.getMessage());
        Files.writeString(p, "pocketrag-index-pointer 2\nindex-3\ncrc32 00000000\n");
        e = assertThrows(IOException.class, () -> IndexLayout.current(dir));
        assertTrue(e.getMessage().contains("(version '2', this version of pocketrag reads 1)"), e.getMessage());
        Files.writeString(p, "pocketrag-index-pointer 1\n../etc\ncrc32 " + String.format("%08x", crc("../etc\n")) + "\n");
        e = assertThrows(IOException.class, () -> IndexLayout.current(dir));
        assertTrue(e.getMessage().contains("it names '../etc', not an index folder"), e.getMessage());
    }

    @Test
    void a_temporary_pointer_of_a_dead_process_is_ignored_and_cleaned_up() throws IOException {
        Path tmp = dir.resolve("." + IndexLayout.POINTER + ".999999999.1.tmp");
        Files.writeString(tmp, "pocketrag-index-pointer 1\nind");
        assertEquals(dir.resolve("index"), IndexLayout.current(dir));
        Files.createDirectories(dir.resolve("index-1"));
        IndexLayout.point(dir, "index-1");
        assertTrue(Files.notExists(tmp));
    }

    @Test
    void folder_names_and_generations() {
        assertEquals(0, IndexLayout.generation("index"));
        assertEquals(12, IndexLayout.generation("index-12"));
        assertEquals(-1, IndexLayout.generation("index-0"));
        assertEquals(-1, IndexLayout.generation("index-01"));
        assertEquals(-1, IndexLayout.generation("backups"));
        assertEquals("index-7", IndexLayout.name(7));
        assertThrows(IllegalArgumentException.class, () -> IndexLayout.point(dir, "../x"));
    }

    private static long crc(String s) {
        java.util.zip.CRC32 c = new java.util.zip.CRC32();
        c.update(s.getBytes(StandardCharsets.UTF_8));
        return c.getValue();
    }
}
