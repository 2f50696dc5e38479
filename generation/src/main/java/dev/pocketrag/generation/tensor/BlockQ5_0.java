package dev.pocketrag.generation.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Q5_0: blocks of 32 values in 22 bytes.
 * <pre>
 * offset size field
 *      0    2 d      f16 scale
 *      2    4 qh     u32 (little-endian): bit j is the 5th bit of quant j (j = 0..31)
 *      6   16 qs     low nibbles: quant[j] = qs[j] &amp; 0xF, quant[j+16] = qs[j] &gt;&gt; 4
 * value[j] = ((quant[j] | (bit j of qh) &lt;&lt; 4) - 16) * d
 * </pre>
 * Reference quantizer: d = max / -16 (max = value of largest magnitude), q = min(31, (int8)(x / d + 16.5)).
 */
public final class BlockQ5_0 {
    public static final int BLOCK = 32;
    public static final int BYTES = 22;
    // byte offsets of the fields in a block (the table above); the scalar and vector kernels use these
    public static final int D = 0; // f16 scale
    public static final int QH = 2; // u32 of 5th bits
    public static final int QS = 6; // 16 bytes of low nibbles

    private BlockQ5_0() {}

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q5_0");
        byte[] b = new byte[BYTES];
        for (int i = 0; i < n / BLOCK; i++) {
            Bytes.load(src, off + (long) i * BYTES, b);
            float d = Bytes.f16(b, 0);
            int qh = Bytes.u32(b, 2);
            int o = dstOff + i * BLOCK;
            for (int j = 0; j < 16; j++) {
                int q = b[6 + j] & 0xFF;
                int h0 = ((qh >>> j) << 4) & 0x10;
                int h1 = (qh >>> (j + 12)) & 0x10;
                dst[o + j] = (((q & 0x0F) | h0) - 16) * d;
                dst[o + j + 16] = (((q >> 4) | h1) - 16) * d;
            }
        }
    }

    public static void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q5_0");
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
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            Bytes.putF16(b, 0, d);
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(31, (byte) (int) (src[x + j] * id + 16.5f)) & 0xFF;
                int q1 = Math.min(31, (byte) (int) (src[x + 16 + j] * id + 16.5f)) & 0xFF;
                b[6 + j] = (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4));
                qh |= ((q0 & 0x10) >>> 4) << j;
                qh |= ((q1 & 0x10) >>> 4) << (j + 16);
            }
            Bytes.putU32(b, 2, qh);
            Bytes.store(b, dst, off + (long) i * BYTES);
        }
    }
}
