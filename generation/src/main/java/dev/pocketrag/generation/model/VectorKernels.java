package dev.pocketrag.generation.model;

import java.lang.foreign.MemorySegment;
import dev.pocketrag.generation.tensor.LaneSum;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of {@link Kernels}' scalar twins (loaded only when SIMD is enabled). Lane
 * sums use a fixed pairwise order and {@code exp} is a polynomial of plain lane-wise operations (not
 * {@code VectorOperators.EXP}, whose last bit differs between the interpreter and the JIT), so the
 * results are the same bits in every run.
 */
final class VectorKernels {
    private VectorKernels() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(L * 32));
    /** IEEE binary16 bits (zero-extended) to float lanes as Float.float16ToFloat: exact, NaNs quieted. */
    private static FloatVector halfToFloat(IntVector h) {
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector mag = h.and(0x7fff);
        IntVector shifted = mag.lanewise(VectorOperators.LSHL, 13);
        // (mag << 13) read as a float is the value times 2^-112 (normal and subnormal halves alike)
        IntVector bits = ((FloatVector) shifted.reinterpretAsFloats()).mul(0x1p112f).reinterpretAsInts();
        VectorMask<Integer> special = mag.compare(VectorOperators.GE, 0x7c00);
        VectorMask<Integer> nan = mag.compare(VectorOperators.GT, 0x7c00);
        bits = bits.blend(shifted.or(0x7f800000), special).blend(shifted.or(0x7fc00000), nan).or(sign);
        return (FloatVector) bits.reinterpretAsFloats();
    }

    static void f16ToF32(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            ShortVector h = ShortVector.fromMemorySegment(S, src, off + 2L * i, ByteOrder.nativeOrder());
            halfToFloat((IntVector) h.convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0)).intoArray(dst, dstOff + i);
        }
        if (i < n) {
            Kernels.f16ToF32Scalar(src, off + 2L * i, dst, dstOff + i, n - i);
        }
    }

    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        }
        float s = LaneSum.of(acc);
        for (; i < n; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return s;
    }

    static void axpy(float p, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector pv = FloatVector.broadcast(F, p);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(F, x, xo + i).fma(pv, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += p * x[xo + i];
        }
    }

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: adding it rounds to an integer (ties to even)

    // e^x lane-wise (inlined by hand in siluMul and expShift), about 2 ulp: x clamped to [-87.3, 88],
    // x = k ln2 + r (Cody-Waite), e^r by its degree-6 Taylor polynomial (|r| <= ln2/2: error below
    // 2e-7 relative), times 2^k via the exponent bits.

    static void siluMul(float[] g, int go, float[] u, int uo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector gv = FloatVector.fromArray(F, g, go + i);
            // e^-g inline (a vector passed to a method the JIT does not inline would be boxed)
            FloatVector x = gv.neg().max(-87.3f).min(88.0f);
            FloatVector k = x.fma(LOG2E, ROUND).sub(ROUND);
            FloatVector r = k.fma(-LN2_HI, 0f).add(x);
            r = k.fma(-LN2_LO, 0f).add(r);
            FloatVector p = r.fma(1f / 720, 1f / 120);
            p = p.mul(r).add(1f / 24);
            p = p.mul(r).add(1f / 6);
            p = p.mul(r).add(0.5f);
            p = p.mul(r).add(1f);
            p = p.mul(r).add(1f);
            IntVector ek = ((IntVector) k.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
            FloatVector silu = gv.div(p.mul((FloatVector) ek.reinterpretAsFloats()).add(1f));
            silu.mul(FloatVector.fromArray(F, u, uo + i)).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            out[oo + i] = Activation.silu(g[go + i]) * u[uo + i];
        }
    }

    static double expShift(float[] s, int from, int to, float max) {
        FloatVector acc = FloatVector.zero(F);
        int j = from;
        for (int bound = from + F.loopBound(to - from); j < bound; j += L) {
            FloatVector x = FloatVector.fromArray(F, s, j).sub(max).max(-87.3f).min(88.0f);
            FloatVector k = x.fma(LOG2E, ROUND).sub(ROUND);
            FloatVector r = k.fma(-LN2_HI, 0f).add(x);
            r = k.fma(-LN2_LO, 0f).add(r);
            FloatVector p = r.fma(1f / 720, 1f / 120);
            p = p.mul(r).add(1f / 24);
            p = p.mul(r).add(1f / 6);
            p = p.mul(r).add(0.5f);
            p = p.mul(r).add(1f);
            p = p.mul(r).add(1f);
            IntVector ek = ((IntVector) k.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
            FloatVector e = p.mul((FloatVector) ek.reinterpretAsFloats());
            e.intoArray(s, j);
            acc = acc.add(e);
        }
        double sum = LaneSum.of(acc);
        for (; j < to; j++) {
            float e = (float) Math.exp(s[j] - max);
            s[j] = e;
            sum += e;
        }
        return sum;
    }
}
