package dev.pocketrag.generation.tensor;

/**
 * Scalar conversions shared by the block codecs, each bit-exact with ggml's reference C
 * ({@code ggml_compute_fp32_to_fp16}, {@code ggml_compute_fp32_to_bf16}, {@code nearest_int},
 * C's {@code roundf}).
 */
public final class Half {
    private Half() {}

    /** IEEE binary16 bits to float (exact). */
    public static float f16ToF32(short h) {
        return Float.float16ToFloat(h);
    }

    /** float to IEEE binary16 bits, round to nearest even; NaN becomes ggml's quiet NaN 0x7E00 (with sign). */
    public static short f32ToF16(float f) {
        if (Float.isNaN(f)) {
            return (short) (((Float.floatToRawIntBits(f) >>> 16) & 0x8000) | 0x7E00);
        }
        return Float.floatToFloat16(f);
    }

    /** bfloat16 bits to float (exact). */
    public static float bf16ToF32(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }

    /** float to bfloat16 bits, round to nearest even, NaN quieted (ggml_compute_fp32_to_bf16). */
    public static short f32ToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fff_ffff) > 0x7f80_0000) {
            return (short) ((u >>> 16) | 64);
        }
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    /**
     * ggml's {@code nearest_int}: round to nearest, ties to even, via the 1.5 * 2^23 trick; valid for
     * |f| &lt;= 4194303 (like ggml, callers guarantee it).
     */
    static int nearestInt(float f) {
        float v = f + 12582912.f;
        return (Float.floatToRawIntBits(v) & 0x007f_ffff) - 0x0040_0000;
    }

    /** C {@code roundf}: to nearest, ties away from zero. */
    static float roundf(float f) {
        if (Float.isNaN(f) || Float.isInfinite(f)) {
            return f;
        }
        double a = Math.floor(Math.abs((double) f) + 0.5);
        return (float) Math.copySign(a, f);
    }
}
