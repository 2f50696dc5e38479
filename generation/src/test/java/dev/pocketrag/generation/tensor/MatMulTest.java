package dev.pocketrag.generation.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pocketrag.generation.Gguf;
import dev.pocketrag.generation.gguf.GgufTensorInfo;
import java.io.IOException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The matrix kernels on ggml's quantization vectors (../shared/reference/quants: 6 rows of 512 of
 * every type, including all-zero blocks, tiny and non-negative rows): unpacked rows equal ggml's
 * dequantization bit for bit, and products equal a double-precision sum over the dequantized
 * weights and the encoded activations up to float rounding (for Q4_1/Q5_1 with the block minimum
 * applied through ggml's f16 sum {@code s} of the Q8_1 block, as ggml does).
 */
class MatMulTest {
    static final String[] TYPES = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K",
        "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"};

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
            "Q6_K", "IQ4_NL", "IQ4_XS"})
    void decoded_rows_equal_ggml_dequantization_bit_for_bit(String type) throws IOException {
        try (Gguf g = Gguf.open(ReferenceQuantsTest.quants().resolve("quant-" + type + ".gguf"))) {
            GgufTensorInfo t = g.tensor("w");
            WeightMatrix w = WeightMatrix.of(t, g.tensorData(t));
            float[] want = Tensors.toFloat(g.tensor("w_dequant"), g.tensorData("w_dequant"));
            MatMul.Scratch s = new MatMul.Scratch(512);
            float[] row = new float[512 + 3];
            for (int r = 0; r < 6; r++) {
                MatMul.decodeRow(w, r, row, 3, s);
                for (int i = 0; i < 512; i++) {
                    if (Float.floatToRawIntBits(row[3 + i]) != Float.floatToRawIntBits(want[r * 512 + i])) {
                        fail(type + " row " + r + " [" + i + "] = " + row[3 + i] + ", ggml " + want[r * 512 + i]);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
            "Q6_K", "IQ4_NL", "IQ4_XS"})
    void products_equal_the_sum_over_dequantized_weights_and_encoded_activations(String type) throws IOException {
        long seed = 20250220L ^ type.hashCode();
        SplittableRandom rnd = new SplittableRandom(seed);
        try (Gguf g = Gguf.open(ReferenceQuantsTest.quants().resolve("quant-" + type + ".gguf"))) {
            GgufTensorInfo t = g.tensor("w");
            WeightMatrix w = WeightMatrix.of(t, g.tensorData(t));
            float[] deq = Tensors.toFloat(g.tensor("w_dequant"), g.tensorData("w_dequant"));
            int count = 5;
            float[] x = new float[count * 512];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextGaussian() * (i % 97 == 0 ? 8 : 1));
            }
            java.util.Arrays.fill(x, 512, 512 + 256, 0f); // an all-zero block in vector 1
            Activations a = new Activations(count, 512);
            a.encode(w.activationFormat(), x, 0, 512, count, 512);
            boolean q8_1 = w.activationFormat() == ActivationFormat.Q8_1;
            float[] out = new float[count * 6];
            MatMul.multiply(w, a, 0, 6, out, 0, 6, new MatMul.Scratch(512));
            for (int v = 0; v < count; v++) {
                for (int r = 0; r < 6; r++) {
                    double want = 0;
                    double mag = 0;
                    for (int i = 0; i < 512; i++) {
                        double wi = deq[r * 512 + i];
                        if (q8_1) {
                            wi -= min(g, t, r, i / 32); // the block minimum is applied through ggml's sum s
                        }
                        double p = wi * a.value(v, i);
                        want += p;
                        mag += Math.abs(p);
                    }
                    if (q8_1) {
                        for (int b = 0; b < 16; b++) {
                            double p = min(g, t, r, b) * a.s[(v * 512) / 32 + b];
                            want += p;
                            mag += Math.abs(p);
                        }
                    }
                    // float rounding of block scales x partial sums: a few ulps of the magnitude
                    assertEquals(want, out[v * 6 + r], 1e-5 * mag + 1e-30,
                            type + " row " + r + " vector " + v + " (seed " + seed + ")");
                }
            }
        }
    }

    /** The f16 minimum {@code m} of block b of row r of a Q4_1/Q5_1 tensor (bytes 2..3 of the block). */
    private static double min(Gguf g, GgufTensorInfo t, int r, int b) {
        long off = r * t.rowBytes() + (long) b * t.type().typeSize() + 2;
        return Half.f16ToF32(g.tensorData(t).get(Bytes.LE_SHORT, off));
    }

    @Test
    void q8_0_encoding_follows_ggml() {
        float[] x = new float[32];
        for (int i = 0; i < 32; i++) {
            x[i] = i - 10.5f;
        }
        Activations a = new Activations(1, 32);
        a.encode(ActivationFormat.Q8_0, x, 0, 32, 1, 32);
        float amax = 0;
        for (float v : x) {
            amax = Math.max(amax, Math.abs(v));
        }
        float id = 127f / amax;
        float d = Half.f16ToF32(Half.f32ToF16(amax / 127f));
        for (int i = 0; i < 32; i++) {
            assertEquals((float) Math.rint(x[i] * id) * d, a.value(0, i), 0f, "element " + i);
        }
        assertEquals(127 * d, a.value(0, 31), 0f);
    }

    @Test
    void q8_k_encoding_follows_ggml_reference() {
        float[] x = new float[256];
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 256; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        x[77] = -9f; // the value of largest magnitude is negative: iscale = -127 / max > 0
        Activations a = new Activations(1, 256);
        a.encode(ActivationFormat.Q8_K, x, 0, 256, 1, 256);
        float iscale = -127f / -9f;
        for (int i = 0; i < 256; i++) {
            int q = Math.min(127, Half.nearestInt(iscale * x[i]));
            assertEquals(q * (1 / iscale), a.value(0, i), 0f, "element " + i);
        }
        for (int j = 0; j < 16; j++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) {
                sum += a.q[16 * j + l];
            }
            assertEquals(sum, a.bsums[j]);
        }
    }

    @Test
    void rejects_activations_of_the_wrong_format_or_length() throws IOException {
        try (Gguf g = Gguf.open(ReferenceQuantsTest.quants().resolve("quant-Q4_0.gguf"))) {
            WeightMatrix w = WeightMatrix.of(g.tensor("w"), g.tensorData("w"));
            Activations a = new Activations(1, 512);
            a.encode(ActivationFormat.Q8_K, new float[512], 0, 512, 1, 512);
            assertThrows(IllegalArgumentException.class,
                    () -> MatMul.multiply(w, a, 0, 6, new float[6], 0, 6, new MatMul.Scratch(512)));
            Activations b = new Activations(1, 256);
            b.encode(ActivationFormat.Q8_0, new float[256], 0, 256, 1, 256);
            assertThrows(IllegalArgumentException.class,
                    () -> MatMul.multiply(w, b, 0, 6, new float[6], 0, 6, new MatMul.Scratch(512)));
        }
    }
}
