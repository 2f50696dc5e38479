package dev.pocketrag.generation.tensor;

import dev.pocketrag.generation.gguf.GgmlType;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix times a batch of vectors for prompt processing: {@code out[t][r] = W[r] . x[t]} for a block
 * of rows and every vector t of a batch, as a register-blocked GEMM (loaded only when
 * {@link Simd#enabled()}; any species of 4, 8 or 16 float lanes).
 *
 * <p><b>Shape.</b> Vector lanes run along the batch (tokens), not along the rows' values: six weight
 * rows are decoded once into floats ({@link MatMul.Scratch#w6}, row-major), and the micro-kernel
 * multiplies one broadcast weight with {@link #NV} token vectors per row, so six rows x NV vectors of
 * accumulators stay in registers and every weight load feeds NV fused multiply-adds, every
 * activation load six. No horizontal sums: each lane is one (row, token) output.
 * <pre>
 * for each block of 6 rows:                       // rows [r, r+6) of this thread's share
 *   decode the 6 rows into w6 (levels x scales)   // once per batch
 *   for each k-block of 256 values:               // one K-quant super-block, or 8 blocks of 32
 *     for each tile of NV token vectors:
 *       acc[6][NV] = sum_k w6[i][k] * xt[v][k]    // the micro-kernel, 6 x NV x L lanes
 *       sums[i][t] = fold(sums[i][t], acc)        // per type, below
 *   out[t][r + i] = sums[i][t]
 * </pre>
 * NV is 2 at 8 lanes (12 accumulators + 2 activation vectors + 1 broadcast of AVX2's 16 registers)
 * and 4 at 4 and 16 lanes (24 + 4 + 1 of the 32 registers of AVX-512 and NEON). Rows past the end of
 * the share are decoded as zeros and not stored; tokens past the batch are zero lanes.
 *
 * <p><b>Activations</b> are transposed once per batch by {@link #transpose} into {@link Activations#xt}:
 * token vector v (tokens {@code v*L .. v*L+L-1}) as a panel of n rows of L lanes, value k of token
 * {@code v*L + j} at {@code (v * n + k) * L + j}. So the micro-kernel's loads have a constant stride
 * (the JIT hoists their bounds checks) and every load is a whole lane vector.
 *
 * <p><b>Numerics.</b> K-quants: the decoded weights are the integer levels times their integer
 * sub-block scales, the activations the int8 quants (exact floats): each accumulator is the exact
 * integer sum of one super-block, and the fold applies ggml's float sequence lane-wise,
 * {@code sum += (d_x * d) * isum; sum -= (d_x * dmin) * sum_j mn[j] * bsums[j]} - the operations of
 * {@link MatMul#superBlock}, so a batch gives the matrix-vector kernels' and the scalar twin's bits
 * (while no partial sum exceeds 2^24). 32-value blocks: the decoded weights are the values
 * ({@code level * d}), the activations {@code q * d_x} (both exact), summed in float per 256 values
 * and then across them; Q4_1/Q5_1 add {@code sum_b m[b] * s_x[b]}. These agree with the scalar twin
 * to float rounding. Float weight types do not come here (see {@link VectorMatMul#multiply}).
 */
final class VectorGemm {
    private VectorGemm() {}

    private static final VectorSpecies<Float> F = VectorMatMul.F;
    private static final int L = VectorMatMul.L;
    /** Token vectors per micro-kernel tile. */
    static final int NV = L == 8 ? 2 : 4;
    /** Tokens per tile. */
    private static final int TN = NV * L;
    /** Rows per micro-kernel. */
    static final int MR = 6;
    /** Values per k-block (a K-quant super-block). */
    private static final int KC = 256;

    /** Fewest vectors for which a batch takes the GEMM (fewer: one matrix-vector product each). */
    static final int MIN_COUNT = Math.max(2, L / 2);

    /** Whether a batch of {@code count} vectors in format {@code f} is multiplied here. */
    static boolean handles(ActivationFormat f, int count) {
        return count >= MIN_COUNT && (f == ActivationFormat.Q8_0 || f == ActivationFormat.Q8_1 || f == ActivationFormat.Q8_K);
    }

    /** Token lanes of a batch of {@code count}: a multiple of L. */
    static int paddedCount(int count) {
        return (count + L - 1) / L * L;
    }

    // ------------------------------------------------------------------------------ activations

    /**
     * Writes the transposed copies the GEMM reads ({@link Activations#xt}, and per format
     * {@code dt}, {@code bt}, {@code st}) for the batch just encoded in {@code a}.
     */
    static void transpose(Activations a) {
        int count = a.count();
        int n = a.length();
        int cp = paddedCount(count);
        int nv = cp / L;
        a.cp = cp;
        boolean k = a.format() == ActivationFormat.Q8_K;
        float[] src = k ? a.qf : a.xf;
        if (a.xt == null || a.xt.length < cp * n) {
            a.xt = new float[paddedCount(a.maxCount()) * a.maxLength()];
        }
        panels(src, n, count, nv, a.xt);
        if (k) {
            int nsb = n >> 8;
            if (a.dt == null || a.dt.length < cp * nsb) {
                a.dt = new float[paddedCount(a.maxCount()) * (a.maxLength() >> 8)];
                a.bt = new float[paddedCount(a.maxCount()) * (a.maxLength() >> 4)];
                a.bsf = new float[a.maxCount() * (a.maxLength() >> 4)];
            }
            panels(a.d, nsb, count, nv, a.dt);
            int nb16 = n >> 4;
            for (int i = 0; i < count * nb16; i++) {
                a.bsf[i] = a.bsums[i];
            }
            panels(a.bsf, nb16, count, nv, a.bt);
        } else if (a.format() == ActivationFormat.Q8_1) {
            int nb = n >> 5;
            if (a.st == null || a.st.length < cp * nb) {
                a.st = new float[paddedCount(a.maxCount()) * (a.maxLength() >> 5)];
            }
            panels(a.s, nb, count, nv, a.st);
        }
    }

    /** {@code dst[(v * n + k) * L + j] = src[(v * L + j) * n + k]}, zero for tokens past {@code count}. */
    private static void panels(float[] src, int n, int count, int nv, float[] dst) {
        for (int v = 0; v < nv; v++) {
            int base = v * n * L;
            for (int j = 0; j < L; j++) {
                int t = v * L + j;
                if (t < count) {
                    int so = t * n;
                    for (int k = 0; k < n; k++) {
                        dst[base + k * L + j] = src[so + k];
                    }
                } else {
                    for (int k = 0; k < n; k++) {
                        dst[base + k * L + j] = 0f;
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------ driver

    private static final int PLAIN = 0;
    private static final int MINS32 = 1;
    private static final int KQ = 2;
    private static final int KQ_MINS = 3;

    /** {@code out[outOff + t * outStride + r] = W[r] . x[t]} for rows [rowFrom, rowTo) and every vector t. */
    static void multiply(WeightMatrix w, Activations x, int rowFrom, int rowTo, float[] out, int outOff, int outStride,
                         MatMul.Scratch s) {
        int n = w.cols();
        int count = x.count();
        int cp = x.cp;
        int nv = cp / L;
        GgmlType type = w.type();
        boolean k = type.blockSize() == 256;
        int sub = k ? MatMul.subBlock(type) : 32;
        int fold = k ? (MatMul.hasMins(type) ? KQ_MINS : KQ) : (x.format() == ActivationFormat.Q8_1 ? MINS32 : PLAIN);
        int nsb = n >> 8;
        int nb = n >> 5;
        int per = k ? Math.max(nsb, 1) : nb; // scales per row kept in d6/m6
        float[] w6 = s.w6;
        float[] sums = s.gemmSums(MR * cp);
        float[] tile = s.tile;
        float[] xt = x.xt;
        for (int r = rowFrom; r < rowTo; r += MR) {
            int rows = Math.min(MR, rowTo - r);
            for (int i = 0; i < rows; i++) {
                VectorMatMul.decodeRow(w, r + i, s, w6, i * n);
                if (k) {
                    System.arraycopy(s.d, 0, s.d6, i * per, nsb);
                    System.arraycopy(s.m, 0, s.m6, i * per, nsb);
                    if (fold == KQ_MINS) {
                        int ns = n / sub;
                        for (int j = 0; j < ns; j++) {
                            s.mn6[i * (n >> 4) + j] = s.mn[j];
                        }
                    }
                } else if (fold == MINS32) {
                    System.arraycopy(s.m, 0, s.m6, i * per, nb);
                }
            }
            if (rows < MR) {
                Arrays.fill(w6, rows * n, MR * n, 0f);
                if (k) {
                    Arrays.fill(s.d6, rows * per, MR * per, 0f);
                    Arrays.fill(s.m6, rows * per, MR * per, 0f);
                } else if (fold == MINS32) {
                    Arrays.fill(s.m6, rows * per, MR * per, 0f);
                }
            }
            Arrays.fill(sums, 0, MR * cp, 0f);
            // K-quants fold every super-block; 32-value blocks once, after the whole row (measured 3-5%
            // faster than folding every 256 values, at 256 and 512 bits)
            int kc = k ? KC : n;
            for (int k0 = 0; k0 < n; k0 += kc) {
                int len = Math.min(kc, n - k0);
                int v = 0;
                for (; v + NV <= nv; v += NV) {
                    if (NV == 2) {
                        k6x2(w6, k0, n, xt, (v * n + k0) * L, n * L, len, tile);
                    } else {
                        k6x4(w6, k0, n, xt, (v * n + k0) * L, n * L, len, tile);
                    }
                    fold(fold, tile, NV, v, k0, kc, sub, s, per, x, n, cp, sums);
                }
                for (; v < nv; v++) {
                    k6x1(w6, k0, n, xt, (v * n + k0) * L, len, tile);
                    fold(fold, tile, 1, v, k0, kc, sub, s, per, x, n, cp, sums);
                }
            }
            // out[t][r .. r + rows): token by token, the block's rows are adjacent in the output
            for (int t = 0; t < count; t++) {
                int o = outOff + t * outStride + r;
                for (int i = 0; i < rows; i++) {
                    out[o + i] = sums[i * cp + t];
                }
            }
        }
    }

    /**
     * Adds the tile's accumulators ({@code tile[i * TN + u * L ..]}: rows i < 6, token vectors
     * {@code v + u}, u < nvt) of the k-block at {@code k0} to {@code sums[i * cp + t]}, per type.
     */
    private static void fold(int fold, float[] tile, int nvt, int v, int k0, int kc, int sub, MatMul.Scratch s, int per,
                             Activations x, int n, int cp, float[] sums) {
        for (int i = 0; i < MR; i++) {
            for (int u = 0; u < nvt; u++) {
                int so = i * cp + (v + u) * L;
                FloatVector acc = FloatVector.fromArray(F, tile, i * TN + u * L);
                FloatVector sum = FloatVector.fromArray(F, sums, so);
                switch (fold) {
                    case PLAIN -> sum = sum.add(acc);
                    case MINS32 -> {
                        // Q4_1/Q5_1: + sum_b m[b] * s_x[b] over the k-block's blocks
                        sum = sum.add(acc);
                        int xo = (v + u) * (n >> 5) * L;
                        for (int b = k0 >> 5; b < Math.min(n, k0 + kc) >> 5; b++) {
                            sum = FloatVector.fromArray(F, x.st, xo + b * L).mul(s.m6[i * per + b]).add(sum);
                        }
                    }
                    default -> {
                        // K-quants: MatMul.superBlock's float sequence, lane-wise
                        int sb = k0 >> 8;
                        FloatVector dx = FloatVector.fromArray(F, x.dt, ((v + u) * (n >> 8) + sb) * L);
                        sum = sum.add(dx.mul(s.d6[i * per + sb]).mul(acc));
                        if (fold == KQ_MINS) {
                            // sum_j mn[j] * bsums[j] (paired for 32-value sub-blocks): exact integers
                            int bo = ((v + u) * (n >> 4) + 16 * sb) * L;
                            int mo = i * (n >> 4);
                            FloatVector ms = FloatVector.zero(F);
                            if (sub == 32) {
                                for (int j = 0; j < 8; j++) {
                                    FloatVector pair = FloatVector.fromArray(F, x.bt, bo + 2 * j * L)
                                            .add(FloatVector.fromArray(F, x.bt, bo + (2 * j + 1) * L));
                                    ms = pair.mul((float) s.mn6[mo + 8 * sb + j]).add(ms);
                                }
                            } else {
                                for (int j = 0; j < 16; j++) {
                                    ms = FloatVector.fromArray(F, x.bt, bo + j * L).mul((float) s.mn6[mo + 16 * sb + j]).add(ms);
                                }
                            }
                            sum = sum.sub(dx.mul(s.m6[i * per + sb]).mul(ms));
                        }
                    }
                }
                sum.intoArray(sums, so);
            }
        }
    }

    // ------------------------------------------------------------------------------ micro-kernels
    // Written out in full, no helpers of ours (a helper the JIT leaves out would box its vectors).

    /**
     * {@code tile[i * TN + u * L + j] = sum_{k < len} w[wo + i * ws + k] * xt[xo + u * ps + k * L + j]}
     * for rows i < 6 and token vectors u < 2 ({@code ps}: panel stride).
     */
    private static void k6x2(float[] w, int wo, int ws, float[] xt, int xo, int ps, int len, float[] tile) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = a00;
        FloatVector a10 = a00;
        FloatVector a11 = a00;
        FloatVector a20 = a00;
        FloatVector a21 = a00;
        FloatVector a30 = a00;
        FloatVector a31 = a00;
        FloatVector a40 = a00;
        FloatVector a41 = a00;
        FloatVector a50 = a00;
        FloatVector a51 = a00;
        int x1 = xo + ps;
        for (int k = 0; k < len; k++) {
            FloatVector v0 = FloatVector.fromArray(F, xt, xo + k * L);
            FloatVector v1 = FloatVector.fromArray(F, xt, x1 + k * L);
            int o = wo + k;
            FloatVector b = FloatVector.broadcast(F, w[o]);
            a00 = b.fma(v0, a00);
            a01 = b.fma(v1, a01);
            b = FloatVector.broadcast(F, w[o + ws]);
            a10 = b.fma(v0, a10);
            a11 = b.fma(v1, a11);
            b = FloatVector.broadcast(F, w[o + 2 * ws]);
            a20 = b.fma(v0, a20);
            a21 = b.fma(v1, a21);
            b = FloatVector.broadcast(F, w[o + 3 * ws]);
            a30 = b.fma(v0, a30);
            a31 = b.fma(v1, a31);
            b = FloatVector.broadcast(F, w[o + 4 * ws]);
            a40 = b.fma(v0, a40);
            a41 = b.fma(v1, a41);
            b = FloatVector.broadcast(F, w[o + 5 * ws]);
            a50 = b.fma(v0, a50);
            a51 = b.fma(v1, a51);
        }
        a00.intoArray(tile, 0);
        a01.intoArray(tile, L);
        a10.intoArray(tile, TN);
        a11.intoArray(tile, TN + L);
        a20.intoArray(tile, 2 * TN);
        a21.intoArray(tile, 2 * TN + L);
        a30.intoArray(tile, 3 * TN);
        a31.intoArray(tile, 3 * TN + L);
        a40.intoArray(tile, 4 * TN);
        a41.intoArray(tile, 4 * TN + L);
        a50.intoArray(tile, 5 * TN);
        a51.intoArray(tile, 5 * TN + L);
    }

    /** {@link #k6x2} for token vectors u < 4. */
    private static void k6x4(float[] w, int wo, int ws, float[] xt, int xo, int ps, int len, float[] tile) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = a00;
        FloatVector a02 = a00;
        FloatVector a03 = a00;
        FloatVector a10 = a00;
        FloatVector a11 = a00;
        FloatVector a12 = a00;
        FloatVector a13 = a00;
        FloatVector a20 = a00;
        FloatVector a21 = a00;
        FloatVector a22 = a00;
        FloatVector a23 = a00;
        FloatVector a30 = a00;
        FloatVector a31 = a00;
        FloatVector a32 = a00;
        FloatVector a33 = a00;
        FloatVector a40 = a00;
        FloatVector a41 = a00;
        FloatVector a42 = a00;
        FloatVector a43 = a00;
        FloatVector a50 = a00;
        FloatVector a51 = a00;
        FloatVector a52 = a00;
        FloatVector a53 = a00;
        int x1 = xo + ps;
        int x2 = xo + 2 * ps;
        int x3 = xo + 3 * ps;
        for (int k = 0; k < len; k++) {
            FloatVector v0 = FloatVector.fromArray(F, xt, xo + k * L);
            FloatVector v1 = FloatVector.fromArray(F, xt, x1 + k * L);
            FloatVector v2 = FloatVector.fromArray(F, xt, x2 + k * L);
            FloatVector v3 = FloatVector.fromArray(F, xt, x3 + k * L);
            int o = wo + k;
            FloatVector b = FloatVector.broadcast(F, w[o]);
            a00 = b.fma(v0, a00);
            a01 = b.fma(v1, a01);
            a02 = b.fma(v2, a02);
            a03 = b.fma(v3, a03);
            b = FloatVector.broadcast(F, w[o + ws]);
            a10 = b.fma(v0, a10);
            a11 = b.fma(v1, a11);
            a12 = b.fma(v2, a12);
            a13 = b.fma(v3, a13);
            b = FloatVector.broadcast(F, w[o + 2 * ws]);
            a20 = b.fma(v0, a20);
            a21 = b.fma(v1, a21);
            a22 = b.fma(v2, a22);
            a23 = b.fma(v3, a23);
            b = FloatVector.broadcast(F, w[o + 3 * ws]);
            a30 = b.fma(v0, a30);
            a31 = b.fma(v1, a31);
            a32 = b.fma(v2, a32);
            a33 = b.fma(v3, a33);
            b = FloatVector.broadcast(F, w[o + 4 * ws]);
            a40 = b.fma(v0, a40);
            a41 = b.fma(v1, a41);
            a42 = b.fma(v2, a42);
            a43 = b.fma(v3, a43);
            b = FloatVector.broadcast(F, w[o + 5 * ws]);
            a50 = b.fma(v0, a50);
            a51 = b.fma(v1, a51);
            a52 = b.fma(v2, a52);
            a53 = b.fma(v3, a53);
        }
        a00.intoArray(tile, 0);
        a01.intoArray(tile, L);
        a02.intoArray(tile, 2 * L);
        a03.intoArray(tile, 3 * L);
        a10.intoArray(tile, TN);
        a11.intoArray(tile, TN + L);
        a12.intoArray(tile, TN + 2 * L);
        a13.intoArray(tile, TN + 3 * L);
        a20.intoArray(tile, 2 * TN);
        a21.intoArray(tile, 2 * TN + L);
        a22.intoArray(tile, 2 * TN + 2 * L);
        a23.intoArray(tile, 2 * TN + 3 * L);
        a30.intoArray(tile, 3 * TN);
        a31.intoArray(tile, 3 * TN + L);
        a32.intoArray(tile, 3 * TN + 2 * L);
        a33.intoArray(tile, 3 * TN + 3 * L);
        a40.intoArray(tile, 4 * TN);
        a41.intoArray(tile, 4 * TN + L);
        a42.intoArray(tile, 4 * TN + 2 * L);
        a43.intoArray(tile, 4 * TN + 3 * L);
        a50.intoArray(tile, 5 * TN);
        a51.intoArray(tile, 5 * TN + L);
        a52.intoArray(tile, 5 * TN + 2 * L);
        a53.intoArray(tile, 5 * TN + 3 * L);
    }

    /** {@link #k6x2} for one token vector (the batch's last vectors). */
    private static void k6x1(float[] w, int wo, int ws, float[] xt, int xo, int len, float[] tile) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector a4 = a0;
        FloatVector a5 = a0;
        for (int k = 0; k < len; k++) {
            FloatVector v0 = FloatVector.fromArray(F, xt, xo + k * L);
            int o = wo + k;
            a0 = FloatVector.broadcast(F, w[o]).fma(v0, a0);
            a1 = FloatVector.broadcast(F, w[o + ws]).fma(v0, a1);
            a2 = FloatVector.broadcast(F, w[o + 2 * ws]).fma(v0, a2);
            a3 = FloatVector.broadcast(F, w[o + 3 * ws]).fma(v0, a3);
            a4 = FloatVector.broadcast(F, w[o + 4 * ws]).fma(v0, a4);
            a5 = FloatVector.broadcast(F, w[o + 5 * ws]).fma(v0, a5);
        }
        a0.intoArray(tile, 0);
        a1.intoArray(tile, TN);
        a2.intoArray(tile, 2 * TN);
        a3.intoArray(tile, 3 * TN);
        a4.intoArray(tile, 4 * TN);
        a5.intoArray(tile, 5 * TN);
    }
}
