package dev.pocketrag.generation.tensor;

import java.lang.foreign.MemorySegment;

/**
 * The unquantized element types: F32 (4 bytes, IEEE binary32), F16 (2 bytes, IEEE binary16),
 * BF16 (2 bytes, the upper half of a binary32), all little-endian. Conversions are ggml's
 * ({@code ggml_fp32_to_fp16_row}: round to nearest even; {@code ggml_fp32_to_bf16_row_ref}: round to
 * nearest even, NaN quieted).
 */
public final class BlockFloat {
    private BlockFloat() {}

    public static void dequantizeF32(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        MemorySegment.copy(src, Bytes.LE_FLOAT, off, dst, dstOff, n);
    }

    public static void quantizeF32(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        MemorySegment.copy(src, srcOff, dst, Bytes.LE_FLOAT, off, n);
    }

    public static void dequantizeF16(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Half.f16ToF32(src.get(Bytes.LE_SHORT, off + 2L * i));
        }
    }

    public static void quantizeF16(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        for (int i = 0; i < n; i++) {
            dst.set(Bytes.LE_SHORT, off + 2L * i, Half.f32ToF16(src[srcOff + i]));
        }
    }

    public static void dequantizeBF16(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Half.bf16ToF32(src.get(Bytes.LE_SHORT, off + 2L * i));
        }
    }

    public static void quantizeBF16(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        for (int i = 0; i < n; i++) {
            dst.set(Bytes.LE_SHORT, off + 2L * i, Half.f32ToBf16(src[srcOff + i]));
        }
    }
}
