package dev.pocketrag.generation.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pocketrag.generation.tensor.Simd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Vector API element-wise kernels against their scalar twins on every length 1..1021 (odd and
 * even, so the vector loops and their scalar tails both run), random data from a printed seed
 * ({@code -Dpocketrag.test.seed=N} replays one): F16 decoding bit for bit (all 65536 bit patterns,
 * subnormals, infinities and NaNs included); dot products and axpy to float rounding of the sum of
 * magnitudes; SiLU to 1e-6 and exp to 4e-7 relative.
 */
class KernelsTest {
    static final long SEED = Long.getLong("pocketrag.test.seed", System.nanoTime());

    static {
        System.out.println("KernelsTest " + Simd.describe() + ", seed " + SEED + " (replay with -Dpocketrag.test.seed="
                + SEED + ")");
    }

    @BeforeEach
    void needsSimd() {
        assumeTrue(Kernels.SIMD, "Vector API kernels disabled: " + Simd.fallbackReason());
    }

    @Test
    void f16_decoding_equals_the_scalar_twin_for_every_bit_pattern() {
        MemorySegment all = Arena.ofAuto().allocate(2 * 65536, 64);
        for (int i = 0; i < 65536; i++) {
            all.set(ValueLayout.JAVA_SHORT, 2L * i, (short) i);
        }
        float[] v = new float[65536];
        float[] s = new float[65536];
        VectorKernels.f16ToF32(all, 0, v, 0, 65536);
        Kernels.f16ToF32Scalar(all, 0, s, 0, 65536);
        for (int i = 0; i < 65536; i++) {
            assertEquals(Float.floatToRawIntBits(s[i]), Float.floatToRawIntBits(v[i]), "f16 bits " + Integer.toHexString(i));
        }
        for (int n = 1; n <= 1021; n += 2) {
            float[] a = new float[n + 3];
            float[] b = new float[n + 3];
            VectorKernels.f16ToF32(all, 2L * (n * 61 % 60000), a, 3, n);
            Kernels.f16ToF32Scalar(all, 2L * (n * 61 % 60000), b, 3, n);
            for (int i = 0; i < n + 3; i++) {
                assertEquals(Float.floatToRawIntBits(b[i]), Float.floatToRawIntBits(a[i]), "n " + n + " [" + i + "]");
            }
        }
    }

    @Test
    void dot_and_axpy_agree_with_the_scalar_twins() {
        SplittableRandom rnd = new SplittableRandom(SEED);
        for (int n = 1; n <= 1021; n++) {
            float[] a = random(rnd, n + 5);
            float[] b = random(rnd, n + 7);
            double mag = 0;
            for (int i = 0; i < n; i++) {
                mag += Math.abs((double) a[5 + i] * b[7 + i]);
            }
            assertEquals(Kernels.dotScalar(a, 5, b, 7, n), VectorKernels.dot(a, 5, b, 7, n), 1e-6 * mag + 1e-30,
                    "dot n " + n + " seed " + SEED);
            float p = (float) rnd.nextGaussian();
            float[] y0 = random(rnd, n + 2);
            float[] y1 = y0.clone();
            float[] y2 = y0.clone();
            Kernels.axpyScalar(p, a, 5, y1, 2, n);
            VectorKernels.axpy(p, a, 5, y2, 2, n);
            for (int i = 0; i < n + 2; i++) {
                double m = Math.abs(y0[i]) + (i >= 2 ? Math.abs(p * a[5 + i - 2]) : 0);
                assertEquals(y1[i], y2[i], 2e-7 * m + 1e-30, "axpy n " + n + " [" + i + "] seed " + SEED);
            }
        }
    }

    @Test
    void silu_and_exp_agree_with_the_scalar_twins() {
        SplittableRandom rnd = new SplittableRandom(SEED + 1);
        for (int n = 1; n <= 1021; n++) {
            float[] g = random(rnd, n + 1);
            for (int i = 0; i < g.length; i++) {
                g[i] *= 1 + rnd.nextInt(30); // up to about +-100: saturating tails
            }
            float[] u = random(rnd, n + 2);
            float[] o1 = new float[n + 3];
            float[] o2 = new float[n + 3];
            Kernels.siluMulScalar(g, 1, u, 2, o1, 3, n);
            VectorKernels.siluMul(g, 1, u, 2, o2, 3, n);
            for (int i = 0; i < n + 3; i++) {
                assertEquals(o1[i], o2[i], 1e-6 * Math.abs(o1[i]) + 1e-30, "silu n " + n + " [" + i + "] seed " + SEED);
            }
            float[] s1 = random(rnd, n + 4);
            for (int i = 0; i < s1.length; i++) {
                s1[i] *= 20;
            }
            float max = Float.NEGATIVE_INFINITY; // as softmax: exponents <= 0
            for (int i = 4; i < n + 4; i++) {
                max = Math.max(max, s1[i]);
            }
            float[] s2 = s1.clone();
            double e1 = Kernels.expShiftScalar(s1, 4, n + 4, max);
            double e2 = VectorKernels.expShift(s2, 4, n + 4, max);
            assertEquals(e1, e2, 1e-6 * e1, "exp sum n " + n + " seed " + SEED);
            for (int i = 0; i < n + 4; i++) {
                assertEquals(s1[i], s2[i], 4e-7 * Math.abs(s1[i]) + 1e-37, "exp n " + n + " [" + i + "] seed " + SEED);
            }
        }
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }
}
