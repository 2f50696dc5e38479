package dev.pocketrag.generation.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Q5_1: blocks of 32 values in 24 bytes.
 * <pre>
 * offset size field
 *      0    2 d      f16 scale
 *      2    2 m      f16 minimum
 *      4    4 qh     u32: bit j is the 5th bit of quant j
 *      8   16 qs     low nibbles: quant[j] = qs[j] &amp; 0xF, quant[j+16] = qs[j] &gt;&gt; 4
 * value[j] = (quant[j] | (bit j of qh) &lt;&lt; 4) * d + m
 * </pre>
 * Reference quantizer: d = (max - min) / 31, m = min, q = (uint8)((x - min) / d + 0.5).
 */
public final class BlockQ5_1 {
    public static final int BLOCK = 32;
    public static final int BYTES = 24;
    // byte offsets of the fields in a block (the table above); the scalar and vector kernels use these
    public static final int D = 0; // f16 scale
    public static final int M = 2; // f16 minimum
    public static final int QH = 4; // u32 of 5th bits
    public static final int QS = 8; // 16 bytes of low nibbles

    private BlockQ5_1() {}

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q5_1");
        byte[] b = new byte[BYTES];
        for (int i = 0; i < n / BLOCK; i++) {
            Bytes.load(src, off + (long) i * BYTES, b);
            float d = Bytes.f16(b, 0);
            float m = Bytes.f16(b, 2);
            int qh = Bytes.u32(b, 4);
            int o = dstOff + i * BLOCK;
            for (int j = 0; j < 16; j++) {
                int q = b[8 + j] & 0xFF;
                int h0 = ((qh >>> j) << 4) & 0x10;
                int h1 = (qh >>> (j + 12)) & 0x10;
                dst[o + j] = ((q & 0x0F) | h0) * d + m;
                dst[o + j + 16] = ((q >> 4) | h1) * d + m;
            }
        }
    }

    public static void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q5_1");
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
            float d = (max - min) / ((1 << 5) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            Bytes.putF16(b, 0, d);
            Bytes.putF16(b, 2, min);
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                int q0 = ((int) ((src[x + j] - min) * id + 0.5f)) & 0xFF;
                int q1 = ((int) ((src[x + 16 + j] - min) * id + 0.5f)) & 0xFF;
                b[8 + j] = (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4));
                qh |= ((q0 & 0x10) >>> 4) << j;
                qh |= ((q1 & 0x10) >>> 4) << (j + 16);
            }
            Bytes.putU32(b, 4, qh);
            Bytes.store(b, dst, off + (long) i * BYTES);
        }
    }
}
