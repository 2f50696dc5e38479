package dev.pocketrag.generation.model;

import dev.pocketrag.chat.GenerationParams;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from the logits, in llama.cpp's default order: repetition and presence
 * penalties, then greedy (temperature 0: the largest logit, ties to the lowest id) or
 * top-k, top-p, min-p, temperature and a draw from the remaining distribution.
 *
 * <ul>
 * <li>penalties: every token among the last {@code repeatLastN} accepted tokens (prompt included)
 *     has its logit divided by {@code repeatPenalty} if positive, multiplied if not, and
 *     {@code presencePenalty} subtracted;</li>
 * <li>top-k: keep the k largest logits (0: all);</li>
 * <li>top-p: keep the smallest prefix of the sorted candidates whose probabilities (softmax of
 *     the untempered logits of the candidates) add up to at least p;</li>
 * <li>min-p: keep candidates whose probability is at least {@code minP} times the largest,
 *     i.e. {@code logit >= max + ln(minP)};</li>
 * <li>temperature: divide the logits; then draw with the seeded generator.</li>
 * </ul>
 * The same seed, logits and accepted tokens give the same choices. Reuses its buffers: sampling
 * allocates nothing. Not thread-safe.
 */
public final class Sampler {
    private final GenerationParams p;
    private final int vocab;
    private final SplittableRandom random;
    private final int[] counts;
    private final int[] window;
    private int windowFill;
    private int windowNext;
    private final long[] keys;
    private final float[] probs;

    /**
     * @param params sampling parameters
     * @param seed   the generator seed (the caller resolves {@link GenerationParams#DEFAULT_SEED})
     * @param vocab  number of logits
     */
    public Sampler(GenerationParams params, long seed, int vocab) {
        if (vocab < 1) {
            throw new IllegalArgumentException("vocab must be >= 1; vocab=" + vocab);
        }
        this.p = params;
        this.vocab = vocab;
        this.random = new SplittableRandom(seed);
        boolean penalties = params.repeatPenalty() != 1.0f || params.presencePenalty() != 0f;
        this.counts = penalties ? new int[vocab] : null;
        this.window = penalties ? new int[Math.max(1, params.repeatLastN())] : null;
        this.keys = params.isGreedy() ? null : new long[vocab];
        this.probs = params.isGreedy() ? null : new float[vocab];
    }

    /** Records a token of the context (prompt or generated) for the penalties. */
    public void accept(int token) {
        if (counts == null || p.repeatLastN() == 0) {
            return;
        }
        if (windowFill == window.length) {
            counts[window[windowNext]]--;
        } else {
            windowFill++;
        }
        window[windowNext] = token;
        counts[token]++;
        windowNext = (windowNext + 1) % window.length;
    }

    /** The next token. May modify {@code logits[0..vocab)}. */
    public int sample(float[] logits) {
        if (counts != null) {
            applyPenalties(logits);
        }
        if (p.isGreedy()) {
            return argmax(logits, vocab);
        }
        int n = sortedCandidates(logits);
        n = topP(logits, n);
        n = minP(logits, n);
        return draw(logits, n);
    }

    private void applyPenalties(float[] logits) {
        float rp = p.repeatPenalty();
        float presence = p.presencePenalty();
        for (int i = 0; i < windowFill; i++) {
            int t = window[i];
            if (counts[t] <= 0) {
                continue;
            }
            counts[t] = -counts[t]; // mark as done for this step (restored below)
            float l = logits[t];
            l = l <= 0 ? l * rp : l / rp;
            logits[t] = l - presence;
        }
        for (int i = 0; i < windowFill; i++) {
            int t = window[i];
            if (counts[t] < 0) {
                counts[t] = -counts[t];
            }
        }
    }

    /** Index of the largest value; ties to the lowest index. */
    public static int argmax(float[] logits, int n) {
        int best = 0;
        float max = logits[0];
        for (int i = 1; i < n; i++) {
            if (logits[i] > max) {
                max = logits[i];
                best = i;
            }
        }
        return best;
    }

    /**
     * Sorts the candidates (after top-k) by logit, largest first (ties: lower id first), into
     * {@code keys} (id in the low 32 bits); returns how many there are.
     */
    private int sortedCandidates(float[] logits) {
        int k = p.topK() <= 0 || p.topK() > vocab ? vocab : p.topK();
        for (int i = 0; i < vocab; i++) {
            keys[i] = key(logits[i], i);
        }
        if (k < vocab) {
            // partial selection: keep the k smallest keys (= largest logits), then sort them
            select(keys, 0, vocab - 1, k);
        }
        Arrays.sort(keys, 0, k);
        return k;
    }

    /** A long ordering by logit descending, then id ascending. */
    private static long key(float logit, int id) {
        int bits = Float.floatToIntBits(logit);
        int sortable = bits >= 0 ? bits : bits ^ 0x7fffffff; // total order of floats as ints
        return ((long) ~sortable << 32) | (id & 0xffffffffL);
    }

    private static int id(long key) {
        return (int) key;
    }

    /** Quickselect: afterwards keys[0..k) hold the k smallest keys (in any order). */
    private static void select(long[] a, int lo, int hi, int k) {
        while (hi > lo) {
            long pivot = a[(lo + hi) >>> 1];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    long t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            if (k - 1 <= j) {
                hi = j;
            } else if (k - 1 >= i) {
                lo = i;
            } else {
                return;
            }
        }
    }

    private int topP(float[] logits, int n) {
        if (p.topP() >= 1.0f) {
            return n;
        }
        float max = logits[id(keys[0])];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(logits[id(keys[i])] - max);
            probs[i] = e;
            sum += e;
        }
        double cum = 0;
        for (int i = 0; i < n; i++) {
            cum += probs[i] / sum;
            if (cum >= p.topP()) {
                return i + 1;
            }
        }
        return n;
    }

    private int minP(float[] logits, int n) {
        if (p.minP() <= 0f) {
            return n;
        }
        float min = logits[id(keys[0])] + (float) Math.log(p.minP());
        int keep = 1;
        while (keep < n && logits[id(keys[keep])] >= min) {
            keep++;
        }
        return keep;
    }

    private int draw(float[] logits, int n) {
        float t = p.temperature();
        float max = logits[id(keys[0])] / t;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(logits[id(keys[i])] / t - max);
            probs[i] = e;
            sum += e;
        }
        double u = random.nextDouble() * sum;
        double cum = 0;
        for (int i = 0; i < n; i++) {
            cum += probs[i];
            if (u < cum) {
                return id(keys[i]);
            }
        }
        return id(keys[n - 1]);
    }
}
