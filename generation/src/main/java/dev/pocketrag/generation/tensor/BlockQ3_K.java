package dev.pocketrag.generation.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Q3_K: super-blocks of 256 values in 110 bytes: 16 sub-blocks of 16 with 6-bit signed scales.
 * <pre>
 * offset size field
 *      0   32 hmask   high bit: bit k of hmask[l] belongs to value 32k + l (k = 0..7); set means +0, clear -4
 *     32   64 qs      low 2 bits, laid out as the Q2_K quants
 *     96   12 scales  16 x 6 bits: sub-block j has low 4 bits s[j] &amp; 0xF (j &lt; 8) or s[j-8] &gt;&gt; 4 (j &gt;= 8)
 *                     and high 2 bits (s[8 + j%4] &gt;&gt; 2*(j/4)) &amp; 3; scale = that - 32
 *    108    2 d       f16 super-block scale
 * value = d * scale * (q - (high bit ? 0 : 4))
 * </pre>
 * Reference quantizer: quantize_row_q3_K_ref.
 */
public final class BlockQ3_K {
    public static final int BLOCK = 256;
    public static final int BYTES = 110;
    // byte offsets of the fields in a block (the table above); the scalar and vector kernels use these
    public static final int HMASK = 0; // 32 bytes of high bits
    public static final int QS = 32; // 64 bytes of low 2 bits
    public static final int SCALES = 96; // 12 bytes of 6-bit scales
    public static final int D = 108; // f16 super-block scale

    private BlockQ3_K() {}

    /** The signed scale (-32..31) of sub-block j from the 12 packed bytes at {@code b[96..]}. */
    static int scale(byte[] b, int j) {
        int lo = j < 8 ? b[96 + j] & 0xF : (b[96 + j - 8] & 0xFF) >> 4;
        int hi = ((b[96 + 8 + j % 4] & 0xFF) >> (2 * (j / 4))) & 3;
        return (lo | hi << 4) - 32;
    }

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q3_K");
        byte[] b = new byte[BYTES];
        for (int i = 0; i < n / BLOCK; i++) {
            Bytes.load(src, off + (long) i * BYTES, b);
            float dAll = Bytes.f16(b, 108);
            int y = dstOff + i * BLOCK;
            int is = 0;
            int m = 1;
            for (int h = 0; h < 2; h++) {
                int q = 32 + 32 * h;
                for (int shift = 0; shift < 8; shift += 2) {
                    float dl = dAll * scale(b, is++);
                    for (int l = 0; l < 16; l++) {
                        dst[y++] = dl * ((((b[q + l] & 0xFF) >> shift) & 3) - ((b[l] & m) != 0 ? 0 : 4));
                    }
                    dl = dAll * scale(b, is++);
                    for (int l = 0; l < 16; l++) {
                        dst[y++] = dl * ((((b[q + l + 16] & 0xFF) >> shift) & 3) - ((b[l + 16] & m) != 0 ? 0 : 4));
                    }
                    m <<= 1;
                }
            }
        }
    }

    public static void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q3_K");
        byte[] b = new byte[BYTES];
        byte[] L = new byte[BLOCK];
        float[] scales = new float[16];
        for (int i = 0; i < n / BLOCK; i++) {
            int x = srcOff + i * BLOCK;
            java.util.Arrays.fill(b, (byte) 0);
            float maxScale = 0;
            float amax = 0;
            for (int j = 0; j < 16; j++) {
                scales[j] = KQuants.makeQ3Quants(16, 4, src, x + 16 * j, L, 16 * j);
                float s = Math.abs(scales[j]);
                if (s > amax) {
                    amax = s;
                    maxScale = scales[j];
                }
            }
            if (maxScale != 0) {
                float iscale = -32.f / maxScale;
                for (int j = 0; j < 16; j++) {
                    int l = (byte) Half.nearestInt(iscale * scales[j]);
                    l = (byte) (Math.max(-32, Math.min(31, l)) + 32);
                    if (j < 8) {
                        b[96 + j] = (byte) (l & 0xF);
                    } else {
                        b[96 + j - 8] |= (byte) ((l & 0xF) << 4);
                    }
                    l >>= 4;
                    b[96 + 8 + j % 4] |= (byte) (l << (2 * (j / 4)));
                }
                Bytes.putF16(b, 108, 1 / iscale);
            } else {
                Bytes.putF16(b, 108, 0.f);
            }
            float dAll = Bytes.f16(b, 108);
            for (int j = 0; j < 16; j++) {
                float d = dAll * scale(b, j);
                if (d == 0) {
                    continue;
                }
                for (int ii = 0; ii < 16; ii++) {
                    int l = Half.nearestInt(src[x + 16 * j + ii] / d);
                    l = Math.max(-4, Math.min(3, l));
                    L[16 * j + ii] = (byte) (l + 4);
                }
            }
            int m = 0;
            int hm = 1;
            for (int j = 0; j < BLOCK; j++) {
                if (L[j] > 3) {
                    b[m] |= (byte) hm;
                    L[j] -= 4;
                }
                if (++m == BLOCK / 8) {
                    m = 0;
                    hm <<= 1;
                }
            }
            for (int h = 0; h < 2; h++) {
                int j = 128 * h;
                for (int l = 0; l < 32; l++) {
                    b[32 + 32 * h + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4)
                            | (L[j + l + 96] << 6));
                }
            }
            Bytes.store(b, dst, off + (long) i * BYTES);
        }
    }
}
