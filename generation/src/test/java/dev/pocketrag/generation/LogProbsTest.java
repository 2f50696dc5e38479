package dev.pocketrag.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The per-position arithmetic on hand-computed cases and seeded random logits (seed printed; rerun
 * with {@code -Dtests.seed=N}): the compact base codes against the exact log-softmax, and the
 * statistics helpers against values worked out by hand from llama.cpp's formulas.
 */
class LogProbsTest {
    static final long SEED = Long.getLong("tests.seed", System.nanoTime());

    @Test
    void nll_of_two_equal_logits_is_ln_2() {
        float[] l = {3f, 3f, -1000f};
        assertEquals(Math.log(2), LogProbs.nll(l, 0, 3, 1), 1e-12);
        // with an offset: [x, 0, ln 3] -> p(2) = 3 / (1 + 3) = 0.75
        float[] m = {99f, 0f, (float) Math.log(3)};
        assertEquals(-Math.log(0.75), LogProbs.nll(m, 1, 2, 1), 1e-7);
        assertThrows(NonFiniteLogitsException.class, () -> LogProbs.nll(new float[] {1f, Float.NaN}, 0, 2, 0));
    }

    @Test
    void codes_hold_log_probabilities_within_half_a_step_and_floor_the_rest() {
        System.out.println("LogProbsTest seed=" + SEED);
        SplittableRandom rnd = new SplittableRandom(SEED);
        int n = 1000;
        float[] l = new float[n];
        for (int i = 0; i < n; i++) {
            l[i] = (float) (rnd.nextGaussian() * 6);
        }
        short[] codes = new short[n];
        float[] head = LogProbs.encode(l, 0, n, codes);
        double[] exact = ReferenceKlDivergenceTest.logSoftmax(l);
        double top = Double.NEGATIVE_INFINITY;
        for (double v : exact) {
            top = Math.max(top, v);
        }
        float scale = head[0];
        assertTrue(scale > 0 && scale <= 16f / 65535 * 1.0001, "scale " + scale);
        int floored = 0;
        for (int i = 0; i < n; i++) {
            double decoded = scale * (codes[i] & 0xFFFF) + head[1];
            if (exact[i] > top - 16 + 1e-3) {
                assertEquals(exact[i], decoded, scale / 2 + 1e-5, "token " + i);
            } else if (exact[i] < top - 16 - 1e-3) {
                assertEquals(0, codes[i], "token " + i + " is below the floor");
                assertTrue(decoded <= -16 && decoded >= exact[i], "token " + i);
                floored++;
            }
        }
        assertTrue(floored > 0, "the random logits span more than 16 nats, so some are floored");
    }

    @Test
    void statistics_follow_llama_cpp_s_formulas() {
        float[] sorted = {1, 2, 3, 4, 5};
        assertEquals(4.6, LogProbs.percentile(sorted, 5, 0.9), 1e-12); // p = 0.9 * 4 = 3.6: 0.4 * 4 + 0.6 * 5
        assertEquals(1, LogProbs.percentile(sorted, 5, 0), 0);
        assertEquals(5, LogProbs.percentile(sorted, 5, 1), 0);
        assertEquals(3, LogProbs.median(sorted, 5), 0);
        assertEquals(2.5, LogProbs.median(sorted, 4), 0);
        // 11 values 0..10: mean 5, E[x^2] = 35, variance 10, error sqrt(10 / 10) = 1
        assertEquals(5, LogProbs.meanAndError(55, 385, 11)[0], 1e-12);
        assertEquals(1, LogProbs.meanAndError(55, 385, 11)[1], 1e-12);
        assertEquals(0, LogProbs.meanAndError(45, 285, 10)[1], 0, "no error below 11 values");
        // PPL error: nll 1 and 3 -> mean 2, variance 1, sqrt(1 / 1) * e^2
        assertEquals(Math.exp(2), Perplexity.pplError(4, 10, 2), 1e-9);
    }

    @Test
    void kl_divergence_of_a_shifted_distribution_matches_the_definition() {
        float[] base = {2f, 1f, 0f, -1f};
        float[] q = {0f, 1f, 2f, -1f};
        short[] codes = new short[4];
        float[] h = LogProbs.encode(base, 0, 4, codes);
        LogProbs.Kl kl = new LogProbs.Kl(1);
        double v = kl.add(q, 0, 4, 0, h[0], h[1], 0.5, codes);
        assertEquals(ReferenceKlDivergenceTest.kld(base, q), v, 1e-4);
        assertEquals(0, kl.sameTop, "the top tokens differ: 0 and 2");
        assertEquals(1, kl.count);
        assertEquals(0.5, kl.sumNllBase, 0);
    }
}
