package dev.pocketrag.retrieval.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.retrieval.Answer.Passage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ThreadFileTest {

    @Test
    void a_thread_reads_back_as_written(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("t.thread");
        List<ThreadFile.StoredTurn> v = ThreadFileWriter.version(5);
        ThreadFile.write(f, v);
        assertEquals(v, ThreadFile.read(f));
        ThreadFile.write(f, List.of());
        assertEquals(List.of(), ThreadFile.read(f));
    }

    @Test
    void a_version_1_thread_reads_with_passages_without_a_location(@TempDir Path dir) throws Exception {
        // version 1 as it was written: no page, no section after start and end
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            out.writeInt(ThreadFile.MAGIC);
            out.writeInt(1);
            out.writeInt(1);
            for (String s : List.of("q", "q", "a [1]")) {
                out.writeInt(s.length());
                out.writeBytes(s);
            }
            out.writeLong(1_700_000_000_000L);
            out.writeInt(1);
            for (String s : List.of("n1", "Title", "/x.md", "text")) {
                out.writeInt(s.length());
                out.writeBytes(s);
            }
            out.writeInt(3);
            out.writeInt(7);
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(bytes.toByteArray());
            out.writeLong(crc.getValue());
        }
        Path f = dir.resolve("old.thread");
        Files.write(f, bytes.toByteArray());
        List<ThreadFile.StoredTurn> read = ThreadFile.read(f);
        Passage p = read.get(0).cited().get(0);
        assertEquals("text", p.text());
        assertEquals(3, p.start());
        assertEquals(0, p.page());
        assertEquals("", p.section());
    }

    @Test
    void every_truncation_and_flipped_byte_is_reported_as_damaged_with_the_path(@TempDir Path dir) throws Exception {
        long seed = Long.getLong("pocketrag.seed", 16L);
        System.out.println("ThreadFileTest seed " + seed + " (-Dpocketrag.seed=" + seed + " repeats it)");
        Random rnd = new Random(seed);
        byte[] good = ThreadFile.encode(ThreadFileWriter.version(2));
        Path f = dir.resolve("bad.thread");
        for (int i = 0; i < 200; i++) {
            byte[] bad;
            if (i % 2 == 0) {
                bad = java.util.Arrays.copyOf(good, rnd.nextInt(good.length));
            } else {
                bad = good.clone();
                bad[rnd.nextInt(bad.length)] ^= (byte) (1 << rnd.nextInt(8));
            }
            Files.write(f, bad);
            ThreadFile.DamagedThreadException e = assertThrows(ThreadFile.DamagedThreadException.class,
                    () -> ThreadFile.read(f), "case " + i);
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        }
    }

    @Test
    void a_write_removes_what_a_killed_writer_left_and_keeps_a_live_writers_file(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("t1.thread");
        long dead = 999_999_999L; // above any pid_max: no such process
        Path left = dir.resolve(".t1.thread." + dead + ".1.tmp");
        Path live = dir.resolve(".t1.thread." + ProcessHandle.current().pid() + ".99.tmp");
        Path other = dir.resolve(".t2.thread." + dead + ".1.tmp");
        for (Path p : List.of(left, live, other)) {
            Files.writeString(p, "partial");
        }
        ThreadFile.write(file, List.of());
        assertFalse(Files.exists(left), "a dead process's temporary of this thread is removed");
        assertTrue(Files.exists(live), "a live process's temporary is left alone");
        assertTrue(Files.exists(other), "another thread's temporaries are not this write's business");
        assertEquals(List.of(), ThreadFile.read(file));
    }

    @Test
    void names_with_path_tricks_are_refused_with_the_name() {
        for (String bad : List.of("", "../x", "a/b", ".hidden", "a\\b", "x".repeat(65), "tab\there", "..")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ThreadFile.checkName(bad), bad);
            assertTrue(e.getMessage().contains("bad thread name"), e.getMessage());
        }
        for (String ok : List.of("t1", "atlas-2026.06", "A_b", "x".repeat(64))) {
            assertEquals(ok, ThreadFile.checkName(ok));
        }
    }

    @Test
    void more_than_the_bound_of_turns_is_refused() {
        assertThrows(IllegalArgumentException.class, () -> ThreadFile.encode(ThreadFileWriter.version(ThreadFile.MAX_TURNS + 1)));
    }

    @Test
    void a_thread_file_survives_a_kill_9_mid_write(@TempDir Path dir) throws Exception {
        long seed = Long.getLong("pocketrag.seed", 16L);
        Random rnd = new Random(seed);
        Path f = dir.resolve("t.thread");
        List<ThreadFile.StoredTurn> a = ThreadFileWriter.version(3);
        List<ThreadFile.StoredTurn> b = ThreadFileWriter.version(150);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int round = 0; round < 3; round++) {
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    ThreadFileWriter.class.getName(), f.toString()).redirectErrorStream(true).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                int writes = 5 + rnd.nextInt(40);
                for (int i = 0; i < writes; i++) {
                    String line = out.readLine();
                    assertTrue(line != null && line.startsWith("wrote"), "the writer runs: " + line);
                }
                Thread.sleep(rnd.nextInt(5));
            } finally {
                p.destroyForcibly(); // SIGKILL: no shutdown hooks, no flush
                assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            }
            List<ThreadFile.StoredTurn> read = ThreadFile.read(f);
            assertTrue(read.equals(a) || read.equals(b), "round " + round + ": the old or the new version, never torn: "
                    + read.size() + " turns");
        }
    }
}
