package dev.pocketrag.generation.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Q4_0: blocks of 32 values in 18 bytes.
 * <pre>
 * offset size field
 *      0    2 d      f16 scale
 *      2   16 qs     nibbles: value[j] = ((qs[j] &amp; 0xF) - 8) * d, value[j+16] = ((qs[j] &gt;&gt; 4) - 8) * d
 * </pre>
 * Reference quantizer: d = max / -8 where max is the value of largest magnitude (sign kept),
 * q = min(15, (int8)(x / d + 8.5)).
 */
public final class BlockQ4_0 {
    public static final int BLOCK = 32;
    public static final int BYTES = 18;
    // byte offsets of the fields in a block (the table above); the scalar and vector kernels use these
    public static final int D = 0; // f16 scale
    public static final int QS = 2; // 16 bytes of nibbles

    private BlockQ4_0() {}

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q4_0");
        byte[] b = new byte[BYTES];
        for (int i = 0; i < n / BLOCK; i++) {
            Bytes.load(src, off + (long) i * BYTES, b);
            float d = Bytes.f16(b, 0);
            int o = dstOff + i * BLOCK;
            for (int j = 0; j < 16; j++) {
                int q = b[2 + j] & 0xFF;
                dst[o + j] = ((q & 0x0F) - 8) * d;
                dst[o + j + 16] = ((q >> 4) - 8) * d;
            }
        }
    }

    public static void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q4_0");
        byte[] b = new byte[BYTES];
        for (int i = 0; i < n / BLOCK; i++) {
            int x = srcOff + i * BLOCK;
            float amax = 0;
            float max = 0;
            for (int j = 0; j < BLOCK; j++) {
                float v = src[x + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            Bytes.putF16(b, 0, d);
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (byte) (int) (src[x + j] * id + 8.5f));
                int q1 = Math.min(15, (byte) (int) (src[x + 16 + j] * id + 8.5f));
                b[2 + j] = (byte) ((q0 & 0xFF) | (q1 << 4));
            }
            Bytes.store(b, dst, off + (long) i * BYTES);
        }
    }
}
