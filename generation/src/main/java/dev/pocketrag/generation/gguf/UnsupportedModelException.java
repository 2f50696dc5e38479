package dev.pocketrag.generation.gguf;

import java.io.Serial;

/**
 * A GGUF file is valid but describes a model this engine cannot run (an architecture or a feature
 * it does not implement). The message names what is unsupported and what is.
 */
public final class UnsupportedModelException extends IllegalArgumentException {
    @Serial
    private static final long serialVersionUID = 1L;

    public UnsupportedModelException(String message) {
        super(message);
    }
}
