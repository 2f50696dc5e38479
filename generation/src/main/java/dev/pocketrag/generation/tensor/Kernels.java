package dev.pocketrag.generation.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The kernels of the forward pass outside the matrix products that are worth vectorising
 * (attention over the F16 KV cache, SiLU, softmax), each with its scalar twin here and its Vector
 * API version in {@link VectorKernels}; {@link Simd#enabled()} picks one once. The attention
 * kernels give the same bits as their twins (see {@link #scores4}); SiLU and {@code exp} compute
 * {@code exp} with their own polynomial and the softmax sum adds in lanes, so those differ from
 * the twins by float rounding only, and give the same bits in every run.
 */
public final class Kernels {
    private Kernels() {}

    public static final boolean SIMD = Simd.enabled();

    /**
     * Bounded work per call of a vector attention kernel (the same bits as one call: tiles are
     * independent, and a position range split into consecutive calls adds in the same order). With
     * whole-context loops inside one call, the kernels were invoked rarely and ran long: HotSpot's
     * tiered policy compiled their loops on stack at C2 but left the methods themselves in C1 code,
     * where the Vector API runs boxed (seen now and then for the whole run: NoAllocationTest).
     */
    static final int TILES_PER_CALL = 4;
    static final int POSITIONS_PER_CALL = 64;
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT;

    /**
     * Positions per key tile of the {@code KvCache}: one float vector of the attention kernels (8 for
     * the scalar twins, whose results do not depend on it).
     */
    public static final int TILE = SIMD ? VectorKernels.LANES : 8;

    /**
     * {@code dst[dstOff + i] = f16 value i} of {@code src} from byte {@code off}, for i in [0, n). A plain
     * loop on purpose: C2 compiles it to the CPU's conversion instruction (x86 {@code vcvtph2ps}, ARM
     * {@code fcvtl}) a vector at a time, several times faster than the same conversion written with
     * the Vector API's integer operations, which have no f16 type.
     */
    public static void f16ToF32(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Float.float16ToFloat(src.get(F16, off + 2L * i));
        }
    }

    /**
     * Attention scores of 4 query rows against {@code nTiles} key tiles ({@code KvCache} layout, tile
     * {@link #TILE}):
     * <pre>
     * q  (4, hd) at q[qo + r hd + i]               f16-representable
     * kt (nTiles, hd, TILE) at kt[ko + (b hd + i) TILE + l]   decoded keys
     * s[so + r ss + b TILE + l] = sum_i q[r][i] * kt[b][i][l]  summed in order of i
     * </pre>
     * Each score is one chain of {@code hd} multiply-adds in order of {@code i}; the products of two
     * f16 values are exact in float, so fused and unfused multiply-adds give the same bits and the
     * vector kernel equals this twin exactly, at every vector width.
     */
    public static void scores4(float[] q, int qo, int hd, float[] kt, int ko, int nTiles, float[] s, int so, int ss) {
        if (SIMD) {
            // a few tiles per call (see CHUNK)
            for (int b = 0; b < nTiles; b += TILES_PER_CALL) {
                VectorKernels.scores4(q, qo, hd, kt, ko + b * hd * TILE, Math.min(TILES_PER_CALL, nTiles - b), s,
                        so + b * TILE, ss);
            }
        } else {
            scoresScalar(q, qo, 4, hd, kt, ko, nTiles, TILE, s, so, ss);
        }
    }

    /** {@link #scores4} for one query row. */
    public static void scores1(float[] q, int qo, int hd, float[] kt, int ko, int nTiles, float[] s, int so) {
        if (SIMD) {
            for (int b = 0; b < nTiles; b += TILES_PER_CALL) {
                VectorKernels.scores1(q, qo, hd, kt, ko + b * hd * TILE, Math.min(TILES_PER_CALL, nTiles - b), s,
                        so + b * TILE);
            }
        } else {
            scoresScalar(q, qo, 1, hd, kt, ko, nTiles, TILE, s, so, 0);
        }
    }

    public static void scoresScalar(float[] q, int qo, int rows, int hd, float[] kt, int ko, int nTiles, int tile, float[] s,
                             int so, int ss) {
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < nTiles; b++) {
                for (int l = 0; l < tile; l++) {
                    float sum = 0;
                    int k = ko + b * hd * tile + l;
                    for (int i = 0; i < hd; i++) {
                        sum += q[qo + r * hd + i] * kt[k + i * tile];
                    }
                    s[so + r * ss + b * tile + l] = sum;
                }
            }
        }
    }

    /**
     * Attention-weighted sum of values for 4 rows, continuing their accumulators over positions
     * {@code [j0, j1)}:
     * <pre>
     * p (4, *) at p[po + r ps + j]          f16-representable weights
     * v (*, hdv) at v[vo + j hdv + d]       decoded values
     * o[oo + r hdv + d] += sum_j p[r][j] * v[j][d]   added one j at a time, in order
     * </pre>
     * Like {@link #scores4}, every output is one chain of exact products added in order of {@code j},
     * so the vector kernel equals this twin exactly; a range split into consecutive calls gives the
     * same bits as one call.
     */
    public static void weightedSum4(float[] p, int po, int ps, float[] v, int vo, int hdv, int j0, int j1, float[] o, int oo) {
        if (SIMD) {
            for (int j = j0; j < j1; j += POSITIONS_PER_CALL) {
                VectorKernels.weightedSum4(p, po, ps, v, vo, hdv, j, Math.min(j1, j + POSITIONS_PER_CALL), o, oo);
            }
        } else {
            weightedSumScalar(p, po, ps, 4, v, vo, hdv, j0, j1, o, oo);
        }
    }

    /** {@link #weightedSum4} for one row. */
    public static void weightedSum1(float[] p, int po, float[] v, int vo, int hdv, int j0, int j1, float[] o, int oo) {
        if (SIMD) {
            for (int j = j0; j < j1; j += POSITIONS_PER_CALL) {
                VectorKernels.weightedSum1(p, po, v, vo, hdv, j, Math.min(j1, j + POSITIONS_PER_CALL), o, oo);
            }
        } else {
            weightedSumScalar(p, po, 0, 1, v, vo, hdv, j0, j1, o, oo);
        }
    }

    public static void weightedSumScalar(float[] p, int po, int ps, int rows, float[] v, int vo, int hdv, int j0, int j1,
                                  float[] o, int oo) {
        for (int r = 0; r < rows; r++) {
            for (int d = 0; d < hdv; d++) {
                float acc = o[oo + r * hdv + d];
                for (int j = j0; j < j1; j++) {
                    acc += p[po + r * ps + j] * v[vo + j * hdv + d];
                }
                o[oo + r * hdv + d] = acc;
            }
        }
    }

    /** {@code out[oo + i] = silu(g[go + i]) * u[uo + i]}, silu(x) = x / (1 + e^-x). */
    public static void siluMul(float[] g, int go, float[] u, int uo, float[] out, int oo, int n) {
        if (SIMD) {
            VectorKernels.siluMul(g, go, u, uo, out, oo, n);
        } else {
            siluMulScalar(g, go, u, uo, out, oo, n);
        }
    }

    public static void siluMulScalar(float[] g, int go, float[] u, int uo, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = Activation.silu(g[go + i]) * u[uo + i];
        }
    }

    /**
     * One row of attention weights in place, as llama.cpp computes them: {@code s[j] *= scale}, then
     * {@code p_j = f16(e^(s_j - max) / sum)} over {@code [from, to)}. The scale, max and f16 rounding
     * are plain loops the JIT vectorises (a NaN stays a NaN; its f16 payload, which Half.f32ToF16 sets
     * as ggml does, is lost on the way back to float anyway). One method with the exponentials, not a
     * small exponential method called from the attention loop: C2 inlined that (it was under its
     * hot-call size limit) into the large attention method, ran out of its node budget there and left
     * the Vector API calls boxed, now and then, for the whole run.
     */
    public static void softmax(float[] s, int from, int to, float scale) {
        if (SIMD) {
            VectorKernels.softmax(s, from, to, scale);
        } else {
            softmaxScalar(s, from, to, scale);
        }
    }

    public static void softmaxScalar(float[] s, int from, int to, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = from; j < to; j++) {
            float v = s[j] * scale;
            s[j] = v;
            max = Math.max(max, v);
        }
        double sum = expShiftScalar(s, from, to, max);
        float inv = (float) (1.0 / sum);
        for (int j = from; j < to; j++) {
            s[j] = Float.float16ToFloat(Float.floatToFloat16(s[j] * inv));
        }
    }

    /** {@code s[i] = exp(s[i] - max)} for i in [from, to); returns their sum. */
    static double expShiftScalar(float[] s, int from, int to, float max) {
        double sum = 0;
        for (int j = from; j < to; j++) {
            float e = (float) Math.exp(s[j] - max);
            s[j] = e;
            sum += e;
        }
        return sum;
    }
}
