package dev.pocketrag.generation.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Q6_K: super-blocks of 256 values in 210 bytes: 16 sub-blocks of 16 with int8 scales.
 * <pre>
 * offset size field
 *      0  128 ql      low 4 bits; for half h = 0..1 (128 values) and l = 0..31:
 *                     ql[64h + l] low nibble -&gt; value 128h + l, high nibble -&gt; value 128h + 64 + l;
 *                     ql[64h + 32 + l] low -&gt; 128h + 32 + l, high -&gt; 128h + 96 + l
 *    128   64 qh      high 2 bits: qh[32h + l] bits 0-1, 2-3, 4-5, 6-7 -&gt; values 128h + l, +32, +64, +96
 *    192   16 scales  int8 scale of each 16-value sub-block
 *    208    2 d       f16 super-block scale
 * value = d * scale * (q - 32), q the 6-bit quant
 * </pre>
 * Reference quantizer: quantize_row_q6_K_ref (make_qx_quants, rmse_type 1).
 */
public final class BlockQ6_K {
    public static final int BLOCK = 256;
    public static final int BYTES = 210;
    // byte offsets of the fields in a block (the table above); the scalar and vector kernels use these
    public static final int QL = 0; // 128 bytes of low 4 bits
    public static final int QH = 128; // 64 bytes of high 2 bits
    public static final int SCALES = 192; // 16 int8 sub-block scales
    public static final int D = 208; // f16 super-block scale

    private BlockQ6_K() {}

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q6_K");
        byte[] b = new byte[BYTES];
        for (int i = 0; i < n / BLOCK; i++) {
            Bytes.load(src, off + (long) i * BYTES, b);
            float d = Bytes.f16(b, 208);
            int y = dstOff + i * BLOCK;
            for (int h = 0; h < 2; h++) {
                int ql = 64 * h;
                int qh = 128 + 32 * h;
                int sc = 192 + 8 * h;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int hb = b[qh + l] & 0xFF;
                    int q1 = ((b[ql + l] & 0xF) | ((hb & 3) << 4)) - 32;
                    int q2 = ((b[ql + l + 32] & 0xF) | (((hb >> 2) & 3) << 4)) - 32;
                    int q3 = (((b[ql + l] & 0xFF) >> 4) | (((hb >> 4) & 3) << 4)) - 32;
                    int q4 = (((b[ql + l + 32] & 0xFF) >> 4) | (((hb >> 6) & 3) << 4)) - 32;
                    dst[y + l] = d * b[sc + is] * q1;
                    dst[y + l + 32] = d * b[sc + is + 2] * q2;
                    dst[y + l + 64] = d * b[sc + is + 4] * q3;
                    dst[y + l + 96] = d * b[sc + is + 6] * q4;
                }
                y += 128;
            }
        }
    }

    public static void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        Bytes.checkMultiple(n, BLOCK, "Q6_K");
        byte[] b = new byte[BYTES];
        byte[] L = new byte[BLOCK];
        float[] scales = new float[16];
        for (int i = 0; i < n / BLOCK; i++) {
            int x = srcOff + i * BLOCK;
            float maxScale = 0;
            float maxAbsScale = 0;
            for (int ib = 0; ib < 16; ib++) {
                float scale = KQuants.makeQxQuants(16, 32, src, x + 16 * ib, L, 16 * ib, 1);
                scales[ib] = scale;
                float abs = Math.abs(scale);
                if (abs > maxAbsScale) {
                    maxAbsScale = abs;
                    maxScale = scale;
                }
            }
            java.util.Arrays.fill(b, (byte) 0);
            if (maxAbsScale < KQuants.GROUP_MAX_EPS) {
                Bytes.putF16(b, 208, 0.f);
                Bytes.store(b, dst, off + (long) i * BYTES);
                continue;
            }
            float iscale = -128.f / maxScale;
            Bytes.putF16(b, 208, 1 / iscale);
            for (int ib = 0; ib < 16; ib++) {
                b[192 + ib] = (byte) Math.min(127, Half.nearestInt(iscale * scales[ib]));
            }
            float dAll = Bytes.f16(b, 208);
            for (int j = 0; j < 16; j++) {
                float d = dAll * b[192 + j];
                if (d == 0) {
                    continue;
                }
                for (int ii = 0; ii < 16; ii++) {
                    int l = Half.nearestInt(src[x + 16 * j + ii] / d);
                    l = Math.max(-32, Math.min(31, l));
                    L[16 * j + ii] = (byte) (l + 32);
                }
            }
            for (int h = 0; h < 2; h++) {
                int j = 128 * h;
                for (int l = 0; l < 32; l++) {
                    int q1 = L[j + l] & 0xF;
                    int q2 = L[j + l + 32] & 0xF;
                    int q3 = L[j + l + 64] & 0xF;
                    int q4 = L[j + l + 96] & 0xF;
                    b[64 * h + l] = (byte) (q1 | (q3 << 4));
                    b[64 * h + l + 32] = (byte) (q2 | (q4 << 4));
                    b[128 + 32 * h + l] = (byte) ((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2)
                            | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
                }
            }
            Bytes.store(b, dst, off + (long) i * BYTES);
        }
    }
}
