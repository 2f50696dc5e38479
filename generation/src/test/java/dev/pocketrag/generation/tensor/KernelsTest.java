package dev.pocketrag.generation.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The kernels of {@link Kernels} against their scalar twins on lengths 1..1021 (odd and even, so the
 * vector loops and their scalar tails both run), random data from a printed seed
 * ({@code -Dpocketrag.test.seed=N} replays one): F16 decoding against the JDK's conversion for all
 * 65536 bit patterns (subnormals, infinities and NaNs included) once the JIT has compiled it; the
 * attention kernels bit for bit (their sums are chains of exact products in a fixed order), and
 * their twins against double sums; SiLU to 1e-6 and exp to 4e-7 relative.
 */
class KernelsTest {
    static final long SEED = Long.getLong("pocketrag.test.seed", System.nanoTime());

    static {
        System.out.println("KernelsTest " + Simd.describe() + ", seed " + SEED + " (replay with -Dpocketrag.test.seed="
                + SEED + ")");
    }

    @Test
    void f16_decoding_gives_the_exact_value_of_every_bit_pattern_once_compiled() {
        MemorySegment all = Arena.ofAuto().allocate(2 * 65536, 64);
        for (int i = 0; i < 65536; i++) {
            all.set(ValueLayout.JAVA_SHORT, 2L * i, (short) i);
        }
        float[] v = new float[65536];
        for (int rep = 0; rep < 300; rep++) { // long enough for C2 to compile (and vectorise) the loop
            Kernels.f16ToF32(all, 0, v, 0, 65536);
        }
        for (int i = 0; i < 65536; i++) {
            float want = Float.float16ToFloat((short) i);
            if (Float.isNaN(want)) {
                assertTrue(Float.isNaN(v[i]), "f16 bits " + Integer.toHexString(i) + " -> " + v[i]);
            } else {
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(v[i]), "f16 bits " + Integer.toHexString(i));
            }
        }
        // IEEE binary16 values known independently of the JDK
        assertEquals(1.0f, v[0x3c00]);
        assertEquals(-2.0f, v[0xc000]);
        assertEquals(65504f, v[0x7bff]);
        assertEquals(0x1p-24f, v[0x0001]);
        assertEquals(0x1p-14f, v[0x0400]);
        assertEquals(Float.NEGATIVE_INFINITY, v[0xfc00]);
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(v[0x8000]));
        for (int n = 1; n <= 1021; n += 2) {
            float[] a = new float[n + 6];
            java.util.Arrays.fill(a, 7f);
            long from = 2L * (n * 61 % 60000);
            Kernels.f16ToF32(all, from, a, 3, n);
            for (int i = 0; i < n + 6; i++) {
                float want = i < 3 || i >= n + 3 ? 7f : Float.float16ToFloat((short) (from / 2 + i - 3));
                assertTrue(Float.compare(want, a[i]) == 0 || Float.isNaN(want) && Float.isNaN(a[i]),
                        "n " + n + " [" + i + "]");
            }
        }
    }

    @Test
    void attention_scores_equal_the_scalar_twin_bit_for_bit() {
        assumeVectorModule();
        SplittableRandom rnd = new SplittableRandom(SEED + 2);
        int tile = VectorKernels.LANES;
        for (int hd = 1; hd <= 1021; hd += hd < 160 ? 1 : 37) {
            int tiles = 1 + rnd.nextInt(6);
            float[] q = f16Random(rnd, 4 * hd + 3, 4);
            float[] kt = f16Random(rnd, tiles * hd * tile + 5, 4);
            int ss = tiles * tile + 2;
            float[] want = new float[4 * ss + 1];
            float[] got = new float[4 * ss + 1];
            Kernels.scoresScalar(q, 3, 4, hd, kt, 5, tiles, tile, want, 1, ss);
            VectorKernels.scores4(q, 3, hd, kt, 5, tiles, got, 1, ss);
            assertArrayEquals(want, got, "scores4 hd " + hd + " tiles " + tiles + " seed " + SEED);
            float[] want1 = new float[ss];
            float[] got1 = new float[ss];
            Kernels.scoresScalar(q, 3 + hd, 1, hd, kt, 5, tiles, tile, want1, 2, 0);
            VectorKernels.scores1(q, 3 + hd, hd, kt, 5, tiles, got1, 2);
            assertArrayEquals(want1, got1, "scores1 hd " + hd + " tiles " + tiles + " seed " + SEED);
            // and the twin computes dot products: against double sums, to float rounding
            for (int l = 0; l < tiles * tile; l += 1 + rnd.nextInt(tile)) {
                double dot = 0;
                double mag = 0;
                int b = l / tile;
                for (int i = 0; i < hd; i++) {
                    double x = (double) q[3 + hd + i] * kt[5 + (b * hd + i) * tile + l % tile];
                    dot += x;
                    mag += Math.abs(x);
                }
                assertEquals(dot, want1[2 + l], 1e-6 * mag + 1e-30, "dot hd " + hd + " position " + l);
            }
        }
    }

    @Test
    void attention_weighted_sums_equal_the_scalar_twin_and_split_ranges_equal_one_call() {
        assumeVectorModule();
        SplittableRandom rnd = new SplittableRandom(SEED + 3);
        for (int hdv = 1; hdv <= 1021; hdv += hdv < 160 ? 1 : 37) {
            int positions = 1 + rnd.nextInt(40);
            int ps = positions + 3;
            float[] p = f16Random(rnd, 4 * ps + 2, 1);
            float[] v = f16Random(rnd, positions * hdv + 7, 8);
            int j0 = rnd.nextInt(positions);
            int j1 = j0 + 1 + rnd.nextInt(positions - j0);
            float[] start = random(rnd, 4 * hdv + 1);
            float[] want = start.clone();
            float[] got = start.clone();
            Kernels.weightedSumScalar(p, 2, ps, 4, v, 7, hdv, j0, j1, want, 1);
            VectorKernels.weightedSum4(p, 2, ps, v, 7, hdv, j0, j1, got, 1);
            assertArrayEquals(want, got, "weightedSum4 hdv " + hdv + " [" + j0 + ", " + j1 + ") seed " + SEED);
            float[] split = start.clone();
            int mid = j0 + rnd.nextInt(j1 - j0 + 1);
            VectorKernels.weightedSum4(p, 2, ps, v, 7, hdv, j0, mid, split, 1);
            for (int r = 0; r < 4; r++) {
                VectorKernels.weightedSum1(p, 2 + r * ps, v, 7, hdv, mid, j1, split, 1 + r * hdv);
            }
            assertArrayEquals(want, split, "weightedSum4 then weightedSum1 at " + mid + ", hdv " + hdv + " seed " + SEED);
            float[] want1 = start.clone();
            float[] got1 = start.clone();
            Kernels.weightedSumScalar(p, 2 + ps, 0, 1, v, 7, hdv, j0, j1, want1, 0);
            VectorKernels.weightedSum1(p, 2 + ps, v, 7, hdv, j0, j1, got1, 0);
            assertArrayEquals(want1, got1, "weightedSum1 hdv " + hdv + " seed " + SEED);
            int d = rnd.nextInt(hdv);
            double sum = start[d];
            double mag = Math.abs(start[d]);
            for (int j = j0; j < j1; j++) {
                double x = (double) p[2 + ps + j] * v[7 + j * hdv + d];
                sum += x;
                mag += Math.abs(x);
            }
            assertEquals(sum, want1[d], 1e-6 * mag + 1e-30, "weighted sum hdv " + hdv + " [" + d + "]");
        }
    }

    /**
     * The attention kernels run at any vector width (also 4 lanes, where {@link Simd} keeps the other
     * kernels scalar): they are tested wherever the Vector API is there.
     */
    private static void assumeVectorModule() {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
                && !"false".equalsIgnoreCase(System.getProperty(Simd.PROPERTY, "true").trim()),
                "the Vector API is not enabled: " + Simd.fallbackReason());
    }

    /** Gaussian values times {@code scale}, rounded to f16 (what the attention kernels are given). */
    private static float[] f16Random(SplittableRandom rnd, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = Float.float16ToFloat(Float.floatToFloat16((float) rnd.nextGaussian() * scale));
        }
        return v;
    }

    @Test
    void silu_and_exp_agree_with_the_scalar_twins() {
        assumeTrue(Kernels.SIMD, "Vector API kernels disabled: " + Simd.fallbackReason());
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
            float[] s2 = s1.clone();
            Kernels.softmaxScalar(s1, 4, n + 4, 0.125f);
            VectorKernels.softmax(s2, 4, n + 4, 0.125f);
            double total = 0;
            for (int i = 0; i < n + 4; i++) {
                // weights rounded to f16 after an exp within 2 ulp of the JDK's: at most one f16 step apart
                assertEquals(s1[i], s2[i], 1e-3 * Math.abs(s1[i]) + 1e-7, "softmax n " + n + " [" + i + "] seed " + SEED);
                if (i >= 4) {
                    total += s1[i];
                }
            }
            assertEquals(1.0, total, 1e-3 * n, "softmax weights sum to 1 (f16 roundings apart), n " + n);
            for (int i = 0; i < 4; i++) {
                assertEquals(s1[i], s2[i], 0f, "outside the range untouched");
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
