package dev.pocketrag.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.index.Chunk;
import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.IndexOptions;
import dev.pocketrag.index.IndexStats;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.RecordedModel;
import dev.pocketrag.index.SearchHit;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pocketrag migrate}'s copies ({@link Notebook.Builder#migrateTo}, {@link
 * Notebook.Builder#migrateFrom}) between a notebook's own index and a second Lucene index at a
 * {@code file:} URL.
 */
class NotebookMigrateTest {
    static Embedder embedder;

    @BeforeAll
    static void load() {
        embedder = Embedders.miniLm();
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    /** The sample notes and {@code extra} more, each different, added to a new notebook in {@code dir}. */
    static void fill(Path dir, int extra) throws Exception {
        List<Note> notes = new ArrayList<>(NotebookTest.NOTES);
        String[] things = {"boiler", "bike", "passport", "car", "garden", "printer", "router", "piano"};
        for (int i = 0; i < extra; i++) {
            String t = things[i % things.length];
            notes.add(Note.of("n" + i, t + " " + i, "The " + t + " note number " + i + " says: check it on day " + (i + 1)
                    + " of the month, and write down what " + t + " needs."));
        }
        try (Notebook nb = Notebook.builder(dir).embedder(embedder).build()) {
            nb.addAll(notes);
        }
    }

    static final List<String> QUERIES = List.of("when do I see the tooth doctor", "hotel booking reference in Japan",
            "bread flour and water", "who owns the rollback", "printer 5");

    /** Every query's hits as note id and passage start, in order. */
    static List<String> results(Notebook nb) throws Exception {
        List<String> out = new ArrayList<>();
        for (String q : QUERIES) {
            for (SearchHit h : nb.search(q, SearchOptions.defaults())) {
                out.add(q + " -> " + h.noteId() + "@" + h.start());
            }
        }
        return out;
    }

    @Test
    void a_round_trip_through_an_index_url_keeps_counts_and_search_results(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("a");
        fill(a, 20);
        URI url = tmp.resolve("shared").toUri();
        MigrateProgress to = Notebook.builder(a).migrateTo(url, MigrateListener.NONE);
        assertEquals(MigrateProgress.Phase.DONE, to.phase());
        assertEquals(24, to.total());
        assertEquals(24, to.copied());
        assertEquals(0, to.skipped());
        Path c = tmp.resolve("c");
        MigrateProgress from = Notebook.builder(c).migrateFrom(url, MigrateListener.NONE);
        assertEquals(MigrateProgress.Phase.DONE, from.phase());
        assertEquals(24, from.copied());

        IndexStats sa, sb, sc;
        List<String> ra, rb, rc;
        try (Notebook nb = Notebook.builder(a).readOnly().build()) {
            sa = nb.stats();
            ra = results(nb);
        }
        try (Notebook nb = Notebook.builder(tmp.resolve("b")).indexUrl(url).readOnly().build()) {
            sb = nb.stats();
            rb = results(nb);
        }
        try (Notebook nb = Notebook.builder(c).readOnly().build()) {
            sc = nb.stats();
            rc = results(nb);
            assertEquals(embedder.modelId(), nb.embedder().modelId(), "the copy records the model");
            // vectors and fingerprints as stored, nothing embedded again
            try (NoteIndex ia = NoteIndex.openReadOnly(a.resolve("index"), IndexOptions.of(Notebook.model(embedder)));
                    NoteIndex ic = NoteIndex.openReadOnly(c.resolve("index"), IndexOptions.of(Notebook.model(embedder)))) {
                ChunkedNote x = ia.getChunked("atlas").orElseThrow();
                ChunkedNote y = ic.getChunked("atlas").orElseThrow();
                assertEquals(x.note(), y.note());
                assertEquals(x.chunks(), y.chunks());
                assertEquals(x.fingerprint(), y.fingerprint());
                for (int i = 0; i < x.vectors().size(); i++) {
                    assertTrue(java.util.Arrays.equals(x.vectors().get(i), y.vectors().get(i)), "vector " + i);
                }
            }
        }
        assertEquals(List.of(24L, 24L, 24L), List.of(sa.notes(), sb.notes(), sc.notes()));
        assertEquals(sa.chunks(), sb.chunks());
        assertEquals(sa.chunks(), sc.chunks());
        assertTrue(ra.size() >= QUERIES.size(), ra.toString());
        assertEquals(ra, rb);
        assertEquals(ra, rc);
    }

    @Test
    void a_stopped_copy_keeps_what_it_committed_and_the_next_run_skips_it(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("a");
        fill(a, 8); // 12 notes
        URI url = tmp.resolve("shared").toUri();
        int[] calls = {0};
        MigrateProgress stopped = Notebook.builder(a).migrateNotesPerCommit(5).migrateTo(url, p -> ++calls[0] < 2);
        assertEquals(MigrateProgress.Phase.STOPPED, stopped.phase());
        assertEquals(5, stopped.copied());
        assertEquals(5, stopped.saved());
        try (NoteIndex b = NoteIndex.openReadOnly(Path.of(url), IndexOptions.of(Notebook.model(embedder)))) {
            assertEquals(5, b.stats().notes(), "what was committed before the stop");
        }
        MigrateProgress resumed = Notebook.builder(a).migrateNotesPerCommit(5).migrateTo(url, MigrateListener.NONE);
        assertEquals(MigrateProgress.Phase.DONE, resumed.phase());
        assertEquals(5, resumed.skipped());
        assertEquals(7, resumed.copied());
        assertEquals(12, resumed.done());
        // a note changed since (added, not imported: no fingerprint) is copied again; the rest skipped
        try (Notebook nb = Notebook.builder(a).embedder(embedder).build()) {
            Note d = nb.get("dentist").orElseThrow();
            nb.update(new Note(d.id(), d.title(), d.body() + " Moved to 16 March.", d.tags(), d.source(), d.created(),
                    Instant.now()));
        }
        MigrateProgress again = Notebook.builder(a).migrateTo(url, MigrateListener.NONE);
        assertEquals(1, again.copied());
        assertEquals(11, again.skipped());
        try (NoteIndex b = NoteIndex.openReadOnly(Path.of(url), IndexOptions.of(Notebook.model(embedder)))) {
            assertTrue(b.get("dentist").orElseThrow().body().endsWith("Moved to 16 March."));
            assertEquals(12, b.stats().notes());
        }
    }

    /** An index at {@code dir} of a model that is not MiniLM, holding {@code notes} notes with seeded vectors. */
    static RecordedModel otherModelIndex(Path dir, int notes) throws Exception {
        RecordedModel other = new RecordedModel("test/other-model", 384, "pooling=mean");
        long seed = Long.getLong("pocketrag.seed", 21L);
        System.out.println("NotebookMigrateTest seed: -Dpocketrag.seed=" + seed);
        Random r = new Random(seed);
        try (NoteIndex idx = NoteIndex.open(dir, IndexOptions.of(other))) {
            for (int i = 0; i < notes; i++) {
                float[] v = new float[384];
                double norm = 0;
                for (int k = 0; k < v.length; k++) {
                    v[k] = (float) r.nextGaussian();
                    norm += v[k] * v[k];
                }
                for (int k = 0; k < v.length; k++) {
                    v[k] /= (float) Math.sqrt(norm);
                }
                String text = "other note " + i;
                idx.put(Note.of("o" + i, "Other " + i, text), List.of(new Chunk(0, 0, text.length(), text, text)), List.of(v));
            }
        }
        return other;
    }

    @Test
    void a_copy_between_indexes_of_different_models_is_refused_naming_both(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("a");
        fill(a, 0);
        Path other = tmp.resolve("other");
        otherModelIndex(other, 2);
        EmbedderMismatchException into = assertThrows(EmbedderMismatchException.class,
                () -> Notebook.builder(a).migrateTo(other.toUri(), MigrateListener.NONE));
        assertTrue(into.getMessage().startsWith("cannot copy notebook " + a + " (vectors of embedder 'minilm') into the"
                + " note index at " + other.toUri() + ": it holds vectors of model 'test/other-model'"), into.getMessage());
        EmbedderMismatchException back = assertThrows(EmbedderMismatchException.class,
                () -> Notebook.builder(a).migrateFrom(other.toUri(), MigrateListener.NONE));
        assertTrue(back.getMessage().startsWith("cannot copy the note index at " + other.toUri()), back.getMessage());
        assertTrue(back.getMessage().contains("it holds 4 notes of embedder 'minilm'"), back.getMessage());
        try (Notebook nb = Notebook.builder(a).readOnly().build()) {
            assertEquals(4, nb.stats().notes(), "nothing changed");
        }
        try (NoteIndex o = NoteIndex.openReadOnly(other, IndexOptions.of(back.wanted()))) {
            assertEquals(2, o.stats().notes(), "nothing changed");
        }
    }

    @Test
    void a_copy_into_an_empty_notebook_of_another_model_makes_it_on_the_copied_model(@TempDir Path tmp)
            throws Exception {
        Path other = tmp.resolve("other");
        RecordedModel model = otherModelIndex(other, 3);
        Path c = tmp.resolve("c");
        try (Notebook nb = Notebook.builder(c).embedder(embedder).build()) {
            nb.stats(); // made, empty, on MiniLM
        }
        assertTrue(Files.isDirectory(c.resolve("index")));
        MigrateProgress p = Notebook.builder(c).migrateFrom(other.toUri(), MigrateListener.NONE);
        assertEquals(3, p.copied());
        assertEquals(Optional.of(model), Notebook.recordedModel(c));
        IllegalArgumentException nothing = assertThrows(IllegalArgumentException.class,
                () -> Notebook.builder(c).migrateFrom(tmp.resolve("none").toUri(), MigrateListener.NONE));
        assertEquals("there is no note index at " + tmp.resolve("none").toUri() + ": nothing to copy",
                nothing.getMessage());
        IllegalArgumentException self = assertThrows(IllegalArgumentException.class,
                () -> Notebook.builder(c).migrateTo(c.resolve("index").toUri(), MigrateListener.NONE));
        assertTrue(self.getMessage().contains("own index"), self.getMessage());
    }
}
