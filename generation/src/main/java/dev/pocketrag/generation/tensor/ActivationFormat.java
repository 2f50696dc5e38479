package dev.pocketrag.generation.tensor;

import dev.pocketrag.generation.gguf.GgmlType;
import dev.pocketrag.generation.gguf.UnsupportedTensorTypeException;

/**
 * How the input vectors of a matrix product are encoded before the dot products, per weight type,
 * as ggml-cpu does it ({@code vec_dot_type} of each type's traits). Emulating it makes our logits
 * agree with llama.cpp's to float-rounding noise instead of quantization noise, and it is also the
 * fast path: quantized weights against 8-bit activations are integer dot products.
 *
 * <table>
 * <caption>Activation encodings</caption>
 * <tr><th>format</th><th>for weights</th><th>block</th><th>encoding of each block of x</th></tr>
 * <tr><td>F32</td><td>F32</td><td>1</td><td>x as is</td></tr>
 * <tr><td>F16</td><td>F16</td><td>1</td><td>x rounded to binary16 (nearest even)</td></tr>
 * <tr><td>BF16</td><td>BF16</td><td>1</td><td>x rounded to bfloat16 (nearest even)</td></tr>
 * <tr><td>Q8_0</td><td>Q4_0, Q5_0, Q8_0, IQ4_NL</td><td>32</td><td>{@code d = amax/127} stored as f16,
 *     {@code q = rint(x * 127/amax)} (ggml-cpu's AVX2 {@code quantize_row_q8_0}: ties to even)</td></tr>
 * <tr><td>Q8_1</td><td>Q4_1, Q5_1</td><td>32</td><td>as Q8_0, plus {@code s = f16(d * sum(q))}</td></tr>
 * <tr><td>Q8_K</td><td>Q2_K .. Q6_K, IQ4_XS</td><td>256</td><td>{@code quantize_row_q8_K_ref}: with
 *     {@code max} the value of largest magnitude, {@code iscale = -127/max}, {@code q = min(127,
 *     nearest(iscale*x))}, {@code d = 1/iscale} (float), and the sums of each 16 quants</td></tr>
 * </table>
 */
public enum ActivationFormat {
    F32(1),
    F16(1),
    BF16(1),
    Q8_0(32),
    Q8_1(32),
    Q8_K(256);

    private final int blockSize;

    ActivationFormat(int blockSize) {
        this.blockSize = blockSize;
    }

    /** Values per scale block (1 for the float formats). */
    public int blockSize() {
        return blockSize;
    }

    /** Whether the values are stored as int8 quants with block scales. */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /**
     * The activation format ggml pairs with weights of {@code type}.
     *
     * @throws UnsupportedTensorTypeException for types without a matrix-product kernel here
     */
    public static ActivationFormat forWeights(GgmlType type) {
        return switch (type) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
            case Q4_0, Q5_0, Q8_0, IQ4_NL -> Q8_0;
            case Q4_1, Q5_1 -> Q8_1;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS -> Q8_K;
            default -> throw new UnsupportedTensorTypeException(type, "(weights)", "multiply");
        };
    }
}
