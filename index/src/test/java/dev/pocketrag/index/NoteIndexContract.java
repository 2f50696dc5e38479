package dev.pocketrag.index;

import static dev.pocketrag.index.TestSupport.DIM;
import static dev.pocketrag.index.TestSupport.MODEL;
import static dev.pocketrag.index.TestSupport.axis;
import static dev.pocketrag.index.TestSupport.chunked;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link NoteIndex} does, wherever the notes live: a subclass per implementation (the
 * local Lucene index in a temporary folder, the cluster index on real SolrCloud nodes) says where a
 * new, empty index is, and inherits the tests.
 *
 * <ul>
 *   <li>Writes: a put replaces every chunk of the note, a delete removes them all, both atomically (a
 *       concurrent search sees one version of a note, whole); what was committed is there after a
 *       reopen; a bad vector or an overlong title rejects the whole batch, naming the note and the
 *       chunk.</li>
 *   <li>Reads: get, chunks (with page and section), fingerprint, getChunked (vectors back at full
 *       precision), list (newest updated first, then id; paged; filtered), stats.</li>
 *   <li>Search: filters inside the kNN search (a post-filter of the top k would find nothing),
 *       BM25 with English stemming and stop words over title and chunk, hybrid by RRF with each
 *       list's rank and score, grouping by note; an empty index or an empty filter finds nothing.</li>
 *   <li>The model guard: the index records model id, dimension and recipe; another is refused with
 *       {@link ModelMismatchException} naming what differs; an index without a recipe takes the first
 *       one said.</li>
 *   <li>Lifecycle: close commits and is idempotent; a call after close is an {@link IllegalStateException}.</li>
 * </ul>
 */
public abstract class NoteIndexContract {

    /** The time every test note is created at (plus offsets). */
    protected static final Instant T0 = Instant.parse("2024-01-01T00:00:00Z");

    /** Where this test's index lives: a new location for each test. */
    protected URI location;

    /** A location where there is no index yet, different on every call (a new folder, a new collection). */
    protected abstract URI newLocation() throws IOException;

    /** How many replacements the concurrent-readers test makes (a remote index may do fewer). */
    protected int concurrentWrites() {
        return 300;
    }

    @BeforeEach
    void newIndex() throws IOException {
        location = newLocation();
    }

    /** Opens this test's index for the test model. */
    protected NoteIndex open() throws IOException {
        return open(IndexOptions.of(MODEL, DIM));
    }

    /** Opens this test's index with {@code options}. */
    protected NoteIndex open(IndexOptions options) throws IOException {
        return NoteIndex.open(location, options);
    }

    protected static Note note(String id, String title, String body, Instant t, String... tags) {
        return new Note(id, title, body, List.of(tags), "file:" + id, t, t);
    }

    @Test
    public void put_then_get_returns_the_note_and_its_chunks() throws IOException {
        try (NoteIndex index = open()) {
            Note n = new Note("n1", "Title", "First sentence here. Second sentence here.", List.of("b", "a"),
                    "/notes/n1.md", T0, T0.plusSeconds(5));
            index.put(chunked(n, axis(0, DIM), 256));
            assertEquals(Optional.of(n), index.get("n1"));
            assertEquals(List.of("a", "b"), index.get("n1").orElseThrow().tags());
            assertEquals(List.of(new Chunk(0, 0, 42, n.body(), "Title\n" + n.body())), index.chunks("n1"));
            assertEquals(Optional.empty(), index.get("nope"));
            assertEquals(List.of(), index.chunks("nope"));
        }
    }

    @Test
    public void keeps_each_chunks_page_and_section_and_hits_carry_them() throws IOException {
        try (NoteIndex index = open()) {
            Note n = new Note("doc", "Policy", "Page one text.\fPage two text.", List.of(), "/d/policy.pdf", T0, T0);
            index.put(new ChunkedNote(n, List.of(
                    new Chunk(0, 0, 14, "Page one text.", "Policy\nPage one text.", 1, ""),
                    new Chunk(1, 15, 29, "Page two text.", "Policy\nPage two text.", 2, "Claims > Phone")),
                    List.of(axis(0, DIM), axis(1, DIM)), "fp"));
            index.commit();
            List<Chunk> chunks = index.chunks("doc");
            assertEquals(List.of(1, 2), chunks.stream().map(Chunk::page).toList());
            assertEquals(List.of("", "Claims > Phone"), chunks.stream().map(Chunk::section).toList());
            assertEquals(chunks, index.getChunked("doc").orElseThrow().chunks());
            SearchHit hit = index.search(SearchRequest.dense(axis(1, DIM), 1)).get(0);
            assertEquals(2, hit.page());
            assertEquals("Claims > Phone", hit.section());
            SearchHit bm = index.search(SearchRequest.bm25("one", 1)).get(0);
            assertEquals(1, bm.page());
            assertEquals("", bm.section());
        }
    }

    @Test
    public void update_replaces_all_chunks_and_delete_removes_them() throws IOException {
        try (NoteIndex index = open()) {
            String longBody = TestSupport.words(new java.util.Random(1), 200);
            ChunkedNote v1 = chunked(note("n", "t", longBody, T0), axis(0, DIM), 30);
            assertTrue(v1.chunks().size() > 5, "long note should have many chunks: " + v1.chunks().size());
            index.put(v1);
            index.put(chunked(note("other", "t", "other body", T0), axis(1, DIM), 30));
            assertEquals(v1.chunks().size() + 1, index.stats().chunks());

            ChunkedNote v2 = chunked(note("n", "t2", "short now", T0.plusSeconds(1)), axis(2, DIM), 30);
            index.put(v2);
            assertEquals(1, index.chunks("n").size());
            assertEquals("t2", index.get("n").orElseThrow().title());
            assertEquals(2, index.stats().notes());
            assertEquals(2, index.stats().chunks());
            // the old chunks are gone from search too
            List<SearchHit> hits = index.search(SearchRequest.dense(axis(0, DIM), 10));
            assertEquals(Set.of("n", "other"), ids(hits));
            assertEquals(2, hits.size());
            assertTrue(index.search(SearchRequest.bm25("river mountain alpha", 10)).isEmpty());

            index.delete("n");
            assertEquals(Optional.empty(), index.get("n"));
            assertEquals(1, index.stats().notes());
            assertEquals(1, index.stats().chunks());
            index.delete("n"); // deleting twice is harmless
            index.deleteAll(List.of("other", "never-there"));
            assertEquals(0, index.stats().chunks());
        }
    }

    @Test
    public void a_put_of_an_older_version_still_replaces_the_note_as_the_last_write() throws IOException {
        try (NoteIndex index = open()) {
            index.put(chunked(note("n", "new", "newer text", T0.plusSeconds(60)), axis(0, DIM), 256));
            index.put(chunked(note("n", "old", "older text", T0), axis(1, DIM), 256));
            assertEquals("old", index.get("n").orElseThrow().title(), "the index keeps what was put last");
            assertEquals(1, index.stats().notes());
            assertEquals(1, index.chunks("n").size());
        }
    }

    @Test
    public void batches_commit_and_are_there_after_a_reopen_listed_newest_first() throws IOException {
        List<ChunkedNote> batch = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            batch.add(chunked(note("b" + i, "title " + i, "body number " + i + ". More.", T0.plusSeconds(i)),
                    axis(i, DIM), 256));
        }
        try (NoteIndex index = open()) {
            index.putAll(batch);
            index.commit();
            assertEquals(50, index.stats().notes());
        }
        try (NoteIndex index = open()) {
            assertEquals(50, index.stats().notes());
            assertEquals(batch.get(7).note(), index.get("b7").orElseThrow());
            // list: newest updated first, paged
            List<Note> page = index.list(SearchFilter.NONE, 10, 5);
            assertEquals(List.of("b39", "b38", "b37", "b36", "b35"), page.stream().map(Note::id).toList());
            assertEquals(List.of(), index.list(SearchFilter.NONE, 50, 5));
            assertEquals(List.of(), index.list(SearchFilter.NONE, 0, 0));
        }
    }

    @Test
    public void notes_updated_at_the_same_time_are_listed_by_id() throws IOException {
        try (NoteIndex index = open()) {
            for (String id : List.of("c", "a", "b")) {
                index.put(chunked(note(id, "", "same time", T0), axis(0, DIM), 256));
            }
            assertEquals(List.of("a", "b", "c"), index.list(SearchFilter.NONE, 0, 10).stream().map(Note::id).toList());
        }
    }

    @Test
    public void a_bad_vector_rejects_the_whole_batch_naming_note_and_chunk() throws IOException {
        try (NoteIndex index = open()) {
            ChunkedNote good = chunked(note("g", "", "good", T0), axis(0, DIM), 256);
            ChunkedNote shortVec = chunked(note("s", "", "bad", T0), new float[DIM - 1], 256);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> index.putAll(List.of(good, shortVec)));
            assertEquals("note 's' chunk 0: vector has 15 dimensions, the index holds 16-dimensional vectors of"
                    + " model 'test-model@1'", e.getMessage());
            assertEquals(0, index.stats().notes());
            float[] unnormalised = axis(0, DIM).clone();
            unnormalised[0] = 2;
            e = assertThrows(IllegalArgumentException.class,
                    () -> index.put(chunked(note("u", "", "bad", T0), unnormalised, 256)));
            assertTrue(e.getMessage().startsWith("note 'u' chunk 0: vector norm is 2.0"), e.getMessage());
            float[] nan = axis(0, DIM).clone();
            nan[3] = Float.NaN;
            e = assertThrows(IllegalArgumentException.class,
                    () -> index.put(chunked(note("x", "", "bad", T0), nan, 256)));
            assertEquals("note 'x' chunk 0: vector component 3 is NaN", e.getMessage());
            assertEquals(0, index.stats().notes());
        }
    }

    @Test
    public void refuses_another_model_or_dimension_naming_both() throws IOException {
        try (NoteIndex index = open()) {
            index.put(chunked(note("a", "", "x", T0), axis(0, DIM), 256));
        }
        ModelMismatchException e = assertThrows(ModelMismatchException.class,
                () -> open(IndexOptions.of("other-model@2", DIM)).close());
        assertEquals("model id 'test-model@1' vs 'other-model@2'", e.difference());
        assertTrue(e.getMessage().contains("'test-model@1'") && e.getMessage().contains("'other-model@2'"),
                e.getMessage());
        assertEquals("test-model@1", e.indexModel());
        e = assertThrows(ModelMismatchException.class, () -> open(IndexOptions.of(MODEL, 384)).close());
        assertEquals(16, e.indexDimension());
        assertEquals("dimension 16 vs 384", e.difference());
        // the refused opens left the index usable and intact
        try (NoteIndex index = open()) {
            assertEquals(1, index.stats().notes());
            assertEquals(MODEL, index.stats().modelId());
            assertEquals(DIM, index.stats().dimension());
        }
    }

    static final String RECIPE = "pooling=mean normalize=true maxTokens=256 query=\"\" passage=\"\"";

    @Test
    public void records_the_recipe_and_refuses_one_that_differs_in_a_prefix_alone() throws IOException {
        IndexOptions o = IndexOptions.of(MODEL, DIM).withRecipe(RECIPE);
        try (NoteIndex index = open(o)) {
            index.put(chunked(note("a", "", "x", T0), axis(0, DIM), 256));
            assertEquals(RECIPE, index.stats().recipe());
        }
        assertEquals(Optional.of(new RecordedModel(MODEL, DIM, RECIPE)), NoteIndex.recorded(location));
        String other = RECIPE.replace("query=\"\"", "query=\"query: \"");
        ModelMismatchException e = assertThrows(ModelMismatchException.class, () -> open(o.withRecipe(other)).close());
        assertEquals("recipe: query prefix \"\" vs \"query: \"", e.difference());
        assertTrue(e.getMessage().contains(RECIPE) && e.getMessage().contains(other), e.getMessage());
        assertEquals(new RecordedModel(MODEL, DIM, RECIPE), e.recorded());
        // an opener that says no recipe is not refused, and does not erase the recorded one
        try (NoteIndex index = open(IndexOptions.of(MODEL, DIM))) {
            index.put(chunked(note("b", "", "y", T0), axis(1, DIM), 256));
            index.commit();
        }
        assertEquals(RECIPE, NoteIndex.recorded(location).orElseThrow().recipe());
    }

    @Test
    public void an_index_without_a_recorded_recipe_records_the_first_one_said() throws IOException {
        try (NoteIndex index = open()) { // as the code before recipes: none said, none recorded
            index.put(chunked(note("a", "", "x", T0), axis(0, DIM), 256));
        }
        assertEquals(Optional.of(new RecordedModel(MODEL, DIM, "")), NoteIndex.recorded(location));
        try (NoteIndex index = open(IndexOptions.of(MODEL, DIM).withRecipe(RECIPE))) {
            assertEquals(1, index.stats().notes());
        }
        assertEquals(RECIPE, NoteIndex.recorded(location).orElseThrow().recipe());
        assertThrows(ModelMismatchException.class,
                () -> open(IndexOptions.of(MODEL, DIM).withRecipe(RECIPE.replace("256", "512"))).close());
    }

    @Test
    public void recorded_is_empty_where_there_is_no_index_and_set_once_one_is_opened() throws IOException {
        assertEquals(Optional.empty(), NoteIndex.recorded(location));
        open().close();
        assertEquals(Optional.of(new RecordedModel(MODEL, DIM, "")), NoteIndex.recorded(location));
        // an empty index already records its model
        assertThrows(ModelMismatchException.class, () -> open(IndexOptions.of("m2", DIM)).close());
    }

    @Test
    public void close_commits_and_is_idempotent_and_later_calls_fail_clearly() throws IOException {
        NoteIndex index = open();
        index.put(chunked(note("a", "", "x", T0), axis(0, DIM), 256));
        index.close();
        index.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> index.get("a"));
        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> index.put(chunked(note("b", "", "y", T0), axis(0, DIM), 256)));
        try (NoteIndex again = open()) {
            assertTrue(again.get("a").isPresent());
        }
    }

    @Test
    public void filters_apply_inside_the_knn_search_not_after_it() throws IOException {
        try (NoteIndex index = open()) {
            // 300 notes close to the query, 5 far from it that carry the tag
            List<ChunkedNote> all = new ArrayList<>();
            java.util.Random rnd = new java.util.Random(42);
            for (int i = 0; i < 300; i++) {
                float[] v = axis(0, DIM).clone();
                v[5] = 0.01f * rnd.nextFloat();
                all.add(chunked(note("near" + i, "", "near note " + i, T0.plusSeconds(i)), normalise(v), 256));
            }
            for (int i = 0; i < 5; i++) {
                all.add(chunked(note("far" + i, "", "far note " + i, T0.plusSeconds(1000 + i), "rare"),
                        axis(8, DIM), 256));
            }
            index.putAll(all);
            SearchRequest q = SearchRequest.dense(axis(0, DIM), 5).withFilter(SearchFilter.tags("rare"));
            List<SearchHit> hits = index.search(q);
            // a post-filter of the top 5 (or even top 100) would find nothing
            assertEquals(Set.of("far0", "far1", "far2", "far3", "far4"), ids(hits));
            // date range: created in [T0+10s, T0+13s) -> near10..near12
            SearchRequest byDate = SearchRequest.dense(axis(0, DIM), 10)
                    .withFilter(SearchFilter.NONE.withCreated(T0.plusSeconds(10), T0.plusSeconds(13)));
            assertEquals(Set.of("near10", "near11", "near12"), ids(index.search(byDate)));
            // BM25 with filter, and hybrid with filter
            assertEquals(Set.of("far0", "far1", "far2", "far3", "far4"),
                    ids(index.search(SearchRequest.bm25("note", 5).withFilter(SearchFilter.tags("rare")))));
            assertEquals(Set.of("far2"), ids(index.search(SearchRequest.hybrid(axis(0, DIM), "note 2", 10)
                    .withFilter(SearchFilter.tags("rare").withUpdated(T0.plusSeconds(1002), T0.plusSeconds(1003))))));
            // any-of tags
            assertEquals(5, index.search(SearchRequest.dense(axis(0, DIM), 50)
                    .withFilter(SearchFilter.NONE.withAnyTags(List.of("rare", "nonexistent")))).size());
            assertEquals(5, index.list(SearchFilter.tags("rare"), 0, 100).size());
            assertEquals(List.of("far4", "far3"), index.list(SearchFilter.tags("rare"), 0, 2).stream().map(Note::id).toList());
        }
    }

    @Test
    public void a_filter_that_no_note_passes_finds_nothing_in_every_mode() throws IOException {
        try (NoteIndex index = open()) {
            index.put(chunked(note("a", "Harbor", "harbor text", T0, "work"), axis(0, DIM), 256));
            index.put(chunked(note("b", "Garden", "garden text", T0.plusSeconds(60), "home"), axis(1, DIM), 256));
            for (SearchFilter f : List.of(SearchFilter.tags("nobody"), SearchFilter.tags("work", "home"),
                    SearchFilter.NONE.withCreated(T0.minusSeconds(600), T0))) {
                for (SearchRequest r : List.of(SearchRequest.dense(axis(0, DIM), 5), SearchRequest.bm25("harbor", 5),
                        SearchRequest.hybrid(axis(0, DIM), "harbor", 5),
                        SearchRequest.hybrid(axis(0, DIM), "harbor", 5).groupedByNote())) {
                    assertEquals(List.of(), index.search(r.withFilter(f)), r.mode() + " " + f);
                }
            }
            // the same search with a filter that one note passes finds it
            assertEquals(Set.of("b"), ids(index.search(SearchRequest.dense(axis(0, DIM), 5)
                    .withFilter(SearchFilter.tags("home")))));
        }
    }

    @Test
    public void hits_carry_offsets_ranks_and_scores_of_each_list_and_grouping_keeps_the_best_chunk() throws IOException {
        try (NoteIndex index = open()) {
            String body = "The harbor lantern glows. " + "Filler words about nothing much here. ".repeat(10)
                    + "Quartz violin meadow.";
            Note n = note("doc", "Ttl", body, T0);
            List<Chunk> chunks = TestSupport.split(n, 20, 0);
            assertTrue(chunks.size() >= 3);
            List<float[]> vecs = new ArrayList<>();
            for (Chunk c : chunks) {
                vecs.add(axis(c.ordinal(), DIM));
            }
            index.put(n, chunks, vecs);
            index.put(chunked(note("doc2", "", "quartz quartz quartz", T0), axis(9, DIM), 256));

            List<SearchHit> bm = index.search(SearchRequest.bm25("quartz violin", 10));
            SearchHit top = bm.get(0);
            Chunk last = chunks.get(chunks.size() - 1);
            assertEquals("doc", top.noteId());
            assertEquals(last.ordinal(), top.chunkOrdinal());
            assertEquals(last.text(), top.chunkText());
            assertEquals(body.substring(top.start(), top.end()), top.chunkText());
            assertEquals(1, top.rank());
            assertEquals(1, top.bm25Rank());
            assertEquals(0, top.denseRank());
            assertTrue(Double.isNaN(top.denseScore()));

            List<SearchHit> dense = index.search(SearchRequest.dense(axis(1, DIM), 3));
            assertEquals(1, dense.get(0).chunkOrdinal());
            assertEquals(1.0, dense.get(0).score(), 1e-6); // (1 + dot) / 2 with dot = 1
            assertEquals(dense.get(0).score(), dense.get(0).denseScore());

            // ungrouped dense returns several chunks of "doc"; grouped, one hit per note
            List<SearchHit> grouped = index.search(SearchRequest.dense(axis(1, DIM), 2).groupedByNote());
            assertEquals(List.of("doc", "doc2"), grouped.stream().map(SearchHit::noteId).toList());
            assertEquals(1, grouped.get(0).chunkOrdinal());

            List<SearchHit> hy = index.search(SearchRequest.hybrid(axis(9, DIM), "harbor lantern", 10));
            // doc2 is dense rank 1 (axis 9) and absent from BM25: 1/61. doc chunk 0 is BM25 rank 1
            // and somewhere in the dense list (every chunk is): 1/61 + 1/(60 + its dense rank)
            SearchHit d2 = hy.stream().filter(h -> h.noteId().equals("doc2")).findFirst().orElseThrow();
            assertEquals(1, d2.denseRank());
            assertEquals(0, d2.bm25Rank());
            assertTrue(Double.isNaN(d2.bm25Score()));
            assertEquals(1.0 / 61, d2.score(), 1e-12);
            SearchHit h1 = hy.get(0);
            assertEquals("doc", h1.noteId());
            assertEquals(0, h1.chunkOrdinal());
            assertEquals(1, h1.bm25Rank());
            assertTrue(h1.denseRank() > 1);
            assertEquals(1.0 / 61 + 1.0 / (60 + h1.denseRank()), h1.score(), 1e-12);
            assertEquals(2, d2.rank());
            for (int i = 0; i < hy.size(); i++) {
                assertEquals(i + 1, hy.get(i).rank());
            }
            List<SearchHit> hyGrouped = index.search(SearchRequest.hybrid(axis(9, DIM), "harbor lantern", 10).groupedByNote());
            assertEquals(2, hyGrouped.size());
            assertEquals(Set.of("doc", "doc2"), ids(hyGrouped));
            // another RRF constant changes the fused score as the formula says
            SearchHit k10 = index.search(SearchRequest.hybrid(axis(9, DIM), "harbor lantern", 10).withFusion(100, 10))
                    .stream().filter(h -> h.noteId().equals("doc2")).findFirst().orElseThrow();
            assertEquals(1.0 / 11, k10.score(), 1e-12);
        }
    }

    @Test
    public void every_hit_carries_its_notes_source_and_creation_time_whichever_chunk_it_is() throws IOException {
        try (NoteIndex index = open()) {
            String body = "The harbor lantern glows. " + "Filler words about nothing much here. ".repeat(10)
                    + "Quartz violin meadow.";
            Note n = new Note("doc", "Ttl", body, List.of("t"), "/notes/a b.md", T0, T0.plusSeconds(5));
            Note plain = new Note("doc2", "", "quartz quartz quartz", List.of(), "", T0.plusSeconds(7),
                    T0.plusSeconds(9));
            index.put(chunked(n, axis(1, DIM), 20));
            index.put(chunked(plain, axis(2, DIM), 256));
            index.commit();
            List<SearchHit> hits = index.search(SearchRequest.dense(axis(1, DIM), 50));
            assertTrue(hits.stream().anyMatch(h -> h.noteId().equals("doc") && h.chunkOrdinal() > 0));
            for (SearchHit h : hits) {
                Note of = h.noteId().equals("doc") ? n : plain;
                assertEquals(of.source(), h.source(), "chunk " + h.chunkOrdinal() + " of " + h.noteId());
                assertEquals(of.created(), h.created(), "chunk " + h.chunkOrdinal() + " of " + h.noteId());
                assertEquals(of.title(), h.title(), "chunk " + h.chunkOrdinal() + " of " + h.noteId());
                assertEquals(of.tags(), h.tags(), "chunk " + h.chunkOrdinal() + " of " + h.noteId());
            }
            SearchHit last = index.search(SearchRequest.bm25("quartz violin meadow", 10)).stream()
                    .filter(h -> h.noteId().equals("doc")).findFirst().orElseThrow();
            assertTrue(last.chunkOrdinal() > 0);
            assertEquals("/notes/a b.md", last.source());
        }
    }

    @Test
    public void queries_of_only_stop_words_find_nothing_by_bm25_and_wrong_query_vectors_are_refused() throws IOException {
        try (NoteIndex index = open()) {
            index.put(chunked(note("a", "", "the and of", T0), axis(0, DIM), 256));
            assertEquals(List.of(), index.search(SearchRequest.bm25("the of", 10)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> index.search(SearchRequest.dense(new float[3], 10)));
            assertEquals("query vector has 3 dimensions, the index holds 16-dimensional vectors of model"
                    + " 'test-model@1'", e.getMessage());
        }
    }

    @Test
    public void query_text_is_searched_as_words_never_as_query_syntax() throws IOException {
        try (NoteIndex index = open()) {
            index.put(chunked(note("a", "", "harbor lantern", T0), axis(0, DIM), 256));
            index.put(chunked(note("b", "", "garden meadow", T0), axis(1, DIM), 256));
            for (String q : List.of("harbor AND NOT lake*", "{!lucene}harbor", "id:b OR harbor", "harbor\\ \"(",
                    "harbor) OR (*:*", "text: harbor^100 {!knn f=vector}[1]")) {
                assertEquals(List.of("a"), index.search(SearchRequest.bm25(q, 10)).stream().map(SearchHit::noteId).toList(), q);
            }
        }
    }

    @Test
    public void concurrent_readers_never_see_half_a_note_while_it_is_replaced() throws Exception {
        try (NoteIndex index = open()) {
            // version a: title "Alpha", 6+ chunks; version b: title "Beta", 2+ chunks
            ChunkedNote a = chunked(note("x", "Alpha", TestSupport.words(new java.util.Random(3), 120), T0),
                    axis(0, DIM), 24);
            ChunkedNote b = chunked(note("x", "Beta", TestSupport.words(new java.util.Random(4), 30), T0),
                    axis(1, DIM), 24);
            assertTrue(a.chunks().size() > b.chunks().size() && b.chunks().size() > 1);
            index.put(a);
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            int writes = concurrentWrites();
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < writes; i++) {
                        index.put(i % 2 == 0 ? b : a);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                } finally {
                    stop.set(true);
                }
            });
            int reads = 0;
            while (!stop.get() || reads < 50) {
                List<SearchHit> hits = index.search(SearchRequest.bm25("alpha beta", 100));
                Set<String> titles = new HashSet<>();
                hits.forEach(h -> titles.add(h.title()));
                assertEquals(1, titles.size(), "one search saw both versions: " + titles);
                int expected = titles.contains("Alpha") ? a.chunks().size() : b.chunks().size();
                assertEquals(expected, hits.size(), "a search saw part of a note");
                List<Chunk> chunks = index.chunks("x");
                assertTrue(chunks.equals(a.chunks()) || chunks.equals(b.chunks()), "chunks(x) mixed versions");
                reads++;
            }
            writer.join();
            assertEquals(1, index.stats().notes());
        }
    }

    @Test
    public void bm25_matches_title_words_and_stems() throws IOException {
        try (NoteIndex index = open()) {
            index.put(chunked(note("t", "Volcanic eruptions", "Nothing in the body about it.", T0), axis(0, DIM), 256));
            index.put(chunked(note("u", "Other", "Unrelated text.", T0), axis(1, DIM), 256));
            List<SearchHit> hits = index.search(SearchRequest.bm25("eruption", 10));
            assertEquals(List.of("t"), hits.stream().map(SearchHit::noteId).toList());
            assertEquals(List.of("t"), index.search(SearchRequest.bm25("the eruption's", 10)).stream()
                    .map(SearchHit::noteId).toList(), "possessive dropped, stemmed");
        }
    }

    @Test
    public void an_empty_index_finds_nothing_in_every_mode() throws IOException {
        try (NoteIndex index = open()) {
            for (SearchRequest r : List.of(SearchRequest.dense(axis(0, DIM), 5), SearchRequest.bm25("harbor", 5),
                    SearchRequest.hybrid(axis(0, DIM), "harbor", 5),
                    SearchRequest.hybrid(axis(0, DIM), "harbor", 5).groupedByNote())) {
                assertEquals(List.of(), index.search(r), r.toString());
            }
            assertEquals(0, index.stats().notes());
            assertEquals(List.of(), index.list(SearchFilter.NONE, 0, 10));
            index.put(chunked(note("n", "T", "harbor text", T0), axis(0, DIM), 256));
            index.delete("n");
            assertEquals(List.of(), index.search(SearchRequest.hybrid(axis(0, DIM), "harbor", 5)),
                    "deleted notes leave nothing to find");
        }
    }

    @Test
    public void get_chunked_gives_back_what_was_put_with_its_fingerprint() throws IOException {
        try (NoteIndex index = open()) {
            Note n = note("n", "Title", TestSupport.words(new java.util.Random(3), 120), T0, "x");
            ChunkedNote put = chunked(n, axis(2, DIM), 30).withFingerprint("sha256:abc");
            index.put(put);
            ChunkedNote got = index.getChunked("n").orElseThrow();
            assertEquals(n, got.note());
            assertEquals(put.chunks(), got.chunks());
            assertEquals("sha256:abc", got.fingerprint());
            assertEquals(Optional.of("sha256:abc"), index.fingerprint("n"));
            for (int i = 0; i < got.vectors().size(); i++) {
                assertArrayEquals(put.vectors().get(i), got.vectors().get(i), 1e-6f);
            }
            index.put(got.withFingerprint(""));
            assertEquals(Optional.of(""), index.fingerprint("n"));
            assertEquals(Optional.empty(), index.fingerprint("none"));
            assertEquals(Optional.empty(), index.getChunked("none"));
        }
    }

    @Test
    public void ids_tags_and_text_outside_ascii_and_with_query_characters_round_trip() throws IOException {
        try (NoteIndex index = open()) {
            String id = "notes/Café \"x\" (1), a*b?\\c";
            Note n = new Note(id, "Tïtle: {!x}", "Körper mit Umlauten und \"Zitat\".", List.of("a b", "x:y\"z", "ü"),
                    "file:///h/Café.md", T0, T0);
            index.put(chunked(n, axis(3, DIM), 256));
            assertEquals(Optional.of(n), index.get(id));
            assertEquals(1, index.chunks(id).size());
            assertEquals(List.of(id), index.search(SearchRequest.dense(axis(3, DIM), 5)
                    .withFilter(SearchFilter.tags("x:y\"z", "a b"))).stream().map(SearchHit::noteId).toList());
            assertEquals(List.of(id), index.list(SearchFilter.tags("ü"), 0, 5).stream().map(Note::id).toList());
            index.delete(id);
            assertEquals(Optional.empty(), index.get(id));
        }
    }

    @Test
    public void a_title_over_the_limit_is_refused_naming_its_length() throws IOException {
        String title = "a".repeat(250) + " " + "b".repeat(100) + " c";
        Note n = note("n", title, "body", T0);
        try (NoteIndex index = open()) {
            var e = assertThrows(IllegalArgumentException.class, () -> index.put(chunked(n, axis(0, DIM), 256)));
            assertEquals("note 'n': title has 353 characters, at most 300 (Note.withBoundedTitle() makes it fit)",
                    e.getMessage());
            index.put(chunked(n.withBoundedTitle(), axis(0, DIM), 256));
            assertEquals(n.withBoundedTitle(), index.get("n").orElseThrow());
        }
    }

    protected static float[] normalise(float[] v) {
        double sq = 0;
        for (float x : v) {
            sq += x * x;
        }
        float inv = (float) (1 / Math.sqrt(sq));
        float[] out = v.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= inv;
        }
        return out;
    }

    protected static Set<String> ids(List<SearchHit> hits) {
        Set<String> s = new HashSet<>();
        for (SearchHit h : hits) {
            s.add(h.noteId());
        }
        return s;
    }
}
