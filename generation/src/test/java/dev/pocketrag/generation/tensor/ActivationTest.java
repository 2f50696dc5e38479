package dev.pocketrag.generation.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ActivationTest {
    @Test
    void gelu_is_the_tanh_approximation_through_ggml_f16_table() {
        // tanh-approximation GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        assertEquals(0.0f, Activation.gelu(0f), 0f);
        assertEquals(0.841192, Activation.gelu(1f), 1e-3); // f16 table: within an f16 ulp
        assertEquals(-0.158808, Activation.gelu(-1f), 1e-3);
        assertEquals(1.954598, Activation.gelu(2f), 2e-3);
        assertEquals(20f, Activation.gelu(20f), 0f);
        assertEquals(0f, Activation.gelu(-20f), 0f);
        assertEquals(0.841192, Activation.geluExact(1f), 1e-6);
    }

    @Test
    void silu_is_x_times_sigmoid() {
        assertEquals(0.731059, Activation.silu(1f), 1e-6);
        assertEquals(-0.268941, Activation.silu(-1f), 1e-6);
        assertEquals(0f, Activation.silu(0f), 0f);
    }
}
