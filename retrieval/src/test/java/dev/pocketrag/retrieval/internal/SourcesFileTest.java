package dev.pocketrag.retrieval.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.retrieval.ImportProgress.Problem;
import dev.pocketrag.retrieval.Sources;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watched folders' file: written and read back, and every damage set aside, never fatal. */
class SourcesFileTest {
    @TempDir
    Path dir;

    static final List<Sources.Root> ROOTS = List.of(
            new Sources.Root("/home/ana/notes", true, Instant.ofEpochMilli(1_764_000_000_123L), 12, 1, 2,
                    List.of(new Problem("photo.md", "binary (NUL byte at offset 4)", false),
                            new Problem("locked/", "folder not readable (permission denied); its notes are kept", true))),
            new Sources.Root("/media/usb/caf\u00e9", false, null, 3, 0, 0, List.of()));

    @Test
    void reads_back_what_it_wrote() throws Exception {
        SourcesFile.write(dir, ROOTS);
        Sources s = Sources.read(dir);
        assertEquals("", s.warning());
        assertEquals(ROOTS, s.roots());
    }

    @Test
    void a_missing_file_is_no_watched_folders() {
        assertEquals(Sources.NONE, Sources.read(dir));
    }

    @Test
    void every_damage_is_set_aside_with_its_path_named() throws Exception {
        byte[] good = SourcesFile.encode(ROOTS);
        long seed = Long.getLong("pocketrag.seed", 18L);
        System.out.println("SourcesFileTest seed " + seed);
        Random rnd = new Random(seed);
        List<byte[]> bad = new ArrayList<>();
        bad.add(new byte[0]);
        bad.add(java.util.Arrays.copyOf(good, good.length - 1)); // truncated
        bad.add(java.util.Arrays.copyOf(good, good.length / 2));
        for (int i = 0; i < 20; i++) { // one bit flipped anywhere
            byte[] b = good.clone();
            int at = rnd.nextInt(b.length);
            b[at] ^= (byte) (1 << rnd.nextInt(8));
            bad.add(b);
        }
        byte[] version = good.clone();
        ByteBuffer.wrap(version).putInt(4, 2);
        bad.add(version);
        for (byte[] b : bad) {
            Path file = dir.resolve(SourcesFile.NAME);
            Files.write(file, b);
            Sources s = Sources.read(dir);
            assertEquals(List.of(), s.roots());
            assertFalse(Files.exists(file), "set aside");
            try (var aside = Files.list(dir)) {
                Path moved = aside.filter(p -> p.getFileName().toString().startsWith(SourcesFile.NAME + ".damaged-"))
                        .findFirst().orElseThrow();
                assertTrue(s.warning().contains(moved.toString()), s.warning());
                Files.delete(moved);
            }
        }
    }

    @Test
    void counts_past_their_bounds_are_refused_by_name() {
        List<Sources.Root> many = new ArrayList<>();
        for (int i = 0; i <= SourcesFile.MAX_ROOTS; i++) {
            many.add(new Sources.Root("/r" + i, true, null, 0, 0, 0, List.of()));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SourcesFile.encode(many));
        assertTrue(e.getMessage().contains("roots=" + (SourcesFile.MAX_ROOTS + 1)), e.getMessage());
        // a file claiming more roots than allowed, with a valid checksum
        byte[] b = SourcesFile.encode(List.of());
        ByteBuffer.wrap(b).putInt(8, SourcesFile.MAX_ROOTS + 1);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b, 0, b.length - 8);
        ByteBuffer.wrap(b).putLong(b.length - 8, crc.getValue());
        SourcesFile.DamagedException d = assertThrows(SourcesFile.DamagedException.class, () -> SourcesFile.decode(b));
        assertTrue(d.getMessage().contains("roots 1001"), d.getMessage());
    }
}
