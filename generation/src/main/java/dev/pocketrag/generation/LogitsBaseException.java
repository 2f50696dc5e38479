package dev.pocketrag.generation;

import java.io.IOException;
import java.io.Serial;
import java.nio.file.Path;

/**
 * A logits base file ({@code perplexity --save-logits}) cannot be used: it is damaged, truncated or
 * not such a file, or it was computed for another text, window or vocabulary than the run that reads
 * it. The message names the file and the offending value (and the expected one).
 */
public final class LogitsBaseException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public LogitsBaseException(Path file, String message) {
        super(file.getFileName() + ": " + message);
        this.file = file;
    }

    /** The base file. */
    public Path file() {
        return file;
    }
}
