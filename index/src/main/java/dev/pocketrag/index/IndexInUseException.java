package dev.pocketrag.index;

import java.io.IOException;
import java.nio.file.Path;

/** Another process (or another {@link NoteIndex} in this one) holds the index's write lock. */
public final class IndexInUseException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;

    IndexInUseException(Path path, Throwable cause) {
        super("index is in use by another process: " + path, cause);
        this.path = path;
    }

    /** The index directory. */
    public Path path() {
        return path;
    }
}
