package dev.pocketrag.retrieval;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that is not a text note: empty or blank, binary (a NUL byte), not valid UTF-8, or too
 * large. The message names the file and the reason.
 */
public final class NotANoteException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String reason;

    NotANoteException(Path file, String reason) {
        super(file + " is not a text note: " + reason);
        this.file = file;
        this.reason = reason;
    }

    /** The file. */
    public Path file() {
        return file;
    }

    /** Why, in a few words ({@code "binary (NUL byte at offset 24)"}). */
    public String reason() {
        return reason;
    }
}
