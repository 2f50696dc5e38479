package dev.pocketrag.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.EmbedderOptions;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.IndexOptions;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.RecordedModel;
import dev.pocketrag.index.SearchFilter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A notebook records its embedder (model, dimension, recipe), remembers it, and refuses another. */
class NotebookEmbedderTest {
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

    static final String MINILM_RECIPE = EmbedderOptions.defaults().recipe();

    @Test
    void a_notebook_made_with_bge_opens_with_bge_without_naming_it_and_finds_by_meaning(@TempDir Path dir)
            throws Exception {
        try (Notebook nb = Notebook.builder(dir).embedder("bge-small").build()) {
            nb.addAll(NotebookTest.NOTES);
        }
        RecordedModel recorded = NoteIndex.recorded(dir.resolve("index")).orElseThrow();
        assertEquals(new RecordedModel(bge.modelId(), 384, bge.recipe()), recorded);
        assertTrue(recorded.recipe().contains("pooling=cls"), recorded.recipe());
        try (Notebook nb = Notebook.open(dir)) {
            assertEquals(bge.modelId(), nb.embedder().modelId());
            assertEquals(bge.recipe(), nb.embedder().recipe());
            assertEquals("dentist", nb.search("when do I see the dentist", SearchOptions.defaults()).get(0).noteId());
        }
        try (Notebook nb = Notebook.builder(dir).readOnly().build()) { // as search and ask open it
            assertEquals(bge.modelId(), nb.embedder().modelId());
            assertEquals("kyoto", nb.search("which hotel in Japan", SearchOptions.defaults()).get(0).noteId());
            assertEquals(bge.recipe(), nb.stats().recipe());
        }
        try (Notebook nb = Notebook.builder(dir).embedder("BGE-small").build()) { // the same, named
            assertEquals(4, nb.stats().notes());
        }
    }

    @Test
    void another_embedder_for_an_existing_notebook_is_refused_naming_both_and_the_fix(@TempDir Path dir)
            throws Exception {
        try (Notebook nb = Notebook.builder(dir).embedder(miniLm).build()) {
            nb.add(NotebookTest.NOTES.get(0));
        }
        for (boolean readOnly : new boolean[] {false, true}) {
            Notebook.Builder b = Notebook.builder(dir).embedder("bge-small");
            EmbedderMismatchException e = assertThrows(EmbedderMismatchException.class,
                    () -> (readOnly ? b.readOnly() : b).build().close());
            assertEquals(Optional.of("minilm"), e.recordedName());
            assertEquals(Optional.of("bge-small"), e.wantedName());
            assertTrue(e.getMessage().startsWith("notebook " + dir + " holds vectors of embedder 'minilm', not of"
                    + " embedder 'bge-small' (they differ in model id '" + miniLm.modelId() + "' vs '"), e.getMessage());
            assertTrue(e.getMessage().contains("run `pocketrag reindex --embedder bge-small`"), e.getMessage());
            assertTrue(e.getMessage().contains("or use its own 'minilm' (leave out --embedder and embedder=)"),
                    e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
        assertThrows(EmbedderMismatchException.class, () -> Notebook.builder(dir).embedder(bge).check());
        assertThrows(EmbedderMismatchException.class, () -> Notebook.builder(dir).embedder(bge).resolveEmbedder());
        // the refusals changed nothing
        try (Notebook nb = Notebook.open(dir)) {
            assertEquals(miniLm.modelId(), nb.embedder().modelId());
            assertEquals(1, nb.stats().notes());
        }
    }

    @Test
    void the_same_model_with_another_query_prefix_alone_is_refused(@TempDir Path dir) throws Exception {
        try (Notebook nb = Notebook.builder(dir).embedder(miniLm).build()) {
            nb.add(NotebookTest.NOTES.get(0));
        }
        try (Embedder prefixed = Embedders.namedOnFirstUse("minilm",
                EmbedderOptions.defaults().withPrefixes("query: ", ""))) {
            EmbedderMismatchException e = assertThrows(EmbedderMismatchException.class,
                    () -> Notebook.builder(dir).embedder(prefixed).build());
            assertEquals("recipe: query prefix \"\" vs \"query: \"", e.difference());
            assertTrue(e.getMessage().contains("embedder 'minilm' with recipe " + prefixed.recipe()), e.getMessage());
        }
    }

    @Test
    void an_index_written_before_recipes_were_recorded_is_minilms(@TempDir Path dir) throws Exception {
        // as the code before this change wrote it: model id and dimension, no recipe
        try (NoteIndex old = NoteIndex.open(dir.resolve("index"), IndexOptions.of(miniLm.modelId(), miniLm.dimension()))) {
            Chunker chunker = Chunker.forEmbedder(miniLm);
            List<ChunkedNote> chunked = chunker.chunkAndEmbed(NotebookTest.NOTES, miniLm);
            old.putAll(chunked);
        }
        assertEquals("", NoteIndex.recorded(dir.resolve("index")).orElseThrow().recipe());
        try (Notebook nb = Notebook.builder(dir).readOnly().build()) {
            assertEquals(miniLm.modelId(), nb.embedder().modelId());
            assertEquals(MINILM_RECIPE, nb.embedder().recipe());
            assertEquals("atlas", nb.search("who owns the rollback", SearchOptions.defaults()).get(0).noteId());
        }
        EmbedderMismatchException e = assertThrows(EmbedderMismatchException.class,
                () -> Notebook.builder(dir).embedder("e5-small").build());
        assertTrue(e.getMessage().contains("embedder 'minilm'"), e.getMessage());
        try (Embedder prefixed = Embedders.namedOnFirstUse("minilm",
                EmbedderOptions.defaults().withPrefixes("", "passage: "))) {
            // a missing recipe is MiniLM's own, not "anything goes"
            e = assertThrows(EmbedderMismatchException.class, () -> Notebook.builder(dir).embedder(prefixed).build());
            assertEquals("recipe: passage prefix \"\" vs \"passage: \"", e.difference());
        }
        try (Notebook nb = Notebook.builder(dir).embedder("minilm").build()) {
            nb.delete("bread"); // a commit: the recipe gets recorded
        }
        assertEquals(MINILM_RECIPE, NoteIndex.recorded(dir.resolve("index")).orElseThrow().recipe());
    }

    @Test
    void a_notebook_of_a_model_not_built_in_lists_without_it_and_says_what_to_do_on_search(@TempDir Path dir)
            throws Exception {
        Embedder custom = new TestEmbedders.Renamed(miniLm, "my-model@1", "pooling=mean normalize=true");
        try (Notebook nb = Notebook.builder(dir).embedder(custom).build()) {
            nb.addAll(NotebookTest.NOTES);
        }
        try (Notebook nb = Notebook.builder(dir).readOnly().build()) {
            assertEquals(4, nb.list(SearchFilter.NONE, 0, 10).size());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> nb.search("dentist", SearchOptions.defaults()));
            assertTrue(e.getMessage().contains("model 'my-model@1' (384 dims, pooling=mean normalize=true), which is"
                    + " not built into pocketrag"), e.getMessage());
        }
        try (Notebook nb = Notebook.builder(dir).embedder(custom).readOnly().build()) {
            assertEquals("dentist", nb.search("dentist appointment", SearchOptions.defaults()).get(0).noteId());
        }
    }

    @Test
    void a_bad_embedder_name_is_refused_naming_it_and_the_choices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Notebook.builder(Path.of("x")).embedder("bge-large"));
        assertEquals("unknown embedder 'bge-large': choose one of minilm, bge-small, e5-small", e.getMessage());
    }
}
