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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NoteIndexTest {
    @TempDir
    Path dir;

    private static final Instant T0 = Instant.parse("2024-01-01T00:00:00Z");

    private NoteIndex open() throws IOException {
        return NoteIndex.open(dir, IndexOptions.of(MODEL, DIM));
    }

    private static Note note(String id, String title, String body, Instant t, String... tags) {
        return new Note(id, title, body, List.of(tags), "file:" + id, t, t);
    }

    @Test
    void put_then_get_returns_the_note_and_its_chunks() throws IOException {
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
    void keeps_each_chunks_page_and_section_and_hits_carry_them() throws IOException {
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
    void rejects_a_negative_page_and_an_overlong_section() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Chunk(0, 0, 1, "a", "a", -1, ""));
        assertTrue(e.getMessage().contains("page=-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new Chunk(0, 0, 1, "a", "a", 0, "x".repeat(Chunk.MAX_SECTION_LENGTH + 1)));
        assertTrue(e.getMessage().contains("section has " + (Chunk.MAX_SECTION_LENGTH + 1)), e.getMessage());
    }

    @Test
    void update_replaces_all_chunks_and_delete_removes_them() throws IOException {
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
            assertEquals(Set.of("n", "other"), Set.copyOf(hits.stream().map(SearchHit::noteId).toList()));
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
    void batches_commit_and_survive_reopen_while_uncommitted_writes_of_a_crash_do_not_matter()
            throws IOException {
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
        }
    }

    @Test
    void a_bad_vector_rejects_the_whole_batch_naming_note_and_chunk() throws IOException {
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
        }
    }

    @Test
    void refuses_another_model_or_dimension_with_how_to_rebuild() throws IOException {
        try (NoteIndex index = open()) {
            index.put(chunked(note("a", "", "x", T0), axis(0, DIM), 256));
        }
        ModelMismatchException e = assertThrows(ModelMismatchException.class,
                () -> NoteIndex.open(dir, IndexOptions.of("other-model@2", DIM)));
        assertEquals("index " + dir.toAbsolutePath() + " holds vectors of model 'test-model@1' (16 dims, no recipe"
                + " recorded), not of 'other-model@2' (16 dims, no recipe recorded): they differ in model id"
                + " 'test-model@1' vs 'other-model@2'; rebuild it by opening a new index directory with the new model"
                + " and adding every note again (or open this one with model 'test-model@1' and its recipe)",
                e.getMessage());
        assertEquals("test-model@1", e.indexModel());
        e = assertThrows(ModelMismatchException.class, () -> NoteIndex.open(dir, IndexOptions.of(MODEL, 384)));
        assertEquals(16, e.indexDimension());
        // the refused opens left the index usable and intact
        try (NoteIndex index = open()) {
            assertEquals(1, index.stats().notes());
            assertEquals(MODEL, index.stats().modelId());
        }
    }

    static final String RECIPE = "pooling=mean normalize=true maxTokens=256 query=\"\" passage=\"\"";

    @Test
    void records_the_recipe_and_refuses_one_that_differs_in_a_prefix_alone() throws IOException {
        IndexOptions o = IndexOptions.of(MODEL, DIM).withRecipe(RECIPE);
        try (NoteIndex index = NoteIndex.open(dir, o)) {
            index.put(chunked(note("a", "", "x", T0), axis(0, DIM), 256));
            assertEquals(RECIPE, index.stats().recipe());
        }
        assertEquals(Optional.of(new RecordedModel(MODEL, DIM, RECIPE)), NoteIndex.recorded(dir));
        String other = RECIPE.replace("query=\"\"", "query=\"query: \"");
        for (boolean readOnly : new boolean[] {false, true}) {
            IndexOptions wanted = o.withRecipe(other);
            ModelMismatchException e = assertThrows(ModelMismatchException.class,
                    () -> (readOnly ? NoteIndex.openReadOnly(dir, wanted) : NoteIndex.open(dir, wanted)).close());
            assertEquals("recipe: query prefix \"\" vs \"query: \"", e.difference());
            assertTrue(e.getMessage().contains(RECIPE) && e.getMessage().contains(other), e.getMessage());
            assertEquals(new RecordedModel(MODEL, DIM, RECIPE), e.recorded());
        }
        assertThrows(ModelMismatchException.class, () -> NoteIndex.check(dir, o.withRecipe(other)));
        // an opener that says no recipe is not refused, and does not erase the recorded one
        try (NoteIndex index = NoteIndex.open(dir, IndexOptions.of(MODEL, DIM))) {
            index.put(chunked(note("b", "", "y", T0), axis(1, DIM), 256));
            index.commit();
        }
        assertEquals(RECIPE, NoteIndex.recorded(dir).orElseThrow().recipe());
        assertEquals(Optional.of(new RecordedModel(MODEL, DIM, RECIPE)), NoteIndex.check(dir, o).model());
    }

    @Test
    void an_index_without_a_recorded_recipe_opens_and_records_the_first_one_said() throws IOException {
        try (NoteIndex index = open()) { // as the code before recipes: none said, none recorded
            index.put(chunked(note("a", "", "x", T0), axis(0, DIM), 256));
        }
        assertEquals(Optional.of(new RecordedModel(MODEL, DIM, "")), NoteIndex.recorded(dir));
        try (NoteIndex index = NoteIndex.openReadOnly(dir, IndexOptions.of(MODEL, DIM).withRecipe(RECIPE))) {
            assertEquals(1, index.stats().notes());
        }
        assertEquals("", NoteIndex.recorded(dir).orElseThrow().recipe(), "a read-only open writes nothing");
        try (NoteIndex index = NoteIndex.open(dir, IndexOptions.of(MODEL, DIM).withRecipe(RECIPE))) {
            assertEquals(1, index.stats().notes());
        }
        assertEquals(RECIPE, NoteIndex.recorded(dir).orElseThrow().recipe());
        assertThrows(ModelMismatchException.class,
                () -> NoteIndex.open(dir, IndexOptions.of(MODEL, DIM).withRecipe(RECIPE.replace("256", "512"))));
    }

    @Test
    void recorded_is_empty_where_there_is_no_index() throws IOException {
        assertEquals(Optional.empty(), NoteIndex.recorded(dir.resolve("nothing-here")));
        assertEquals(Optional.empty(), NoteIndex.recorded(dir));
    }

    @Test
    void an_empty_index_already_records_its_model() throws IOException {
        open().close();
        assertThrows(ModelMismatchException.class, () -> NoteIndex.open(dir, IndexOptions.of("m2", DIM)));
    }

    @Test
    void a_second_writer_in_the_same_process_is_refused_in_one_line() throws IOException {
        try (NoteIndex index = open()) {
            IndexInUseException e = assertThrows(IndexInUseException.class, this::open);
            assertTrue(e.getMessage().startsWith("index is in use by another process: " + dir.toAbsolutePath()
                    + " (held by process " + ProcessHandle.current().pid() + " since "), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
            index.put(chunked(note("still", "", "works", T0), axis(0, DIM), 256));
            assertEquals(1, index.stats().notes());
        }
        open().close(); // released on close
    }

    @Test
    void close_commits_and_is_idempotent_and_later_calls_fail_clearly() throws IOException {
        NoteIndex index = open();
        index.put(chunked(note("a", "", "x", T0), axis(0, DIM), 256));
        index.close();
        index.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> index.get("a"));
        assertEquals("index " + dir.toAbsolutePath() + " is closed", e.getMessage());
        try (NoteIndex again = open()) {
            assertTrue(again.get("a").isPresent());
        }
    }

    @Test
    void an_index_opened_only_to_read_is_not_written() throws IOException {
        try (NoteIndex index = open()) {
            index.put(chunked(note("a", "Kyoto", "Hotel Kanra near Gojo", T0), axis(0, DIM), 256));
            index.commit();
        }
        Map<String, FileTime> before = files();
        try (NoteIndex index = open()) {
            assertEquals(1, index.stats().notes());
            assertEquals(1, index.search(SearchRequest.hybrid(axis(0, DIM), "kyoto", 3)).size());
            assertTrue(index.get("a").isPresent());
            assertEquals(1, index.list(SearchFilter.NONE, 0, 10).size());
        }
        assertEquals(before, files(), "no new commit, no file touched");
        // the check can fail: a write does commit, by close() at the latest
        try (NoteIndex index = open()) {
            index.delete("a");
        }
        assertFalse(before.equals(files()));
        try (NoteIndex index = open()) {
            assertEquals(0, index.stats().notes());
        }
    }

    private Map<String, FileTime> files() throws IOException {
        Map<String, FileTime> m = new TreeMap<>();
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                if (!p.getFileName().toString().equals("write.lock")) {
                    m.put(p.getFileName().toString(), Files.getLastModifiedTime(p));
                }
            }
        }
        return m;
    }

    @Test
    void filters_apply_inside_the_knn_search_not_after_it() throws IOException {
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
                    .withFilter(SearchFilter.tags("rare").withUpdated(T0.plusSeconds(1002), null)
                            .withUpdated(T0.plusSeconds(1002), T0.plusSeconds(1003))))));
            // any-of tags
            assertEquals(5, index.search(SearchRequest.dense(axis(0, DIM), 50)
                    .withFilter(SearchFilter.NONE.withAnyTags(List.of("rare", "nonexistent")))).size());
            assertEquals(5, index.list(SearchFilter.tags("rare"), 0, 100).size());
        }
    }

    @Test
    void a_filter_that_no_note_passes_finds_nothing_in_every_mode() throws IOException {
        for (VectorFormat format : VectorFormat.values()) {
            Path d = dir.resolve(format.name());
            try (NoteIndex index = NoteIndex.open(d, IndexOptions.of(MODEL, DIM).withVectorFormat(format))) {
                index.put(chunked(note("a", "Harbor", "harbor text", T0, "work"), axis(0, DIM), 256));
                index.put(chunked(note("b", "Garden", "garden text", T0.plusSeconds(60), "home"), axis(1, DIM), 256));
                for (SearchFilter f : List.of(SearchFilter.tags("nobody"), SearchFilter.tags("work", "home"),
                        SearchFilter.NONE.withCreated(T0.minusSeconds(600), T0))) {
                    for (SearchRequest r : List.of(SearchRequest.dense(axis(0, DIM), 5), SearchRequest.bm25("harbor", 5),
                            SearchRequest.hybrid(axis(0, DIM), "harbor", 5),
                            SearchRequest.hybrid(axis(0, DIM), "harbor", 5).groupedByNote())) {
                        assertEquals(List.of(), index.search(r.withFilter(f)), format + " " + r.mode() + " " + f);
                    }
                }
                // the same searches with a filter that one note passes find it
                assertEquals(Set.of("b"), ids(index.search(SearchRequest.dense(axis(0, DIM), 5)
                        .withFilter(SearchFilter.tags("home")))));
            }
        }
    }

    @Test
    void hits_carry_offsets_ranks_and_scores_of_each_list_and_grouping_keeps_the_best_chunk() throws IOException {
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
        }
    }

    @Test
    void every_hit_carries_its_notes_source_and_creation_time_whichever_chunk_it_is() throws IOException {
        try (NoteIndex index = open()) {
            String body = "The harbor lantern glows. " + "Filler words about nothing much here. ".repeat(10)
                    + "Quartz violin meadow.";
            Note n = new Note("doc", "Ttl", body, List.of(), "/notes/a b.md", T0, T0.plusSeconds(5));
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
            }
            SearchHit last = index.search(SearchRequest.bm25("quartz violin meadow", 10)).stream()
                    .filter(h -> h.noteId().equals("doc")).findFirst().orElseThrow();
            assertTrue(last.chunkOrdinal() > 0);
            assertEquals("/notes/a b.md", last.source());
        }
    }

    @Test
    void queries_of_only_stop_words_find_nothing_by_bm25_and_wrong_query_vectors_are_refused() throws IOException {
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
    void every_vector_format_indexes_and_finds_its_nearest() throws IOException {
        for (VectorFormat f : VectorFormat.values()) {
            Path d = dir.resolve(f.name());
            try (NoteIndex index = NoteIndex.open(d, IndexOptions.of(MODEL, 64).withVectorFormat(f))) {
                java.util.Random rnd = new java.util.Random(7);
                List<float[]> vs = new ArrayList<>();
                List<ChunkedNote> notes = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    float[] v = TestSupport.randomUnit(rnd, 64);
                    vs.add(v);
                    notes.add(chunked(note("v" + i, "", "text " + i, T0), v, 256));
                }
                index.putAll(notes);
                index.commit();
                for (int i = 0; i < 200; i += 37) {
                    assertEquals("v" + i, index.search(SearchRequest.dense(vs.get(i), 1)).get(0).noteId(), f.name());
                }
                assertEquals(f, index.stats().vectorFormat());
                assertTrue(index.stats().sizeOnDisk() > 0);
            }
        }
    }

    @Test
    void concurrent_readers_never_see_half_a_note_while_it_is_replaced() throws Exception {
        try (NoteIndex index = open()) {
            // version a: title "Alpha", 6+ chunks; version b: title "Beta", 2+ chunks
            ChunkedNote a = chunked(note("x", "Alpha", TestSupport.words(new java.util.Random(3), 120), T0),
                    axis(0, DIM), 24);
            ChunkedNote b = chunked(note("x", "Beta", TestSupport.words(new java.util.Random(4), 30), T0),
                    axis(1, DIM), 24);
            assertTrue(a.chunks().size() > b.chunks().size() && b.chunks().size() > 1);
            index.put(a);
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 300; i++) {
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
        }
    }

    @Test
    void bm25_matches_title_words_and_stems() throws IOException {
        try (NoteIndex index = open()) {
            index.put(chunked(note("t", "Volcanic eruptions", "Nothing in the body about it.", T0), axis(0, DIM), 256));
            index.put(chunked(note("u", "Other", "Unrelated text.", T0), axis(1, DIM), 256));
            List<SearchHit> hits = index.search(SearchRequest.bm25("eruption", 10));
            assertEquals(List.of("t"), hits.stream().map(SearchHit::noteId).toList());
        }
    }

    private static float[] normalise(float[] v) {
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

    private static Set<String> ids(List<SearchHit> hits) {
        Set<String> s = new HashSet<>();
        for (SearchHit h : hits) {
            s.add(h.noteId());
        }
        return s;
    }

    @Test
    void an_empty_index_finds_nothing_in_every_mode_writable_or_read_only() throws IOException {
        Path missing = dir.resolve("missing");
        try (NoteIndex writable = open(); NoteIndex readOnly = NoteIndex.openReadOnly(missing, IndexOptions.of(MODEL, DIM))) {
            for (NoteIndex index : List.of(writable, readOnly)) {
                for (SearchRequest r : List.of(SearchRequest.dense(axis(0, DIM), 5), SearchRequest.bm25("harbor", 5),
                        SearchRequest.hybrid(axis(0, DIM), "harbor", 5),
                        SearchRequest.hybrid(axis(0, DIM), "harbor", 5).groupedByNote())) {
                    assertEquals(List.of(), index.search(r), r.toString());
                }
            }
            writable.put(chunked(note("n", "T", "harbor text", T0), axis(0, DIM), 256));
            writable.delete("n");
            assertEquals(List.of(), writable.search(SearchRequest.hybrid(axis(0, DIM), "harbor", 5)),
                    "deleted notes leave nothing to find");
        }
    }

    @Test
    void read_only_opens_take_no_lock_and_write_nothing() throws IOException {
        Path missing = dir.resolve("missing");
        try (NoteIndex empty = NoteIndex.openReadOnly(missing, IndexOptions.of(MODEL, DIM))) {
            assertEquals(0, empty.stats().notes());
            assertEquals(List.of(), empty.list(SearchFilter.NONE, 0, 10));
        }
        assertFalse(Files.exists(missing), "reading creates nothing");
        Path idx = dir.resolve("idx");
        try (NoteIndex index = NoteIndex.open(idx, IndexOptions.of(MODEL, DIM))) {
            index.put(chunked(note("n", "T", "Some text here.", T0), axis(0, DIM), 256));
        }
        Map<String, Long> before = listing(idx);
        try (NoteIndex writer = NoteIndex.open(idx, IndexOptions.of(MODEL, DIM));
                NoteIndex reader = NoteIndex.openReadOnly(idx, IndexOptions.of(MODEL, DIM))) {
            assertEquals("T", reader.get("n").orElseThrow().title(), "while a writer holds it");
            var e = assertThrows(IllegalStateException.class, () -> reader.delete("n"));
            assertEquals("index " + idx + " is open read-only", e.getMessage());
            writer.delete("n");
        }
        Map<String, Long> after = listing(idx);
        after.keySet().removeIf(f -> !before.containsKey(f));
        assertThrows(ModelMismatchException.class, () -> NoteIndex.openReadOnly(idx, IndexOptions.of("other", DIM)));
        try (NoteIndex reader = NoteIndex.openReadOnly(idx, IndexOptions.of(MODEL, DIM))) {
            assertEquals(0, reader.stats().notes(), "sees the last commit");
        }
        Map<String, Long> third = listing(idx);
        try (NoteIndex reader = NoteIndex.openReadOnly(idx, IndexOptions.of(MODEL, DIM))) {
            reader.search(SearchRequest.bm25("text", 3));
        }
        assertEquals(third, listing(idx), "a read-only open changes no file");
    }

    private static Map<String, Long> listing(Path d) throws IOException {
        Map<String, Long> m = new TreeMap<>();
        try (var s = Files.list(d)) {
            for (Path p : s.toList()) {
                m.put(p.getFileName().toString(), Files.getLastModifiedTime(p).toMillis() * 31 + Files.size(p));
            }
        }
        return m;
    }

    @Test
    void get_chunked_gives_back_what_was_put_with_its_fingerprint() throws IOException {
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
    void a_title_over_the_limit_is_refused_naming_its_length_and_bounded_titles_keep_every_word() throws IOException {
        String title = "a".repeat(250) + " " + "b".repeat(100) + " c";
        Note n = note("n", title, "body", T0);
        try (NoteIndex index = open()) {
            var e = assertThrows(IllegalArgumentException.class, () -> index.put(chunked(n, axis(0, DIM), 256)));
            assertEquals("note 'n': title has 353 characters, at most 300 (Note.withBoundedTitle() makes it fit)",
                    e.getMessage());
        }
        Note b = n.withBoundedTitle();
        assertEquals("a".repeat(250) + "…", b.title());
        assertEquals("b".repeat(100) + " c\n\nbody", b.body());
        Note inBody = note("m", title, "# " + title + "\nmore", T0).withBoundedTitle();
        assertEquals("# " + title + "\nmore", inBody.body(), "a body that holds the title already is kept");
        String emoji = "\uD83D\uDE00".repeat(200);
        assertFalse(Character.isHighSurrogate(note("e", emoji, "", T0).withBoundedTitle().title().charAt(297)),
                "never cut inside a surrogate pair");
    }
}
