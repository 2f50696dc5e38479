package dev.pocketrag.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Perplexity} on stories260K (F32, a real trained model) against an independent computation:
 * the same windows evaluated one token at a time through {@link ForwardPass} (the public single-step
 * API, not the batched path the facade uses), each position's log-softmax taken in double from the
 * full logits, and the scored positions written out by hand from llama.cpp's rule (second half of
 * each window, the chunk's first token replaced by BOS).
 */
class PerplexityTest {
    /** A TinyStories-like text (stories260K was trained on such). */
    static final String STORY = "Once upon a time, there was a little girl named Lily. She loved to play outside in "
            + "the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high. Lily's mom "
            + "said, \"Lily, let's go to the park.\" Lily was sad and didn't know what to do. She said, \"I want to "
            + "play with your ball, but I can't find it.\" Then a kind dog came and they played all day.";

    @TempDir
    Path dir;

    static Path stories() {
        String s = System.getProperty("pocketrag.shared");
        assumeTrue(s != null && Files.isRegularFile(Path.of(s, "models/stories260K.gguf")),
                "pocketrag.shared/models/stories260K.gguf is absent: skipping the perplexity tests on it");
        return Path.of(s, "models/stories260K.gguf");
    }

    /** -log softmax(logits)[tok] in double, straight from the definition. */
    static double nll(float[] logits, int tok) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double s = 0;
        for (float v : logits) {
            s += Math.exp(v - max);
        }
        return max + Math.log(s) - logits[tok];
    }

    @Test
    void scores_the_second_half_of_each_window_like_a_token_by_token_reference() throws Exception {
        try (Gguf g = Gguf.open(stories()); Perplexity p = Perplexity.open(g, 16, 2)) {
            int[] ids = p.tokenize(STORY);
            assertTrue(p.addsBos() && ids[0] == p.tokenizer().bosId(), "stories260K adds BOS at the start");
            assertTrue(ids.length >= 48 && ids.length < 160, "tokens: " + ids.length);
            int chunks = ids.length / 16;
            List<Perplexity.Chunk> seen = new ArrayList<>();
            Perplexity.Result r = p.measure(ids, 0, seen::add);

            // The reference: window 16 -> positions 8..14 of each chunk predict the tokens 9..15 (7 a chunk).
            int[] scoredPositions = {8, 9, 10, 11, 12, 13, 14};
            double sum = 0;
            double sum2 = 0;
            int count = 0;
            double[] running = new double[chunks];
            try (ForwardPass f = ForwardPass.open(g, 16, 1)) {
                for (int c = 0; c < chunks; c++) {
                    int[] w = java.util.Arrays.copyOfRange(ids, 16 * c, 16 * c + 16);
                    w[0] = 1; // stories260K's BOS, in every chunk
                    int next = 0;
                    for (int pos = 0; pos < 16; pos++) {
                        float[] logits = f.forward(w, pos, pos + 1, pos);
                        if (next < scoredPositions.length && pos == scoredPositions[next]) {
                            double v = nll(logits, ids[16 * c + pos + 1]);
                            sum += v;
                            sum2 += v * v;
                            count++;
                            next++;
                        }
                    }
                    running[c] = Math.exp(sum / count);
                }
            }
            double mean = sum / count;
            double ppl = Math.exp(mean);
            double err = ppl * Math.sqrt((sum2 / count - mean * mean) / (count - 1));
            System.out.printf(java.util.Locale.ROOT, "stories260K, window 16, %d chunks: PPL %.6f +/- %.6f "
                    + "(reference %.6f +/- %.6f)%n", r.chunks(), r.ppl(), r.pplError(), ppl, err);
            assertEquals(chunks, r.chunks());
            assertEquals(7 * chunks, r.scored());
            assertEquals(ppl, r.ppl(), 1e-5 * ppl);
            assertEquals(mean, r.meanNll(), 1e-6);
            assertEquals(err, r.pplError(), 1e-5 * err);
            assertNull(r.kld());
            assertEquals(chunks, seen.size());
            for (int c = 0; c < chunks; c++) {
                assertEquals(c + 1, seen.get(c).index());
                assertEquals(chunks, seen.get(c).of());
                assertEquals(running[c], seen.get(c).ppl(), 1e-5 * running[c], "running estimate after chunk " + (c + 1));
            }
            // a chunk limit evaluates the first chunks only: the same as the running estimate after them
            Perplexity.Result two = p.measure(ids, 2, Perplexity.Progress.NONE);
            assertEquals(2, two.chunks());
            assertEquals(running[1], two.ppl(), 1e-5 * running[1]);
        }
    }

    @Test
    void a_text_shorter_than_one_window_is_refused_naming_the_tokens_needed() throws Exception {
        try (Gguf g = Gguf.open(stories()); Perplexity p = Perplexity.open(g, 64, 1)) {
            int[] ids = p.tokenize("Once upon a time");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> p.measure(ids, 0, Perplexity.Progress.NONE));
            assertEquals("the text has " + ids.length + " tokens; a window of 64 tokens needs at least 64 "
                    + "(use a longer text or a smaller window)", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Perplexity.open(g, 3, 1));
            assertThrows(IllegalArgumentException.class, () -> p.measure(p.tokenize(STORY), -1, c -> { }));
        }
    }

    @Test
    void a_model_against_its_own_base_has_zero_divergence_and_the_same_top_tokens() throws Exception {
        Path base = dir.resolve("stories.logits");
        try (Gguf g = Gguf.open(stories()); Perplexity p = Perplexity.open(g, 16, 2)) {
            int[] ids = p.tokenize(STORY);
            Perplexity.Result saved = p.measure(ids, 0, base, Perplexity.Progress.NONE);
            long rows = (long) saved.chunks() * 7;
            assertEquals(24 + 4L * 16 * saved.chunks() + rows * (12 + 2 * 512) + 4, Files.size(base));
            List<Perplexity.Chunk> seen = new ArrayList<>();
            Perplexity.Result r = p.compare(ids, base, 0, seen::add);
            Perplexity.KlDivergence k = r.kld();
            assertEquals(saved.ppl(), r.ppl(), 1e-9 * saved.ppl());
            // the base keeps each next token's nll exactly (as a float)
            assertEquals(saved.ppl(), k.pplBase(), 1e-6 * saved.ppl());
            assertEquals(0, k.lnPplRatio(), 1e-6);
            assertEquals(0, k.meanKld(), 1e-5);
            assertTrue(k.maxKld() < 1e-4 && k.minKld() > -1e-4, k.toString());
            assertEquals(1.0, k.sameTop());
            assertTrue(k.rmsDeltaP() < 1e-4, k.toString());
            assertEquals(saved.chunks(), seen.size());
            assertEquals(1.0, seen.getLast().sameTop());
        }
    }
}
