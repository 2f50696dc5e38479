package dev.pocketrag.generation.tensor;

import dev.pocketrag.generation.gguf.GgmlType;
import dev.pocketrag.generation.gguf.GgufTensorInfo;
import dev.pocketrag.generation.gguf.UnsupportedTensorTypeException;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * Decoding and encoding of ggml tensor data, bit-exact with ggml's {@code to_float} and its reference
 * quantizers ({@code quantize_row_*_ref}, no importance matrix).
 *
 * <p>One switch per call selects the per-type block codec ({@code Block*} classes, one per type, each
 * documenting its byte layout); the inner loops run over whole blocks with no per-element dispatch.
 * Vectorized kernels should live beside those codecs and keep them as their scalar twins.
 *
 * <table>
 * <caption>Supported types</caption>
 * <tr><th>type</th><th>block</th><th>bytes</th><th>decode</th><th>encode</th></tr>
 * <tr><td>F32, F16, BF16</td><td>1</td><td>4, 2, 2</td><td>yes</td><td>yes</td></tr>
 * <tr><td>Q8_0, Q4_0, Q4_1, Q5_0, Q5_1</td><td>32</td><td>34, 18, 20, 22, 24</td><td>yes</td><td>yes</td></tr>
 * <tr><td>IQ4_NL</td><td>32</td><td>18</td><td>yes</td><td>no</td></tr>
 * <tr><td>Q2_K, Q3_K, Q4_K, Q5_K, Q6_K</td><td>256</td><td>84, 110, 144, 176, 210</td><td>yes</td><td>yes</td></tr>
 * <tr><td>IQ4_XS</td><td>256</td><td>136</td><td>yes</td><td>no</td></tr>
 * </table>
 * Any other type throws {@link UnsupportedTensorTypeException} naming the type and the tensor.
 */
public final class Tensors {
    private Tensors() {}

    /**
     * Decodes {@code n} values (a multiple of the block size) of {@code type} from {@code src} at byte
     * {@code off} into {@code dst[dstOff..dstOff+n)}.
     *
     * @param tensor name for error messages
     */
    public static void dequantize(GgmlType type, MemorySegment src, long off, float[] dst, int dstOff, int n,
                                  String tensor) {
        switch (type) {
            case F32 -> BlockFloat.dequantizeF32(src, off, dst, dstOff, n);
            case F16 -> BlockFloat.dequantizeF16(src, off, dst, dstOff, n);
            case BF16 -> BlockFloat.dequantizeBF16(src, off, dst, dstOff, n);
            case Q8_0 -> BlockQ8_0.dequantize(src, off, dst, dstOff, n);
            case Q4_0 -> BlockQ4_0.dequantize(src, off, dst, dstOff, n);
            case Q4_1 -> BlockQ4_1.dequantize(src, off, dst, dstOff, n);
            case Q5_0 -> BlockQ5_0.dequantize(src, off, dst, dstOff, n);
            case Q5_1 -> BlockQ5_1.dequantize(src, off, dst, dstOff, n);
            case Q2_K -> BlockQ2_K.dequantize(src, off, dst, dstOff, n);
            case Q3_K -> BlockQ3_K.dequantize(src, off, dst, dstOff, n);
            case Q4_K -> BlockQ4_K.dequantize(src, off, dst, dstOff, n);
            case Q5_K -> BlockQ5_K.dequantize(src, off, dst, dstOff, n);
            case Q6_K -> BlockQ6_K.dequantize(src, off, dst, dstOff, n);
            case IQ4_NL -> BlockIQ4_NL.dequantize(src, off, dst, dstOff, n);
            case IQ4_XS -> BlockIQ4_XS.dequantize(src, off, dst, dstOff, n);
            default -> throw new UnsupportedTensorTypeException(type, tensor, "decode");
        }
    }

    /** The types {@link #canQuantize} accepts, in id order. */
    public static List<GgmlType> quantizable() {
        return Arrays.stream(GgmlType.values()).filter(Tensors::canQuantize).toList();
    }

    /** Whether {@link #quantize} supports {@code type}. */
    public static boolean canQuantize(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * Encodes {@code n} values (a multiple of the block size) into {@code dst} at byte {@code off}, with
     * ggml's reference quantizer for {@code type}.
     */
    public static void quantize(GgmlType type, float[] src, int srcOff, MemorySegment dst, long off, int n,
                                String tensor) {
        switch (type) {
            case F32 -> BlockFloat.quantizeF32(src, srcOff, dst, off, n);
            case F16 -> BlockFloat.quantizeF16(src, srcOff, dst, off, n);
            case BF16 -> BlockFloat.quantizeBF16(src, srcOff, dst, off, n);
            case Q8_0 -> BlockQ8_0.quantize(src, srcOff, dst, off, n);
            case Q4_0 -> BlockQ4_0.quantize(src, srcOff, dst, off, n);
            case Q4_1 -> BlockQ4_1.quantize(src, srcOff, dst, off, n);
            case Q5_0 -> BlockQ5_0.quantize(src, srcOff, dst, off, n);
            case Q5_1 -> BlockQ5_1.quantize(src, srcOff, dst, off, n);
            case Q2_K -> BlockQ2_K.quantize(src, srcOff, dst, off, n);
            case Q3_K -> BlockQ3_K.quantize(src, srcOff, dst, off, n);
            case Q4_K -> BlockQ4_K.quantize(src, srcOff, dst, off, n);
            case Q5_K -> BlockQ5_K.quantize(src, srcOff, dst, off, n);
            case Q6_K -> BlockQ6_K.quantize(src, srcOff, dst, off, n);
            default -> throw new UnsupportedTensorTypeException(type, tensor, "quantize to", quantizable());
        }
    }

    /**
     * Decodes row {@code row} ({@code ne[0]} values) of tensor {@code t} whose bytes are {@code data}
     * (e.g. {@code gguf.tensorData(t)}).
     */
    public static void dequantizeRow(GgufTensorInfo t, MemorySegment data, long row, float[] dst, int dstOff) {
        if (row < 0 || row >= t.rowCount()) {
            throw new IndexOutOfBoundsException("row " + row + " of tensor '" + t.name() + "' not in [0, "
                    + t.rowCount() + ")");
        }
        if (t.ne(0) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor '" + t.name() + "': rows of " + t.ne(0) + " values");
        }
        dequantize(t.type(), data, row * t.rowBytes(), dst, dstOff, (int) t.ne(0), t.name());
    }

    /** Decodes a whole tensor (at most 2^31 - 1 values) to floats. */
    public static float[] toFloat(GgufTensorInfo t, MemorySegment data) {
        if (!t.type().isSupported()) {
            throw new UnsupportedTensorTypeException(t.type(), t.name(), "decode");
        }
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor '" + t.name() + "' has " + n
                    + " values, more than a Java array holds; decode it row by row");
        }
        if (data.byteSize() < t.byteSize()) {
            throw new IllegalArgumentException("tensor '" + t.name() + "': " + data.byteSize() + " bytes given, "
                    + t.byteSize() + " needed");
        }
        float[] out = new float[(int) n];
        dequantize(t.type(), data, 0, out, 0, (int) n, t.name());
        return out;
    }
}
