package dev.pocketrag.generation.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of {@link Kernels}' scalar twins (loaded only when SIMD is enabled). The
 * attention kernels keep one accumulator per output (no lane sums); the softmax sum uses a fixed
 * pairwise lane order and {@code exp} is a polynomial of plain lane-wise operations (not
 * {@code VectorOperators.EXP}, whose last bit differs between the interpreter and the JIT), so the
 * results are the same bits in every run.
 */
final class VectorKernels {
    private VectorKernels() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Float lanes of the preferred species: the key tile of {@link KvCache}. */
    static final int LANES = L;

    // The attention kernels below are written out (no helper methods taking or returning vectors: a
    // helper the JIT leaves out past its inlining budget gets boxed vectors). Every accumulator is one
    // chain of fma in order (see Kernels.scores4), so they equal the scalar twins bit for bit.

    static void scores4(float[] q, int qo, int hd, float[] kt, int ko, int nTiles, float[] s, int so, int ss) {
        int q1 = qo + hd;
        int q2 = q1 + hd;
        int q3 = q2 + hd;
        int step = hd * L; // floats per key tile
        int b = 0;
        for (; b + 2 <= nTiles; b += 2) {
            FloatVector a00 = FloatVector.zero(F);
            FloatVector a01 = a00;
            FloatVector a10 = a00;
            FloatVector a11 = a00;
            FloatVector a20 = a00;
            FloatVector a21 = a00;
            FloatVector a30 = a00;
            FloatVector a31 = a00;
            int k0 = ko + b * step;
            int k1 = k0 + step;
            for (int i = 0; i < hd; i++) {
                FloatVector x0 = FloatVector.fromArray(F, kt, k0 + i * L);
                FloatVector x1 = FloatVector.fromArray(F, kt, k1 + i * L);
                FloatVector y = FloatVector.broadcast(F, q[qo + i]);
                a00 = x0.fma(y, a00);
                a01 = x1.fma(y, a01);
                y = FloatVector.broadcast(F, q[q1 + i]);
                a10 = x0.fma(y, a10);
                a11 = x1.fma(y, a11);
                y = FloatVector.broadcast(F, q[q2 + i]);
                a20 = x0.fma(y, a20);
                a21 = x1.fma(y, a21);
                y = FloatVector.broadcast(F, q[q3 + i]);
                a30 = x0.fma(y, a30);
                a31 = x1.fma(y, a31);
            }
            int o = so + b * L;
            a00.intoArray(s, o);
            a01.intoArray(s, o + L);
            a10.intoArray(s, o + ss);
            a11.intoArray(s, o + ss + L);
            a20.intoArray(s, o + 2 * ss);
            a21.intoArray(s, o + 2 * ss + L);
            a30.intoArray(s, o + 3 * ss);
            a31.intoArray(s, o + 3 * ss + L);
        }
        if (b < nTiles) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            int k0 = ko + b * step;
            for (int i = 0; i < hd; i++) {
                FloatVector x0 = FloatVector.fromArray(F, kt, k0 + i * L);
                a0 = x0.fma(FloatVector.broadcast(F, q[qo + i]), a0);
                a1 = x0.fma(FloatVector.broadcast(F, q[q1 + i]), a1);
                a2 = x0.fma(FloatVector.broadcast(F, q[q2 + i]), a2);
                a3 = x0.fma(FloatVector.broadcast(F, q[q3 + i]), a3);
            }
            int o = so + b * L;
            a0.intoArray(s, o);
            a1.intoArray(s, o + ss);
            a2.intoArray(s, o + 2 * ss);
            a3.intoArray(s, o + 3 * ss);
        }
    }

    static void scores1(float[] q, int qo, int hd, float[] kt, int ko, int nTiles, float[] s, int so) {
        int step = hd * L;
        int b = 0;
        for (; b + 4 <= nTiles; b += 4) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            int k0 = ko + b * step;
            for (int i = 0; i < hd; i++) {
                FloatVector y = FloatVector.broadcast(F, q[qo + i]);
                int k = k0 + i * L;
                a0 = FloatVector.fromArray(F, kt, k).fma(y, a0);
                a1 = FloatVector.fromArray(F, kt, k + step).fma(y, a1);
                a2 = FloatVector.fromArray(F, kt, k + 2 * step).fma(y, a2);
                a3 = FloatVector.fromArray(F, kt, k + 3 * step).fma(y, a3);
            }
            int o = so + b * L;
            a0.intoArray(s, o);
            a1.intoArray(s, o + L);
            a2.intoArray(s, o + 2 * L);
            a3.intoArray(s, o + 3 * L);
        }
        for (; b < nTiles; b++) {
            FloatVector a0 = FloatVector.zero(F);
            int k0 = ko + b * step;
            for (int i = 0; i < hd; i++) {
                a0 = FloatVector.fromArray(F, kt, k0 + i * L).fma(FloatVector.broadcast(F, q[qo + i]), a0);
            }
            a0.intoArray(s, so + b * L);
        }
    }

    static void weightedSum4(float[] p, int po, int ps, float[] v, int vo, int hdv, int j0, int j1, float[] o, int oo) {
        int p1 = po + ps;
        int p2 = p1 + ps;
        int p3 = p2 + ps;
        int o1 = oo + hdv;
        int o2 = o1 + hdv;
        int o3 = o2 + hdv;
        int d = 0;
        for (; d + 2 * L <= hdv; d += 2 * L) {
            FloatVector a00 = FloatVector.fromArray(F, o, oo + d);
            FloatVector a01 = FloatVector.fromArray(F, o, oo + d + L);
            FloatVector a10 = FloatVector.fromArray(F, o, o1 + d);
            FloatVector a11 = FloatVector.fromArray(F, o, o1 + d + L);
            FloatVector a20 = FloatVector.fromArray(F, o, o2 + d);
            FloatVector a21 = FloatVector.fromArray(F, o, o2 + d + L);
            FloatVector a30 = FloatVector.fromArray(F, o, o3 + d);
            FloatVector a31 = FloatVector.fromArray(F, o, o3 + d + L);
            for (int j = j0; j < j1; j++) {
                int vj = vo + j * hdv + d;
                FloatVector x0 = FloatVector.fromArray(F, v, vj);
                FloatVector x1 = FloatVector.fromArray(F, v, vj + L);
                FloatVector y = FloatVector.broadcast(F, p[po + j]);
                a00 = x0.fma(y, a00);
                a01 = x1.fma(y, a01);
                y = FloatVector.broadcast(F, p[p1 + j]);
                a10 = x0.fma(y, a10);
                a11 = x1.fma(y, a11);
                y = FloatVector.broadcast(F, p[p2 + j]);
                a20 = x0.fma(y, a20);
                a21 = x1.fma(y, a21);
                y = FloatVector.broadcast(F, p[p3 + j]);
                a30 = x0.fma(y, a30);
                a31 = x1.fma(y, a31);
            }
            a00.intoArray(o, oo + d);
            a01.intoArray(o, oo + d + L);
            a10.intoArray(o, o1 + d);
            a11.intoArray(o, o1 + d + L);
            a20.intoArray(o, o2 + d);
            a21.intoArray(o, o2 + d + L);
            a30.intoArray(o, o3 + d);
            a31.intoArray(o, o3 + d + L);
        }
        if (d + L <= hdv) {
            FloatVector a0 = FloatVector.fromArray(F, o, oo + d);
            FloatVector a1 = FloatVector.fromArray(F, o, o1 + d);
            FloatVector a2 = FloatVector.fromArray(F, o, o2 + d);
            FloatVector a3 = FloatVector.fromArray(F, o, o3 + d);
            for (int j = j0; j < j1; j++) {
                FloatVector x0 = FloatVector.fromArray(F, v, vo + j * hdv + d);
                a0 = x0.fma(FloatVector.broadcast(F, p[po + j]), a0);
                a1 = x0.fma(FloatVector.broadcast(F, p[p1 + j]), a1);
                a2 = x0.fma(FloatVector.broadcast(F, p[p2 + j]), a2);
                a3 = x0.fma(FloatVector.broadcast(F, p[p3 + j]), a3);
            }
            a0.intoArray(o, oo + d);
            a1.intoArray(o, o1 + d);
            a2.intoArray(o, o2 + d);
            a3.intoArray(o, o3 + d);
            d += L;
        }
        for (; d < hdv; d++) {
            for (int r = 0; r < 4; r++) {
                float acc = o[oo + r * hdv + d];
                for (int j = j0; j < j1; j++) {
                    acc = Math.fma(p[po + r * ps + j], v[vo + j * hdv + d], acc);
                }
                o[oo + r * hdv + d] = acc;
            }
        }
    }

    static void weightedSum1(float[] p, int po, float[] v, int vo, int hdv, int j0, int j1, float[] o, int oo) {
        int d = 0;
        for (; d + 4 * L <= hdv; d += 4 * L) {
            FloatVector a0 = FloatVector.fromArray(F, o, oo + d);
            FloatVector a1 = FloatVector.fromArray(F, o, oo + d + L);
            FloatVector a2 = FloatVector.fromArray(F, o, oo + d + 2 * L);
            FloatVector a3 = FloatVector.fromArray(F, o, oo + d + 3 * L);
            for (int j = j0; j < j1; j++) {
                int vj = vo + j * hdv + d;
                FloatVector y = FloatVector.broadcast(F, p[po + j]);
                a0 = FloatVector.fromArray(F, v, vj).fma(y, a0);
                a1 = FloatVector.fromArray(F, v, vj + L).fma(y, a1);
                a2 = FloatVector.fromArray(F, v, vj + 2 * L).fma(y, a2);
                a3 = FloatVector.fromArray(F, v, vj + 3 * L).fma(y, a3);
            }
            a0.intoArray(o, oo + d);
            a1.intoArray(o, oo + d + L);
            a2.intoArray(o, oo + d + 2 * L);
            a3.intoArray(o, oo + d + 3 * L);
        }
        for (; d + L <= hdv; d += L) {
            FloatVector a0 = FloatVector.fromArray(F, o, oo + d);
            for (int j = j0; j < j1; j++) {
                a0 = FloatVector.fromArray(F, v, vo + j * hdv + d).fma(FloatVector.broadcast(F, p[po + j]), a0);
            }
            a0.intoArray(o, oo + d);
        }
        for (; d < hdv; d++) {
            float acc = o[oo + d];
            for (int j = j0; j < j1; j++) {
                acc = Math.fma(p[po + j], v[vo + j * hdv + d], acc);
            }
            o[oo + d] = acc;
        }
    }

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: adding it rounds to an integer (ties to even)

    // e^x lane-wise (inlined by hand in siluMul and softmax), about 2 ulp: x clamped to [-87.3, 88],
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

    /**
     * {@link Kernels#softmaxScalar}'s vector twin, in one method on purpose (see {@link Kernels#softmax}):
     * the scale and max, {@code e^(s - max)} lane-wise with its sum, then the f16-rounded weights.
     */
    static void softmax(float[] s, int from, int to, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = from; j < to; j++) {
            float v = s[j] * scale;
            s[j] = v;
            max = Math.max(max, v);
        }
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
        float inv = (float) (1.0 / sum);
        for (j = from; j < to; j++) {
            s[j] = Float.float16ToFloat(Float.floatToFloat16(s[j] * inv));
        }
    }
}
