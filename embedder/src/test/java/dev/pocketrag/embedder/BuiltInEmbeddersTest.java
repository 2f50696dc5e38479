package dev.pocketrag.embedder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every built-in model ({@link Embedders#names()}): its vectors against reference vectors computed
 * independently with transformers.js from the same files and the model's published recipe
 * ({@code src/test/resources/reference/README.md}; MiniLM's are in {@link ReferenceVectorsTest}),
 * the prefixes each model wants on queries and passages, and the batch-invariance and burst-queue
 * guarantees of {@link Embedder}. One embedder per model for the whole class.
 */
class BuiltInEmbeddersTest {
    static final long SEED = Long.getLong("pocketrag.seed", 20261203L);

    /**
     * Our vectors against the reference: the same model file run by the same ONNX Runtime version
     * lands within 1e-9; another recipe (a dropped or swapped prefix, other pooling, other
     * truncation) is below 0.992 on every text (the README's numbers), so 0.9999 tells them apart.
     */
    static final double BOUND = 0.9999;

    private static final Map<String, Embedder> LOADED = new ConcurrentHashMap<>();

    static Embedder embedder(String name) {
        return LOADED.computeIfAbsent(name, Embedders::named);
    }

    @AfterAll
    static void closeAll() {
        LOADED.values().forEach(Embedder::close);
        LOADED.clear();
    }

    static Stream<String> names() {
        return Embedders.names().stream();
    }

    /** One reference vector: what the model was fed and what came out. */
    record Vec(int tokens, int totalTokens, float[] vector) {}

    /** One text's reference vectors by role: "query", "passage" and (e5) "none", the bare text. */
    record Ref(String text, Map<String, Vec> roles) {}

    private static final Map<String, List<Ref>> REFERENCES = new ConcurrentHashMap<>();

    static List<Ref> reference(String model) {
        return REFERENCES.computeIfAbsent(model, m -> {
            String resource = "reference/" + m + "-int8-reference.jsonl";
            var in = BuiltInEmbeddersTest.class.getClassLoader().getResourceAsStream(resource);
            assertNotNull(in, resource + " is not on the test classpath");
            List<Ref> refs = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                    Map<String, Vec> roles = new LinkedHashMap<>();
                    for (String role : List.of("query", "passage", "none")) {
                        if (o.has(role)) {
                            JsonObject v = o.getAsJsonObject(role);
                            JsonArray a = v.getAsJsonArray("vector");
                            float[] f = new float[a.size()];
                            for (int i = 0; i < f.length; i++) {
                                f[i] = a.get(i).getAsFloat();
                            }
                            roles.put(role, new Vec(v.get("tokens").getAsInt(), v.get("total_tokens").getAsInt(), f));
                        }
                    }
                    refs.add(new Ref(o.get("text").getAsString(), roles));
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            assertEquals(62, refs.size(), resource + ": 60 texts of the MiniLM reference + 2 over 512 word pieces");
            return refs;
        });
    }

    /**
     * Asserts that {@code got} is the reference's {@code role} vector of {@code ref}; when it is
     * not, the message says which role it is closest to (e.g. "none": the prefix was not applied).
     */
    static void assertRole(String role, float[] got, Ref ref, String how) {
        String closest = null;
        double best = -2;
        for (var e : ref.roles().entrySet()) {
            double c = ReferenceVectorsTest.cosine(got, e.getValue().vector());
            if (c > best) {
                best = c;
                closest = e.getKey();
            }
        }
        double c = ReferenceVectorsTest.cosine(got, ref.roles().get(role).vector());
        String closestRole = closest;
        double closestCosine = best;
        assertTrue(c >= BOUND, () -> how + " of " + ReferenceVectorsTest.abbreviate(ref.text()) + ": cosine " + c
                + " with the reference's " + role + " vector (< " + BOUND + "); closest is its " + closestRole
                + " vector (" + closestCosine + ")");
        for (var e : ref.roles().entrySet()) {
            if (!e.getKey().equals(role)) {
                double other = ReferenceVectorsTest.cosine(got, e.getValue().vector());
                assertTrue(other < BOUND, () -> how + " of " + ReferenceVectorsTest.abbreviate(ref.text())
                        + " also matches the reference's " + e.getKey() + " vector (" + other + ")");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bge-small", "e5-small"})
    void embedQuery_puts_the_query_prefix_before_every_query(String model) {
        Embedder e = embedder(model);
        for (Ref r : reference(model)) {
            assertRole("query", e.embedQuery(r.text()), r, model + " embedQuery");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bge-small", "e5-small"})
    void embedAll_embeds_passages_with_the_passage_prefix_and_cuts_them_at_512_word_pieces(String model) {
        Embedder e = embedder(model);
        List<Ref> refs = reference(model);
        List<float[]> got = e.embedAll(refs.stream().map(Ref::text).toList());
        for (int i = 0; i < refs.size(); i++) {
            assertRole("passage", got.get(i), refs.get(i), model + " embedAll");
        }
        assertTrue(refs.stream().filter(r -> r.roles().get("passage").totalTokens() > 512).count() >= 2,
                "the reference has texts over 512 word pieces");
    }

    /**
     * {@code embed}, {@code embedWithInfo} and {@code countTokens} see the same prefixed text as
     * {@code embedAll}: the word-piece counts are those transformers.js counted for the
     * passage-prefixed text, and the vectors match it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"bge-small", "e5-small"})
    void embed_embedWithInfo_and_countTokens_agree_on_the_passage_prefix(String model) {
        Embedder e = embedder(model);
        List<Ref> refs = reference(model);
        for (Ref r : refs) {
            Vec p = r.roles().get("passage");
            assertEquals(p.totalTokens(), e.countTokens(r.text()),
                    () -> model + " countTokens of " + ReferenceVectorsTest.abbreviate(r.text()));
        }
        // a few of each kind (the model runs are the slow part): short, unicode, empty, blank,
        // newlines, and the two texts over 512 word pieces
        for (int i : new int[] {0, 48, 52, 53, 54, 55, 60, 61}) {
            Ref r = refs.get(i);
            Vec p = r.roles().get("passage");
            Embedder.Embedding info = e.embedWithInfo(r.text());
            assertEquals(p.tokens(), info.tokens(), () -> model + " tokens of " + ReferenceVectorsTest.abbreviate(r.text()));
            assertEquals(p.totalTokens(), info.totalTokens(), () -> model + " total tokens of "
                    + ReferenceVectorsTest.abbreviate(r.text()));
            assertEquals(p.totalTokens() > 512, info.truncated());
            assertRole("passage", info.vector(), r, model + " embedWithInfo");
            assertArrayEquals(info.vector(), e.embed(r.text()), () -> model + " embed and embedWithInfo differ on "
                    + ReferenceVectorsTest.abbreviate(r.text()));
        }
    }

    @Test
    void the_model_recipes_are_the_published_ones() {
        EmbedderModel bge = Embedders.model("bge-small");
        assertEquals(EmbedderOptions.Pooling.CLS, bge.recipe().pooling());
        assertEquals("Represent this sentence for searching relevant passages: ", bge.recipe().queryPrefix());
        assertEquals("", bge.recipe().passagePrefix());
        assertEquals("", bge.similarityPrefix(), "bge's instruction is for retrieval queries only");
        EmbedderModel e5 = Embedders.model("e5-small");
        assertEquals(EmbedderOptions.Pooling.MEAN, e5.recipe().pooling());
        assertEquals("query: ", e5.recipe().queryPrefix());
        assertEquals("passage: ", e5.recipe().passagePrefix());
        assertEquals("query: ", e5.similarityRecipe().passagePrefix(), "e5: 'query: ' on both sides of a symmetric task");
        for (String n : Embedders.names()) {
            EmbedderOptions r = Embedders.model(n).recipe();
            assertTrue(r.normalize(), n);
            assertEquals(n.equals("minilm") ? 256 : 512, r.maxTokens(), n);
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void each_model_answers_its_id_dimension_length_and_recipe(String name) {
        Embedder e = embedder(name);
        EmbedderModel m = Embedders.model(name);
        assertEquals(m.modelId(), e.modelId());
        assertEquals(384, e.dimension());
        assertEquals(m.recipe().maxTokens(), e.maxTokens());
        assertEquals(m.recipe().recipe(), e.recipe());
        try (Embedder lazy = Embedders.namedOnFirstUse(name)) {
            assertEquals(e.modelId(), lazy.modelId());
            assertEquals(e.recipe(), lazy.recipe());
            assertEquals(e.maxTokens(), lazy.maxTokens());
        }
    }

    @Test
    void an_unknown_name_is_refused_with_the_choices() {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Embedders.model("bge-large"));
        assertEquals("unknown embedder 'bge-large': choose one of minilm, bge-small, e5-small", ex.getMessage());
        assertEquals("e5-small", Embedders.model(" E5-Small ").name());
    }

    static final List<String> TEXTS = List.of(
            "Buy oat milk, eggs and coffee beans on the way home.",
            "The quarterly planning meeting moved to Thursday at 10:00.",
            "Flight to Lisbon leaves at 07:45 from terminal 2.",
            "a",
            "",
            "Ünïcödé — 東京 🚀 naïve café",
            "line one\nline two\n\nline four");

    /**
     * A text's vector does not depend on its neighbours: alone, in {@code embedAll} batches with
     * random companions of very different lengths, and through the burst queue next to other
     * threads' calls (the int8 exports quantize activations per tensor, so a padded batch would
     * change it).
     */
    @ParameterizedTest
    @MethodSource("names")
    void a_text_gets_the_same_vector_alone_in_a_batch_and_next_to_concurrent_callers(String name) throws Exception {
        System.out.println("BuiltInEmbeddersTest seed=" + SEED + " (-Dpocketrag.seed=" + SEED + " repeats it)");
        Embedder e = embedder(name);
        Random rnd = new Random(SEED);
        List<float[]> alone = new ArrayList<>();
        for (String t : TEXTS) {
            alone.add(e.embed(t));
        }
        for (int round = 0; round < 3; round++) {
            List<String> batch = new ArrayList<>();
            List<Integer> where = new ArrayList<>();
            for (String t : TEXTS) {
                for (int k = rnd.nextInt(3); k > 0; k--) {
                    batch.add("filler " + "word ".repeat(rnd.nextInt(120)));
                }
                where.add(batch.size());
                batch.add(t);
            }
            List<float[]> got = e.embedAll(batch);
            for (int i = 0; i < TEXTS.size(); i++) {
                assertArrayEquals(alone.get(i), got.get(where.get(i)), name + " in a batch: " + TEXTS.get(i));
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<float[]>> fs = new ArrayList<>();
            List<Future<float[]>> queries = new ArrayList<>();
            for (int i = 0; i < TEXTS.size(); i++) {
                final int k = i;
                pool.submit(() -> e.embed("noise " + "x ".repeat(k * 20)));
                fs.add(pool.submit(() -> e.embed(TEXTS.get(k))));
                queries.add(pool.submit(() -> e.embedQuery(TEXTS.get(k))));
            }
            for (int i = 0; i < TEXTS.size(); i++) {
                assertArrayEquals(alone.get(i), fs.get(i).get(), name + " next to other callers: " + TEXTS.get(i));
                assertArrayEquals(e.embedQuery(TEXTS.get(i)), queries.get(i).get(), name + " query: " + TEXTS.get(i));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void a_thousand_calls_from_eight_threads_equal_the_single_thread_results(String name) throws Exception {
        System.out.println("BuiltInEmbeddersTest seed=" + SEED + " (-Dpocketrag.seed=" + SEED + " repeats it)");
        Embedder e = embedder(name);
        List<float[]> expected = new ArrayList<>();
        for (String t : TEXTS) {
            expected.add(e.embed(t));
        }
        Random rnd = new Random(SEED);
        int[] pick = new int[1000];
        for (int i = 0; i < pick.length; i++) {
            pick[i] = rnd.nextInt(TEXTS.size());
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<float[]>> fs = new ArrayList<>();
            for (int i : pick) {
                fs.add(pool.submit(() -> e.embed(TEXTS.get(i))));
            }
            for (int i = 0; i < pick.length; i++) {
                assertArrayEquals(expected.get(pick[i]), fs.get(i).get(), name + " call " + i + " (" + TEXTS.get(pick[i]) + ")");
            }
        } finally {
            pool.shutdownNow();
        }
        // the queue's vectors are the model's: not all equal (a constant would pass the above)
        assertFalse(java.util.Arrays.equals(expected.get(0), expected.get(1)), name);
    }
}
