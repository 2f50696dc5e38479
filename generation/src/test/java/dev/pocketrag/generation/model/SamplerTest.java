package dev.pocketrag.generation.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.chat.GenerationParams;
import org.junit.jupiter.api.Test;

/** Sampling semantics on hand-made logits; draws are seeded (seeds in the test, so reproducible). */
class SamplerTest {
    /** Sampling only, no top-k/top-p/min-p unless a test sets them. */
    private static final GenerationParams PLAIN = GenerationParams.defaults().withTopK(0).withTopP(1f).withMinP(0f)
            .withTemperature(1f);

    /** Logits whose softmax is exactly {@code probs}. */
    private static float[] logits(double... probs) {
        float[] l = new float[probs.length];
        for (int i = 0; i < probs.length; i++) {
            l[i] = (float) Math.log(probs[i]);
        }
        return l;
    }

    private static int[] histogram(GenerationParams p, long seed, float[] logits, int draws) {
        Sampler s = new Sampler(p, seed, logits.length);
        int[] h = new int[logits.length];
        for (int i = 0; i < draws; i++) {
            h[s.sample(logits.clone())]++;
        }
        return h;
    }

    @Test
    void greedy_takes_the_largest_logit_and_the_lowest_id_on_ties() {
        Sampler s = new Sampler(GenerationParams.greedy(), 1, 5);
        assertEquals(3, s.sample(new float[] {0f, 1f, 2f, 5f, 4f}));
        assertEquals(1, s.sample(new float[] {0f, 5f, 2f, 5f, 5f}));
        assertEquals(0, s.sample(new float[] {-1f, -1f, -1f, -1f, -1f}));
    }

    @Test
    void same_seed_same_draws_and_another_seed_other_draws() {
        float[] l = logits(0.2, 0.2, 0.2, 0.2, 0.2);
        int[] a = new int[50];
        int[] b = new int[50];
        int[] c = new int[50];
        Sampler sa = new Sampler(PLAIN, 42, 5);
        Sampler sb = new Sampler(PLAIN, 42, 5);
        Sampler sc = new Sampler(PLAIN, 43, 5);
        for (int i = 0; i < 50; i++) {
            a[i] = sa.sample(l.clone());
            b[i] = sb.sample(l.clone());
            c[i] = sc.sample(l.clone());
        }
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c));
    }

    @Test
    void draws_follow_the_softmax_and_temperature_sharpens_it() {
        // logits [1, 0]: p0 = e/(e+1) = 0.7311 at T=1, e^2/(e^2+1) = 0.8808 at T=0.5
        float[] l = {1f, 0f};
        int[] h1 = histogram(PLAIN, 11, l, 20000);
        int[] h2 = histogram(PLAIN.withTemperature(0.5f), 12, l, 20000);
        assertEquals(0.7311, h1[0] / 20000.0, 0.015);
        assertEquals(0.8808, h2[0] / 20000.0, 0.015);
    }

    @Test
    void top_k_keeps_the_k_most_likely() {
        float[] l = logits(0.1, 0.3, 0.05, 0.25, 0.3);
        int[] h = histogram(PLAIN.withTopK(2), 5, l, 4000);
        assertEquals(0, h[0] + h[2] + h[3]);
        assertTrue(h[1] > 1500 && h[4] > 1500, java.util.Arrays.toString(h));
        // k = 1 is greedy; ties to the lower id
        assertArrayEquals(new int[] {0, 4000, 0, 0, 0}, histogram(PLAIN.withTopK(1), 6, l, 4000));
    }

    @Test
    void top_p_keeps_the_smallest_prefix_reaching_p() {
        float[] l = logits(0.05, 0.5, 0.15, 0.3);
        // sorted: 1 (0.5), 3 (0.3), 2 (0.15), 0 (0.05); cumulative 0.5, 0.8, 0.95, 1
        int[] h = histogram(PLAIN.withTopP(0.7f), 8, l, 4000);
        assertEquals(0, h[0] + h[2]);
        assertEquals(0.5 / 0.8, h[1] / 4000.0, 0.03);
        int[] exact = histogram(PLAIN.withTopP(0.5f), 9, l, 1000); // 0.5 reaches 0.5: only the first
        assertArrayEquals(new int[] {0, 1000, 0, 0}, exact);
        int[] three = histogram(PLAIN.withTopP(0.9f), 10, l, 4000);
        assertEquals(0, three[0]);
        assertTrue(three[2] > 0);
    }

    @Test
    void min_p_drops_tokens_below_a_share_of_the_top_probability() {
        float[] l = logits(0.5, 0.3, 0.15, 0.05);
        // min-p 0.25: keep p >= 0.125 -> tokens 0, 1, 2
        int[] h = histogram(PLAIN.withMinP(0.25f), 13, l, 6000);
        assertEquals(0, h[3]);
        assertTrue(h[2] > 0);
        assertEquals(0.5 / 0.95, h[0] / 6000.0, 0.03);
        // min-p 0.7: only the top one survives
        assertArrayEquals(new int[] {3000, 0, 0, 0}, histogram(PLAIN.withMinP(0.7f), 14, l, 3000));
    }

    @Test
    void repetition_penalty_divides_positive_and_multiplies_negative_logits_of_recent_tokens() {
        GenerationParams p = GenerationParams.greedy().withRepeatPenalty(1.5f, 4);
        Sampler s = new Sampler(p, 1, 3);
        s.accept(0);
        s.accept(0); // counted once
        float[] l = {2.0f, 1.9f, -1f};
        assertEquals(1, s.sample(l)); // 2.0 / 1.5 = 1.33 < 1.9
        assertEquals(2.0f / 1.5f, l[0], 0f);
        s.accept(2);
        float[] m = {2.0f, 1.9f, -1f};
        s.sample(m);
        assertEquals(-1.5f, m[2], 0f);
        // tokens older than the last repeatLastN are no longer penalised
        Sampler w = new Sampler(p, 1, 3);
        w.accept(0);
        for (int i = 0; i < 4; i++) {
            w.accept(1);
        }
        assertEquals(0, w.sample(new float[] {2.0f, 1.9f, -1f}));
    }

    @Test
    void presence_penalty_subtracts_from_seen_tokens() {
        Sampler s = new Sampler(GenerationParams.greedy().withPresencePenalty(0.5f), 1, 3);
        s.accept(0);
        float[] l = {2.0f, 1.8f, 0f};
        assertEquals(1, s.sample(l));
        assertEquals(1.5f, l[0], 0f);
    }
}
