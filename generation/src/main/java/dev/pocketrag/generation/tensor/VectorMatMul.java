package dev.pocketrag.generation.tensor;

import dev.pocketrag.generation.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API twin of {@link MatMul#multiplyScalar}: {@code out[t][r] = W[r] . x[t]}. Loaded only
 * when {@link Simd#enabled()}; written for any species of 4, 8 or 16 float lanes (at 4, where no
 * 32-bit byte vector exists, the decoders take the scalar unpacking).
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
 * Q6_K) decode straight from the mapped file into registers: {@code dot*} methods here at 512 bits,
 * {@link ShortDots}' 16-bit integer lanes at 128 and 256 bits (fewer instructions per block there).
 * A batch of at least {@link VectorGemm#MIN_COUNT} vectors takes {@link VectorGemm}: rows decoded once
 * into floats, a register-blocked GEMM with lanes along the batch. A few vectors, and the other types
 * for one vector, take a row decoded once ({@link #decodeRow}) dotted with each vector. For K-quants
 * every path gives the same bits (exact super-block sums, then the same float sequence), so a
 * token's logits do not depend on its batch. The 32-value block types scale each block's sum once
 * in the fused kernels (ggml's order) and sum scaled weights in the GEMM and the decoded-row path:
 * these agree to float rounding, not bit for bit. Float weights (F32, F16, BF16) decode each row
 * once and dot it with every vector (the same bits in any batch).
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
    /** L bytes (at 4 lanes, where no 32-bit shape exists, the 64-bit one: decoders then take the scalar path). */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(L * 32));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;


    static void multiply(WeightMatrix w, Activations x, int rowFrom, int rowTo, float[] out, int outOff,
                         int outStride, MatMul.Scratch s) {
        int n = w.cols();
        int count = x.count();
        GgmlType type = w.type();
        switch (type) {
            case F32, F16, BF16 -> {
                // float weights: each row decoded once, then a lane dot product per vector (batch-invariant bits)
                for (int r = rowFrom; r < rowTo; r++) {
                    MatMul.unpackFloat(w, r, s.wf, 0, s);
                    for (int t = 0; t < count; t++) {
                        out[outOff + t * outStride + r] = dotF32(s.wf, x.f, t * n, n);
                    }
                }
            }
            default -> {
                if (x.cp > 0 && VectorGemm.handles(x.format(), count)) {
                    VectorGemm.multiply(w, x, rowFrom, rowTo, out, outOff, outStride, s);
                    return;
                }
                MemorySegment m = w.data();
                long rb = w.rowBytes();
                if (ShortDots.ENABLED && x.qs != null && shortDots(type)) {
                    // 128/256-bit vectors: 16-bit integer lanes (ShortDots), vector by vector
                    for (int t = 0; t < count; t++) {
                        int xo = t * n;
                        int o = outOff + t * outStride;
                        for (int r = rowFrom; r < rowTo; r++) {
                            long ro = r * rb;
                            out[o + r] = switch (type) {
                                case Q4_0 -> ShortDots.dotQ4_0(m, ro, x, xo, n);
                                case Q5_0 -> ShortDots.dotQ5_0(m, ro, x, xo, n);
                                case Q8_0 -> ShortDots.dotQ8_0(m, ro, x, xo, n);
                                case Q6_K -> ShortDots.dotQ6_K(m, ro, x, xo, n);
                                case Q4_K -> ShortDots.dotQ4_K(m, ro, x, xo, n);
                                default -> throw new IllegalStateException(type.name());
                            };
                        }
                    }
                    return;
                }
                if (count == 1 && L >= 8 && isFused(type)) {
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
                // a few vectors, or a type without a fused kernel: each row decoded once, then lane dot products
                boolean k = type.blockSize() == 256;
                int sub = k ? MatMul.subBlock(type) : 32;
                boolean q81 = x.format() == ActivationFormat.Q8_1;
                boolean mins = MatMul.hasMins(type);
                for (int r = rowFrom; r < rowTo; r++) {
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

    /** Types with a {@link ShortDots} kernel. */
    static boolean shortDots(GgmlType t) {
        return switch (t) {
            case Q4_0, Q5_0, Q8_0 -> true;
            // at 128 bits C2 compiled the K-quant kernels into code that boxed its vectors (megabytes per
            // token, -XX:-TieredCompilation or now and then tiered); there they take the decoded-row path
            case Q4_K, Q6_K -> L == 8;
            default -> false;
        };
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
        decodeRow(w, r, s, s.qf, 0);
    }

    /** {@link #decodeRow(WeightMatrix, int, MatMul.Scratch)} into {@code qf[off .. off + cols)}. */
    static void decodeRow(WeightMatrix w, int r, MatMul.Scratch s, float[] qf, int off) {
        decodeLevels(w, r, s, qf, off);
        int n = w.cols();
        GgmlType t = w.type();
        if (t.blockSize() == 32 && (L < 8 || (t != GgmlType.Q4_0 && t != GgmlType.Q5_0 && t != GgmlType.Q8_0))) {
            // other 32-blocks: the weights themselves, level * d (exact: a small integer times an f16; the
            // Q4_0/Q5_0/Q8_0 vector decoders apply d while decoding)
            for (int b = 0; b < n >> 5; b++) {
                FloatVector d = FloatVector.broadcast(F, s.d[b]);
                for (int i = off + 32 * b; i < off + 32 * b + 32; i += L) {
                    FloatVector.fromArray(F, qf, i).mul(d).intoArray(qf, i);
                }
            }
        } else if (w.type().blockSize() == 256 && (L < 8 || (w.type() != GgmlType.Q4_K && w.type() != GgmlType.Q6_K))) {
            // other K-quants: levels times their (integer) sub-block scales, still exact integers (Q4_K and
            // Q6_K's vector decoders apply them while decoding)
            int sub = MatMul.subBlock(w.type());
            for (int j = 0; j < n / sub; j++) {
                FloatVector sc = FloatVector.broadcast(F, (float) s.sc[j]);
                for (int i = off + j * sub; i < off + (j + 1) * sub; i += L) {
                    FloatVector.fromArray(F, qf, i).mul(sc).intoArray(qf, i);
                }
            }
        }
    }

    private static void decodeLevels(WeightMatrix w, int r, MatMul.Scratch s, float[] qf, int off) {
        // one small method per type: the JIT must inline every Vector API call of a loop to compile
        // it to vector instructions, and one big method would exhaust its inlining budget
        MemorySegment m = w.data();
        int n = w.cols();
        long ro = r * w.rowBytes();
        if (L < 8) { // no byte species of L lanes: the scalar unpacking
            decodeOther(w, r, n, s, qf, off);
            return;
        }
        switch (w.type()) {
            case Q4_0 -> decodeQ4_0(m, ro, n, s, qf, off);
            case Q5_0 -> decodeQ5_0(m, ro, n, s, qf, off);
            case Q8_0 -> decodeQ8_0(m, ro, n, s, qf, off);
            case Q4_K -> decodeQ4_K(m, ro, n, s, qf, off);
            case Q6_K -> decodeQ6_K(m, ro, n, s, qf, off);
            default -> decodeOther(w, r, n, s, qf, off);
        }
    }

    // The 32-block decoders write the weights themselves, level * d (exact: a small integer times an
    // f16), for 8 and 16 lanes; the second half-step of 8 lanes is written out (a two-pass inner loop
    // over the mapped file costs a range-check set-up per block).

    private static void decodeQ4_0(MemorySegment m, long ro, int n, MatMul.Scratch s, float[] qf, int off) {
        for (int b = 0; b < n >> 5; b++) {
            long o = ro + BlockQ4_0.BYTES * (long) b;
            int e = off + 32 * b;
            float d = Float.float16ToFloat(m.get(Bytes.LE_SHORT, o));
            s.d[b] = d;
            IntVector u = (IntVector) ByteVector.fromMemorySegment(B, m, o + BlockQ4_0.QS, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            ((FloatVector) u.and(15).sub(8).convert(VectorOperators.I2F, 0)).mul(d).intoArray(qf, e);
            ((FloatVector) u.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0)).mul(d)
                    .intoArray(qf, e + 16);
            if (L == 8) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, m, o + (BlockQ4_0.QS + 8), LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                ((FloatVector) v.and(15).sub(8).convert(VectorOperators.I2F, 0)).mul(d).intoArray(qf, e + 8);
                ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0)).mul(d)
                        .intoArray(qf, e + 24);
            }
        }
    }

    /** Lane j: j (the shift that brings bit j of Q5_0's qh to bit 0). */
    private static final IntVector LANE = IntVector.zero(I).addIndex(1);

    private static void decodeQ5_0(MemorySegment m, long ro, int n, MatMul.Scratch s, float[] qf, int off) {
        IntVector lane = LANE;
        for (int b = 0; b < n >> 5; b++) {
            long o = ro + BlockQ5_0.BYTES * (long) b;
            int e = off + 32 * b;
            float d = Float.float16ToFloat(m.get(Bytes.LE_SHORT, o));
            s.d[b] = d;
            int qh = m.get(Bytes.LE_INT, o + BlockQ5_0.QH);
            // the fifth bit of value j is bit j of qh: (qh >>> j & 1) << 4, lane-wise
            IntVector h0 = IntVector.broadcast(I, qh);
            IntVector h1 = IntVector.broadcast(I, qh >>> 16);
            IntVector u = (IntVector) ByteVector.fromMemorySegment(B, m, o + BlockQ5_0.QS, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            ((FloatVector) u.and(15).or(h0.lanewise(VectorOperators.LSHR, lane).and(1).lanewise(VectorOperators.LSHL, 4))
                    .sub(16).convert(VectorOperators.I2F, 0)).mul(d).intoArray(qf, e);
            ((FloatVector) u.lanewise(VectorOperators.LSHR, 4)
                    .or(h1.lanewise(VectorOperators.LSHR, lane).and(1).lanewise(VectorOperators.LSHL, 4))
                    .sub(16).convert(VectorOperators.I2F, 0)).mul(d).intoArray(qf, e + 16);
            if (L == 8) {
                IntVector g0 = IntVector.broadcast(I, qh >>> 8);
                IntVector g1 = IntVector.broadcast(I, qh >>> 24);
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, m, o + (BlockQ5_0.QS + 8), LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                ((FloatVector) v.and(15).or(g0.lanewise(VectorOperators.LSHR, lane).and(1).lanewise(VectorOperators.LSHL, 4))
                        .sub(16).convert(VectorOperators.I2F, 0)).mul(d).intoArray(qf, e + 8);
                ((FloatVector) v.lanewise(VectorOperators.LSHR, 4)
                        .or(g1.lanewise(VectorOperators.LSHR, lane).and(1).lanewise(VectorOperators.LSHL, 4))
                        .sub(16).convert(VectorOperators.I2F, 0)).mul(d).intoArray(qf, e + 24);
            }
        }
    }

    private static void decodeQ8_0(MemorySegment m, long ro, int n, MatMul.Scratch s, float[] qf, int off) {
        for (int b = 0; b < n >> 5; b++) {
            long o = ro + BlockQ8_0.BYTES * (long) b;
            int e = off + 32 * b;
            float d = Float.float16ToFloat(m.get(Bytes.LE_SHORT, o));
            s.d[b] = d;
            ((FloatVector) ByteVector.fromMemorySegment(B, m, o + BlockQ8_0.QS, LE).convertShape(VectorOperators.B2F, F, 0))
                    .mul(d).intoArray(qf, e);
            ((FloatVector) ByteVector.fromMemorySegment(B, m, o + BlockQ8_0.QS + L, LE).convertShape(VectorOperators.B2F, F, 0))
                    .mul(d).intoArray(qf, e + L);
            if (L == 8) {
                ((FloatVector) ByteVector.fromMemorySegment(B, m, o + (BlockQ8_0.QS + 16), LE).convertShape(VectorOperators.B2F, F, 0))
                        .mul(d).intoArray(qf, e + 16);
                ((FloatVector) ByteVector.fromMemorySegment(B, m, o + (BlockQ8_0.QS + 24), LE).convertShape(VectorOperators.B2F, F, 0))
                        .mul(d).intoArray(qf, e + 24);
            }
        }
    }

    private static void decodeQ4_K(MemorySegment m, long ro, int n, MatMul.Scratch s, float[] qf, int off) {
        int[] sm = s.sm;
        for (int sb = 0; sb < n >> 8; sb++) {
            long o = ro + (long) BlockQ4_K.BYTES * sb;
            s.d[sb] = f16(m, o);
            s.m[sb] = f16(m, o + BlockQ4_K.DMIN);
            MemorySegment.copy(m, BYTE, o + BlockQ4_K.SCALES, s.kb, 0, 12);
            for (int j = 0; j < 8; j++) {
                KQuants.scaleMinK4(j, s.kb, 0, sm);
                s.sc[8 * sb + j] = sm[0];
                s.mn[8 * sb + j] = sm[1];
            }
            for (int c = 0; c < 4; c++) {
                int scLo = s.sc[8 * sb + 2 * c];
                int scHi = s.sc[8 * sb + 2 * c + 1];
                for (int k = 0; k < 32; k += L) {
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, m, o + BlockQ4_K.QS + 32 * c + k, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    int e = off + 256 * sb + 64 * c + k;
                    ((FloatVector) v.and(15).mul(scLo).convert(VectorOperators.I2F, 0)).intoArray(qf, e);
                    ((FloatVector) v.lanewise(VectorOperators.ASHR, 4).and(15).mul(scHi).convert(VectorOperators.I2F, 0))
                            .intoArray(qf, e + 32);
                }
            }
        }
    }

    private static void decodeQ6_K(MemorySegment m, long ro, int n, MatMul.Scratch s, float[] qf, int off) {
        for (int sb = 0; sb < n >> 8; sb++) {
            long o = ro + (long) BlockQ6_K.BYTES * sb;
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l += L) {
                    long ql = o + 64 * h + l;
                    IntVector lo0 = (IntVector) ByteVector.fromMemorySegment(B, m, ql, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector lo1 = (IntVector) ByteVector.fromMemorySegment(B, m, ql + 32, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector qh = (IntVector) ByteVector.fromMemorySegment(B, m, o + BlockQ6_K.QH + 32 * h + l, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    int e = off + 256 * sb + 128 * h + l;
                    long sc = o + BlockQ6_K.SCALES + ((128 * h + l) >> 4); // sub-block scale of value e; +2 per 32 values
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
            s.d[sb] = f16(m, o + BlockQ6_K.D);
            for (int j = 0; j < 16; j++) {
                s.sc[16 * sb + j] = m.get(BYTE, o + BlockQ6_K.SCALES + j);
            }
        }
    }

    private static void decodeOther(WeightMatrix w, int r, int n, MatMul.Scratch s, float[] qf, int off) {
        // the other types: the scalar unpacking, then the levels widened to floats
        if (w.type().blockSize() == 32) {
            MatMul.unpack32(w, r, s);
        } else {
            MatMul.unpackK(w, r, s);
        }
        if (L < 8) {
            byte[] q = s.q;
            for (int i = 0; i < n; i++) {
                qf[off + i] = q[i];
            }
            return;
        }
        for (int i = 0; i < n; i += L) {
            ((FloatVector) ByteVector.fromArray(B, s.q, i).convertShape(VectorOperators.B2F, F, 0))
                    .intoArray(qf, off + i);
        }
    }

    // ------------------------------------------------------------------------------ decoded rows x a few vectors

    /**
     * 32-blocks: {@code out[outOff + t * outStride + r] = row . x[t]} for every vector t of the batch,
     * the row decoded to its weights by {@link #decodeRow}, dotted with the activations' values
     * ({@link Activations#xf}). (Larger batches take {@link VectorGemm}.)
     */
    static void rowTokens32(MatMul.Scratch s, int n, boolean q81, Activations x, float[] out, int outOff,
                            int outStride, int r) {
        float[] qf = s.qf;
        float[] xf = x.xf;
        int count = x.count();
        int nb = n >> 5;
        for (int t = 0; t < count; t++) {
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
     * {@link #decodeRow} (levels already times their sub-block scales). (Larger batches take
     * {@link VectorGemm}.)
     */
    static void rowTokensK(MatMul.Scratch s, int n, int sub, boolean mins, Activations x, float[] out, int outOff,
                           int outStride, int r) {
        float[] qf = s.qf;
        float[] xq = x.qf;
        int count = x.count();
        int nsb = n >> 8;
        for (int t = 0; t < count; t++) {
            int x0 = t * n;
            float s0 = 0;
            for (int sb = 0; sb < nsb; sb++) {
                int o = 256 * sb;
                s0 = MatMul.superBlock(s0, dot256(qf, o, xq, x0 + o), s.d, s.m, s.mn, sb, sub, mins, x, t, nsb);
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
            long o = ro + (long) BlockQ4_0.BYTES * b;
            int e = 32 * b;
            FloatVector p = FloatVector.zero(F);
            for (int k = 0; k < 16; k += L) { // 16 lanes: once; 8 lanes: the two halves of the packed bytes
                IntVector u = (IntVector) ByteVector.fromMemorySegment(B, m, o + BlockQ4_0.QS + k, LE)
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
            long o = ro + (long) BlockQ5_0.BYTES * b;
            int e = 32 * b;
            long qh = m.get(Bytes.LE_INT, o + BlockQ5_0.QH) & 0xFFFF_FFFFL;
            FloatVector p = FloatVector.zero(F);
            for (int k = 0; k < 16; k += L) {
                IntVector u = (IntVector) ByteVector.fromMemorySegment(B, m, o + BlockQ5_0.QS + k, LE)
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
            long o = ro + (long) BlockQ8_0.BYTES * b;
            int e = 32 * b;
            FloatVector p = FloatVector.zero(F);
            for (int v = 0; v < 32 / L; v++) {
                p = ((FloatVector) ByteVector.fromMemorySegment(B, m, o + BlockQ8_0.QS + v * L, LE).convertShape(VectorOperators.B2F, F, 0))
                        .fma(FloatVector.fromArray(F, xf, e + v * L), p);
            }
            acc = p.fma(FloatVector.broadcast(F, Float.float16ToFloat(m.get(Bytes.LE_SHORT, o))), acc);
        }
        return LaneSum.of(acc);
    }

    /**
     * Q4_K x Q8_K: the integer sum {@code sum_j sc[j] * sum(l * q)} over the super-block in exact float
     * lanes (at most 16, with 8 lanes 32, terms of 63 * 15 * 127), the mins through the activations'
     * block sums ({@link MatMul#superBlock}). No vector helpers of ours inside the loop (see {@link #dotQ6_K}).
     */
    static float dotQ4_K(MemorySegment m, long ro, Activations x, int n, MatMul.Scratch s) {
        float[] xq = x.qf;
        int[] bs = x.bsums;
        int nsb = n >> 8;
        float sum = 0;
        for (int sb = 0; sb < nsb; sb++) {
            long o = ro + (long) BlockQ4_K.BYTES * sb;
            // the 8 six-bit scales and mins, four per 32-bit word (KQuants.scaleMinK4, all lanes at once)
            long q03 = m.get(Bytes.LE_INT, o + BlockQ4_K.SCALES) & 0xFFFF_FFFFL;
            long q47 = m.get(Bytes.LE_INT, o + (BlockQ4_K.SCALES + 4)) & 0xFFFF_FFFFL;
            long q8b = m.get(Bytes.LE_INT, o + (BlockQ4_K.SCALES + 8)) & 0xFFFF_FFFFL;
            long scales = (q03 & 0x3F3F3F3FL) | (((q8b & 0x0F0F0F0FL) | ((q03 >>> 2) & 0x30303030L)) << 32);
            long mins = (q47 & 0x3F3F3F3FL) | ((((q8b >>> 4) & 0x0F0F0F0FL) | ((q47 >>> 2) & 0x30303030L)) << 32);
            FloatVector is = FloatVector.zero(F); // two accumulators: two chains of dependent FMAs, not one
            FloatVector is2 = is;
            for (int c = 0; c < 4; c++) {
                int lo = (int) (scales >>> (16 * c)) & 0xFF;
                int hi = (int) (scales >>> (16 * c + 8)) & 0xFF;
                for (int k = 0; k < 32; k += L) {
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, m, o + BlockQ4_K.QS + 32 * c + k, LE)
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
            sum -= (dx * Float.float16ToFloat(m.get(Bytes.LE_SHORT, o + BlockQ4_K.DMIN))) * msum;
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
            long o = ro + (long) BlockQ6_K.BYTES * sb;
            FloatVector is = FloatVector.zero(F); // two accumulators: two chains of dependent FMAs, not one
            FloatVector is2 = is;
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l += L) {
                    // values e, e+32, e+64, e+96 (e = 128 h + l) share their packed bytes
                    IntVector a = (IntVector) ByteVector.fromMemorySegment(B, m, o + 64 * h + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector b = (IntVector) ByteVector.fromMemorySegment(B, m, o + 64 * h + 32 + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    IntVector qh = (IntVector) ByteVector.fromMemorySegment(B, m, o + BlockQ6_K.QH + 32 * h + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    int e = 256 * sb + 128 * h + l;
                    long sc = o + BlockQ6_K.SCALES + ((128 * h + l) >> 4); // the sub-block scale of value e; +2 per 32 values
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
            float d = Float.float16ToFloat(m.get(Bytes.LE_SHORT, o + BlockQ6_K.D));
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
