package dev.pocketrag.generation.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Q2_K: super-blocks of 256 values in 84 bytes: 16 sub-blocks of 16 with 4-bit scale and min.
 * <pre>
 * offset size field
 *      0   16 scales  sub-block j: scale = scales[j] &amp; 0xF, min = scales[j] &gt;&gt; 4
 *     16   64 qs      2-bit quants: for half h (128 values), shift s = 0,2,4,6 (k = s/2) and l = 0..31,
 *                     (qs[32h + l] &gt;&gt; s) &amp; 3 is value 128h + 32k + l
 *     80    2 d       f16 scale of the scales
 *     82    2 dmin    f16 scale of the mins
 * value = d * scale * q - dmin * min
 * </pre>
 * Reference quantizer: quantize_row_q2_K_ref.
 */
public final class BlockQ2_K {
    public static final int BLOCK = 256;
    public static final int BYTES = 84;
    // byte offsets of the fields in a block (the table above); the scalar and vector kernels use these
    public static final int SCALES = 0; // 16 bytes of 4-bit scale and min
    public static final int QS = 16; // 64 bytes of 2-bit quants
    public static final int D = 80; // f16 scale of the scales
    public static final int DMIN = 82; // f16 scale of the mins

    private BlockQ2_K() {}

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q2_K");
        byte[] b = new byte[BYTES];
        for (int i = 0; i < n / BLOCK; i++) {
            Bytes.load(src, off + (long) i * BYTES, b);
            float d = Bytes.f16(b, 80);
            float min = Bytes.f16(b, 82);
            int y = dstOff + i * BLOCK;
            int is = 0;
            for (int h = 0; h < 2; h++) {
                int q = 16 + 32 * h;
                for (int shift = 0; shift < 8; shift += 2) {
                    int sc = b[is++] & 0xFF;
                    float dl = d * (sc & 0xF);
                    float ml = min * (sc >> 4);
                    for (int l = 0; l < 16; l++) {
                        dst[y++] = dl * (((b[q + l] & 0xFF) >> shift) & 3) - ml;
                    }
                    sc = b[is++] & 0xFF;
                    dl = d * (sc & 0xF);
                    ml = min * (sc >> 4);
                    for (int l = 0; l < 16; l++) {
                        dst[y++] = dl * (((b[q + l + 16] & 0xFF) >> shift) & 3) - ml;
                    }
                }
            }
        }
    }

    public static void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q2_K");
        byte[] b = new byte[BYTES];
        byte[] L = new byte[BLOCK];
        byte[] laux = new byte[16];
        float[] weights = new float[16];
        float[] mins = new float[16];
        float[] scales = new float[16];
        final float q4scale = 15.f;
        for (int i = 0; i < n / BLOCK; i++) {
            int x = srcOff + i * BLOCK;
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 16; j++) {
                for (int l = 0; l < 16; l++) {
                    weights[l] = Math.abs(src[x + 16 * j + l]);
                }
                scales[j] = KQuants.makeQkx2Quants(16, 3, src, x + 16 * j, weights, L, 16 * j, mins, j, laux,
                        -0.5f, 0.1f, 15, true);
                if (scales[j] > maxScale) {
                    maxScale = scales[j];
                }
                if (mins[j] > maxMin) {
                    maxMin = mins[j];
                }
            }
            if (maxScale > 0) {
                float iscale = q4scale / maxScale;
                for (int j = 0; j < 16; j++) {
                    b[j] = (byte) Half.nearestInt(iscale * scales[j]);
                }
                Bytes.putF16(b, 80, maxScale / q4scale);
            } else {
                for (int j = 0; j < 16; j++) {
                    b[j] = 0;
                }
                Bytes.putF16(b, 80, 0.f);
            }
            if (maxMin > 0) {
                float iscale = q4scale / maxMin;
                for (int j = 0; j < 16; j++) {
                    int l = Half.nearestInt(iscale * mins[j]);
                    b[j] |= (byte) (l << 4);
                }
                Bytes.putF16(b, 82, maxMin / q4scale);
            } else {
                Bytes.putF16(b, 82, 0.f);
            }
            float dAll = Bytes.f16(b, 80);
            float dminAll = Bytes.f16(b, 82);
            for (int j = 0; j < 16; j++) {
                int sc = b[j] & 0xFF;
                float d = dAll * (sc & 0xF);
                if (d == 0) {
                    continue;
                }
                float dm = dminAll * (sc >> 4);
                for (int ii = 0; ii < 16; ii++) {
                    int l = Half.nearestInt((src[x + 16 * j + ii] + dm) / d);
                    L[16 * j + ii] = (byte) Math.max(0, Math.min(3, l));
                }
            }
            for (int h = 0; h < 2; h++) {
                int j = 128 * h;
                for (int l = 0; l < 32; l++) {
                    b[16 + 32 * h + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4)
                            | (L[j + l + 96] << 6));
                }
            }
            Bytes.store(b, dst, off + (long) i * BYTES);
        }
    }
}
