package dev.pocketrag.generation.gguf;

import java.io.Serial;

/**
 * The vocabulary asks for a tokenizer this implementation does not have: a
 * {@code tokenizer.ggml.model} other than {@code llama} (SentencePiece), {@code gpt2} (byte-level
 * BPE) or {@code bert} (WordPiece), or a {@code tokenizer.ggml.pre} pre-tokenizer it does not know.
 * The message names the value, e.g. {@code unsupported tokenizer model 't5'}.
 */
public final class UnsupportedTokenizerException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    public UnsupportedTokenizerException(String message) {
        super(message);
    }
}
