package dev.pocketrag.generation.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Q8_0: blocks of 32 values in 34 bytes.
 * <pre>
 * offset size field
 *      0    2 d      f16 scale
 *      2   32 qs     int8 quants; value[j] = qs[j] * d
 * </pre>
 * Reference quantizer ({@code quantize_row_q8_0_ref}): d = max|x| / 127, qs = roundf(x / d).
 */
public final class BlockQ8_0 {
    public static final int BLOCK = 32;
    public static final int BYTES = 34;
    // byte offsets of the fields in a block (the table above); the scalar and vector kernels use these
    public static final int D = 0; // f16 scale
    public static final int QS = 2; // 32 int8 quants

    private BlockQ8_0() {}

    /** Decodes {@code n} values (a multiple of 32) from {@code src} at {@code off}. */
    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q8_0");
        byte[] b = new byte[BYTES];
        for (int i = 0; i < n / BLOCK; i++) {
            Bytes.load(src, off + (long) i * BYTES, b);
            float d = Bytes.f16(b, 0);
            int o = dstOff + i * BLOCK;
            for (int j = 0; j < BLOCK; j++) {
                dst[o + j] = b[2 + j] * d;
            }
        }
    }

    /** Encodes {@code n} values (a multiple of 32) into {@code dst} at {@code off}, exactly like ggml. */
    public static void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q8_0");
        byte[] b = new byte[BYTES];
        for (int i = 0; i < n / BLOCK; i++) {
            int x = srcOff + i * BLOCK;
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) {
                amax = Math.max(amax, Math.abs(src[x + j]));
            }
            float d = amax / ((1 << 7) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            Bytes.putF16(b, 0, d);
            for (int j = 0; j < BLOCK; j++) {
                b[2 + j] = (byte) (int) Half.roundf(src[x + j] * id);
            }
            Bytes.store(b, dst, off + (long) i * BYTES);
        }
    }
}
