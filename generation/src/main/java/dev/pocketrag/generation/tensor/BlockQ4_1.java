package dev.pocketrag.generation.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Q4_1: blocks of 32 values in 20 bytes.
 * <pre>
 * offset size field
 *      0    2 d      f16 scale
 *      2    2 m      f16 minimum
 *      4   16 qs     nibbles: value[j] = (qs[j] &amp; 0xF) * d + m, value[j+16] = (qs[j] &gt;&gt; 4) * d + m
 * </pre>
 * Reference quantizer: d = (max - min) / 15, m = min, q = min(15, (int8)((x - min) / d + 0.5)).
 */
public final class BlockQ4_1 {
    public static final int BLOCK = 32;
    public static final int BYTES = 20;
    // byte offsets of the fields in a block (the table above); the scalar and vector kernels use these
    public static final int D = 0; // f16 scale
    public static final int M = 2; // f16 minimum
    public static final int QS = 4; // 16 bytes of nibbles

    private BlockQ4_1() {}

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q4_1");
        byte[] b = new byte[BYTES];
        for (int i = 0; i < n / BLOCK; i++) {
            Bytes.load(src, off + (long) i * BYTES, b);
            float d = Bytes.f16(b, 0);
            float m = Bytes.f16(b, 2);
            int o = dstOff + i * BLOCK;
            for (int j = 0; j < 16; j++) {
                int q = b[4 + j] & 0xFF;
                dst[o + j] = (q & 0x0F) * d + m;
                dst[o + j + 16] = (q >> 4) * d + m;
            }
        }
    }

    public static void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q4_1");
        byte[] b = new byte[BYTES];
        for (int i = 0; i < n / BLOCK; i++) {
            int x = srcOff + i * BLOCK;
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int j = 0; j < BLOCK; j++) {
                float v = src[x + j];
                if (v < min) {
                    min = v;
                }
                if (v > max) {
                    max = v;
                }
            }
            float d = (max - min) / ((1 << 4) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            Bytes.putF16(b, 0, d);
            Bytes.putF16(b, 2, min);
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (byte) (int) ((src[x + j] - min) * id + 0.5f));
                int q1 = Math.min(15, (byte) (int) ((src[x + 16 + j] - min) * id + 0.5f));
                b[4 + j] = (byte) ((q0 & 0xFF) | (q1 << 4));
            }
            Bytes.store(b, dst, off + (long) i * BYTES);
        }
    }
}
