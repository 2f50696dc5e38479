package dev.pocketrag.embedder;

/** The model could not be loaded or failed to run; the message names the file or the cause. */
public class EmbedderException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EmbedderException(String message) {
        super(message);
    }

    public EmbedderException(String message, Throwable cause) {
        super(message, cause);
    }
}
