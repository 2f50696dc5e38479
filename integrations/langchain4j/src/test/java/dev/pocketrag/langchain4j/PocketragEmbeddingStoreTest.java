package dev.pocketrag.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.filter.Filter;
import dev.langchain4j.store.embedding.filter.comparison.ContainsString;
import dev.langchain4j.store.embedding.filter.comparison.IsEqualTo;
import dev.langchain4j.store.embedding.filter.comparison.IsGreaterThanOrEqualTo;
import dev.langchain4j.store.embedding.filter.comparison.IsIn;
import dev.langchain4j.store.embedding.filter.comparison.IsLessThan;
import dev.langchain4j.store.embedding.filter.logical.And;
import dev.langchain4j.store.embedding.filter.logical.Not;
import dev.langchain4j.store.embedding.filter.logical.Or;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's add / search / filter / remove semantics on a real index with real MiniLM vectors. */
class PocketragEmbeddingStoreTest {
    static PocketragEmbeddingModel model;

    @TempDir
    Path dir;
    PocketragEmbeddingStore store;

    @BeforeAll
    static void loadModel() {
        model = PocketragEmbeddingModel.miniLm();
    }

    @AfterAll
    static void closeModel() {
        model.close();
        model.close(); // idempotent
    }

    @BeforeEach
    void openStore() {
        store = PocketragEmbeddingStore.open(dir.resolve("index"), model);
    }

    @org.junit.jupiter.api.AfterEach
    void closeStore() {
        store.close();
        store.close(); // idempotent
    }

    private String add(String text, String title, String tags, String created) {
        Metadata m = new Metadata().put("title", title).put("tags", tags).put("created", created);
        TextSegment s = TextSegment.from(text, m);
        return store.add(model.embed(s).content(), s);
    }

    private List<EmbeddingMatch<TextSegment>> search(String query, int k, Filter filter) {
        return store.search(EmbeddingSearchRequest.builder().queryEmbedding(model.embed(query).content())
                .maxResults(k).filter(filter).build()).matches();
    }

    private static Set<String> titles(List<EmbeddingMatch<TextSegment>> matches) {
        return matches.stream().map(m -> m.embedded().metadata().getString("title")).collect(Collectors.toSet());
    }

    private String kyoto, insurance, dentist;

    private void addThree() {
        kyoto = add("Check-in at the Kyoto hotel is at 15:00; booking reference KY-2291.", "Kyoto hotel",
                "travel,japan", "2026-03-01T00:00:00Z");
        insurance = add("The car insurance renews on 1 June; policy AX-4471.", "Car insurance", "car,money",
                "2026-04-01T00:00:00Z");
        dentist = add("Dentist appointment on 14 March at 09:30 with Dr. Sousa.", "Dentist", "health",
                "2026-05-01T00:00:00Z");
    }

    @Test
    void finds_the_nearest_segment_with_its_metadata_and_a_relevance_score() {
        addThree();
        List<EmbeddingMatch<TextSegment>> found = search("what time can I check in at the hotel", 3, null);
        assertEquals(3, found.size());
        EmbeddingMatch<TextSegment> best = found.getFirst();
        assertEquals(kyoto, best.embeddingId());
        assertEquals("Check-in at the Kyoto hotel is at 15:00; booking reference KY-2291.", best.embedded().text());
        assertEquals("Kyoto hotel", best.embedded().metadata().getString("title"));
        assertEquals("japan,travel", best.embedded().metadata().getString("tags"));
        assertEquals("2026-03-01T00:00:00Z", best.embedded().metadata().getString("created"));
        assertEquals(kyoto, best.embedded().metadata().getString("note_id"));
        // LangChain4j's relevance (1 + cos) / 2, from the vectors themselves (the index keeps int8 copies)
        float[] q = model.embed("what time can I check in at the hotel").content().vector();
        float[] d = model.embed(best.embedded().text()).content().vector();
        double cos = 0;
        for (int i = 0; i < q.length; i++) {
            cos += q[i] * d[i];
        }
        assertEquals((1 + cos) / 2, best.score(), 0.02);
        assertNotNull(best.embedding());
        assertEquals(384, best.embedding().dimension());
        for (int i = 1; i < found.size(); i++) {
            assertTrue(found.get(i - 1).score() >= found.get(i).score(), "best first");
        }
    }

    @Test
    void min_score_drops_weak_matches() {
        addThree();
        List<EmbeddingMatch<TextSegment>> all = search("hotel check-in", 3, null);
        double cut = (all.get(0).score() + all.get(1).score()) / 2;
        List<EmbeddingMatch<TextSegment>> strong = store.search(EmbeddingSearchRequest.builder()
                .queryEmbedding(model.embed("hotel check-in").content()).maxResults(3).minScore(cut).build()).matches();
        assertEquals(List.of(kyoto), strong.stream().map(EmbeddingMatch::embeddingId).toList());
    }

    @Test
    void tag_filters_apply_inside_the_search() {
        addThree();
        // the nearest is the hotel, but only notes tagged car may come back
        assertEquals(Set.of("Car insurance"), titles(search("hotel check-in", 3, new IsEqualTo("tag", "car"))));
        assertEquals(Set.of("Car insurance", "Dentist"),
                titles(search("hotel check-in", 3, new IsIn("tags", List.of("money", "health")))));
        assertEquals(Set.of("Kyoto hotel", "Dentist"), titles(search("hotel check-in", 3,
                new Or(new IsEqualTo("tag", "japan"), new IsEqualTo("tag", "health")))));
        assertEquals(Set.of(), titles(search("hotel check-in", 3,
                new And(new IsEqualTo("tag", "car"), new IsEqualTo("tag", "health")))));
    }

    @Test
    void time_filters_on_created_take_iso_instants_and_epoch_millis() {
        addThree();
        Filter april = new And(new IsGreaterThanOrEqualTo("created", "2026-04-01T00:00:00Z"),
                new IsLessThan("created", 1777593600000L)); // 2026-05-01T00:00:00Z
        assertEquals(Set.of("Car insurance"), titles(search("anything", 3, april)));
        assertEquals(Set.of("Dentist"), titles(search("anything", 3,
                new And(new IsGreaterThanOrEqualTo("created", "2026-04-15T00:00:00Z"), new IsEqualTo("tag", "health")))));
    }

    @Test
    void unsupported_filters_are_refused_by_name() {
        addThree();
        Filter title = new IsEqualTo("title", "Dentist");
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
                () -> search("x", 3, title));
        assertTrue(e.getMessage().contains(title.toString()), e.getMessage());
        Filter not = new Not(new IsEqualTo("tag", "car"));
        e = assertThrows(UnsupportedFeatureException.class, () -> search("x", 3, not));
        assertTrue(e.getMessage().contains("Not"), e.getMessage());
        Filter contains = new ContainsString("tags", "ca");
        assertThrows(UnsupportedFeatureException.class, () -> store.removeAll(contains));
        assertEquals(3, search("x", 10, null).size(), "a refused filter removes nothing");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> search("x", 3, new IsGreaterThanOrEqualTo("created", "last tuesday")));
        assertTrue(bad.getMessage().contains("last tuesday"), bad.getMessage());
    }

    @Test
    void remove_by_id_by_filter_and_all() {
        addThree();
        store.remove(kyoto);
        assertEquals(Set.of("Car insurance", "Dentist"), titles(search("hotel", 10, null)));
        store.removeAll(new IsEqualTo("tag", "health"));
        assertEquals(List.of(insurance), search("hotel", 10, null).stream().map(EmbeddingMatch::embeddingId).toList());
        add("Another note.", "Other", "misc", "2026-06-01T00:00:00Z");
        store.removeAll(List.of(insurance, dentist)); // dentist is already gone: no error
        assertEquals(Set.of("Other"), titles(search("hotel", 10, null)));
        store.removeAll();
        assertEquals(List.of(), search("hotel", 10, null));
    }

    @Test
    void adds_survive_closing_and_reopening_and_ids_replace() {
        String id = add("First version of the note.", "Note", "a", "2026-01-01T00:00:00Z");
        TextSegment second = TextSegment.from("Second version: the meeting moved to Friday.", Metadata.from("title", "Note"));
        store.addAll(List.of(id), List.of(model.embed(second).content()), List.of(second));
        store.close();
        store = PocketragEmbeddingStore.open(dir.resolve("index"), model);
        List<EmbeddingMatch<TextSegment>> found = search("meeting day", 10, null);
        assertEquals(1, found.size(), "same id: replaced, not added");
        assertEquals("Second version: the meeting moved to Friday.", found.getFirst().embedded().text());
    }

    @Test
    void bad_input_is_named() {
        Embedding e = model.embed("x").content();
        TextSegment s = TextSegment.from("text", Metadata.from("created", "yesterday"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> store.add(e, s));
        assertTrue(bad.getMessage().contains("yesterday"), bad.getMessage());
        IllegalArgumentException sizes = assertThrows(IllegalArgumentException.class,
                () -> store.addAll(List.of("a", "b"), List.of(e), null));
        assertTrue(sizes.getMessage().contains("2, 1"), sizes.getMessage());
        // a vector of another dimension is refused by the index, which names it
        Exception dim = assertThrows(RuntimeException.class, () -> store.add(Embedding.from(new float[] {1, 0, 0})));
        assertTrue(dim.getMessage().contains("3"), dim.getMessage());
    }
}
