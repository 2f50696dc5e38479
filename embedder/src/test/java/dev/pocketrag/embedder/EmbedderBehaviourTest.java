package dev.pocketrag.embedder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbedderBehaviourTest {
    static Embedder embedder;

    static final List<String> TEXTS = List.of(
            "Buy oat milk, eggs and coffee beans on the way home.",
            "The quarterly planning meeting moved to Thursday at 10:00.",
            "Recipe: roast the peppers, then blend with garlic and olive oil.",
            "Flight to Lisbon leaves at 07:45 from terminal 2.",
            "Dr. Alves said to take the antibiotics for ten days.",
            "a",
            "",
            "   ",
            "Ünïcödé — 東京 🚀 naïve café",
            "line one\nline two\n\nline four");

    @BeforeAll
    static void load() {
        embedder = Embedders.miniLm();
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    // Batch invariance and the 1,000 concurrent calls through the burst queue: BuiltInEmbeddersTest,
    // for every built-in model.

    @Test
    void long_text_is_truncated_to_256_word_pieces_and_the_caller_can_tell() {
        String longText = "pocketrag keeps notes on local disk. ".repeat(100);
        Embedder.Embedding e = embedder.embedWithInfo(longText);
        assertEquals(256, e.tokens());
        assertTrue(e.totalTokens() > 256, "total " + e.totalTokens());
        assertTrue(e.truncated());
        assertEquals(e.totalTokens(), embedder.countTokens(longText));
        Embedder.Embedding shortOne = embedder.embedWithInfo("two words");
        assertFalse(shortOne.truncated());
        assertEquals(4, shortOne.tokens(), "[CLS] two words [SEP]");
        // the truncated text embeds like its first 254 word pieces
        String cut = "pocketrag keeps notes on local disk. ".repeat(50);
        assertTrue(embedder.countTokens(cut) > 256);
        assertCosineAtLeast(e.vector(), embedder.embed(cut), 0.99999, "same first 254 word pieces");
    }

    /**
     * An 8 MiB text is cut to {@link Embedder#maxChars} characters before it is tokenized (the
     * whole text once cost 35 s of CPU and 0.7 GB of native memory): its token count is that of the
     * first 16,384 characters, and its vector is that of any prefix that fills the 254 word pieces.
     */
    @Test
    void a_huge_text_is_cut_before_tokenizing_and_embeds_like_its_beginning() {
        String sentence = "pocketrag keeps notes on local disk. ";
        String huge = sentence.repeat((8 << 20) / sentence.length());
        Embedder.Embedding e = embedder.embedWithInfo(huge);
        int limit = Embedder.maxChars(embedder.maxTokens());
        assertEquals(256 * 64, limit);
        int readTokens = embedder.countTokens(huge.substring(0, limit));
        assertEquals(readTokens, e.totalTokens(), "counts the text that was read, not 1.8 million word pieces");
        assertEquals(readTokens, embedder.countTokens(huge));
        assertTrue(readTokens > 256 && readTokens < 10_000, "tokens read: " + readTokens);
        assertArrayEquals(embedder.embed(sentence.repeat(50)), e.vector(), "the first 254 word pieces decide");
        assertArrayEquals(e.vector(), embedder.embedAll(List.of(huge)).get(0));
        assertArrayEquals(embedder.embedQuery(sentence.repeat(50)), embedder.embedQuery(huge));
        // the cut never splits a surrogate pair
        String emoji = "x".repeat(limit - 1) + "\uD83D\uDE80" + "tail";
        assertArrayEquals(embedder.embed("x".repeat(limit - 1)), embedder.embed(emoji));
    }

    @Test
    void null_is_rejected_with_a_message() {
        NullPointerException e = assertThrows(NullPointerException.class, () -> embedder.embed(null));
        assertEquals("text", e.getMessage());
        List<String> withNull = new ArrayList<>(List.of("a", "b"));
        withNull.add(null);
        NullPointerException e2 = assertThrows(NullPointerException.class, () -> embedder.embedAll(withNull));
        assertEquals("texts[2] is null", e2.getMessage());
    }

    @Test
    void unpaired_surrogates_are_replaced_not_a_crash() {
        float[] lone = embedder.embed("broken \uD83D text \uDC00 here");
        float[] replaced = embedder.embed("broken \uFFFD text \uFFFD here");
        assertArrayEquals(replaced, lone);
        float[] paired = embedder.embed("rocket \uD83D\uDE80 ok");
        assertNotEquals(0, paired.length);
    }

    @Test
    void repeated_texts_in_one_call_get_equal_but_separate_vectors() {
        List<float[]> got = embedder.embedAll(List.of("same note", "other", "same note"));
        assertArrayEquals(got.get(0), got.get(2));
        assertArrayEquals(embedder.embed("same note"), got.get(0));
        got.get(0)[0] = 42f;
        assertNotEquals(42f, got.get(2)[0], "a caller mutating one vector must not change another");
    }

    @Test
    void empty_input_list_gives_empty_result() {
        assertEquals(List.of(), embedder.embedAll(List.of()));
    }

    @Test
    void model_id_names_the_model_and_the_sha256_of_its_file() {
        assertTrue(embedder.modelId().matches("all-minilm-l6-v2-q@sha256:[0-9a-f]{64}"), embedder.modelId());
        assertEquals(384, embedder.dimension());
        assertEquals(256, embedder.maxTokens());
    }

    @Test
    void missing_or_corrupt_model_file_is_a_typed_error_naming_the_path(@TempDir Path dir) throws Exception {
        Path tokenizer = dir.resolve("tokenizer.json");
        copyResource("all-minilm-l6-v2-q-tokenizer.json", tokenizer);
        Path missing = dir.resolve("nope.onnx");
        EmbedderException e1 = assertThrows(EmbedderException.class,
                () -> Embedders.fromFiles(missing, tokenizer, EmbedderOptions.defaults()));
        assertTrue(e1.getMessage().contains(missing.toString()), e1.getMessage());

        Path corrupt = dir.resolve("corrupt.onnx");
        Files.write(corrupt, "this is not an onnx model".getBytes());
        EmbedderException e2 = assertThrows(EmbedderException.class,
                () -> Embedders.fromFiles(corrupt, tokenizer, EmbedderOptions.defaults()));
        assertTrue(e2.getMessage().contains(corrupt.toString()), e2.getMessage());

        Path onnx = dir.resolve("model.onnx");
        copyResource("all-minilm-l6-v2-q.onnx", onnx);
        Path badTokenizer = dir.resolve("bad-tokenizer.json");
        Files.writeString(badTokenizer, "{ not json");
        EmbedderException e3 = assertThrows(EmbedderException.class,
                () -> Embedders.fromFiles(onnx, badTokenizer, EmbedderOptions.defaults()));
        assertTrue(e3.getMessage().contains(badTokenizer.toString()), e3.getMessage());
    }

    @Test
    void other_exports_load_from_files_with_their_pooling_normalisation_and_prefixes(@TempDir Path dir) throws Exception {
        Path onnx = dir.resolve("minilm.onnx");
        Path tokenizer = dir.resolve("tokenizer.json");
        copyResource("all-minilm-l6-v2-q.onnx", onnx);
        copyResource("all-minilm-l6-v2-q-tokenizer.json", tokenizer);
        String text = TEXTS.get(1);
        float[] reference = embedder.embed(text);
        try (Embedder same = Embedders.fromFiles(onnx, tokenizer, EmbedderOptions.defaults());
                Embedder raw = Embedders.fromFiles(onnx, tokenizer, EmbedderOptions.defaults().withNormalize(false));
                Embedder cls = Embedders.fromFiles(onnx, tokenizer, EmbedderOptions.defaults().withPooling(EmbedderOptions.Pooling.CLS));
                Embedder e5 = Embedders.fromFiles(onnx, tokenizer, EmbedderOptions.defaults().withPrefixes("query: ", "passage: "));
                Embedder short8 = Embedders.fromFiles(onnx, tokenizer, EmbedderOptions.defaults().withMaxTokens(8))) {
            assertArrayEquals(reference, same.embed(text));
            assertEquals(embedder.modelId().substring(embedder.modelId().indexOf('@')),
                    same.modelId().substring(same.modelId().indexOf('@')), "same file, same sha256");
            float[] unnormalised = raw.embed(text);
            double norm = 0;
            for (float x : unnormalised) {
                norm += x * x;
            }
            assertTrue(Math.abs(Math.sqrt(norm) - 1) > 0.01, "not normalised: norm " + Math.sqrt(norm));
            assertCosineAtLeast(reference, unnormalised, 0.99999, "same direction");
            assertTrue(cosine(reference, cls.embed(text)) < 0.99, "CLS pooling differs from mean pooling");
            assertArrayEquals(embedder.embed("passage: " + text), e5.embed(text));
            assertArrayEquals(embedder.embed("query: " + text), e5.embedQuery(text));
            Embedder.Embedding cut = short8.embedWithInfo(text);
            assertEquals(8, cut.tokens());
            assertTrue(cut.truncated());
        }
    }

    @Test
    void close_is_idempotent_and_calls_after_close_fail_clearly() {
        Embedder e = Embedders.miniLm(EmbedderOptions.defaults().withThreads(1));
        e.embed("x");
        e.close();
        e.close();
        IllegalStateException ex = assertThrows(IllegalStateException.class, () -> e.embed("x"));
        assertTrue(ex.getMessage().contains("closed"), ex.getMessage());
    }

    @Test
    void options_reject_out_of_range_values_naming_them() {
        var ex = assertThrows(IllegalArgumentException.class, () -> EmbedderOptions.defaults().withMaxTokens(0));
        assertEquals("maxTokens must be in 1..8192; maxTokens=0", ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> EmbedderOptions.defaults().withThreads(-1));
        assertTrue(ex.getMessage().contains("threads=-1"));
        ex = assertThrows(IllegalArgumentException.class, () -> EmbedderOptions.defaults().withBurst(0, 1));
        assertTrue(ex.getMessage().contains("burstMaxCount=0"));
        ex = assertThrows(IllegalArgumentException.class, () -> EmbedderOptions.defaults().withBurst(1, 5000));
        assertTrue(ex.getMessage().contains("burstMaxWaitMillis=5000"));
    }

    static void copyResource(String name, Path to) throws Exception {
        try (var in = Embedders.class.getClassLoader().getResourceAsStream(name)) {
            Files.copy(in, to);
        }
    }

    static double cosine(float[] a, float[] b) {
        return ReferenceVectorsTest.cosine(a, b);
    }

    static void assertCosineAtLeast(float[] expected, float[] actual, double min, String what) {
        double c = cosine(expected, actual);
        assertTrue(c >= min, () -> "cosine " + c + " < " + min + " for " + ReferenceVectorsTest.abbreviate(what));
    }
}
