package dev.pocketrag.generation.tensor;

import java.lang.foreign.MemorySegment;

/**
 * IQ4_NL: blocks of 32 values in 18 bytes, 4-bit indices into a fixed non-linear table.
 * <pre>
 * offset size field
 *      0    2 d      f16 scale
 *      2   16 qs     nibbles: value[j] = d * KVALUES[qs[j] &amp; 0xF], value[j+16] = d * KVALUES[qs[j] &gt;&gt; 4]
 * </pre>
 */
public final class BlockIQ4_NL {
    public static final int BLOCK = 32;
    public static final int BYTES = 18;
    // byte offsets of the fields in a block (the table above); the scalar and vector kernels use these
    public static final int D = 0; // f16 scale
    public static final int QS = 2; // 16 bytes of nibbles
    /** ggml's {@code kvalues_iq4nl}. */
    static final int[] KVALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private BlockIQ4_NL() {}

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bytes.checkMultiple(n, BLOCK, "IQ4_NL");
        byte[] b = new byte[BYTES];
        for (int i = 0; i < n / BLOCK; i++) {
            Bytes.load(src, off + (long) i * BYTES, b);
            float d = Bytes.f16(b, 0);
            int o = dstOff + i * BLOCK;
            for (int j = 0; j < 16; j++) {
                int q = b[2 + j] & 0xFF;
                dst[o + j] = d * KVALUES[q & 0x0F];
                dst[o + j + 16] = d * KVALUES[q >> 4];
            }
        }
    }
}
