package dev.pocketrag.generation.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Q5_K: super-blocks of 256 values in 176 bytes.
 * <pre>
 * offset size field
 *      0    2 d       f16 super-block scale of the scales
 *      2    2 dmin    f16 super-block scale of the mins
 *      4   12 scales  8 x (6-bit scale, 6-bit min), packed as in Q4_K
 *     16   32 qh      5th bits: bit 2c of qh[l] belongs to value 64c + l, bit 2c+1 to value 64c + 32 + l
 *     48  128 qs      low 4 bits, laid out as the Q4_K quants
 * value = d * sc * (q | h &lt;&lt; 4) - dmin * m
 * </pre>
 * Reference quantizer: quantize_row_q5_K_ref.
 */
public final class BlockQ5_K {
    public static final int BLOCK = 256;
    public static final int BYTES = 176;
    // byte offsets of the fields in a block (the table above); the scalar and vector kernels use these
    public static final int D = 0; // f16 super-block scale of the scales
    public static final int DMIN = 2; // f16 super-block scale of the mins
    public static final int SCALES = 4; // 12 bytes of packed 6-bit scales and mins
    public static final int QH = 16; // 32 bytes of 5th bits
    public static final int QS = 48; // 128 bytes of low 4 bits

    private BlockQ5_K() {}

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q5_K");
        byte[] b = new byte[BYTES];
        int[] sm = new int[2];
        for (int i = 0; i < n / BLOCK; i++) {
            Bytes.load(src, off + (long) i * BYTES, b);
            float d = Bytes.f16(b, 0);
            float min = Bytes.f16(b, 2);
            int y = dstOff + i * BLOCK;
            int u1 = 1;
            int u2 = 2;
            for (int c = 0; c < 4; c++) {
                KQuants.scaleMinK4(2 * c, b, 4, sm);
                float d1 = d * sm[0];
                float m1 = min * sm[1];
                KQuants.scaleMinK4(2 * c + 1, b, 4, sm);
                float d2 = d * sm[0];
                float m2 = min * sm[1];
                int ql = 48 + 32 * c;
                for (int l = 0; l < 32; l++) {
                    dst[y++] = d1 * ((b[ql + l] & 0xF) + ((b[16 + l] & u1) != 0 ? 16 : 0)) - m1;
                }
                for (int l = 0; l < 32; l++) {
                    dst[y++] = d2 * (((b[ql + l] & 0xFF) >> 4) + ((b[16 + l] & u2) != 0 ? 16 : 0)) - m2;
                }
                u1 <<= 2;
                u2 <<= 2;
            }
        }
    }

    public static void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q5_K");
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
                scales[j] = KQuants.makeQkx2Quants(32, 31, src, x + 32 * j, weights, L, 32 * j, mins, j, laux,
                        -0.5f, 0.1f, 15, false);
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
                    L[32 * j + ii] = (byte) Math.max(0, Math.min(31, l));
                }
            }
            for (int k = 16; k < 48; k++) {
                b[k] = 0;
            }
            int m1 = 1;
            int m2 = 2;
            for (int c = 0; c < 4; c++) {
                for (int j = 0; j < 32; j++) {
                    int l1 = L[64 * c + j];
                    if (l1 > 15) {
                        l1 -= 16;
                        b[16 + j] |= (byte) m1;
                    }
                    int l2 = L[64 * c + j + 32];
                    if (l2 > 15) {
                        l2 -= 16;
                        b[16 + j] |= (byte) m2;
                    }
                    b[48 + 32 * c + j] = (byte) (l1 | (l2 << 4));
                }
                m1 <<= 2;
                m2 <<= 2;
            }
            Bytes.store(b, dst, off + (long) i * BYTES);
        }
    }
}
