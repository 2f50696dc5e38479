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

/**
 * What only the local Lucene index does (the lock, read-only opens, files, vector formats, its own
 * messages); the behaviour every index shares is {@link NoteIndexContract}'s, run on this one by
 * {@link LuceneNoteIndexContractTest}.
 */
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
    void rejects_a_negative_page_and_an_overlong_section() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Chunk(0, 0, 1, "a", "a", -1, ""));
        assertTrue(e.getMessage().contains("page=-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new Chunk(0, 0, 1, "a", "a", 0, "x".repeat(Chunk.MAX_SECTION_LENGTH + 1)));
        assertTrue(e.getMessage().contains("section has " + (Chunk.MAX_SECTION_LENGTH + 1)), e.getMessage());
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

    private static Set<String> ids(List<SearchHit> hits) {
        Set<String> s = new HashSet<>();
        for (SearchHit h : hits) {
            s.add(h.noteId());
        }
        return s;
    }
}
