package dev.pocketrag.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.index.IndexInUseException;
import dev.pocketrag.index.Note;
import dev.pocketrag.retrieval.ReindexProgress.Phase;
import dev.pocketrag.retrieval.internal.IndexLayout;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A re-index to bge-small in a child JVM, killed with SIGKILL mid-way (after at least 3 of 12 notes
 * were saved, at a random moment of the rest): meanwhile the notebook is searchable on its old
 * vectors by another process; after the kill it still is, on MiniLM; a new re-index embeds only
 * the notes the killed one had not saved, and ends with every note on bge-small.
 */
class ReindexCrashTest {
    static final int NOTES = 12;
    static final String MINILM_ID = Embedders.model("minilm").modelId();

    @Test
    void a_reindex_killed_mid_way_resumes_without_embedding_again_what_it_saved(@TempDir Path dir) throws Exception {
        long seed = Long.getLong("pocketrag.seed", System.nanoTime());
        System.out.println("ReindexCrashTest seed: -Dpocketrag.seed=" + seed);
        Random rnd = new Random(seed);
        List<Note> notes = new ArrayList<>(NotebookTest.NOTES);
        for (int i = notes.size(); i < NOTES; i++) {
            notes.add(Note.of("errand-" + i, "Errand " + i, "Pick up parcel number " + (1000 + i) + " at the post office."));
        }
        try (Embedder miniLm = Embedders.miniLm(); Notebook nb = Notebook.builder(dir).embedder(miniLm).build()) {
            nb.addAll(notes);
        }
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xmx512m",
                "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
                ReindexChild.class.getName(), dir.toString());
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        // its lines, read on another thread: a kill closes the stream under a blocked reader
        LinkedBlockingQueue<String> output = new LinkedBlockingQueue<>();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = out.readLine()) != null) {
                    output.add(l);
                }
            } catch (java.io.IOException ignored) {
                // killed: what was read counts
            }
        });
        List<String> lines = new ArrayList<>();
        try {
            String line;
            while ((line = output.poll(120, TimeUnit.SECONDS)) != null && !line.equals("PAUSED")) {
                lines.add(line);
            }
            assertEquals("PAUSED", line, "the child re-indexes: " + lines);

            // another process meanwhile: reads on the old vectors; cannot write
            try (Notebook other = Notebook.builder(dir).readOnly().build()) {
                assertEquals(MINILM_ID, other.embedder().modelId());
                assertEquals("dentist", other.search("when do I see the dentist", SearchOptions.defaults()).get(0).noteId());
            }
            IndexInUseException busy = assertThrows(IndexInUseException.class, () -> Notebook.open(dir));
            assertTrue(busy.getMessage().contains("pocketrag reindex (the test's child)"), busy.getMessage());

            Writer go = new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8);
            go.write("go\n");
            go.flush();
            Thread.sleep(rnd.nextInt(100));
            child.destroyForcibly(); // SIGKILL: no shutdown hooks, no close, no commit
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            reader.join(30_000);
            output.drainTo(lines);
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        assertFalse(lines.stream().anyMatch(l -> l.startsWith("FINISHED")), "killed before it finished: " + lines);
        long lastSaved = lines.stream().filter(l -> l.startsWith("saved ")).mapToLong(l -> Long.parseLong(l.substring(6)))
                .max().orElseThrow();
        assertTrue(lastSaved >= 3 && lastSaved < NOTES, "saved " + lastSaved);
        assertEquals("index", IndexLayout.currentName(dir), "no switch happened");

        try (Embedder bge = Embedders.named("bge-small")) {
            try (Notebook nb = Notebook.open(dir)) {
                assertEquals(MINILM_ID, nb.embedder().modelId(), "still on its old model");
                assertEquals("dentist", nb.search("when do I see the dentist", SearchOptions.defaults()).get(0).noteId());
                TestEmbedders.Counting counting = new TestEmbedders.Counting(bge);
                ReindexProgress p = nb.reindex(counting, ReindexListener.NONE);
                assertEquals(Phase.DONE, p.phase());
                System.out.println("ReindexCrashTest: killed after " + lastSaved + " reported saved; resumed with "
                        + p.kept() + " kept, " + p.embedded() + " embedded");
                // what the killed run saved is kept: at least what it reported, at most one commit more
                // (made but not yet reported when the kill came)
                assertTrue(p.kept() >= lastSaved && p.kept() <= lastSaved + 1, "kept " + p.kept() + ", saved " + lastSaved);
                assertEquals(NOTES, p.kept() + p.embedded());
                assertEquals(NOTES - p.kept(), counting.passages.get(), "one chunk a note, only the unsaved ones embedded");
            }
            ReindexTest.assertMovedTo(dir, bge, NOTES, "index-1");
        }
    }
}
