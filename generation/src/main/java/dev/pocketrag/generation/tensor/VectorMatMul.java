package dev.pocketrag.generation.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API twin of {@link MatMul#multiplyScalar}: {@code out[t][r] = W[r] . x[t]}. Loaded only
 * when {@link Simd#enabled()}; written for any species of 8 or 16 float lanes.
 *
 * <p><b>Arithmetic: integer dot products carried in float lanes.</b> The activations are encoded
 * exactly as ggml encodes them ({@link ActivationFormat}: Q8_0/Q8_1/Q8_K quants); the kernels read
 * the int8 quants as floats ({@link Activations#qf}). Weights are decoded to their integer levels as
 * floats (nibble - 8, 6-bit K levels, ...). Products of two such integers and their sums over a
 * block are exact in float (below 2^24), so each lane holds an exact partial integer sum, as ggml's
 * int32 lanes do: for the 32-blocks {@code acc += (d_w * d_x) * isum} lane-wise; for K-quants
 * {@code isum = sum_j sc[j] * isum_j} over the super-block (exact), then {@code acc += (d_w * d_x) *
 * isum}, and the mins {@code (d_x * dmin) * sum_j mn[j] * bsums[j]} in scalar integers, as ggml and
 * the scalar twin do. Only the float accumulation across blocks is ordered differently from ggml
 * (lanes, then a fixed pairwise reduction), so results agree with the scalar twin to float
 * rounding. Where a float sum is not exact, the reduction is a fixed sequence of lane shuffles and
 * adds ({@link LaneSum}), not {@code reduceLanes}, whose order differs between the interpreter and the
 * JIT: a kernel gives the same bits whenever it runs. (Exact integer sums may use {@code reduceLanes}.)
 *
 * <p><b>Matrix-vector vs matrix-matrix.</b> For one vector the hot types (Q4_0, Q5_0, Q8_0, Q4_K,
 * Q6_K) decode straight from the mapped file into registers ({@code dot*} methods). For a batch,
 * each row is decoded once into {@link MatMul.Scratch#qf} and dotted with four vectors at a time
 * ({@link #rowTokens32}, {@link #rowTokensK}), so the weights are streamed once per batch. For the
 * K-quants both paths give the same bits (exact super-block sums, then the same float sequence), so
 * a token's logits do not depend on its batch. The fused Q4_0/Q5_0/Q8_0 kernels instead scale each
 * block's sum of nibble-times-activation once (ggml's order: fewer instructions per block), where the
 * batch kernel sums pre-scaled weights; the two agree to float rounding, not bit for bit.
 *
 * <p><b>No vector helpers of ours in the fused loops.</b> The JIT force-inlines the Vector API's own
 * methods but inlines ordinary methods only while the compiled method's node count allows; a helper
 * left out receives and returns boxed vectors, and the loop runs several times slower (measured:
 * Q6_K 17 ns instead of 4.4 ns per 32 weights). The loops of the hot kernels are therefore written
 * out in full; the one {@link LaneSum} call per row stays a call (were it ever left out, the boxing
 * would be an allocation per row, which NoAllocationTest catches).
 */
final class VectorMatMul {
    private VectorMatMul() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(L * 32));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;


    // tile4x4's reduction network: swap lane i with i ^ k, and the lanes with bit k set
    private static final VectorShuffle<Float> S8 = xorShuffle(8);
    private static final VectorShuffle<Float> S4 = xorShuffle(4);
    private static final VectorShuffle<Float> S2 = xorShuffle(2);
    private static final VectorShuffle<Float> S1 = xorShuffle(1);
    private static final VectorMask<Float> M8 = bitMask(8);
    private static final VectorMask<Float> M4 = bitMask(4);
    private static final VectorMask<Float> M2 = bitMask(2);
    private static final VectorMask<Float> M1 = bitMask(1);

    private static VectorShuffle<Float> xorShuffle(int k) {
        int[] idx = new int[L];
        for (int i = 0; i < L; i++) {
            idx[i] = (i ^ k) % L;
        }
        return VectorShuffle.fromArray(F, idx, 0);
    }

    private static VectorMask<Float> bitMask(int k) {
        boolean[] b = new boolean[L];
        for (int i = 0; i < L; i++) {
            b[i] = (i & k) != 0;
        }
        return VectorMask.fromArray(F, b, 0);
    }

    static void multiply(WeightMatrix w, Activations x, int rowFrom, int rowTo, float[] out, int outOff,
                         int outStride, MatMul.Scratch s) {
        int n = w.cols();
        int count = x.count();
        GgmlType type = w.type();
        switch (type) {
            case F32, F16, BF16 -> {
                for (int r = rowFrom; r < rowTo; r++) {
                    MatMul.unpackFloat(w, r, s.wf, 0, s);
                    for (int t = 0; t < count; t++) {
                        out[outOff + t * outStride + r] = dotF32(s.wf, x.f, t * n, n);
                    }
                }
            }
            default -> {
                MemorySegment m = w.data();
                long rb = w.rowBytes();
                if (count == 1 && isFused(type)) {
                    for (int r = rowFrom; r < rowTo; r++) {
                        long ro = r * rb;
                        out[outOff + r] = switch (type) {
                            case Q4_0 -> dotQ4_0(m, ro, x, n);
                            case Q5_0 -> dotQ5_0(m, ro, x, n);
                            case Q8_0 -> dotQ8_0(m, ro, x, n);
                            case Q4_K -> dotQ4_K(m, ro, x, n, s);
                            case Q6_K -> dotQ6_K(m, ro, x, n, s);
                            default -> throw new IllegalStateException(type.name());
                        };
                    }
                    return;
                }
                boolean k = type.blockSize() == 256;
                int sub = k ? MatMul.subBlock(type) : 32;
                boolean q81 = x.format() == ActivationFormat.Q8_1;
                boolean mins = MatMul.hasMins(type);
                int r = rowFrom;
                if (count >= 4) {
                    // four rows x four vectors per step: each weight and activation load feeds four FMAs
                    int nd = k ? n >> 8 : n >> 5;
                    for (; r + 4 <= rowTo; r += 4) {
                        for (int i = 0; i < 4; i++) {
                            decodeRow(w, r + i, s);
                            System.arraycopy(s.qf, 0, s.qf4[i], 0, n);
                            System.arraycopy(s.d, 0, s.d4[i], 0, nd);
                            System.arraycopy(s.m, 0, s.m4[i], 0, k ? nd : n >> 5);
                            if (k) {
                                System.arraycopy(s.mn, 0, s.mn4[i], 0, n / sub);
                            }
                        }
                        if (k) {
                            tilesK(s, n, sub, mins, x, out, outOff, outStride, r);
                        } else {
                            tiles32(s, n, q81, x, out, outOff, outStride, r);
                        }
                    }
                }
                for (; r < rowTo; r++) {
                    decodeRow(w, r, s);
                    if (k) {
                        rowTokensK(s, n, sub, mins, x, out, outOff, outStride, r);
                    } else {
                        rowTokens32(s, n, q81, x, out, outOff, outStride, r);
                    }
                }
            }
        }
    }

    static boolean isFused(GgmlType t) {
        return switch (t) {
            case Q4_0, Q5_0, Q8_0, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    // ------------------------------------------------------------------------------ float weights

    /** Sum of {@code w[i] * x[xo + i]}: vector lanes, then the tail in order. */
    static float dotF32(float[] w, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            acc = FloatVector.fromArray(F, w, i).fma(FloatVector.fromArray(F, x, xo + i), acc);
        }
        float sum = LaneSum.of(acc);
        for (; i < n; i++) {
            sum += w[i] * x[xo + i];
        }
        return sum;
    }

    // ------------------------------------------------------------------------------ decoding

    private static float f16(MemorySegment m, long off) {
        return Float.float16ToFloat(m.get(Bytes.LE_SHORT, off));
    }

    /**
     * Decodes row {@code r} into {@code s.qf} (integer levels as floats) and the block scales the
     * scalar unpacking also produces: {@code s.d} (and {@code s.m}: Q4_1/Q5_1 mins) per 32-block; for
     * K-quants {@code s.d}, {@code s.m} (dmin) per super-block and {@code s.sc}, {@code s.mn} per
     * sub-block.
     */
    static void decodeRow(WeightMatrix w, int r, MatMul.Scratch s) {
        decodeLevels(w, r, s);
        if (w.type().blockSize() == 32) {
            // 32-blocks: the weights themselves, level * d (exact: a small integer times an f16)
            float[] qf = s.qf;
            for (int b = 0; b < w.cols() >> 5; b++) {
                FloatVector d = FloatVector.broadcast(F, s.d[b]);
                for (int i = 32 * b; i < 32 * b + 32; i += L) {
                    FloatVector.fromArray(F, qf, i).mul(d).intoArray(qf, i);
                }
            }
        } else if (w.type().blockSize() == 256 && w.type() != GgmlType.Q4_K && w.type() != GgmlType.Q6_K) {
            // other K-quants: levels times their (integer) sub-block scales, still exact integers (Q4_K and
            // Q6_K apply them while decoding)
            int sub = MatMul.subBlock(w.type());
            float[] qf = s.qf;
            for (int j = 0; j < w.cols() / sub; j++) {
                FloatVector sc = FloatVector.broadcast(F, (float) s.sc[j]);
                for (int i = j * sub; i < (j + 1) * sub; i += L) {
                    FloatVector.fromArray(F, qf, i).mul(sc).intoArray(qf, i);
                }
            }
        }
    }

    private static void decodeLevels(WeightMatrix w, int r, MatMul.Scratch s) {
        // one small method per type: the JIT must inline every Vector API call of a loop to compile
        // it to vector instructions, and one big method would exhaust its inlining budget
        MemorySegment m = w.data();
        int n = w.cols();
        long ro = r * w.rowBytes();
        switch (w.type()) {
            case Q4_0 -> decodeQ4_0(m, ro, n, s);
            case Q5_0 -> decodeQ5_0(m, ro, n, s);
            case Q8_0 -> decodeQ8_0(m, ro, n, s);
            case Q4_K -> decodeQ4_K(m, ro, n, s);
            case Q6_K -> decodeQ6_K(m, ro, n, s);
            default -> decodeOther(w, r, n, s);
        }
    }

    private static void decodeQ4_0(MemorySegment m, long ro, int n, MatMul.Scratch s) {
        float[] qf = s.qf;
        for (int b = 0; b < n >> 5; b++) {
            long o = ro + 18L * b;
            for (int k = 0; k < 16; k += L) { // 8 lanes: the two halves of the packed bytes
                IntVector u = (IntVector) ByteVector.fromMemorySegment(B, m, o + 2 + k, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                ((FloatVector) u.and(15).sub(8).convert(VectorOperators.I2F, 0)).intoArray(qf, 32 * b + k);
                ((FloatVector) u.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0))
                        .intoArray(qf, 32 * b + 16 + k);
            }
            s.d[b] = Float.float16ToFloat(m.get(Bytes.LE_SHORT, o));
        }
    }

    private static void decodeQ5_0(MemorySegment m, long ro, int n, MatMul.Scratch s) {
        float[] qf = s.qf;
        for (int b = 0; b < n >> 5; b++) {
            long o = ro + 22L * b;
            long qh = m.get(Bytes.LE_INT, o + 2) & 0xFFFF_FFFFL;
            for (int k = 0; k < 16; k += L) {
                IntVector u = (IntVector) ByteVector.fromMemorySegment(B, m, o + 6 + k, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                ((FloatVector) u.and(15).lanewise(VectorOperators.OR, 16, VectorMask.fromLong(I, (qh >>> k) & LANE_BITS))
                        .sub(16).convert(VectorOperators.I2F, 0)).intoArray(qf, 32 * b + k);
                ((FloatVector) u.lanewise(VectorOperators.LSHR, 4)
                        .lanewise(VectorOperators.OR, 16, VectorMask.fromLong(I, (qh >>> (16 + k)) & LANE_BITS))
                        .sub(16).convert(VectorOperators.I2F, 0)).intoArray(qf, 32 * b + 16 + k);
            }
            s.d[b] = Float.float16ToFloat(m.get(Bytes.LE_SHORT, o));
        }
    }

    private static void decodeQ8_0(MemorySegment m, long ro, int n, MatMul.Scratch s) {
        float[] qf = s.qf;
        for (int b = 0; b < n >> 5; b++) {
            long o = ro + 34L * b;
            for (int v = 0; v < 32 / L; v++) {
                ((FloatVector) ByteVector.fromMemorySegment(B, m, o + 2 + v * L, LE).convertShape(VectorOperators.B2F, F, 0))
                        .intoArray(qf, 32 * b + v * L);
            }
            s.d[b] = Float.float16ToFloat(m.get(Bytes.LE_SHORT, o));
        }
    }

    private static void decodeQ4_K(MemorySegment m, long ro, int n, MatMul.Scratch s) {
        float[] qf = s.qf;
        int[] sm = s.sm;
        for (int sb = 0; sb < n >> 8; sb++) {
            long o = ro + 144L * sb;
            s.d[sb] = f16(m, o);
            s.m[sb] = f16(m, o + 2);
            MemorySegment.copy(m, BYTE, o + 4, s.kb, 0, 12);
            for (int j = 0; j < 8; j++) {
                KQuants.scaleMinK4(j, s.kb, 0, sm);
                s.sc[8 * sb + j] = sm[0];
                s.mn[8 * sb + j] = sm[1];
            }
            for (int c = 0; c < 4; c++) {
                int scLo = s.sc[8 * sb + 2 * c];
                int scHi = s.sc[8 * sb + 2 * c + 1];
                for (int k = 0; k < 32; k += L) {
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, m, o + 16 + 32 * c + k, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    int e = 256 * sb + 64 * c + k;
                    ((FloatVector) v.and(15).mul(scLo).convert(VectorOperators.I2F, 0)).intoArray(qf, e);
                    ((FloatVector) v.lanewise(VectorOperators.ASHR, 4).and(15).mul(scHi).convert(VectorOperators.I2F, 0))
                            .intoArray(qf, e + 32);
                }
            }
        }
    }

    private static void decodeQ6_K(MemorySegment m, long ro, int n, MatMul.Scratch s) {
        float[] qf = s.qf;
        for (int sb = 0; sb < n >> 8; sb++) {
            long o = ro + 210L * sb;
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l += L) {
                    long ql = o + 64 * h + l;
                    IntVector lo0 = (IntVector) ByteVector.fromMemorySegment(B, m, ql, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector lo1 = (IntVector) ByteVector.fromMemorySegment(B, m, ql + 32, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector qh = (IntVector) ByteVector.fromMemorySegment(B, m, o + 128 + 32 * h + l, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    int e = 256 * sb + 128 * h + l;
                    long sc = o + 192 + ((128 * h + l) >> 4); // sub-block scale of value e; +2 per 32 values
                    ((FloatVector) lo0.and(15).or(qh.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32)
                            .mul(m.get(BYTE, sc)).convert(VectorOperators.I2F, 0)).intoArray(qf, e);
                    ((FloatVector) lo1.and(15).or(qh.and(12).lanewise(VectorOperators.LSHL, 2)).sub(32)
                            .mul(m.get(BYTE, sc + 2)).convert(VectorOperators.I2F, 0)).intoArray(qf, e + 32);
                    ((FloatVector) lo0.lanewise(VectorOperators.ASHR, 4).and(15).or(qh.and(48)).sub(32)
                            .mul(m.get(BYTE, sc + 4)).convert(VectorOperators.I2F, 0)).intoArray(qf, e + 64);
                    ((FloatVector) lo1.lanewise(VectorOperators.ASHR, 4).and(15)
                            .or(qh.lanewise(VectorOperators.ASHR, 2).and(48)).sub(32)
                            .mul(m.get(BYTE, sc + 6)).convert(VectorOperators.I2F, 0)).intoArray(qf, e + 96);
                }
            }
            s.d[sb] = f16(m, o + 208);
            for (int j = 0; j < 16; j++) {
                s.sc[16 * sb + j] = m.get(BYTE, o + 192 + j);
            }
        }
    }

    private static void decodeOther(WeightMatrix w, int r, int n, MatMul.Scratch s) {
        float[] qf = s.qf;
        // the other types: the scalar unpacking, then the levels widened to floats
        if (w.type().blockSize() == 32) {
            MatMul.unpack32(w, r, s);
        } else {
            MatMul.unpackK(w, r, s);
        }
        for (int i = 0; i < n; i += L) {
            ((FloatVector) ByteVector.fromArray(B, s.q, i).convertShape(VectorOperators.B2F, F, 0))
                    .intoArray(qf, i);
        }
    }

    // ------------------------------------------------------------------------------ batch kernels

    /**
     * 32-blocks: {@code out[outOff + t * outStride + r] = row . x[t]} for every vector t of the batch,
     * the row decoded to its weights by {@link #decodeRow}, dotted with the activations' values
     * ({@link Activations#xf}); four vectors at a time.
     */
    static void rowTokens32(MatMul.Scratch s, int n, boolean q81, Activations x, float[] out, int outOff,
                            int outStride, int r) {
        float[] qf = s.qf;
        float[] xf = x.xf;
        float[] d4 = s.is4;
        int count = x.count();
        int nb = n >> 5;
        int t = 0;
        for (; t + 4 <= count; t += 4) {
            dotN4(qf, xf, t * n, n, d4);
            for (int k = 0; k < 4; k++) {
                out[outOff + (t + k) * outStride + r] = finish32(d4[k], s.m, nb, q81, x, t + k);
            }
        }
        for (; t < count; t++) {
            out[outOff + t * outStride + r] = finish32(dotN(qf, xf, t * n, n), s.m, nb, q81, x, t);
        }
    }

    /** {@code sum_i w[i] * x[xo + i]} for n a multiple of L: lanes, then {@link LaneSum}. */
    private static float dotN(float[] w, float[] x, int xo, int n) {
        FloatVector a = FloatVector.zero(F);
        for (int i = 0; i < n; i += L) {
            a = FloatVector.fromArray(F, w, i).fma(FloatVector.fromArray(F, x, xo + i), a);
        }
        return LaneSum.of(a);
    }

    /** {@link #dotN} for the four vectors at {@code xo, xo + n, xo + 2n, xo + 3n}, into {@code out[0..3]}. */
    private static void dotN4(float[] w, float[] x, int xo, int n, float[] out) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int i = 0; i < n; i += L) {
            FloatVector wv = FloatVector.fromArray(F, w, i);
            a0 = wv.fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x, xo + n + i), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x, xo + 2 * n + i), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x, xo + 3 * n + i), a3);
        }
        out[0] = LaneSum.of(a0);
        out[1] = LaneSum.of(a1);
        out[2] = LaneSum.of(a2);
        out[3] = LaneSum.of(a3);
    }

    /** The lanes' sum, plus (Q4_1/Q5_1) {@code sum_b m[b] * s_x[b]} as ggml adds the block minimum. */
    private static float finish32(float sum, float[] mins, int nb, boolean q81, Activations x, int t) {
        if (!q81) {
            return sum;
        }
        float[] xs = x.s;
        int xb = t * nb;
        float ms = 0;
        for (int b = 0; b < nb; b++) {
            ms += mins[b] * xs[xb + b];
        }
        return sum + ms;
    }

    /**
     * K-quants: {@code out[outOff + t * outStride + r] = row . x[t]}, the row decoded by
     * {@link #decodeRow} (levels already times their sub-block scales); four vectors at a time.
     */
    static void rowTokensK(MatMul.Scratch s, int n, int sub, boolean mins, Activations x, float[] out, int outOff,
                           int outStride, int r) {
        float[] qf = s.qf;
        float[] xq = x.qf;
        float[] is = s.is4;
        int count = x.count();
        int nsb = n >> 8;
        int t = 0;
        for (; t + 4 <= count; t += 4) {
            int x0 = t * n;
            float s0 = 0;
            float s1 = 0;
            float s2 = 0;
            float s3 = 0;
            for (int sb = 0; sb < nsb; sb++) {
                int o = 256 * sb;
                dot4(qf, o, xq, x0 + o, n, is);
                s0 = superBlock(s0, is[0], s, sb, sub, mins, x, t, nsb);
                s1 = superBlock(s1, is[1], s, sb, sub, mins, x, t + 1, nsb);
                s2 = superBlock(s2, is[2], s, sb, sub, mins, x, t + 2, nsb);
                s3 = superBlock(s3, is[3], s, sb, sub, mins, x, t + 3, nsb);
            }
            out[outOff + t * outStride + r] = s0;
            out[outOff + (t + 1) * outStride + r] = s1;
            out[outOff + (t + 2) * outStride + r] = s2;
            out[outOff + (t + 3) * outStride + r] = s3;
        }
        for (; t < count; t++) {
            int x0 = t * n;
            float s0 = 0;
            for (int sb = 0; sb < nsb; sb++) {
                int o = 256 * sb;
                s0 = superBlock(s0, dot256(qf, o, xq, x0 + o), s, sb, sub, mins, x, t, nsb);
            }
            out[outOff + t * outStride + r] = s0;
        }
    }

    /** {@code sum_i q[qo+i] * x[xo+i]} over 256 values: exact for integer-valued vectors (see the class doc). */
    private static float dot256(float[] q, int qo, float[] x, int xo) {
        FloatVector a = FloatVector.zero(F);
        for (int i = 0; i < 256; i += L) {
            a = FloatVector.fromArray(F, q, qo + i).fma(FloatVector.fromArray(F, x, xo + i), a);
        }
        return a.reduceLanes(VectorOperators.ADD);
    }

    /** {@link #dot256} for the four vectors at {@code xo, xo + n, xo + 2n, xo + 3n}, into {@code out[0..3]}. */
    private static void dot4(float[] q, int qo, float[] x, int xo, int n, float[] out) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int i = 0; i < 256; i += L) {
            FloatVector w = FloatVector.fromArray(F, q, qo + i);
            a0 = w.fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = w.fma(FloatVector.fromArray(F, x, xo + n + i), a1);
            a2 = w.fma(FloatVector.fromArray(F, x, xo + 2 * n + i), a2);
            a3 = w.fma(FloatVector.fromArray(F, x, xo + 3 * n + i), a3);
        }
        out[0] = a0.reduceLanes(VectorOperators.ADD);
        out[1] = a1.reduceLanes(VectorOperators.ADD);
        out[2] = a2.reduceLanes(VectorOperators.ADD);
        out[3] = a3.reduceLanes(VectorOperators.ADD);
    }

    /** 32-blocks, four decoded rows ({@code s.qf4}) from row r: four vectors at a time, then one at a time. */
    private static void tiles32(MatMul.Scratch s, int n, boolean q81, Activations x, float[] out, int outOff,
                                int outStride, int r) {
        float[][] q = s.qf4;
        float[] xf = x.xf;
        float[] o16 = s.out16;
        int count = x.count();
        int nb = n >> 5;
        int t = 0;
        for (; t + 4 <= count; t += 4) {
            tile4x4(q[0], q[1], q[2], q[3], 0, xf, t * n, n, n, o16);
            for (int i = 0; i < 4; i++) {
                for (int k = 0; k < 4; k++) {
                    out[outOff + (t + k) * outStride + r + i] = finish32(o16[4 * i + k], s.m4[i], nb, q81, x, t + k);
                }
            }
        }
        for (; t < count; t++) {
            for (int i = 0; i < 4; i++) {
                out[outOff + t * outStride + r + i] = finish32(dotN(q[i], xf, t * n, n), s.m4[i], nb, q81, x, t);
            }
        }
    }

    /** K-quants, four decoded rows ({@code s.qf4}) from row r: four vectors at a time, then one at a time. */
    private static void tilesK(MatMul.Scratch s, int n, int sub, boolean mins, Activations x, float[] out, int outOff,
                               int outStride, int r) {
        float[][] q = s.qf4;
        float[] xq = x.qf;
        float[] o16 = s.out16;
        float[] run = s.run16;
        int count = x.count();
        int nsb = n >> 8;
        int t = 0;
        for (; t + 4 <= count; t += 4) {
            java.util.Arrays.fill(run, 0f);
            for (int sb = 0; sb < nsb; sb++) {
                tile4x4(q[0], q[1], q[2], q[3], 256 * sb, xq, t * n + 256 * sb, n, 256, o16);
                for (int i = 0; i < 16; i++) {
                    int row = i >> 2;
                    run[i] = MatMul.superBlock(run[i], o16[i], s.d4[row], s.m4[row], s.mn4[row], sb, sub, mins, x, t + (i & 3),
                            nsb);
                }
            }
            for (int i = 0; i < 16; i++) {
                out[outOff + (t + (i & 3)) * outStride + r + (i >> 2)] = run[i];
            }
        }
        for (; t < count; t++) {
            for (int i = 0; i < 4; i++) {
                float s0 = 0;
                for (int sb = 0; sb < nsb; sb++) {
                    int o = 256 * sb;
                    s0 = MatMul.superBlock(s0, dot256(q[i], o, xq, t * n + o), s.d4[i], s.m4[i], s.mn4[i], sb, sub, mins, x,
                            t, nsb);
                }
                out[outOff + t * outStride + r + i] = s0;
            }
        }
    }

    /**
     * {@code out[4 i + k] = sum_j w_i[wo + j] * x[xo + k n + j]} for j in [0, len): four rows times four
     * vectors, 16 accumulators, each with the same sequence of FMAs (and final {@link LaneSum}) as
     * {@link #dotN} on its pair.
     */
    private static void tile4x4(float[] w0, float[] w1, float[] w2, float[] w3, int wo, float[] x, int xo, int n,
                                int len, float[] out) {
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
        for (int i = 0; i < len; i += L) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo + i);
            FloatVector x1 = FloatVector.fromArray(F, x, xo + n + i);
            FloatVector x2 = FloatVector.fromArray(F, x, xo + 2 * n + i);
            FloatVector x3 = FloatVector.fromArray(F, x, xo + 3 * n + i);
            FloatVector w = FloatVector.fromArray(F, w0, wo + i);
            a00 = w.fma(x0, a00);
            a01 = w.fma(x1, a01);
            a02 = w.fma(x2, a02);
            a03 = w.fma(x3, a03);
            w = FloatVector.fromArray(F, w1, wo + i);
            a10 = w.fma(x0, a10);
            a11 = w.fma(x1, a11);
            a12 = w.fma(x2, a12);
            a13 = w.fma(x3, a13);
            w = FloatVector.fromArray(F, w2, wo + i);
            a20 = w.fma(x0, a20);
            a21 = w.fma(x1, a21);
            a22 = w.fma(x2, a22);
            a23 = w.fma(x3, a23);
            w = FloatVector.fromArray(F, w3, wo + i);
            a30 = w.fma(x0, a30);
            a31 = w.fma(x1, a31);
            a32 = w.fma(x2, a32);
            a33 = w.fma(x3, a33);
        }
        // the 16 lane sums by a network of lane swaps and blends (lane i ends up with accumulator i: they
        // go in in bit-reversed order); every sum is formed with LaneSum's association, so the same bits
        if (L == 16) {
            FloatVector p00 = a00.blend(a20.rearrange(S8), M8).add(a00.rearrange(S8).blend(a20, M8));
            FloatVector p01 = a10.blend(a30.rearrange(S8), M8).add(a10.rearrange(S8).blend(a30, M8));
            FloatVector p02 = a02.blend(a22.rearrange(S8), M8).add(a02.rearrange(S8).blend(a22, M8));
            FloatVector p03 = a12.blend(a32.rearrange(S8), M8).add(a12.rearrange(S8).blend(a32, M8));
            FloatVector p04 = a01.blend(a21.rearrange(S8), M8).add(a01.rearrange(S8).blend(a21, M8));
            FloatVector p05 = a11.blend(a31.rearrange(S8), M8).add(a11.rearrange(S8).blend(a31, M8));
            FloatVector p06 = a03.blend(a23.rearrange(S8), M8).add(a03.rearrange(S8).blend(a23, M8));
            FloatVector p07 = a13.blend(a33.rearrange(S8), M8).add(a13.rearrange(S8).blend(a33, M8));
            FloatVector p10 = p00.blend(p01.rearrange(S4), M4).add(p00.rearrange(S4).blend(p01, M4));
            FloatVector p11 = p02.blend(p03.rearrange(S4), M4).add(p02.rearrange(S4).blend(p03, M4));
            FloatVector p12 = p04.blend(p05.rearrange(S4), M4).add(p04.rearrange(S4).blend(p05, M4));
            FloatVector p13 = p06.blend(p07.rearrange(S4), M4).add(p06.rearrange(S4).blend(p07, M4));
            FloatVector p20 = p10.blend(p11.rearrange(S2), M2).add(p10.rearrange(S2).blend(p11, M2));
            FloatVector p21 = p12.blend(p13.rearrange(S2), M2).add(p12.rearrange(S2).blend(p13, M2));
            FloatVector p30 = p20.blend(p21.rearrange(S1), M1).add(p20.rearrange(S1).blend(p21, M1));
            p30.intoArray(out, 0);
        } else {
            FloatVector q00 = a00.blend(a10.rearrange(S4), M4).add(a00.rearrange(S4).blend(a10, M4));
            FloatVector q01 = a02.blend(a12.rearrange(S4), M4).add(a02.rearrange(S4).blend(a12, M4));
            FloatVector q02 = a01.blend(a11.rearrange(S4), M4).add(a01.rearrange(S4).blend(a11, M4));
            FloatVector q03 = a03.blend(a13.rearrange(S4), M4).add(a03.rearrange(S4).blend(a13, M4));
            FloatVector q10 = q00.blend(q01.rearrange(S2), M2).add(q00.rearrange(S2).blend(q01, M2));
            FloatVector q11 = q02.blend(q03.rearrange(S2), M2).add(q02.rearrange(S2).blend(q03, M2));
            FloatVector q20 = q10.blend(q11.rearrange(S1), M1).add(q10.rearrange(S1).blend(q11, M1));
            FloatVector r00 = a20.blend(a30.rearrange(S4), M4).add(a20.rearrange(S4).blend(a30, M4));
            FloatVector r01 = a22.blend(a32.rearrange(S4), M4).add(a22.rearrange(S4).blend(a32, M4));
            FloatVector r02 = a21.blend(a31.rearrange(S4), M4).add(a21.rearrange(S4).blend(a31, M4));
            FloatVector r03 = a23.blend(a33.rearrange(S4), M4).add(a23.rearrange(S4).blend(a33, M4));
            FloatVector r10 = r00.blend(r01.rearrange(S2), M2).add(r00.rearrange(S2).blend(r01, M2));
            FloatVector r11 = r02.blend(r03.rearrange(S2), M2).add(r02.rearrange(S2).blend(r03, M2));
            FloatVector r20 = r10.blend(r11.rearrange(S1), M1).add(r10.rearrange(S1).blend(r11, M1));
            q20.intoArray(out, 0);
            r20.intoArray(out, 8);
        }
    }

    /**
     * {@link MatMul#superBlock} with the decoded row's scales in {@code s}. {@code isum} is the lane sum
     * of exact integer partial sums, exact in any order, so the result is the scalar twin's bit for bit
     * (unless a partial sum exceeds 2^24). Takes a float, not the vector: a method too big to inline
     * must not receive vectors (they would be boxed, and their operations not intrinsified).
     */
    private static float superBlock(float sum, float isum, MatMul.Scratch s, int sb, int sub, boolean mins,
                                    Activations x, int t, int nsb) {
        return MatMul.superBlock(sum, isum, s.d, s.m, s.mn, sb, sub, mins, x, t, nsb);
    }

    // ------------------------------------------------------------------------------ fused matrix x vector

    // The fused kernels load each packed byte once and take both nibbles (and the high bits) from it.

    private static final long LANE_BITS = L == 64 ? -1L : (1L << L) - 1;

    /**
     * Q4_0 x Q8_0: per block {@code d_w * sum(l * x) - 8 d_w xs} with l the unsigned nibble, so the
     * inner loop is widen, convert, multiply-add; the offset goes through the block sums {@code xs}.
     */
    static float dotQ4_0(MemorySegment m, long ro, Activations x, int n) {
        float[] xf = x.xf;
        float[] xs = x.xs;
        FloatVector acc = FloatVector.zero(F);
        float off = 0;
        for (int b = 0; b < n >> 5; b++) {
            long o = ro + 18L * b;
            int e = 32 * b;
            FloatVector p = FloatVector.zero(F);
            for (int k = 0; k < 16; k += L) { // 16 lanes: once; 8 lanes: the two halves of the packed bytes
                IntVector u = (IntVector) ByteVector.fromMemorySegment(B, m, o + 2 + k, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                p = ((FloatVector) u.and(15).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xf, e + k), p);
                p = ((FloatVector) u.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(F, xf, e + 16 + k), p);
            }
            float d = Float.float16ToFloat(m.get(Bytes.LE_SHORT, o));
            acc = p.fma(FloatVector.broadcast(F, d), acc);
            off += d * xs[b];
        }
        return LaneSum.of(acc) - 8 * off;
    }

    /** Q5_0 x Q8_0: as {@link #dotQ4_0} with the fifth bit from {@code qh} and an offset of 16. */
    static float dotQ5_0(MemorySegment m, long ro, Activations x, int n) {
        float[] xf = x.xf;
        float[] xs = x.xs;
        FloatVector acc = FloatVector.zero(F);
        float off = 0;
        for (int b = 0; b < n >> 5; b++) {
            long o = ro + 22L * b;
            int e = 32 * b;
            long qh = m.get(Bytes.LE_INT, o + 2) & 0xFFFF_FFFFL;
            FloatVector p = FloatVector.zero(F);
            for (int k = 0; k < 16; k += L) {
                IntVector u = (IntVector) ByteVector.fromMemorySegment(B, m, o + 6 + k, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                p = ((FloatVector) u.and(15).lanewise(VectorOperators.OR, 16, VectorMask.fromLong(I, (qh >>> k) & LANE_BITS))
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xf, e + k), p);
                p = ((FloatVector) u.lanewise(VectorOperators.LSHR, 4)
                        .lanewise(VectorOperators.OR, 16, VectorMask.fromLong(I, (qh >>> (16 + k)) & LANE_BITS))
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xf, e + 16 + k), p);
            }
            float d = Float.float16ToFloat(m.get(Bytes.LE_SHORT, o));
            acc = p.fma(FloatVector.broadcast(F, d), acc);
            off += d * xs[b];
        }
        return LaneSum.of(acc) - 16 * off;
    }

    /** Q8_0 x Q8_0: per block {@code d_w * sum(q * x)}. */
    static float dotQ8_0(MemorySegment m, long ro, Activations x, int n) {
        float[] xf = x.xf;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n >> 5; b++) {
            long o = ro + 34L * b;
            int e = 32 * b;
            FloatVector p = FloatVector.zero(F);
            for (int v = 0; v < 32 / L; v++) {
                p = ((FloatVector) ByteVector.fromMemorySegment(B, m, o + 2 + v * L, LE).convertShape(VectorOperators.B2F, F, 0))
                        .fma(FloatVector.fromArray(F, xf, e + v * L), p);
            }
            acc = p.fma(FloatVector.broadcast(F, Float.float16ToFloat(m.get(Bytes.LE_SHORT, o))), acc);
        }
        return LaneSum.of(acc);
    }

    /**
     * Q4_K x Q8_K: the integer sum {@code sum_j sc[j] * sum(l * q)} over the super-block in exact float
     * lanes (at most 16, with 8 lanes 32, terms of 63 * 15 * 127), the mins through the activations'
     * block sums ({@link #superBlock}). No vector helpers of ours inside the loop (see {@link #dotQ6_K}).
     */
    static float dotQ4_K(MemorySegment m, long ro, Activations x, int n, MatMul.Scratch s) {
        float[] xq = x.qf;
        int[] bs = x.bsums;
        int nsb = n >> 8;
        float sum = 0;
        for (int sb = 0; sb < nsb; sb++) {
            long o = ro + 144L * sb;
            // the 8 six-bit scales and mins, four per 32-bit word (KQuants.scaleMinK4, all lanes at once)
            long q03 = m.get(Bytes.LE_INT, o + 4) & 0xFFFF_FFFFL;
            long q47 = m.get(Bytes.LE_INT, o + 8) & 0xFFFF_FFFFL;
            long q8b = m.get(Bytes.LE_INT, o + 12) & 0xFFFF_FFFFL;
            long scales = (q03 & 0x3F3F3F3FL) | (((q8b & 0x0F0F0F0FL) | ((q03 >>> 2) & 0x30303030L)) << 32);
            long mins = (q47 & 0x3F3F3F3FL) | ((((q8b >>> 4) & 0x0F0F0F0FL) | ((q47 >>> 2) & 0x30303030L)) << 32);
            FloatVector is = FloatVector.zero(F); // two accumulators: two chains of dependent FMAs, not one
            FloatVector is2 = is;
            for (int c = 0; c < 4; c++) {
                int lo = (int) (scales >>> (16 * c)) & 0xFF;
                int hi = (int) (scales >>> (16 * c + 8)) & 0xFF;
                for (int k = 0; k < 32; k += L) {
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, m, o + 16 + 32 * c + k, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    int e = 256 * sb + 64 * c + k;
                    is = ((FloatVector) v.and(15).mul(lo).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(F, xq, e), is);
                    is2 = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).mul(hi).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(F, xq, e + 32), is2);
                }
            }
            // then superBlock's arithmetic, with the mins from the packed word
            int msum = 0;
            for (int j = 0; j < 8; j++) {
                msum += ((int) (mins >>> (8 * j)) & 0xFF) * (bs[16 * sb + 2 * j] + bs[16 * sb + 2 * j + 1]);
            }
            float dx = x.d[sb];
            sum += (dx * Float.float16ToFloat(m.get(Bytes.LE_SHORT, o))) * is.add(is2).reduceLanes(VectorOperators.ADD);
            sum -= (dx * Float.float16ToFloat(m.get(Bytes.LE_SHORT, o + 2))) * msum;
        }
        return sum;
    }

    /**
     * Q6_K x Q8_K. Written without calls to our own helpers: the JIT force-inlines the Vector API's
     * methods but inlines ordinary ones only while the method's node count allows, and a helper left
     * out boxes its vectors (four times slower). Lanes hold exact integers (at most 16, with 8 lanes
     * 32, terms of |sc * (level - 32) * q| <= 127 * 32 * 127), so their sum is exact in any order.
     */
    static float dotQ6_K(MemorySegment m, long ro, Activations x, int n, MatMul.Scratch s) {
        float[] xq = x.qf;
        float[] xd = x.d;
        int nsb = n >> 8;
        float sum = 0;
        for (int sb = 0; sb < nsb; sb++) {
            long o = ro + 210L * sb;
            FloatVector is = FloatVector.zero(F); // two accumulators: two chains of dependent FMAs, not one
            FloatVector is2 = is;
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l += L) {
                    // values e, e+32, e+64, e+96 (e = 128 h + l) share their packed bytes
                    IntVector a = (IntVector) ByteVector.fromMemorySegment(B, m, o + 64 * h + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector b = (IntVector) ByteVector.fromMemorySegment(B, m, o + 64 * h + 32 + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector qh = (IntVector) ByteVector.fromMemorySegment(B, m, o + 128 + 32 * h + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    int e = 256 * sb + 128 * h + l;
                    long sc = o + 192 + ((128 * h + l) >> 4); // the sub-block scale of value e; +2 per 32 values
                    is = ((FloatVector) a.and(15).or(qh.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32).mul(m.get(BYTE, sc))
                            .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xq, e), is);
                    is2 = ((FloatVector) b.and(15).or(qh.and(12).lanewise(VectorOperators.LSHL, 2)).sub(32).mul(m.get(BYTE, sc + 2))
                            .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xq, e + 32), is2);
                    is = ((FloatVector) a.lanewise(VectorOperators.LSHR, 4).or(qh.and(48)).sub(32).mul(m.get(BYTE, sc + 4))
                            .convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xq, e + 64), is);
                    is2 = ((FloatVector) b.lanewise(VectorOperators.LSHR, 4).or(qh.lanewise(VectorOperators.LSHR, 2).and(48))
                            .sub(32).mul(m.get(BYTE, sc + 6)).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, xq, e + 96), is2);
                }
            }
            float d = Float.float16ToFloat(m.get(Bytes.LE_SHORT, o + 208));
            sum += (xd[sb] * d) * is.add(is2).reduceLanes(VectorOperators.ADD);
        }
        return sum;
    }

    // ------------------------------------------------------------------------------ activations

    private static final float ROUND = 12582912f; // 1.5 * 2^23: adding it rounds |v| < 2^22 to an integer, ties to even

    /**
     * The vector twin of {@code Activations.quantizeQ8} (+ its {@code qf}, {@code xf}, {@code xs}): the same bits.
     * amax is exact in any order; {@code x * (127/amax)} is the same float product; rounding by adding
     * and subtracting 1.5 * 2^23 is {@code Math.rint} for these magnitudes (at most 127).
     */
    static void quantizeQ8(float[] x, int xo, Activations a, int qo, int n, boolean withSum) {
        byte[] q = a.q;
        float[] qf = a.qf;
        float[] xf = a.xf;
        for (int b = 0; b < n >> 5; b++) {
            int o = xo + 32 * b;
            FloatVector m = FloatVector.zero(F);
            for (int v = 0; v < 32; v += L) {
                m = m.max(FloatVector.fromArray(F, x, o + v).abs());
            }
            float amax = m.reduceLanes(VectorOperators.MAX);
            float dd = amax / 127.f;
            float id = amax != 0.0f ? 127.f / amax : 0.0f;
            float d = Half.f16ToF32(Half.f32ToF16(dd));
            int qb = qo + 32 * b;
            FloatVector sum = FloatVector.zero(F);
            for (int v = 0; v < 32; v += L) {
                FloatVector r = FloatVector.fromArray(F, x, o + v).mul(id).add(ROUND).sub(ROUND);
                r.intoArray(qf, qb + v);
                r.mul(d).intoArray(xf, qb + v);
                ((IntVector) r.convert(VectorOperators.F2I, 0)).convertShape(VectorOperators.I2B, B, 0)
                        .reinterpretAsBytes().intoArray(q, qb + v);
                sum = sum.add(r);
            }
            int bi = qb >> 5;
            int isum = (int) sum.reduceLanes(VectorOperators.ADD); // exact: integers in any order
            a.d[bi] = d;
            a.xs[bi] = d * isum;
            if (withSum) {
                a.s[bi] = Half.f16ToF32(Half.f32ToF16(dd * isum));
            }
        }
    }
}
