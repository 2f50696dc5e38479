package dev.pocketrag.generation.tokenizer;

/**
 * The type of a vocabulary entry: the values of GGUF's {@code tokenizer.ggml.token_type} array
 * (llama.cpp's {@code llama_token_type}), in order, so {@code values()[v]} is the type of value
 * {@code v}.
 */
public enum TokenType {
    /** 0: no type given; rendered as nothing. */
    UNDEFINED,
    /** 1: an ordinary piece of text. */
    NORMAL,
    /** 2: the unknown token ({@code <unk>}). */
    UNKNOWN,
    /** 3: a control token such as {@code <s>} or {@code <|eot_id|>}: matched in text only with parse_special. */
    CONTROL,
    /** 4: a user-defined token: always matched as a whole in text, always rendered. */
    USER_DEFINED,
    /** 5: an unused (padding) slot: never produced from text, rendered as nothing. */
    UNUSED,
    /** 6: a byte-fallback token {@code <0xXX>} standing for one byte. */
    BYTE;

    /**
     * The type of a {@code token_type} value.
     *
     * @throws IllegalArgumentException if {@code value} is not 0..6
     */
    public static TokenType of(int value) {
        if (value < 0 || value > 6) {
            throw new IllegalArgumentException("token type = " + value + ": must be 0..6");
        }
        return values()[value];
    }
}
