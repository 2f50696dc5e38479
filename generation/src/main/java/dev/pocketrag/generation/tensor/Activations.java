package dev.pocketrag.generation.tensor;

/**
 * A batch of input vectors encoded for matrix products ({@link ActivationFormat}): {@code count}
 * vectors of {@code length} values each, vector {@code t} at {@code t * length} in the value arrays.
 * Buffers are allocated once for the largest batch and reused; encoding allocates nothing.
 * Not thread-safe to encode; safe to read from many threads once encoded.
 */
public final class Activations {
    private final int maxCount;
    private final int maxLength;
    private ActivationFormat format = ActivationFormat.F32;
    private int count;
    private int length;

    /** Float formats: the (rounded) values, [count * length]. */
    float[] f;
    /** Quantized formats: int8 quants, [count * length]. */
    byte[] q;
    /** Quantized formats: block scales, [count * length / blockSize]. */
    float[] d;
    /** Q8_1: {@code d * sum(q)} per block, as f16 (ggml's {@code s}). */
    float[] s;
    /** Q8_K: sums of each 16 quants, [count * length / 16]. */
    int[] bsums;
    /** Quantized formats, for the vector kernels: the int8 quants as floats (exact), [count * length]. */
    float[] qf;
    /** Q8_0/Q8_1, for the vector kernels: the values {@code q * d} (exact: d is an f16), [count * length]. */
    float[] xf;
    /**
     * Q8_0/Q8_1, for the fused vector kernels: each block's sum of values {@code d * sum(q)} (the
     * integer sum exact, one rounding), [count * length / 32]. Lets a kernel take a weight offset
     * (Q4_0's -8, Q5_0's -16) out of its inner loop: {@code sum((l - 8) x) = sum(l x) - 8 xs}.
     */
    float[] xs;

    /**
     * Batches of at least {@link VectorGemm#MIN_COUNT} vectors, for {@link VectorGemm}: the padded
     * count (a multiple of the float lanes; 0 when no transposed copy was made), the values the GEMM
     * multiplies ({@code xf} for Q8_0/Q8_1, {@code qf} for Q8_K) as token panels, and per format the
     * block scales ({@code dt}, Q8_K), the 16-sums ({@code bt}, Q8_K, via {@code bsf}) and the block
     * sums ({@code st}, Q8_1), laid out alike (see {@link VectorGemm#transpose}).
     */
    int cp;
    float[] xt;
    /**
     * Q8_0/Q8_K batches below {@link VectorGemm#MIN_COUNT} on 128/256-bit vectors, for
     * {@link ShortDots}: the int8 quants as shorts, [count * length]; {@code null} otherwise.
     */
    short[] qs;
    private short[] shorts;
    float[] dt;
    float[] bt;
    float[] bsf;
    float[] st;

    /**
     * @param maxCount  most vectors per batch
     * @param maxLength longest vector (any length is fine for the float formats; quantized formats need
     *                  a multiple of their block size)
     */
    public Activations(int maxCount, int maxLength) {
        if (maxCount < 1 || maxLength < 1) {
            throw new IllegalArgumentException("maxCount and maxLength must be >= 1; maxCount=" + maxCount
                    + ", maxLength=" + maxLength);
        }
        this.maxCount = maxCount;
        this.maxLength = maxLength;
    }

    int maxCount() {
        return maxCount;
    }

    int maxLength() {
        return maxLength;
    }

    public ActivationFormat format() {
        return format;
    }

    public int count() {
        return count;
    }

    public int length() {
        return length;
    }

    /**
     * Encodes {@code count} vectors of {@code length} values, vector {@code t} read from
     * {@code src[srcOff + t * srcStride ...]}.
     */
    public void encode(ActivationFormat fmt, float[] src, int srcOff, int srcStride, int count, int length) {
        encode(fmt, src, srcOff, srcStride, count, length, Simd.enabled());
    }

    /** {@link #encode} with the Q8_0/Q8_1 quantizer chosen: the vector one or its scalar twin (same bits). */
    void encode(ActivationFormat fmt, float[] src, int srcOff, int srcStride, int count, int length, boolean simd) {
        if (count < 1 || count > maxCount || length < 1 || length > maxLength) {
            throw new IllegalArgumentException("batch of " + count + " x " + length + " values does not fit "
                    + maxCount + " x " + maxLength);
        }
        if (length % fmt.blockSize() != 0) {
            throw new IllegalArgumentException("vector length " + length + " is not a multiple of the "
                    + fmt + " block size " + fmt.blockSize());
        }
        this.format = fmt;
        this.count = count;
        this.length = length;
        this.cp = 0;
        this.qs = null;
        int n = maxCount * maxLength;
        switch (fmt) {
            case F32, F16, BF16 -> {
                if (f == null) {
                    f = new float[n];
                }
                for (int t = 0; t < count; t++) {
                    int from = srcOff + t * srcStride;
                    int to = t * length;
                    if (fmt == ActivationFormat.F32) {
                        System.arraycopy(src, from, f, to, length);
                    } else if (fmt == ActivationFormat.F16) {
                        for (int i = 0; i < length; i++) {
                            f[to + i] = Half.f16ToF32(Half.f32ToF16(src[from + i]));
                        }
                    } else {
                        for (int i = 0; i < length; i++) {
                            f[to + i] = Half.bf16ToF32(Half.f32ToBf16(src[from + i]));
                        }
                    }
                }
            }
            case Q8_0, Q8_1 -> {
                ensureQuantBuffers(n, 32);
                if (fmt == ActivationFormat.Q8_1 && s == null) {
                    s = new float[n / 32 + 1];
                }
                if (xf == null) {
                    xf = new float[n];
                    xs = new float[n / 32 + 1];
                }
                boolean withSum = fmt == ActivationFormat.Q8_1;
                if (simd && VectorMatMul.L >= 8) { // (no 32-bit byte vectors: the scalar twin at 4 lanes)
                    for (int t = 0; t < count; t++) {
                        VectorMatMul.quantizeQ8(src, srcOff + t * srcStride, this, t * length, length, withSum);
                    }
                } else {
                    for (int t = 0; t < count; t++) {
                        quantizeQ8(src, srcOff + t * srcStride, t * length, length, withSum);
                    }
                    widen(count * length);
                    for (int i = 0; i < count * length; i++) {
                        xf[i] = q[i] * d[i >> 5];
                    }
                }
            }
            case Q8_K -> {
                ensureQuantBuffers(n, 256);
                if (bsums == null) {
                    bsums = new int[n / 16 + 1];
                }
                for (int t = 0; t < count; t++) {
                    quantizeQ8K(src, srcOff + t * srcStride, t * length, length);
                }
                widen(count * length);
            }
        }
        if (simd && VectorGemm.handles(fmt, count)) {
            VectorGemm.transpose(this);
        } else if (simd && ShortDots.ENABLED && fmt != ActivationFormat.Q8_1 && fmt.blockSize() > 1) {
            if (shorts == null) {
                shorts = new short[n];
            }
            for (int i = 0; i < count * length; i++) {
                shorts[i] = q[i];
            }
            qs = shorts;
        }
    }

    /** {@code qf = q} as floats for the first {@code n} values. */
    private void widen(int n) {
        for (int i = 0; i < n; i++) {
            qf[i] = q[i];
        }
    }

    private void ensureQuantBuffers(int n, int block) {
        if (q == null) {
            q = new byte[n];
            qf = new float[n];
        }
        if (d == null || d.length < n / block + 1) {
            d = new float[n / 32 + 1]; // enough for both 32- and 256-blocks
        }
    }

    /** ggml-cpu's quantize_row_q8_0 / q8_1 (AVX2 path): x * (127/amax) rounded half to even. */
    private void quantizeQ8(float[] x, int xo, int qo, int n, boolean withSum) {
        for (int b = 0; b < n / 32; b++) {
            int o = xo + 32 * b;
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(x[o + j]));
            }
            float dd = amax / 127.f;
            float id = amax != 0.0f ? 127.f / amax : 0.0f;
            int sum = 0;
            int qb = qo + 32 * b;
            for (int j = 0; j < 32; j++) {
                int v = (int) Math.rint(x[o + j] * id);
                q[qb + j] = (byte) v;
                sum += v;
            }
            int bi = qb / 32;
            d[bi] = Half.f16ToF32(Half.f32ToF16(dd));
            xs[bi] = d[bi] * sum;
            if (withSum) {
                s[bi] = Half.f16ToF32(Half.f32ToF16(dd * sum));
            }
        }
    }

    /** ggml's quantize_row_q8_K_ref. */
    private void quantizeQ8K(float[] x, int xo, int qo, int n) {
        for (int b = 0; b < n / 256; b++) {
            int o = xo + 256 * b;
            int qb = qo + 256 * b;
            float max = 0;
            float amax = 0;
            for (int j = 0; j < 256; j++) {
                float ax = Math.abs(x[o + j]);
                if (ax > amax) {
                    amax = ax;
                    max = x[o + j];
                }
            }
            int bi = qb / 256;
            if (amax == 0) {
                d[bi] = 0;
                for (int j = 0; j < 256; j++) {
                    q[qb + j] = 0;
                }
                for (int j = 0; j < 16; j++) {
                    bsums[qb / 16 + j] = 0;
                }
                continue;
            }
            float iscale = -127.f / max;
            for (int j = 0; j < 256; j++) {
                int v = Half.nearestInt(iscale * x[o + j]);
                q[qb + j] = (byte) Math.min(127, v);
            }
            for (int j = 0; j < 16; j++) {
                int sum = 0;
                for (int l = 0; l < 16; l++) {
                    sum += q[qb + 16 * j + l];
                }
                bsums[qb / 16 + j] = sum;
            }
            d[bi] = 1 / iscale;
        }
    }

    /** The value {@code i} of vector {@code t} as the dot products see it (for tests). */
    public float value(int t, int i) {
        int k = t * length + i;
        return switch (format) {
            case F32, F16, BF16 -> f[k];
            case Q8_0, Q8_1 -> q[k] * d[k / 32];
            case Q8_K -> q[k] * d[k / 256];
        };
    }
}
