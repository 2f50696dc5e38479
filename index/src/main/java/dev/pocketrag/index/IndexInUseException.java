package dev.pocketrag.index;

import java.io.IOException;
import java.nio.file.Path;

/** Another process (or another {@link NoteIndex} in this one) holds the index's write lock. */
public final class IndexInUseException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;

    private final String holder;

    IndexInUseException(Path path, String holder, Throwable cause) {
        super("index is in use by another process: " + path
                + (holder == null ? " (stop that process, or wait until it is done)" : " (held by " + holder + ")"), cause);
        this.path = path;
        this.holder = holder;
    }

    /**
     * Who holds it, as that process described itself ({@code "process 4242 since ...: pocketrag
     * serve at ..."}), or null when unknown.
     */
    public String holder() {
        return holder;
    }

    /** The index directory. */
    public Path path() {
        return path;
    }
}
