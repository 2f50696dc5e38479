package dev.pocketrag.generation.tensor;

import dev.pocketrag.generation.gguf.GgmlType;
import dev.pocketrag.generation.gguf.UnsupportedTensorTypeException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Matrix products of quantized weights with a batch of encoded activations: the scalar kernels.
 *
 * <p>{@link #multiply} computes {@code out[t][r] = W[r] . x[t]} for a range of rows {@code r} and
 * every vector {@code t} of the batch. Each weight row is read from the mapped file once per call
 * and unpacked once into int8 quants plus block scales (in a per-thread {@link Scratch}); the dot
 * products with every vector of the batch then run over those quants. So a prompt batch of B
 * tokens streams the weights once, not B times, and the type dispatch happens once per call, never
 * per element. Vectorised kernels (Vector API) are to keep these as their scalar twins.
 *
 * <p>Numerics follow ggml-cpu: activations encoded as {@link ActivationFormat} says, exact integer
 * sums within a block (or sub-block, for K-quants), then {@code (d_w * d_x) * sum} in float.
 * Only the order of the float additions differs from ggml's SIMD code.
 *
 * <p>Row layout after unpacking ({@code q[i]} is the integer the block format stores for value i):
 * <ul>
 * <li>32-blocks against Q8_0 (Q4_0, Q5_0, Q8_0, IQ4_NL): value = {@code d[b] * q[i]} with q signed
 *     (Q4_0: nibble - 8; Q5_0: 5 bits - 16; IQ4_NL: the non-linear table value);</li>
 * <li>32-blocks against Q8_1 (Q4_1, Q5_1): value = {@code d[b] * q[i] + m[b]}, q unsigned;</li>
 * <li>256-blocks against Q8_K: value = {@code d[sb] * sc[j] * q[i] - dmin[sb] * mn[j]} with j the
 *     sub-block of 32 (Q4_K, Q5_K, IQ4_XS) or 16 (Q2_K, Q3_K, Q6_K) values;</li>
 * <li>F32, F16, BF16: the values as float.</li>
 * </ul>
 */
public final class MatMul {
    private MatMul() {}

    /** Per-thread buffers for unpacking one weight row. */
    public static final class Scratch {
        final int maxCols;
        final byte[] row;
        final byte[] q;
        final float[] d;
        final float[] m;
        final int[] sc;
        final int[] mn;
        final float[] wf;
        final int[] sm = new int[2];
        /** Vector kernels: a decoded row's integer levels as floats, [maxCols]. */
        final float[] qf;
        /** Vector kernels: one K-quant super-block's packed scales. */
        final byte[] kb = new byte[16];
        /** {@link VectorGemm}: six decoded rows, [6 * maxCols]. */
        final float[] w6;
        /** {@link VectorGemm}: the six rows' per-(super-)block scales and mins, and sub-block mins. */
        final float[] d6;
        final float[] m6;
        final int[] mn6;
        /** {@link VectorGemm}: one micro-kernel tile of accumulators, [6 * 4 * 16]. */
        final float[] tile = new float[6 * 4 * 16];
        /** {@link VectorGemm}: the six rows' running sums over a batch, grown to [6 * padded batch]. */
        private float[] sums = new float[0];

        float[] gemmSums(int size) {
            if (sums.length < size) {
                sums = new float[size];
            }
            return sums;
        }

        /** Buffers for rows of up to {@code maxCols} values of any type. */
        public Scratch(int maxCols) {
            if (maxCols < 1) {
                throw new IllegalArgumentException("maxCols must be >= 1; maxCols=" + maxCols);
            }
            this.maxCols = maxCols;
            this.row = new byte[maxCols * 4];
            this.q = new byte[maxCols];
            this.d = new float[maxCols / 16 + 1];
            this.m = new float[maxCols / 16 + 1];
            this.sc = new int[maxCols / 16 + 1];
            this.mn = new int[maxCols / 16 + 1];
            this.wf = new float[maxCols];
            this.qf = new float[maxCols];
            this.w6 = new float[6 * maxCols];
            this.d6 = new float[6 * (maxCols / 32 + 1)];
            this.m6 = new float[6 * (maxCols / 32 + 1)];
            this.mn6 = new int[6 * (maxCols / 16 + 1)];
        }
    }

    /**
     * {@code out[outOff + t * outStride + r] = W[r] . x[t]} for {@code r} in {@code [rowFrom, rowTo)}
     * and {@code t} in {@code [0, x.count())}.
     *
     * @throws IllegalArgumentException if {@code x} is not encoded for {@code w} or has the wrong length
     */
    public static void multiply(WeightMatrix w, Activations x, int rowFrom, int rowTo, float[] out, int outOff,
                                int outStride, Scratch s) {
        if (x.format() != w.activationFormat() || x.length() != w.cols()) {
            throw new IllegalArgumentException("activations " + x.format() + " x " + x.length() + " do not fit " + w
                    + " (needs " + w.activationFormat() + " x " + w.cols() + ")");
        }
        if (rowFrom < 0 || rowTo > w.rows() || rowFrom > rowTo) {
            throw new IndexOutOfBoundsException("rows [" + rowFrom + ", " + rowTo + ") of " + w);
        }
        if (w.cols() > s.maxCols) {
            throw new IllegalArgumentException("scratch for " + s.maxCols + " columns is too small for " + w);
        }
        if (Simd.enabled()) {
            VectorMatMul.multiply(w, x, rowFrom, rowTo, out, outOff, outStride, s);
        } else {
            multiplyScalar(w, x, rowFrom, rowTo, out, outOff, outStride, s);
        }
    }

    /** The scalar twin of {@link VectorMatMul#multiply} (arguments checked by the caller). */
    static void multiplyScalar(WeightMatrix w, Activations x, int rowFrom, int rowTo, float[] out, int outOff,
                               int outStride, Scratch s) {
        int n = w.cols();
        int count = x.count();
        switch (w.type()) {
            case F32, F16, BF16 -> {
                for (int r = rowFrom; r < rowTo; r++) {
                    unpackFloat(w, r, s.wf, 0, s);
                    for (int t = 0; t < count; t++) {
                        out[outOff + t * outStride + r] = dotF32(s.wf, x.f, t * n, n);
                    }
                }
            }
            case Q4_0, Q5_0, Q8_0, IQ4_NL -> {
                for (int r = rowFrom; r < rowTo; r++) {
                    unpack32(w, r, s);
                    for (int t = 0; t < count; t++) {
                        out[outOff + t * outStride + r] = dotQ8_0(s.q, s.d, x, t, n);
                    }
                }
            }
            case Q4_1, Q5_1 -> {
                for (int r = rowFrom; r < rowTo; r++) {
                    unpack32(w, r, s);
                    for (int t = 0; t < count; t++) {
                        out[outOff + t * outStride + r] = dotQ8_1(s.q, s.d, s.m, x, t, n);
                    }
                }
            }
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS -> {
                int sub = subBlock(w.type());
                boolean mins = hasMins(w.type());
                for (int r = rowFrom; r < rowTo; r++) {
                    unpackK(w, r, s);
                    for (int t = 0; t < count; t++) {
                        out[outOff + t * outStride + r] = dotQ8_K(s.q, s.sc, s.mn, s.d, s.m, sub, mins, x, t, n);
                    }
                }
            }
            default -> throw new UnsupportedTensorTypeException(w.type(), w.name(), "multiply");
        }
    }

    /**
     * Rows per chunk when {@code rows} rows are shared among {@code threads} threads claiming chunks:
     * about 1/16 of a thread's share, a multiple of the 6 rows the batch kernel
     * ({@code VectorGemm}) decodes at a time, so that no chunk but a matrix's last has a partial block.
     */
    public static int rowGrain(int rows, int threads) {
        int block = 6;
        return Math.max(block, (rows / (threads * 16) + block - 1) / block * block);
    }

    /**
     * Row {@code row} of {@code w} as floats, bit-identical to {@link Tensors#dequantize} (used for
     * embedding lookups).
     */
    public static void decodeRow(WeightMatrix w, int row, float[] dst, int dstOff, Scratch s) {
        if (row < 0 || row >= w.rows()) {
            throw new IndexOutOfBoundsException("row " + row + " of " + w);
        }
        int n = w.cols();
        switch (w.type()) {
            case F32, F16, BF16 -> unpackFloat(w, row, dst, dstOff, s);
            case Q4_0, Q5_0, Q8_0, IQ4_NL -> {
                unpack32(w, row, s);
                for (int i = 0; i < n; i++) {
                    dst[dstOff + i] = s.q[i] * s.d[i >> 5];
                }
            }
            case Q4_1, Q5_1 -> {
                unpack32(w, row, s);
                for (int i = 0; i < n; i++) {
                    dst[dstOff + i] = s.q[i] * s.d[i >> 5] + s.m[i >> 5];
                }
            }
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS -> {
                unpackK(w, row, s);
                int sub = subBlock(w.type());
                boolean mins = hasMins(w.type());
                for (int i = 0; i < n; i++) {
                    int sb = i >> 8;
                    int j = i / sub;
                    float dl = s.d[sb] * s.sc[j];
                    dst[dstOff + i] = mins ? dl * s.q[i] - s.m[sb] * s.mn[j] : dl * s.q[i];
                }
            }
            default -> throw new UnsupportedTensorTypeException(w.type(), w.name(), "decode");
        }
    }

    // ---------------------------------------------------------------------------------------- dots

    /** Sum of {@code w[i] * x[xo + i]}. */
    static float dotF32(float[] w, float[] x, int xo, int n) {
        float sum = 0;
        for (int i = 0; i < n; i++) {
            sum += w[i] * x[xo + i];
        }
        return sum;
    }

    static float dotQ8_0(byte[] q, float[] d, Activations x, int t, int n) {
        byte[] xq = x.q;
        float[] xd = x.d;
        int xo = t * n;
        int xb = xo >> 5;
        float sum = 0;
        for (int b = 0; b < n >> 5; b++) {
            int isum = 0;
            int o = b << 5;
            for (int j = 0; j < 32; j++) {
                isum += q[o + j] * xq[xo + o + j];
            }
            sum += (d[b] * xd[xb + b]) * isum;
        }
        return sum;
    }

    static float dotQ8_1(byte[] q, float[] d, float[] m, Activations x, int t, int n) {
        byte[] xq = x.q;
        float[] xd = x.d;
        float[] xs = x.s;
        int xo = t * n;
        int xb = xo >> 5;
        float sum = 0;
        float summs = 0;
        for (int b = 0; b < n >> 5; b++) {
            int isum = 0;
            int o = b << 5;
            for (int j = 0; j < 32; j++) {
                isum += q[o + j] * xq[xo + o + j];
            }
            sum += (d[b] * xd[xb + b]) * isum;
            summs += m[b] * xs[xb + b];
        }
        return sum + summs;
    }

    static float dotQ8_K(byte[] q, int[] sc, int[] mn, float[] d, float[] dmin, int sub, boolean mins,
                         Activations x, int t, int n) {
        byte[] xq = x.q;
        int xo = t * n;
        int perSuper = 256 / sub;
        float sum = 0;
        for (int sb = 0; sb < n >> 8; sb++) {
            int isum = 0;
            int base = sb << 8;
            for (int j = 0; j < perSuper; j++) {
                int ss = 0;
                int o = base + j * sub;
                for (int l = 0; l < sub; l++) {
                    ss += q[o + l] * xq[xo + o + l];
                }
                isum += sc[sb * perSuper + j] * ss;
            }
            sum = superBlock(sum, isum, d, dmin, mn, sb, sub, mins, x, t, n >> 8);
        }
        return sum;
    }

    /**
     * Adds super-block {@code sb} of a K-quant row to the running sum, for vector {@code t} of
     * {@code x} ({@code nsb} super-blocks per vector): {@code sum += (d_x * d) * isum}, then (with
     * mins) {@code sum -= (d_x * dmin) * sum_j mn[j] * bsums[j]} over the activations' 16-sums (paired
     * for 32-value sub-blocks). {@code isum} is the super-block's integer sum {@code sum_j sc[j] *
     * sum(q * x)}; the vector kernels pass it as an exact float.
     */
    static float superBlock(float sum, float isum, float[] d, float[] dmin, int[] mn, int sb, int sub,
                            boolean mins, Activations x, int t, int nsb) {
        float dx = x.d[t * nsb + sb];
        sum += (dx * d[sb]) * isum;
        if (mins) {
            int[] bs = x.bsums;
            int b16 = (t * nsb + sb) * 16;
            int msum = 0;
            if (sub == 32) {
                for (int j = 0; j < 8; j++) {
                    msum += mn[sb * 8 + j] * (bs[b16 + 2 * j] + bs[b16 + 2 * j + 1]);
                }
            } else {
                for (int j = 0; j < 16; j++) {
                    msum += mn[sb * 16 + j] * bs[b16 + j];
                }
            }
            sum -= (dx * dmin[sb]) * msum;
        }
        return sum;
    }

    // ---------------------------------------------------------------------------------------- unpacking

    static int subBlock(GgmlType t) {
        return switch (t) {
            case Q4_K, Q5_K, IQ4_XS -> 32;
            default -> 16;
        };
    }

    static boolean hasMins(GgmlType t) {
        return t == GgmlType.Q2_K || t == GgmlType.Q4_K || t == GgmlType.Q5_K;
    }

    /** Copies row {@code r}'s bytes into {@code s.row}. */
    static byte[] loadRow(WeightMatrix w, int r, Scratch s) {
        long rb = w.rowBytes();
        MemorySegment.copy(w.data(), ValueLayout.JAVA_BYTE, r * rb, s.row, 0, (int) rb);
        return s.row;
    }

    static void unpackFloat(WeightMatrix w, int r, float[] dst, int off, Scratch s) {
        int n = w.cols();
        byte[] b = loadRow(w, r, s);
        switch (w.type()) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    dst[off + i] = Float.intBitsToFloat(Bytes.u32(b, 4 * i));
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst[off + i] = Half.f16ToF32((short) Bytes.u16(b, 2 * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst[off + i] = Half.bf16ToF32((short) Bytes.u16(b, 2 * i));
                }
            }
            default -> throw new IllegalStateException(w.type().name());
        }
    }

    /** Unpacks a row of a 32-block type into {@code s.q} (int8 per value), {@code s.d}, {@code s.m}. */
    static void unpack32(WeightMatrix w, int r, Scratch s) {
        int nb = w.cols() >> 5;
        byte[] b = loadRow(w, r, s);
        byte[] q = s.q;
        float[] d = s.d;
        switch (w.type()) {
            case Q4_0 -> {
                for (int i = 0; i < nb; i++) {
                    int o = BlockQ4_0.BYTES * i;
                    d[i] = Bytes.f16(b, o);
                    int y = 32 * i;
                    for (int j = 0; j < 16; j++) {
                        int v = b[o + BlockQ4_0.QS + j] & 0xFF;
                        q[y + j] = (byte) ((v & 0xF) - 8);
                        q[y + j + 16] = (byte) ((v >> 4) - 8);
                    }
                }
            }
            case Q5_0 -> {
                for (int i = 0; i < nb; i++) {
                    int o = BlockQ5_0.BYTES * i;
                    d[i] = Bytes.f16(b, o);
                    int qh = Bytes.u32(b, o + BlockQ5_0.QH);
                    int y = 32 * i;
                    for (int j = 0; j < 16; j++) {
                        int v = b[o + BlockQ5_0.QS + j] & 0xFF;
                        int h0 = ((qh >>> j) << 4) & 0x10;
                        int h1 = (qh >>> (j + 12)) & 0x10;
                        q[y + j] = (byte) (((v & 0xF) | h0) - 16);
                        q[y + j + 16] = (byte) (((v >> 4) | h1) - 16);
                    }
                }
            }
            case Q8_0 -> {
                for (int i = 0; i < nb; i++) {
                    int o = BlockQ8_0.BYTES * i;
                    d[i] = Bytes.f16(b, o);
                    System.arraycopy(b, o + BlockQ8_0.QS, q, 32 * i, 32);
                }
            }
            case IQ4_NL -> {
                int[] kv = BlockIQ4_NL.KVALUES;
                for (int i = 0; i < nb; i++) {
                    int o = BlockIQ4_NL.BYTES * i;
                    d[i] = Bytes.f16(b, o);
                    int y = 32 * i;
                    for (int j = 0; j < 16; j++) {
                        int v = b[o + BlockIQ4_NL.QS + j] & 0xFF;
                        q[y + j] = (byte) kv[v & 0xF];
                        q[y + j + 16] = (byte) kv[v >> 4];
                    }
                }
            }
            case Q4_1 -> {
                for (int i = 0; i < nb; i++) {
                    int o = BlockQ4_1.BYTES * i;
                    d[i] = Bytes.f16(b, o);
                    s.m[i] = Bytes.f16(b, o + BlockQ4_1.M);
                    int y = 32 * i;
                    for (int j = 0; j < 16; j++) {
                        int v = b[o + BlockQ4_1.QS + j] & 0xFF;
                        q[y + j] = (byte) (v & 0xF);
                        q[y + j + 16] = (byte) (v >> 4);
                    }
                }
            }
            case Q5_1 -> {
                for (int i = 0; i < nb; i++) {
                    int o = BlockQ5_1.BYTES * i;
                    d[i] = Bytes.f16(b, o);
                    s.m[i] = Bytes.f16(b, o + BlockQ5_1.M);
                    int qh = Bytes.u32(b, o + BlockQ5_1.QH);
                    int y = 32 * i;
                    for (int j = 0; j < 16; j++) {
                        int v = b[o + BlockQ5_1.QS + j] & 0xFF;
                        int h0 = ((qh >>> j) << 4) & 0x10;
                        int h1 = (qh >>> (j + 12)) & 0x10;
                        q[y + j] = (byte) ((v & 0xF) | h0);
                        q[y + j + 16] = (byte) ((v >> 4) | h1);
                    }
                }
            }
            default -> throw new IllegalStateException(w.type().name());
        }
    }

    /**
     * Unpacks a row of a K-quant (or IQ4_XS) into {@code s.q}, sub-block scales {@code s.sc} and mins
     * {@code s.mn}, super-block scales {@code s.d} and {@code s.m} (dmin).
     */
    static void unpackK(WeightMatrix w, int r, Scratch s) {
        int nsb = w.cols() >> 8;
        byte[] b = loadRow(w, r, s);
        byte[] q = s.q;
        int[] sm = s.sm;
        switch (w.type()) {
            case Q4_K -> {
                for (int i = 0; i < nsb; i++) {
                    int o = BlockQ4_K.BYTES * i;
                    s.d[i] = Bytes.f16(b, o);
                    s.m[i] = Bytes.f16(b, o + BlockQ4_K.DMIN);
                    for (int j = 0; j < 8; j++) {
                        KQuants.scaleMinK4(j, b, o + BlockQ4_K.SCALES, sm);
                        s.sc[8 * i + j] = sm[0];
                        s.mn[8 * i + j] = sm[1];
                    }
                    int y = 256 * i;
                    for (int c = 0; c < 4; c++) {
                        int qs = o + BlockQ4_K.QS + 32 * c;
                        for (int l = 0; l < 32; l++) {
                            int v = b[qs + l] & 0xFF;
                            q[y + 64 * c + l] = (byte) (v & 0xF);
                            q[y + 64 * c + 32 + l] = (byte) (v >> 4);
                        }
                    }
                }
            }
            case Q5_K -> {
                for (int i = 0; i < nsb; i++) {
                    int o = BlockQ5_K.BYTES * i;
                    s.d[i] = Bytes.f16(b, o);
                    s.m[i] = Bytes.f16(b, o + BlockQ5_K.DMIN);
                    for (int j = 0; j < 8; j++) {
                        KQuants.scaleMinK4(j, b, o + BlockQ5_K.SCALES, sm);
                        s.sc[8 * i + j] = sm[0];
                        s.mn[8 * i + j] = sm[1];
                    }
                    int y = 256 * i;
                    for (int c = 0; c < 4; c++) {
                        int qs = o + BlockQ5_K.QS + 32 * c;
                        int u1 = 1 << (2 * c);
                        int u2 = 2 << (2 * c);
                        for (int l = 0; l < 32; l++) {
                            int v = b[qs + l] & 0xFF;
                            int h = b[o + BlockQ5_K.QH + l];
                            q[y + 64 * c + l] = (byte) ((v & 0xF) + ((h & u1) != 0 ? 16 : 0));
                            q[y + 64 * c + 32 + l] = (byte) ((v >> 4) + ((h & u2) != 0 ? 16 : 0));
                        }
                    }
                }
            }
            case Q6_K -> {
                for (int i = 0; i < nsb; i++) {
                    int o = BlockQ6_K.BYTES * i;
                    s.d[i] = Bytes.f16(b, o + BlockQ6_K.D);
                    s.m[i] = 0;
                    for (int j = 0; j < 16; j++) {
                        s.sc[16 * i + j] = b[o + BlockQ6_K.SCALES + j];
                        s.mn[16 * i + j] = 0;
                    }
                    for (int h = 0; h < 2; h++) {
                        int ql = o + 64 * h;
                        int qh = o + BlockQ6_K.QH + 32 * h;
                        int y = 256 * i + 128 * h;
                        for (int l = 0; l < 32; l++) {
                            int hb = b[qh + l] & 0xFF;
                            int lo = b[ql + l] & 0xFF;
                            int lo2 = b[ql + l + 32] & 0xFF;
                            q[y + l] = (byte) (((lo & 0xF) | ((hb & 3) << 4)) - 32);
                            q[y + l + 32] = (byte) (((lo2 & 0xF) | (((hb >> 2) & 3) << 4)) - 32);
                            q[y + l + 64] = (byte) (((lo >> 4) | (((hb >> 4) & 3) << 4)) - 32);
                            q[y + l + 96] = (byte) (((lo2 >> 4) | (((hb >> 6) & 3) << 4)) - 32);
                        }
                    }
                }
            }
            case Q3_K -> {
                for (int i = 0; i < nsb; i++) {
                    int o = BlockQ3_K.BYTES * i;
                    s.d[i] = Bytes.f16(b, o + BlockQ3_K.D);
                    s.m[i] = 0;
                    for (int j = 0; j < 16; j++) {
                        int lo = j < 8 ? b[o + BlockQ3_K.SCALES + j] & 0xF : (b[o + BlockQ3_K.SCALES + j - 8] & 0xFF) >> 4;
                        int hi = ((b[o + BlockQ3_K.SCALES + 8 + j % 4] & 0xFF) >> (2 * (j / 4))) & 3;
                        s.sc[16 * i + j] = (lo | hi << 4) - 32;
                        s.mn[16 * i + j] = 0;
                    }
                    int y = 256 * i;
                    int m = 1;
                    for (int h = 0; h < 2; h++) {
                        int qs = o + BlockQ3_K.QS + 32 * h;
                        for (int shift = 0; shift < 8; shift += 2) {
                            for (int l = 0; l < 16; l++) {
                                q[y++] = (byte) ((((b[qs + l] & 0xFF) >> shift) & 3) - ((b[o + l] & m) != 0 ? 0 : 4));
                            }
                            for (int l = 0; l < 16; l++) {
                                q[y++] = (byte) ((((b[qs + l + 16] & 0xFF) >> shift) & 3)
                                        - ((b[o + l + 16] & m) != 0 ? 0 : 4));
                            }
                            m <<= 1;
                        }
                    }
                }
            }
            case Q2_K -> {
                for (int i = 0; i < nsb; i++) {
                    int o = BlockQ2_K.BYTES * i;
                    s.d[i] = Bytes.f16(b, o + BlockQ2_K.D);
                    s.m[i] = Bytes.f16(b, o + BlockQ2_K.DMIN);
                    for (int j = 0; j < 16; j++) {
                        int v = b[o + j] & 0xFF;
                        s.sc[16 * i + j] = v & 0xF;
                        s.mn[16 * i + j] = v >> 4;
                    }
                    int y = 256 * i;
                    for (int h = 0; h < 2; h++) {
                        int qs = o + BlockQ2_K.QS + 32 * h;
                        for (int shift = 0; shift < 8; shift += 2) {
                            for (int l = 0; l < 16; l++) {
                                q[y++] = (byte) (((b[qs + l] & 0xFF) >> shift) & 3);
                            }
                            for (int l = 0; l < 16; l++) {
                                q[y++] = (byte) (((b[qs + l + 16] & 0xFF) >> shift) & 3);
                            }
                        }
                    }
                }
            }
            case IQ4_XS -> {
                int[] kv = BlockIQ4_NL.KVALUES;
                for (int i = 0; i < nsb; i++) {
                    int o = BlockIQ4_XS.BYTES * i;
                    s.d[i] = Bytes.f16(b, o);
                    s.m[i] = 0;
                    int scalesH = Bytes.u16(b, o + BlockIQ4_XS.SCALES_H);
                    for (int ib = 0; ib < 8; ib++) {
                        int ls = (((b[o + BlockIQ4_XS.SCALES_L + ib / 2] & 0xFF) >> (4 * (ib % 2))) & 0xF) | (((scalesH >> (2 * ib)) & 3) << 4);
                        s.sc[8 * i + ib] = ls - 32;
                        s.mn[8 * i + ib] = 0;
                        int qs = o + BlockIQ4_XS.QS + 16 * ib;
                        int y = 256 * i + 32 * ib;
                        for (int j = 0; j < 16; j++) {
                            int v = b[qs + j] & 0xFF;
                            q[y + j] = (byte) kv[v & 0xF];
                            q[y + j + 16] = (byte) kv[v >> 4];
                        }
                    }
                }
            }
            default -> throw new IllegalStateException(w.type().name());
        }
    }
}
