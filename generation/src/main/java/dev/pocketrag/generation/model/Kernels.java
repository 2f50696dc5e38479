package dev.pocketrag.generation.model;

import dev.pocketrag.generation.tensor.Half;
import dev.pocketrag.generation.tensor.Simd;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The element-wise kernels of the forward pass that are worth vectorising (attention over the F16
 * KV cache, SiLU, softmax), each with its scalar twin here and its Vector API version in
 * {@link VectorKernels}; {@link Simd#enabled()} picks one once. The vector versions sum in lanes
 * (then a fixed pairwise order) and compute {@code exp} with their own polynomial, so they differ
 * from the scalar twins by float rounding only, and give the same bits in every run.
 */
final class Kernels {
    private Kernels() {}

    static final boolean SIMD = Simd.enabled();
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT;

    /** {@code dst[do + i] = f16 value i} of {@code src} from byte {@code off}, for i in [0, n). */
    static void f16ToF32(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        if (SIMD) {
            VectorKernels.f16ToF32(src, off, dst, dstOff, n);
        } else {
            f16ToF32Scalar(src, off, dst, dstOff, n);
        }
    }

    static void f16ToF32Scalar(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Half.f16ToF32(src.get(F16, off + 2L * i));
        }
    }

    /** {@code sum_i a[ao + i] * b[bo + i]}. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        return SIMD ? VectorKernels.dot(a, ao, b, bo, n) : dotScalar(a, ao, b, bo, n);
    }

    static float dotScalar(float[] a, int ao, float[] b, int bo, int n) {
        float sum = 0;
        for (int i = 0; i < n; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    /** {@code y[yo + i] += p * x[xo + i]}. */
    static void axpy(float p, float[] x, int xo, float[] y, int yo, int n) {
        if (SIMD) {
            VectorKernels.axpy(p, x, xo, y, yo, n);
        } else {
            axpyScalar(p, x, xo, y, yo, n);
        }
    }

    static void axpyScalar(float p, float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] += p * x[xo + i];
        }
    }

    /** {@code out[oo + i] = silu(g[go + i]) * u[uo + i]}, silu(x) = x / (1 + e^-x). */
    static void siluMul(float[] g, int go, float[] u, int uo, float[] out, int oo, int n) {
        if (SIMD) {
            VectorKernels.siluMul(g, go, u, uo, out, oo, n);
        } else {
            siluMulScalar(g, go, u, uo, out, oo, n);
        }
    }

    static void siluMulScalar(float[] g, int go, float[] u, int uo, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            out[oo + i] = Activation.silu(g[go + i]) * u[uo + i];
        }
    }

    /** {@code s[i] = exp(s[i] - max)} for i in [from, to); returns their sum. */
    static double expShift(float[] s, int from, int to, float max) {
        return SIMD ? VectorKernels.expShift(s, from, to, max) : expShiftScalar(s, from, to, max);
    }

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
