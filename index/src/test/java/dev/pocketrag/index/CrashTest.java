package dev.pocketrag.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.lucene.index.CheckIndex;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM ingests notes and is killed with SIGKILL at random moments, 50 times. After each
 * kill: CheckIndex is clean, the index opens, and it holds exactly the notes of the last commit
 * the child reported (or of the commit it was making when it died: a commit is all or nothing),
 * each once and with all its chunks; nothing of an uncommitted batch is visible.
 */
class CrashTest {
    static final int KILLS = 50;

    @TempDir
    Path dir;

    @Test
    void sigkill_at_random_moments_never_loses_a_commit_nor_shows_half_a_note() throws Exception {
        long seed = Long.getLong("test.seed", System.nanoTime());
        System.out.println("CrashTest seed: -Dtest.seed=" + seed);
        Random rnd = new Random(seed);
        Map<String, Long> committed = new HashMap<>(); // id -> version
        int totalCommits = 0;
        for (int run = 1; run <= KILLS; run++) {
            Map<String, Long> pendingState = null;
            try (ChildJvm child = ChildJvm.start(CrashChild.class, dir.toString(), Integer.toString(run),
                    Long.toString(rnd.nextLong()))) {
                // when to kill: sometimes while it opens the index; else after a random number of
                // reported commits (so the test does not depend on how fast this machine is) plus a
                // random delay that lands inside the next batch, its commit or a merge
                List<String> lines = new ArrayList<>();
                if (rnd.nextInt(10) == 0) {
                    Thread.sleep(rnd.nextInt(400));
                } else {
                    String first = child.nextLine(60_000);
                    assertEquals("READY", first, "run " + run + ": child did not open the index");
                    int commitsBeforeKill = rnd.nextInt(7);
                    int seen = 0;
                    while (seen < commitsBeforeKill) {
                        String line = child.nextLine(60_000);
                        assertTrue(line != null, "run " + run + ": child stopped before it was killed");
                        lines.add(line);
                        if (line.startsWith("C ")) {
                            seen++;
                        }
                    }
                    Thread.sleep(rnd.nextInt(60));
                }
                child.process.destroyForcibly(); // SIGKILL
                child.process.waitFor();
                lines.addAll(child.remainingLines());
                for (String line : lines) {
                    if (!line.endsWith(" END")) {
                        continue; // cut off by the kill: nothing of that batch was written yet
                    }
                    String[] tok = line.split(" ");
                    if (tok[0].equals("P")) {
                        pendingState = new HashMap<>(committed);
                        for (int i = 2; i < tok.length - 1; i++) {
                            if (tok[i].startsWith("+")) {
                                String[] iv = tok[i].substring(1).split(":");
                                pendingState.put(iv[0], Long.parseLong(iv[1]));
                            } else {
                                pendingState.remove(tok[i].substring(1));
                            }
                        }
                    } else if (tok[0].equals("C")) {
                        committed = pendingState;
                        pendingState = null;
                        totalCommits++;
                    }
                }
            }
            verify(run, committed, pendingState);
            if (pendingState != null) {
                // the batch in flight may have been committed before the kill; adopt what is there
                committed = actualVersions(committed, pendingState);
            }
        }
        System.out.println("CrashTest: " + KILLS + " kills, " + totalCommits + " commits reported, "
                + committed.size() + " notes at the end");
        assertTrue(totalCommits > KILLS, "the child should commit several times per run: " + totalCommits);
    }

    private void verify(int run, Map<String, Long> committed, Map<String, Long> pending) throws Exception {
        try (Directory d = FSDirectory.open(dir)) {
            if (!DirectoryReader.indexExists(d)) {
                // killed before the very first commit (creating the index): there is nothing to lose
                assertTrue(committed.isEmpty(), "run " + run + ": the index vanished after commits");
            } else {
                checkIndex(run, d);
            }
        }
        verifyContents(run, committed, pending);
    }

    private static void checkIndex(int run, Directory d) throws Exception {
        try (CheckIndex check = new CheckIndex(d)) {
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            check.setInfoStream(new PrintStream(log, true, StandardCharsets.UTF_8));
            CheckIndex.Status status = check.checkIndex();
            if (!status.clean) {
                fail("run " + run + ": CheckIndex is not clean:\n" + log.toString(StandardCharsets.UTF_8));
            }
        }
    }

    private void verifyContents(int run, Map<String, Long> committed, Map<String, Long> pending) throws Exception {
        try (NoteIndex index = NoteIndex.open(dir, CrashChild.options())) {
            List<Note> notes = index.list(SearchFilter.NONE, 0, 10_000);
            Map<String, Long> actual = new HashMap<>();
            for (Note n : notes) {
                String[] tv = n.title().split(" v");
                if (actual.put(n.id(), Long.parseLong(tv[1])) != null) {
                    fail("run " + run + ": note " + n.id() + " is there twice");
                }
            }
            boolean matches = actual.equals(committed) || (pending != null && actual.equals(pending));
            if (!matches) {
                fail("run " + run + ": index holds " + diff(actual, committed) + " compared to the last reported commit"
                        + (pending == null ? "" : "; compared to the commit in flight: " + diff(actual, pending)));
            }
            long expectedChunks = 0;
            for (Map.Entry<String, Long> e : actual.entrySet()) {
                ChunkedNote want = CrashChild.chunked(CrashChild.note(e.getKey(), e.getValue()));
                assertEquals(want.note(), index.get(e.getKey()).orElseThrow(), "run " + run);
                assertEquals(want.chunks(), index.chunks(e.getKey()), "run " + run + ": chunks of " + e.getKey());
                expectedChunks += want.chunks().size();
            }
            IndexStats stats = index.stats();
            assertEquals(actual.size(), stats.notes(), "run " + run);
            assertEquals(expectedChunks, stats.chunks(), "run " + run + ": stray or missing chunk documents");
        }
    }

    private Map<String, Long> actualVersions(Map<String, Long> committed, Map<String, Long> pending) throws Exception {
        try (NoteIndex index = NoteIndex.open(dir, CrashChild.options())) {
            Map<String, Long> actual = new HashMap<>();
            for (Note n : index.list(SearchFilter.NONE, 0, 10_000)) {
                actual.put(n.id(), Long.parseLong(n.title().split(" v")[1]));
            }
            return actual.equals(pending) ? pending : committed;
        }
    }

    private static String diff(Map<String, Long> actual, Map<String, Long> expected) {
        Set<String> ids = new HashSet<>(actual.keySet());
        ids.addAll(expected.keySet());
        StringBuilder sb = new StringBuilder();
        for (String id : ids) {
            if (!java.util.Objects.equals(actual.get(id), expected.get(id))) {
                sb.append(' ').append(id).append(": ").append(actual.get(id)).append(" vs expected ").append(expected.get(id));
            }
        }
        return sb.length() == 0 ? "the same" : sb.toString();
    }
}
