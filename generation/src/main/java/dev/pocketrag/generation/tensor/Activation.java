package dev.pocketrag.generation.tensor;

/** The feed-forward activations, as ggml-cpu computes them. */
public final class Activation {
    private Activation() {}

    private static final float GELU_COEF_A = 0.044715f;
    private static final float SQRT_2_OVER_PI = 0.79788456080286535587989211986876f;
    /** ggml's GELU table: gelu of every f16 value, rounded to f16 (GGML_GELU_FP16). */
    private static final short[] GELU_F16 = new short[1 << 16];

    static {
        for (int i = 0; i < GELU_F16.length; i++) {
            GELU_F16[i] = Half.f32ToF16(geluExact(Half.f16ToF32((short) i)));
        }
    }

    /** {@code x / (1 + e^-x)}. */
    public static float silu(float x) {
        return x / (1.0f + (float) Math.exp(-x));
    }

    /** The tanh approximation of GELU in float, ggml's {@code ggml_gelu_f32}. */
    public static float geluExact(float x) {
        return 0.5f * x * (1.0f + (float) Math.tanh(SQRT_2_OVER_PI * x * (1.0f + GELU_COEF_A * x * x)));
    }

    /**
     * GELU as ggml-cpu's {@code ggml_vec_gelu_f32} (GGML_GELU_FP16): 0 below -10, x above 10, else the
     * table value of x rounded to f16.
     */
    public static float gelu(float x) {
        if (x <= -10.0f) {
            return 0.0f;
        }
        if (x >= 10.0f) {
            return x;
        }
        return Half.f16ToF32(GELU_F16[Half.f32ToF16(x) & 0xFFFF]);
    }
}
