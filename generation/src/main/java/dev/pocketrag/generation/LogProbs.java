package dev.pocketrag.generation;

import java.util.Arrays;

/**
 * The arithmetic of one scored position, as llama.cpp's {@code llama-perplexity} does it: the negative
 * log-likelihood of the next token, the compact form of a base model's log-probabilities, and the
 * KL divergence of a model's distribution from such a base, accumulated over positions by
 * {@link Kl}. Logits are natural-log units; {@code exp} of a float difference is rounded to float and
 * summed in double, as the C code does with {@code expf}.
 */
final class LogProbs {
    /** Log-probabilities more than this below the top one are stored as the floor and left out of the KLD. */
    static final float RANGE = 16f;
    /** Levels of the 16-bit code: {@code log p = scale * code + floor}. */
    static final int LEVELS = 65535;

    private LogProbs() {}

    /** Largest of {@code l[off .. off+n)}. */
    static float max(float[] l, int off, int n) {
        float m = l[off];
        for (int i = 1; i < n; i++) {
            if (l[off + i] > m) {
                m = l[off + i];
            }
        }
        return m;
    }

    /** Index (0-based, the first of equal ones) of the largest of {@code l[off .. off+n)}. */
    static int argmax(float[] l, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (l[off + i] > l[off + best]) {
                best = i;
            }
        }
        return best;
    }

    /** {@code sum_i expf(l_i - max)} in double. */
    static double sumExp(float[] l, int off, int n, float max) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += (float) Math.exp(l[off + i] - max);
        }
        return s;
    }

    /**
     * {@code -log softmax(l)[tok]}: the negative log-likelihood of token {@code tok} given the logits
     * {@code l[off .. off+n)}.
     *
     * @throws NonFiniteLogitsException if the logits hold NaN or infinite values
     */
    static double nll(float[] l, int off, int n, int tok) {
        float max = max(l, off, n);
        double v = Math.log(sumExp(l, off, n, max)) - (double) (l[off + tok] - max);
        if (!Double.isFinite(v)) {
            throw new NonFiniteLogitsException("logits of " + n + " values hold NaN or infinite values");
        }
        return v;
    }

    /**
     * Writes the compact log-probabilities of {@code l[off .. off+n)} to {@code codes[0..n)}: with
     * {@code floor = max(min l, max l - RANGE)}, the log-probability of token i is
     * {@code scale * codes[i] + minLogProb} where {@code scale = (max - floor) / 65535} and
     * {@code minLogProb = floor - max - logsumexp}; tokens at or below the floor get code 0. Returns
     * {@code {scale, minLogProb}}; the rounding error of a log-probability is at most {@code scale / 2}
     * (1.2e-4 when the range is the full 16).
     *
     * @throws NonFiniteLogitsException if the logits hold NaN or infinite values
     */
    static float[] encode(float[] l, int off, int n, short[] codes) {
        float max = l[off];
        float min = l[off];
        for (int i = 1; i < n; i++) {
            max = Math.max(max, l[off + i]);
            min = Math.min(min, l[off + i]);
        }
        if (!Float.isFinite(max) || !Float.isFinite(min)) {
            throw new NonFiniteLogitsException("logits of " + n + " values hold NaN or infinite values");
        }
        float floor = Math.max(min, max - RANGE);
        float lse = (float) Math.log(sumExp(l, off, n, max));
        float minLogProb = floor - max - lse;
        float scale = (max - floor) / LEVELS;
        if (scale == 0) {
            Arrays.fill(codes, 0, n, (short) 0);
        } else {
            float inv = 1 / scale;
            for (int i = 0; i < n; i++) {
                float v = l[off + i];
                codes[i] = v > floor ? (short) Math.min(LEVELS, Math.round(inv * (v - floor))) : 0;
            }
        }
        return new float[] {scale, minLogProb};
    }

    /**
     * Sums over scored positions of what llama.cpp's {@code --kl-divergence} reports: the model's and
     * the base's negative log-likelihoods (and their squares and product), the KL divergence
     * {@code sum_i p_base(i) (log p_base(i) - log p(i))} (terms with {@code log p_base <= -16} left
     * out), the difference {@code p - p_base} of the next token's probability, and how often both put
     * the same token on top. Each position's KLD and delta-p are kept for the percentiles.
     */
    static final class Kl {
        double sumNll;
        double sumNll2;
        double sumNllBase;
        double sumNllBase2;
        double sumNllNllBase;
        double sumKld;
        double sumKld2;
        double sumPDiff;
        double sumPDiff2;
        double sumPDiff4;
        double maxPDiff;
        long sameTop;
        int count;
        float[] klds;
        float[] pDiffs;

        /** @param capacity positions that will be added (grows if more are) */
        Kl(int capacity) {
            klds = new float[Math.max(1, capacity)];
            pDiffs = new float[Math.max(1, capacity)];
        }

        /**
         * Adds one position: the model's logits {@code l[off .. off+n)}, the next token {@code tok}, and
         * the base's compact row ({@code scale}, {@code minLogProb}, {@code codes[0..n)}) and exact
         * {@code nllBase} of the next token (llama.cpp takes it from the codes, floored at 16 nats).
         * Returns the position's KL divergence.
         *
         * @throws NonFiniteLogitsException if the logits hold NaN or infinite values
         */
        double add(float[] l, int off, int n, int tok, float scale, float minLogProb, double nllBase, short[] codes) {
            float max = max(l, off, n);
            int top = argmax(l, off, n);
            double lse = Math.log(sumExp(l, off, n, max));
            double logZ = max + lse; // log p(i) = l_i - logZ
            double nll = logZ - l[off + tok];
            if (!Double.isFinite(nll)) {
                throw new NonFiniteLogitsException("logits of " + n + " values hold NaN or infinite values");
            }
            sumNll += nll;
            sumNll2 += nll * nll;
            sumNllBase += nllBase;
            sumNllBase2 += nllBase * nllBase;
            sumNllNllBase += nll * nllBase;
            double kld = 0;
            int topBase = 0;
            int topCode = -1;
            for (int i = 0; i < n; i++) {
                int c = codes[i] & 0xFFFF;
                if (c > topCode) {
                    topCode = c;
                    topBase = i;
                }
                float lb = scale * c + minLogProb;
                if (lb > -RANGE) {
                    kld += (float) Math.exp(lb) * (lb - (l[off + i] - logZ));
                }
            }
            sumKld += kld;
            sumKld2 += kld * kld;
            if (top == topBase) {
                sameTop++;
            }
            double pDiff = Math.exp(-nll) - Math.exp(-nllBase);
            sumPDiff += pDiff;
            sumPDiff2 += pDiff * pDiff;
            sumPDiff4 += pDiff * pDiff * pDiff * pDiff;
            maxPDiff = Math.max(maxPDiff, Math.abs(pDiff));
            if (count == klds.length) {
                klds = Arrays.copyOf(klds, 2 * count);
                pDiffs = Arrays.copyOf(pDiffs, 2 * count);
            }
            klds[count] = (float) kld;
            pDiffs[count] = (float) pDiff;
            count++;
            return kld;
        }
    }

    /** {mean, its standard error} of values with this sum and sum of squares (error 0 for 10 or fewer), as llama.cpp. */
    static double[] meanAndError(double sum, double sum2, long count) {
        if (count < 1) {
            return new double[] {0, 0};
        }
        double f = sum / count;
        double df = sum2 / count - f * f;
        df = df > 0 && count > 10 ? Math.sqrt(df / (count - 1)) : 0;
        return new double[] {f, df};
    }

    /** The covariance of the means of two series (0 below 10 values), as llama.cpp. */
    static double covariance(double sumA, double sumB, double sumAB, long count) {
        if (count < 10) {
            return 0;
        }
        double v = sumAB / count - (sumA / count) * (sumB / count);
        return v / (count - 1);
    }

    /** The value at {@code fraction} of sorted values, interpolated between neighbours, as llama.cpp. */
    static double percentile(float[] sorted, int n, double fraction) {
        if (fraction <= 0) {
            return sorted[0];
        }
        if (fraction >= 1) {
            return sorted[n - 1];
        }
        double p = fraction * (n - 1);
        int ip = (int) p;
        p -= ip;
        return (1 - p) * sorted[ip] + p * sorted[Math.min(ip + 1, n - 1)];
    }

    /** The median of sorted values (the mean of the middle two for an even count). */
    static double median(float[] sorted, int n) {
        return n % 2 == 0 ? 0.5 * (sorted[n / 2] + sorted[n / 2 - 1]) : sorted[n / 2];
    }
}
