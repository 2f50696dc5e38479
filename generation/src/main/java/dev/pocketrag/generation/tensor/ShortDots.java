package dev.pocketrag.generation.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix-vector dot products in 16-bit integer lanes, for 128- and 256-bit vectors (NEON, SSE,
 * AVX2), where they need fewer instructions per block than float lanes: a vector of {@code 2L}
 * shorts holds twice the values of a float vector, so one multiply covers 16 (AVX2) weight-times-
 * activation products. Each 16-bit lane holds an exact product of a weight level and an int8
 * activation quant ({@link Activations#qs}), or the sum of two or four of them (at most 4 x 15 x 127
 * for Q4_0, well inside 16 bits); adjacent lanes are then summed into 32-bit lanes
 * ({@code (p + (p << 16)) >> 16} of the pair read as one int, exact while the pair's sum fits 16
 * bits; Q8_0, whose pairs may not, widens each half), and those exact integer sums are scaled as
 * ggml scales a block's integer sum (Q6_K: each 16-value sub-block's sum times its int8 scale, in
 * int lanes, over the super-block). The float kernels of {@link VectorMatMul} stay for 512-bit
 * vectors, where they measured faster.
 *
 * <p>The 32-value block loops hold no inner loop: at 8 shorts (128-bit) the second half of a
 * 16-value step is written out under {@code if (SL == 8)}, which the JIT folds. (The K-quant
 * kernels loop over steps of SL values inside a super-block instead: written out twice, their
 * 128-bit form grew past C2's inlining budget, and the Vector API calls left out ran boxed,
 * allocating megabytes per token.) A short inner loop over a
 * MemorySegment costs a range-check set-up per block that can exceed the block's own work (seen in
 * the disassembly of the float kernels at 256 bits). Results agree with the scalar twin to float
 * rounding (Q4_0, Q5_0, Q8_0: the per-block scaling and the lane order differ) or bit for bit
 * (Q6_K: exact integer super-block sums, then {@link MatMul#superBlock}'s float sequence).
 */
final class ShortDots {
    private ShortDots() {}

    private static final VectorSpecies<Float> F = VectorMatMul.F;
    private static final int L = VectorMatMul.L;
    /** Shorts per vector: two per float lane. */
    static final int SL = 2 * L;
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 32));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(L * 32));
    /** SL bytes, widened to SL shorts. */
    private static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 16));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Whether these kernels serve this JVM's vectors (128 or 256 bits). */
    static final boolean ENABLED = L == 4 || L == 8;
    /** Lane j: bit j (Q5_0's high bits). */
    private static final ShortVector BITS = ENABLED ? ShortVector.fromArray(S,
            new short[] {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, (short) 0x8000}, 0) : null;

    /**
     * Q4_0 x Q8_0 for the vector of x at value {@code xo} (block {@code xo / 32}): per block
     * {@code d_w d_x sum(l q) - 8 d_w xs} with l the unsigned nibble (ggml's order: each block's
     * integer sum scaled once).
     */
    static float dotQ4_0(MemorySegment m, long ro, Activations x, int xo, int n) {
        short[] xq = x.qs;
        float[] xd = x.d;
        float[] xs = x.xs;
        int xb = xo >> 5;
        FloatVector acc = FloatVector.zero(F);
        float off = 0;
        for (int b = 0; b < n >> 5; b++) {
            long o = ro + BlockQ4_0.BYTES * (long) b;
            int e = xo + 32 * b;
            ShortVector u = (ShortVector) ByteVector.fromMemorySegment(BS, m, o + BlockQ4_0.QS, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            ShortVector p = u.and((short) 15).mul(ShortVector.fromArray(S, xq, e))
                    .add(u.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S, xq, e + 16)));
            if (SL == 8) {
                ShortVector v = (ShortVector) ByteVector.fromMemorySegment(BS, m, o + (BlockQ4_0.QS + 8), LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                p = p.add(v.and((short) 15).mul(ShortVector.fromArray(S, xq, e + 8)))
                        .add(v.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S, xq, e + 24)));
            }
            IntVector pi = p.reinterpretAsInts();
            IntVector is = pi.add(pi.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            float d = Float.float16ToFloat(m.get(Bytes.LE_SHORT, o));
            acc = ((FloatVector) is.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, d * xd[xb + b]), acc);
            off += d * xs[xb + b];
        }
        return LaneSum.of(acc) - 8 * off;
    }

    /** Q5_0 x Q8_0: as {@link #dotQ4_0} with the fifth bit from {@code qh} and an offset of 16. */
    static float dotQ5_0(MemorySegment m, long ro, Activations x, int xo, int n) {
        short[] xq = x.qs;
        float[] xd = x.d;
        float[] xs = x.xs;
        int xb = xo >> 5;
        ShortVector bits = BITS;
        FloatVector acc = FloatVector.zero(F);
        float off = 0;
        for (int b = 0; b < n >> 5; b++) {
            long o = ro + BlockQ5_0.BYTES * (long) b;
            int e = xo + 32 * b;
            int qh = m.get(Bytes.LE_INT, o + BlockQ5_0.QH);
            ShortVector u = (ShortVector) ByteVector.fromMemorySegment(BS, m, o + BlockQ5_0.QS, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            // bit j of qh is the fifth bit of value j: lanes where (qh >> k) & bit(j) == bit(j) get 16
            ShortVector h0 = ShortVector.broadcast(S, (short) qh).and(bits);
            ShortVector h1 = ShortVector.broadcast(S, (short) (qh >>> 16)).and(bits);
            ShortVector lo = u.and((short) 15).or(h0.compare(VectorOperators.EQ, bits).toVector().reinterpretAsShorts()
                    .and((short) 16));
            ShortVector hi = u.lanewise(VectorOperators.LSHR, 4).or(h1.compare(VectorOperators.EQ, bits).toVector()
                    .reinterpretAsShorts().and((short) 16));
            ShortVector p = lo.mul(ShortVector.fromArray(S, xq, e)).add(hi.mul(ShortVector.fromArray(S, xq, e + 16)));
            if (SL == 8) {
                ShortVector v = (ShortVector) ByteVector.fromMemorySegment(BS, m, o + (BlockQ5_0.QS + 8), LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                ShortVector g0 = ShortVector.broadcast(S, (short) (qh >>> 8)).and(bits);
                ShortVector g1 = ShortVector.broadcast(S, (short) (qh >>> 24)).and(bits);
                ShortVector lo2 = v.and((short) 15).or(g0.compare(VectorOperators.EQ, bits).toVector()
                        .reinterpretAsShorts().and((short) 16));
                ShortVector hi2 = v.lanewise(VectorOperators.LSHR, 4).or(g1.compare(VectorOperators.EQ, bits).toVector()
                        .reinterpretAsShorts().and((short) 16));
                p = p.add(lo2.mul(ShortVector.fromArray(S, xq, e + 8))).add(hi2.mul(ShortVector.fromArray(S, xq, e + 24)));
            }
            IntVector pi = p.reinterpretAsInts();
            IntVector is = pi.add(pi.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            float d = Float.float16ToFloat(m.get(Bytes.LE_SHORT, o));
            acc = ((FloatVector) is.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, d * xd[xb + b]), acc);
            off += d * xs[xb + b];
        }
        return LaneSum.of(acc) - 16 * off;
    }

    /**
     * Q8_0 x Q8_0: per block {@code d_w d_x sum(q_w q_x)}. A 16-bit lane holds one product of each
     * half-block (|sum| at most 2 x 128 x 127), so each lane is widened, not paired.
     */
    static float dotQ8_0(MemorySegment m, long ro, Activations x, int xo, int n) {
        short[] xq = x.qs;
        float[] xd = x.d;
        int xb = xo >> 5;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n >> 5; b++) {
            long o = ro + BlockQ8_0.BYTES * (long) b;
            int e = xo + 32 * b;
            ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(BS, m, o + BlockQ8_0.QS, LE)
                    .convertShape(VectorOperators.B2S, S, 0);
            ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(BS, m, o + BlockQ8_0.QS + 16, LE)
                    .convertShape(VectorOperators.B2S, S, 0);
            ShortVector p = w0.mul(ShortVector.fromArray(S, xq, e)).add(w1.mul(ShortVector.fromArray(S, xq, e + 16)));
            IntVector pi = p.reinterpretAsInts();
            IntVector is = pi.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(pi.lanewise(VectorOperators.ASHR, 16));
            if (SL == 8) {
                ShortVector w2 = (ShortVector) ByteVector.fromMemorySegment(BS, m, o + BlockQ8_0.QS + 8, LE)
                        .convertShape(VectorOperators.B2S, S, 0);
                ShortVector w3 = (ShortVector) ByteVector.fromMemorySegment(BS, m, o + BlockQ8_0.QS + 24, LE)
                        .convertShape(VectorOperators.B2S, S, 0);
                ShortVector p2 = w2.mul(ShortVector.fromArray(S, xq, e + 8)).add(w3.mul(ShortVector.fromArray(S, xq, e + 24)));
                IntVector qi = p2.reinterpretAsInts();
                is = is.add(qi.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                        .add(qi.lanewise(VectorOperators.ASHR, 16));
            }
            float d = Float.float16ToFloat(m.get(Bytes.LE_SHORT, o));
            acc = ((FloatVector) is.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, d * xd[xb + b]), acc);
        }
        return LaneSum.of(acc);
    }

    /**
     * Q6_K x Q8_K: per 16-value sub-block, the exact integer sum of {@code (level - 32) * q} in
     * 32-bit lanes times the sub-block's int8 scale, summed over the super-block (exact integers),
     * then {@code sum += (d_x * d) * isum} as {@link MatMul#superBlock}: the scalar twin's bits.
     */
    static float dotQ6_K(MemorySegment m, long ro, Activations x, int xo, int n) {
        short[] xq = x.qs;
        float[] xd = x.d;
        int xb = xo >> 8;
        float sum = 0;
        for (int sb = 0; sb < n >> 8; sb++) {
            long o = ro + BlockQ6_K.BYTES * (long) sb;
            IntVector is = IntVector.zero(I);
            for (int g = 0; g < 64 / SL; g++) {
                // values e .. e+SL-1 and their copies +32, +64, +96 (e = 128 h + l) share their packed bytes
                int h = g / (32 / SL);
                int l = (g % (32 / SL)) * SL;
                long ql = o + 64 * h + l;
                long qo = o + BlockQ6_K.QH + 32 * h + l;
                long sc = o + BlockQ6_K.SCALES + ((128 * h + l) >> 4); // the scale of value e's sub-block; +2 per 32 values
                int e = xo + 256 * sb + 128 * h + l;
                ShortVector a = (ShortVector) ByteVector.fromMemorySegment(BS, m, ql, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                ShortVector b = (ShortVector) ByteVector.fromMemorySegment(BS, m, ql + 32, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                ShortVector qh = (ShortVector) ByteVector.fromMemorySegment(BS, m, qo, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                // levels - 32 times the quants: one product per 16-bit lane
                IntVector p0 = a.and((short) 15).or(qh.and((short) 3).lanewise(VectorOperators.LSHL, 4)).sub((short) 32)
                        .mul(ShortVector.fromArray(S, xq, e)).reinterpretAsInts();
                IntVector p1 = b.and((short) 15).or(qh.and((short) 12).lanewise(VectorOperators.LSHL, 2)).sub((short) 32)
                        .mul(ShortVector.fromArray(S, xq, e + 32)).reinterpretAsInts();
                IntVector p2 = a.lanewise(VectorOperators.LSHR, 4).or(qh.and((short) 48)).sub((short) 32)
                        .mul(ShortVector.fromArray(S, xq, e + 64)).reinterpretAsInts();
                IntVector p3 = b.lanewise(VectorOperators.LSHR, 4).or(qh.lanewise(VectorOperators.LSHR, 2).and((short) 48))
                        .sub((short) 32).mul(ShortVector.fromArray(S, xq, e + 96)).reinterpretAsInts();
                // adjacent products paired into int lanes (|sum| <= 2 x 32 x 127), times each group's scale
                is = is.add(p0.add(p0.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                                .mul(m.get(ValueLayout.JAVA_BYTE, sc)))
                        .add(p1.add(p1.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                                .mul(m.get(ValueLayout.JAVA_BYTE, sc + 2)))
                        .add(p2.add(p2.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                                .mul(m.get(ValueLayout.JAVA_BYTE, sc + 4)))
                        .add(p3.add(p3.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                                .mul(m.get(ValueLayout.JAVA_BYTE, sc + 6)));
            }
            float d = Float.float16ToFloat(m.get(Bytes.LE_SHORT, o + BlockQ6_K.D));
            sum += (xd[xb + sb] * d) * is.reduceLanes(VectorOperators.ADD);
        }
        return sum;
    }

    /**
     * Q4_K x Q8_K: per 32-value sub-block the exact integer sum of {@code level * q} in 32-bit lanes
     * times its 6-bit scale, over the super-block, then {@link MatMul#superBlock}'s float sequence
     * with the mins through the activations' 16-sums: the scalar twin's bits.
     */
    static float dotQ4_K(MemorySegment m, long ro, Activations x, int xo, int n) {
        short[] xq = x.qs;
        float[] xd = x.d;
        int[] bs = x.bsums;
        int xb = xo >> 8;
        float sum = 0;
        for (int sb = 0; sb < n >> 8; sb++) {
            long o = ro + BlockQ4_K.BYTES * (long) sb;
            // the 8 six-bit scales and mins, four per 32-bit word (KQuants.scaleMinK4, all at once)
            long q03 = m.get(Bytes.LE_INT, o + BlockQ4_K.SCALES) & 0xFFFF_FFFFL;
            long q47 = m.get(Bytes.LE_INT, o + (BlockQ4_K.SCALES + 4)) & 0xFFFF_FFFFL;
            long q8b = m.get(Bytes.LE_INT, o + (BlockQ4_K.SCALES + 8)) & 0xFFFF_FFFFL;
            long scales = (q03 & 0x3F3F3F3FL) | (((q8b & 0x0F0F0F0FL) | ((q03 >>> 2) & 0x30303030L)) << 32);
            long mins = (q47 & 0x3F3F3F3FL) | ((((q8b >>> 4) & 0x0F0F0F0FL) | ((q47 >>> 2) & 0x30303030L)) << 32);
            IntVector is = IntVector.zero(I);
            for (int c = 0; c < 4; c++) {
                // chunk c: byte l holds value 64c + l (sub-block 2c) and 64c + 32 + l (sub-block 2c + 1)
                int lo = (int) (scales >>> (16 * c)) & 0xFF;
                int hi = (int) (scales >>> (16 * c + 8)) & 0xFF;
                long q = o + BlockQ4_K.QS + 32 * c;
                int e = xo + 256 * sb + 64 * c;
                for (int l = 0; l < 32; l += SL) {
                    ShortVector u = (ShortVector) ByteVector.fromMemorySegment(BS, m, q + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                    IntVector pl = u.and((short) 15).mul(ShortVector.fromArray(S, xq, e + l)).reinterpretAsInts();
                    IntVector ph = u.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S, xq, e + 32 + l))
                            .reinterpretAsInts();
                    is = is.add(pl.add(pl.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).mul(lo))
                            .add(ph.add(ph.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).mul(hi));
                }
            }
            int msum = 0;
            int b16 = (xb + sb) * 16;
            for (int j = 0; j < 8; j++) {
                msum += ((int) (mins >>> (8 * j)) & 0xFF) * (bs[b16 + 2 * j] + bs[b16 + 2 * j + 1]);
            }
            float dx = xd[xb + sb];
            sum += (dx * Float.float16ToFloat(m.get(Bytes.LE_SHORT, o))) * is.reduceLanes(VectorOperators.ADD);
            sum -= (dx * Float.float16ToFloat(m.get(Bytes.LE_SHORT, o + BlockQ4_K.DMIN))) * msum;
        }
        return sum;
    }
}
