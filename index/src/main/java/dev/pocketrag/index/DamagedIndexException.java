package dev.pocketrag.index;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The index's files are damaged: a checksum failed, a file is missing or cut short, a read came
 * apart, or what the index holds breaks its own rules (a note with a chunk missing). The message
 * says what was seen; {@link NoteIndex#check} tells what is wrong with the whole index, and
 * {@link NoteIndex#repair} keeps what is still readable.
 */
public final class DamagedIndexException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;

    DamagedIndexException(Path path, String what, Throwable cause) {
        super("index " + path + " is damaged: " + what, cause);
        this.path = path;
    }

    /** The index directory. */
    public Path path() {
        return path;
    }
}
