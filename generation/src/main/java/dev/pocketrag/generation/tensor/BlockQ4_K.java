package dev.pocketrag.generation.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Q4_K: super-blocks of 256 values in 144 bytes: 8 sub-blocks of 32, each with a 6-bit scale and min.
 * <pre>
 * offset size field
 *      0    2 d       f16 super-block scale of the scales
 *      2    2 dmin    f16 super-block scale of the mins
 *      4   12 scales  8 x (6-bit scale, 6-bit min), packed (see get_scale_min_k4):
 *                     j &lt; 4: sc = s[j] &amp; 63, m = s[j+4] &amp; 63;
 *                     j &gt;= 4: sc = (s[j+4] &amp; 0xF) | (s[j-4] &gt;&gt; 6) &lt;&lt; 4, m = (s[j+4] &gt;&gt; 4) | (s[j] &gt;&gt; 6) &lt;&lt; 4
 *     16  128 qs      4-bit quants: for chunk c = 0..3 (64 values), byte qs[32c + l] holds value 64c + l in
 *                     its low nibble (sub-block 2c) and value 64c + 32 + l in its high nibble (sub-block 2c+1)
 * value = d * sc * q - dmin * m
 * </pre>
 * Reference quantizer: quantize_row_q4_K_ref (make_qkx2_quants per sub-block, no importance matrix).
 */
public final class BlockQ4_K {
    public static final int BLOCK = 256;
    public static final int BYTES = 144;
    // byte offsets of the fields in a block (the table above); the scalar and vector kernels use these
    public static final int D = 0; // f16 super-block scale of the scales
    public static final int DMIN = 2; // f16 super-block scale of the mins
    public static final int SCALES = 4; // 12 bytes of packed 6-bit scales and mins
    public static final int QS = 16; // 128 bytes of 4-bit quants

    private BlockQ4_K() {}

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q4_K");
        byte[] b = new byte[BYTES];
        int[] sm = new int[2];
        for (int i = 0; i < n / BLOCK; i++) {
            Bytes.load(src, off + (long) i * BYTES, b);
            float d = Bytes.f16(b, 0);
            float min = Bytes.f16(b, 2);
            int y = dstOff + i * BLOCK;
            for (int c = 0; c < 4; c++) {
                KQuants.scaleMinK4(2 * c, b, 4, sm);
                float d1 = d * sm[0];
                float m1 = min * sm[1];
                KQuants.scaleMinK4(2 * c + 1, b, 4, sm);
                float d2 = d * sm[0];
                float m2 = min * sm[1];
                int q = 16 + 32 * c;
                for (int l = 0; l < 32; l++) {
                    dst[y++] = d1 * (b[q + l] & 0xF) - m1;
                }
                for (int l = 0; l < 32; l++) {
                    dst[y++] = d2 * ((b[q + l] & 0xFF) >> 4) - m2;
                }
            }
        }
    }

    public static void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q4_K");
        byte[] b = new byte[BYTES];
        byte[] L = new byte[BLOCK];
        byte[] laux = new byte[32];
        float[] weights = new float[32];
        float[] mins = new float[8];
        float[] scales = new float[8];
        int[] ls = new int[8];
        int[] lm = new int[8];
        int[] sm = new int[2];
        for (int i = 0; i < n / BLOCK; i++) {
            int x = srcOff + i * BLOCK;
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 8; j++) {
                float sumX2 = 0;
                for (int l = 0; l < 32; l++) {
                    sumX2 += src[x + 32 * j + l] * src[x + 32 * j + l];
                }
                float avX = (float) Math.sqrt(sumX2 / 32);
                for (int l = 0; l < 32; l++) {
                    weights[l] = avX + Math.abs(src[x + 32 * j + l]);
                }
                scales[j] = KQuants.makeQkx2Quants(32, 15, src, x + 32 * j, weights, L, 32 * j, mins, j, laux,
                        -1.f, 0.1f, 20, false);
                if (scales[j] > maxScale) {
                    maxScale = scales[j];
                }
                if (mins[j] > maxMin) {
                    maxMin = mins[j];
                }
            }
            float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
            float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
            for (int j = 0; j < 8; j++) {
                ls[j] = Math.min(63, Half.nearestInt(invScale * scales[j]) & 0xFF);
                lm[j] = Math.min(63, Half.nearestInt(invMin * mins[j]) & 0xFF);
            }
            KQuants.packScaleMinK4(ls, lm, b, 4);
            Bytes.putF16(b, 0, maxScale / 63.f);
            Bytes.putF16(b, 2, maxMin / 63.f);
            float dAll = Bytes.f16(b, 0);
            float dminAll = Bytes.f16(b, 2);
            for (int j = 0; j < 8; j++) {
                KQuants.scaleMinK4(j, b, 4, sm);
                float d = dAll * sm[0];
                if (d == 0) {
                    continue;
                }
                float dm = dminAll * sm[1];
                for (int ii = 0; ii < 32; ii++) {
                    int l = Half.nearestInt((src[x + 32 * j + ii] + dm) / d);
                    L[32 * j + ii] = (byte) Math.max(0, Math.min(15, l));
                }
            }
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    b[16 + 32 * c + l] = (byte) (L[64 * c + l] | (L[64 * c + l + 32] << 4));
                }
            }
            Bytes.store(b, dst, off + (long) i * BYTES);
        }
    }
}
