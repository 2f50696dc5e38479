package dev.pocketrag.generation.tensor;

import java.lang.foreign.MemorySegment;

/**
 * IQ4_XS: super-blocks of 256 values in 136 bytes: 8 sub-blocks of 32 with 6-bit scales, 4-bit
 * indices into the IQ4_NL table.
 * <pre>
 * offset size field
 *      0    2 d         f16 super-block scale
 *      2    2 scales_h  u16: bits 2j..2j+1 are the high 2 bits of sub-block j's scale
 *      4    4 scales_l  low 4 bits: nibble j%2 of byte j/2
 *      8  128 qs        16 bytes per sub-block j: byte l low nibble -&gt; value 32j + l, high -&gt; 32j + 16 + l
 * value = d * (scale - 32) * KVALUES[index]
 * </pre>
 */
public final class BlockIQ4_XS {
    public static final int BLOCK = 256;
    public static final int BYTES = 136;
    // byte offsets of the fields in a block (the table above); the scalar and vector kernels use these
    public static final int D = 0; // f16 super-block scale
    public static final int SCALES_H = 2; // u16 of high scale bits
    public static final int SCALES_L = 4; // 4 bytes of low scale nibbles
    public static final int QS = 8; // 128 bytes of nibbles, 16 per sub-block

    private BlockIQ4_XS() {}

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bytes.checkMultiple(n, BLOCK, "IQ4_XS");
        byte[] b = new byte[BYTES];
        int[] kv = BlockIQ4_NL.KVALUES;
        for (int i = 0; i < n / BLOCK; i++) {
            Bytes.load(src, off + (long) i * BYTES, b);
            float d = Bytes.f16(b, 0);
            int scalesH = Bytes.u16(b, 2);
            int y = dstOff + i * BLOCK;
            for (int ib = 0; ib < 8; ib++) {
                int ls = (((b[4 + ib / 2] & 0xFF) >> (4 * (ib % 2))) & 0xF) | (((scalesH >> (2 * ib)) & 3) << 4);
                float dl = d * (ls - 32);
                int qs = 8 + 16 * ib;
                for (int j = 0; j < 16; j++) {
                    dst[y + j] = dl * kv[b[qs + j] & 0xF];
                    dst[y + j + 16] = dl * kv[(b[qs + j] & 0xFF) >> 4];
                }
                y += 32;
            }
        }
    }
}
