package dev.pocketrag.generation.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pocketrag.generation.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Vector API matrix kernels against their scalar twins ({@link MatMul#multiplyScalar}) for every
 * weight type, on odd shapes (1..1021 columns for the float types, odd block counts for the block
 * types, odd row counts, batches of 1..9 vectors so the 4-vector tiles and the remainder both run) and
 * random data from a printed seed ({@code -Dpocketrag.test.seed=N} replays one). Results agree to float
 * rounding, {@code |simd - scalar| <= 2e-6 * sum |w_i x_i|}, and bit for bit for the K-quants. And a vector gives
 * bit-identical results alone (the fused matrix-vector kernels) and inside a batch (the decoded-row kernel), except
 * for Q4_0, Q5_0 and Q8_0, whose fused kernels scale each block's float sum (ggml's order) and so agree with the
 * batch to the same float rounding.
 */
class VectorMatMulTest {
    static final long SEED = Long.getLong("pocketrag.test.seed", System.nanoTime());

    static {
        System.out.println("VectorMatMulTest " + Simd.describe() + ", seed " + SEED + " (replay with -Dpocketrag.test.seed=" + SEED + ")");
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K",
            "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void vector_kernels_agree_with_the_scalar_twin_on_odd_shapes(String name) {
        assumeTrue(Simd.enabled(), "Vector API kernels disabled: " + Simd.fallbackReason());
        GgmlType type = GgmlType.valueOf(name);
        long seed = SEED ^ name.hashCode();
        SplittableRandom rnd = new SplittableRandom(seed);
        int bs = type.blockSize();
        int[] colsList = bs == 1 ? new int[] {1, 3, 15, 17, 31, 33, 255, 1021}
                : bs == 32 ? new int[] {32, 96, 160, 992} : new int[] {256, 768};
        int[] rowsList = {1, 3, 17, 8};
        for (int cols : colsList) {
            for (int rows : rowsList) {
                WeightMatrix w = randomMatrix(type, cols, rows, rnd);
                check(w, 1, rnd, seed); // matrix x vector
                check(w, 2 + rnd.nextInt(6), rnd, seed); // a few vectors: the decoded-row path or small GEMM tiles
                check(w, 33 + rnd.nextInt(40), rnd, seed); // GEMM: 6-row blocks, full token tiles plus single vectors
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q8_1"})
    void vector_activation_quantizer_gives_the_scalar_twins_bits(String name) {
        assumeTrue(Simd.enabled(), "Vector API kernels disabled: " + Simd.fallbackReason());
        ActivationFormat f = ActivationFormat.valueOf(name);
        SplittableRandom rnd = new SplittableRandom(SEED);
        for (int blocks = 1; blocks <= 33; blocks += 2) {
            int n = 32 * blocks;
            float[] x = new float[3 * n + 5];
            for (int i = 0; i < x.length; i++) {
                // ties: multiples of 1/254 of a block maximum of 1 land exactly on .5 after scaling
                x[i] = rnd.nextInt(4) == 0 ? rnd.nextInt(-254, 255) / 254f : (float) rnd.nextGaussian() * 3;
            }
            java.util.Arrays.fill(x, 5, 5 + 32, 0f); // an all-zero block
            Activations v = new Activations(3, n);
            Activations s = new Activations(3, n);
            v.encode(f, x, 5, n, 3, n, true);
            s.encode(f, x, 5, n, 3, n, false);
            for (int i = 0; i < 3 * n; i++) {
                assertEquals(s.q[i], v.q[i], "q[" + i + "] n " + n + " seed " + SEED);
                assertEquals(Float.floatToRawIntBits(s.qf[i]), Float.floatToRawIntBits(v.qf[i]), "qf[" + i + "]");
                assertEquals(Float.floatToRawIntBits(s.xf[i]), Float.floatToRawIntBits(v.xf[i]), "xf[" + i + "]");
            }
            for (int b = 0; b < 3 * blocks; b++) {
                assertEquals(Float.floatToRawIntBits(s.d[b]), Float.floatToRawIntBits(v.d[b]), "d[" + b + "]");
                int qsum = 0;
                for (int j = 32 * b; j < 32 * b + 32; j++) {
                    qsum += s.q[j];
                }
                assertEquals(Float.floatToRawIntBits(s.d[b] * qsum), Float.floatToRawIntBits(s.xs[b]), "xs[" + b + "]");
                assertEquals(Float.floatToRawIntBits(s.xs[b]), Float.floatToRawIntBits(v.xs[b]), "xs[" + b + "] twins");
                if (f == ActivationFormat.Q8_1) {
                    assertEquals(Float.floatToRawIntBits(s.s[b]), Float.floatToRawIntBits(v.s[b]), "s[" + b + "]");
                }
            }
        }
    }

    private static void check(WeightMatrix w, int count, SplittableRandom rnd, long seed) {
        int n = w.cols();
        int rows = w.rows();
        float[] x = new float[count * n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * (rnd.nextInt(50) == 0 ? 10 : 1));
        }
        Activations a = new Activations(count, n);
        a.encode(w.activationFormat(), x, 0, n, count, n);
        MatMul.Scratch s = new MatMul.Scratch(n);
        float[] scalar = new float[count * rows];
        float[] simd = new float[count * rows];
        MatMul.multiplyScalar(w, a, 0, rows, scalar, 0, rows, s);
        VectorMatMul.multiply(w, a, 0, rows, simd, 0, rows, s);
        float[] deq = new float[n];
        double[] mags = new double[count * rows];
        for (int r = 0; r < rows; r++) {
            MatMul.decodeRow(w, r, deq, 0, s);
            for (int t = 0; t < count; t++) {
                double mag = 0;
                for (int i = 0; i < n; i++) {
                    mag += Math.abs((double) deq[i] * a.value(t, i));
                }
                if (w.activationFormat() == ActivationFormat.Q8_1) {
                    mag *= 2; // the block minimum enters through ggml's f16-rounded block sum
                }
                mags[t * rows + r] = mag;
                assertEquals(scalar[t * rows + r], simd[t * rows + r], 2e-6 * mag + 1e-30,
                        w + " row " + r + " vector " + t + " of " + count + " (seed " + seed + ")");
                if (w.type().blockSize() == 256) {
                    // K-quants: exact integer super-block sums, then the scalar twin's float sequence
                    assertEquals(Float.floatToRawIntBits(scalar[t * rows + r]), Float.floatToRawIntBits(simd[t * rows + r]),
                            w + " row " + r + " vector " + t + ": " + scalar[t * rows + r] + " vs " + simd[t * rows + r]
                                    + " (seed " + seed + ")");
                }
            }
        }
        // each vector alone gives the same bits as inside the batch
        for (int t = 0; t < count; t++) {
            Activations one = new Activations(1, n);
            one.encode(w.activationFormat(), x, t * n, n, 1, n);
            float[] alone = new float[rows];
            VectorMatMul.multiply(w, one, 0, rows, alone, 0, rows, s);
            // 32-value blocks: the fused kernels scale each block's sum, the GEMM sums the scaled weights
            // (float rounding apart); K-quants (exact integer super-block sums) and float types: the same bits
            boolean floatBlockSums = w.type().blockSize() == 32;
            for (int r = 0; r < rows; r++) {
                if (floatBlockSums) {
                    // each within 2e-6 * mag of the scalar twin
                    assertEquals(simd[t * rows + r], alone[r], 4e-6 * mags[t * rows + r] + 1e-30,
                            w + " row " + r + " vector " + t + ": alone vs in a batch of " + count + " (seed " + seed + ")");
                } else if (Float.floatToRawIntBits(alone[r]) != Float.floatToRawIntBits(simd[t * rows + r])) {
                    fail(w + " row " + r + " vector " + t + ": alone " + alone[r] + " != in a batch of " + count + " "
                            + simd[t * rows + r] + " (seed " + seed + ")");
                }
            }
        }
    }

    /** A matrix of random values in {@code type}; IQ4 types (no quantizer here) get random bytes with sane scales. */
    static WeightMatrix randomMatrix(GgmlType type, int cols, int rows, SplittableRandom rnd) {
        long rb = type.rowBytes(cols);
        MemorySegment seg = Arena.ofAuto().allocate(rb * rows + 64, 64).asSlice(0, rb * rows);
        if (Tensors.canQuantize(type)) {
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                double scale = rnd.nextInt(4) == 0 ? 0.01 : 1;
                for (int i = 0; i < cols; i++) {
                    row[i] = (float) (rnd.nextGaussian() * scale + (r % 3 == 2 ? 0.5 : 0));
                }
                if (rnd.nextInt(5) == 0) {
                    java.util.Arrays.fill(row, 0, Math.min(cols, 32), 0f); // an all-zero block
                }
                Tensors.quantize(type, row, 0, seg, r * rb, cols, "w");
            }
        } else {
            byte[] b = new byte[(int) (rb * rows)];
            rnd.nextBytes(b);
            MemorySegment.copy(b, 0, seg, ValueLayout.JAVA_BYTE, 0, b.length);
            int blockBytes = type.typeSize();
            for (long o = 0; o < rb * rows; o += blockBytes) {
                seg.set(Bytes.LE_SHORT, o, Half.f32ToF16((float) (0.001 + rnd.nextDouble() * 0.05)));
            }
        }
        return new WeightMatrix("w", type, seg, cols, rows);
    }
}
