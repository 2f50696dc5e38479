package dev.pocketrag.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.index.Chunk;
import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.IndexCheck;
import dev.pocketrag.index.IndexOptions;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.RecordedModel;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.index.SearchMode;
import dev.pocketrag.retrieval.ReindexProgress.Phase;
import dev.pocketrag.retrieval.internal.IndexLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Notebook#reindex}: searchable on the old vectors until the switch, all on the new model after. */
class ReindexTest {
    static Embedder miniLm;
    static Embedder bge;

    @BeforeAll
    static void load() {
        miniLm = Embedders.miniLm();
        bge = Embedders.named("bge-small");
    }

    @AfterAll
    static void close() {
        miniLm.close();
        bge.close();
    }

    static final String QUESTION = "when do I see the dentist";

    static Notebook minilmNotebook(Path dir) throws Exception {
        try (Notebook nb = Notebook.builder(dir).embedder(miniLm).build()) {
            nb.addAll(NotebookTest.NOTES);
        }
        return Notebook.builder(dir).embedder(miniLm).build();
    }

    /** The kNN score the index gives a chunk of this text for the query with this model: (1 + cos) / 2. */
    static double denseScore(Embedder e, String query, String embeddingText) {
        float[] q = e.embedQuery(query);
        float[] c = e.embedAll(List.of(embeddingText)).get(0);
        double dot = 0;
        for (int i = 0; i < q.length; i++) {
            dot += q[i] * c[i];
        }
        return (1 + dot) / 2;
    }

    /** The top dense hit for the question, as a reader in another process would get it: read-only, no embedder named. */
    static SearchHit topDenseHitOfAnotherReader(Path dir, String expectedModel) throws Exception {
        try (Notebook reader = Notebook.builder(dir).readOnly().build()) {
            assertEquals(expectedModel, reader.embedder().modelId());
            return reader.search(QUESTION, SearchOptions.defaults().withMode(SearchMode.DENSE).withK(1)).get(0);
        }
    }

    @Test
    void searchable_on_the_old_vectors_until_the_switch_and_on_the_new_model_after(@TempDir Path dir)
            throws Exception {
        String dentistText = "Dentist\n" + NotebookTest.NOTES.get(0).body();
        List<Phase> phases = new ArrayList<>();
        List<SearchHit> during = new ArrayList<>();
        try (Notebook nb = minilmNotebook(dir)) {
            ReindexProgress p = nb.reindex(bge, progress -> {
                phases.add(progress.phase());
                if (progress.phase() == Phase.EMBEDDING && progress.embedded() == 2 && during.isEmpty()) {
                    try {
                        during.add(topDenseHitOfAnotherReader(dir, miniLm.modelId()));
                        // and this notebook too, on the thread that re-indexes
                        during.add(nb.search(QUESTION, SearchOptions.defaults().withMode(SearchMode.DENSE).withK(1)).get(0));
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }
                return true;
            }, 1);
            assertEquals(Phase.DONE, p.phase());
            assertEquals(4, p.total());
            assertEquals(4, p.embedded());
            assertEquals(0, p.kept());
            assertEquals(4, p.saved());
            assertEquals(new RecordedModel(bge.modelId(), 384, bge.recipe()), p.to());
            assertEquals(miniLm.modelId(), p.from().modelId());
            assertEquals(List.of(Phase.EMBEDDING, Phase.CATCHING_UP, Phase.DONE),
                    phases.stream().distinct().toList());
            // the reader saw the old (MiniLM) vectors' scores while the new index was half built
            assertEquals(2, during.size());
            for (SearchHit h : during) {
                assertEquals("dentist", h.noteId());
                assertEquals(denseScore(miniLm, QUESTION, dentistText), h.denseScore(), 1e-3);
            }
            // the same notebook goes on with the new model
            assertEquals(bge.modelId(), nb.embedder().modelId());
            SearchHit now = nb.search(QUESTION, SearchOptions.defaults().withMode(SearchMode.DENSE).withK(1)).get(0);
            assertEquals(denseScore(bge, QUESTION, dentistText), now.denseScore(), 1e-3);
            nb.add(Note.of("passport", "Passport", "Passport renewal is due in October; the form is at the town hall."));
        }
        SearchHit after = topDenseHitOfAnotherReader(dir, bge.modelId());
        assertEquals(denseScore(bge, QUESTION, dentistText), after.denseScore(), 1e-3);
        assertMovedTo(dir, bge, 5, "index-1");
    }

    /** Every note of the notebook has vectors of {@code e} (no other), its old index folder is gone, and it checks sound. */
    static void assertMovedTo(Path dir, Embedder e, int notes, String folder) throws Exception {
        assertEquals(folder, IndexLayout.currentName(dir));
        try (var s = Files.list(dir)) {
            List<String> folders = s.map(p -> p.getFileName().toString()).filter(n -> IndexLayout.generation(n) >= 0).toList();
            assertEquals(List.of(folder), folders, "the old index is deleted");
        }
        IndexCheck c = Notebook.builder(dir).check();
        assertTrue(c.healthy(), c.problems().toString());
        assertEquals(notes, c.sound());
        assertEquals(Optional.of(new RecordedModel(e.modelId(), e.dimension(), e.recipe())), c.model());
        try (NoteIndex idx = NoteIndex.openReadOnly(dir.resolve(folder), IndexOptions.of(e.modelId(), e.dimension()))) {
            for (Note n : idx.list(dev.pocketrag.index.SearchFilter.NONE, 0, 100)) {
                ChunkedNote cn = idx.getChunked(n.id()).orElseThrow();
                List<float[]> expected = e.embedAll(cn.chunks().stream().map(Chunk::embeddingText).toList());
                for (int i = 0; i < expected.size(); i++) {
                    double dot = 0;
                    for (int k = 0; k < expected.get(i).length; k++) {
                        dot += expected.get(i)[k] * cn.vectors().get(i)[k];
                    }
                    assertEquals(1.0, dot, 1e-4, "note " + n.id() + " chunk " + i + " has a vector of the new model");
                }
            }
        }
    }

    @Test
    void writes_made_while_it_embeds_are_caught_up_before_the_switch(@TempDir Path dir) throws Exception {
        try (Notebook nb = minilmNotebook(dir)) {
            boolean[] wrote = {false};
            ReindexProgress p = nb.reindex(bge, progress -> {
                if (progress.phase() == Phase.EMBEDDING && progress.embedded() == 1 && !wrote[0]) {
                    wrote[0] = true;
                    try {
                        nb.add(Note.of("passport", "Passport", "Passport renewal is due in October."));
                        nb.delete("bread");
                        Note atlas = nb.get("atlas").orElseThrow();
                        nb.update(new Note(atlas.id(), atlas.title(), atlas.body() + " The rollback window is 2 hours.",
                                atlas.tags(), atlas.source(), atlas.created(), atlas.updated()));
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }
                return true;
            }, 1);
            assertEquals(Phase.DONE, p.phase());
            assertEquals(4, nb.stats().notes());
            assertTrue(nb.get("bread").isEmpty());
            assertTrue(nb.get("atlas").orElseThrow().body().endsWith("The rollback window is 2 hours."));
            assertEquals("passport", nb.search("renew my passport", SearchOptions.defaults()).get(0).noteId());
        }
        assertMovedTo(dir, bge, 4, "index-1");
    }

    @Test
    void stopped_then_run_again_it_embeds_only_what_was_not_saved(@TempDir Path dir) throws Exception {
        try (Notebook nb = minilmNotebook(dir)) {
            ReindexProgress stopped = nb.reindex(bge, progress -> progress.saved() < 2, 1);
            assertEquals(Phase.STOPPED, stopped.phase());
            assertEquals(2, stopped.saved());
            assertEquals(miniLm.modelId(), nb.embedder().modelId(), "still on the old model");
            assertEquals("index", IndexLayout.currentName(dir));
            assertEquals(Optional.of(new RecordedModel(bge.modelId(), 384, bge.recipe())), nb.unfinishedReindex());
            assertEquals("dentist", nb.search(QUESTION, SearchOptions.defaults()).get(0).noteId());

            TestEmbedders.Counting counting = new TestEmbedders.Counting(bge);
            ReindexProgress done = nb.reindex(counting, ReindexListener.NONE);
            assertEquals(Phase.DONE, done.phase());
            assertEquals(2, done.kept(), "the two saved notes are not embedded again");
            assertEquals(2, done.embedded());
            assertEquals(done.chunks(), counting.passages.get());
            assertEquals(2, counting.passages.get(), "one chunk each, of the two notes not saved before");
            assertEquals(Optional.empty(), nb.unfinishedReindex());
        }
        assertMovedTo(dir, bge, 4, "index-1");
    }

    @Test
    void the_same_embedder_is_nothing_to_do_and_another_model_discards_an_unfinished_reindex(@TempDir Path dir)
            throws Exception {
        try (Notebook nb = minilmNotebook(dir)) {
            ReindexProgress same = nb.reindex(miniLm, ReindexListener.NONE);
            assertEquals(Phase.UNCHANGED, same.phase());
            assertFalse(Files.exists(dir.resolve("index-1")));

            assertEquals(Phase.STOPPED, nb.reindex(bge, progress -> progress.saved() < 1, 1).phase());
            assertTrue(Files.exists(dir.resolve("index-1")));
            try (Embedder e5 = Embedders.named("e5-small")) {
                ReindexProgress p = nb.reindex(e5, ReindexListener.NONE);
                assertEquals(Phase.DONE, p.phase());
                assertTrue(p.discarded(), "the half-made bge index was deleted first");
                assertEquals(0, p.kept());
                assertEquals(4, p.embedded());
                nb.close();
                assertMovedTo(dir, e5, 4, "index-1");
                // and back again: generation 2, the first index folder name not reused
                try (Notebook again = Notebook.open(dir)) {
                    assertEquals(e5.modelId(), again.embedder().modelId());
                    assertEquals(Phase.DONE, again.reindex(miniLm, ReindexListener.NONE).phase());
                }
                assertMovedTo(dir, miniLm, 4, "index-2");
            }
        }
    }

    @Test
    void killed_after_the_switch_before_the_old_folder_went_the_next_writer_deletes_it(@TempDir Path dir)
            throws Exception {
        try (Notebook nb = minilmNotebook(dir)) {
            assertEquals(Phase.DONE, nb.reindex(bge, ReindexListener.NONE).phase());
        }
        // the state a kill between writing the pointer and deleting the old folder leaves
        try (NoteIndex old = NoteIndex.open(dir.resolve("index"), IndexOptions.of(miniLm.modelId(), 384))) {
            old.put(Chunker.forEmbedder(miniLm).chunkAndEmbed(List.of(NotebookTest.NOTES.get(0)), miniLm).get(0));
        }
        try (Notebook reader = Notebook.builder(dir).readOnly().build()) {
            assertEquals(bge.modelId(), reader.embedder().modelId(), "the pointer decides");
            assertEquals(4, reader.stats().notes());
        }
        assertTrue(Files.exists(dir.resolve("index")), "a reader deletes nothing");
        Notebook.open(dir).close();
        assertMovedTo(dir, bge, 4, "index-1");
    }

    @Test
    void refuses_a_read_only_notebook(@TempDir Path dir) throws Exception {
        minilmNotebook(dir).close();
        try (Notebook nb = Notebook.builder(dir).readOnly().build()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> nb.reindex(bge, ReindexListener.NONE));
            assertTrue(e.getMessage().contains("read-only"), e.getMessage());
        }
    }
}
