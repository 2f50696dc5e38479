package dev.pocketrag.generation.model;

import dev.pocketrag.generation.tensor.ActivationFormat;
import dev.pocketrag.generation.tensor.Activations;
import java.util.Arrays;

/**
 * One batch of input vectors of the matrix products, encoded on demand into the formats the
 * weights ask for (Q, K and V read the same normalised input: it is quantized once per format).
 */
final class ActivationCache {
    private final Activations[] byFormat = new Activations[ActivationFormat.values().length];
    private final boolean[] valid = new boolean[byFormat.length];
    private final int maxCount;
    private final int maxLength;
    private float[] src;
    private int off;
    private int stride;
    private int count;
    private int length;

    ActivationCache(int maxCount, int maxLength) {
        this.maxCount = maxCount;
        this.maxLength = maxLength;
    }

    /** Declares the source vectors: {@code count} of {@code length} values, vector t at {@code off + t * stride}. */
    void reset(float[] src, int off, int stride, int count, int length) {
        this.src = src;
        this.off = off;
        this.stride = stride;
        this.count = count;
        this.length = length;
        Arrays.fill(valid, false);
    }

    Activations get(ActivationFormat f) {
        int i = f.ordinal();
        if (!valid[i]) {
            if (byFormat[i] == null) {
                byFormat[i] = new Activations(maxCount, maxLength);
            }
            byFormat[i].encode(f, src, off, stride, count, length);
            valid[i] = true;
        }
        return byFormat[i];
    }
}
