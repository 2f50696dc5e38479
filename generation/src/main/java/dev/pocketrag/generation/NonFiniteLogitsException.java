package dev.pocketrag.generation;

import java.io.Serial;

/**
 * The forward pass of a model produced NaN or infinite logits: its weights (or their scales) hold
 * NaN or Inf values, or overflow. Generation stops instead of sampling from garbage (which gives an
 * empty or random answer); the message names the model file and the position.
 */
public final class NonFiniteLogitsException extends IllegalStateException {
    @Serial
    private static final long serialVersionUID = 1L;

    public NonFiniteLogitsException(String message) {
        super(message);
    }
}
