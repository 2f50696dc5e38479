package dev.pocketrag.generation.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The model architectures the forward pass implements ({@code general.architecture}), each with the
 * rotary embedding layout llama.cpp uses for it ({@code llama_model_rope_type}).
 */
public enum Architecture {
    /** Llama 1/2/3.x, TinyLlama, SmolLM/SmolLM2, Mistral 7B, ... : rotates adjacent pairs. */
    LLAMA("llama", RopeStyle.NORM),
    /** Qwen2/2.5: q/k/v biases. */
    QWEN2("qwen2", RopeStyle.NEOX),
    /** Qwen3 (dense): RMS norms on q and k per head, no biases. */
    QWEN3("qwen3", RopeStyle.NEOX),
    /** Phi-3/3.5 mini and medium: fused qkv and gate/up, LongRoPE factors, sliding window. */
    PHI3("phi3", RopeStyle.NEOX),
    /**
     * Gemma 2: embeddings scaled by sqrt(dim), GELU feed-forward, norms after attention and
     * feed-forward too, soft-capped attention and final logits, sliding window on even layers.
     */
    GEMMA2("gemma2", RopeStyle.NEOX);

    /** How RoPE pairs the dimensions of a head. */
    public enum RopeStyle {
        /** Pairs (2i, 2i+1) (GPT-J style; llama.cpp LLAMA_ROPE_TYPE_NORM). */
        NORM,
        /** Pairs (i, i + d/2) (GPT-NeoX style; LLAMA_ROPE_TYPE_NEOX). */
        NEOX
    }

    private final String ggufName;
    private final RopeStyle ropeStyle;

    Architecture(String ggufName, RopeStyle ropeStyle) {
        this.ggufName = ggufName;
        this.ropeStyle = ropeStyle;
    }

    /** The {@code general.architecture} value. */
    public String ggufName() {
        return ggufName;
    }

    public RopeStyle ropeStyle() {
        return ropeStyle;
    }

    /** The architecture named {@code name} in a GGUF file, or empty. */
    public static Optional<Architecture> byGgufName(String name) {
        for (Architecture a : values()) {
            if (a.ggufName.equals(name.toLowerCase(Locale.ROOT))) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** The supported names, comma-separated, for error messages. */
    public static String supportedNames() {
        return Arrays.stream(values()).map(Architecture::ggufName).collect(Collectors.joining(", "));
    }
}
