package dev.pocketrag.index;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A write to the index failed (a full disk, a file that vanished, a failing device); the index has
 * gone back to its last commit, which is intact, and the next write tries again (see {@link
 * NoteIndex}). The message names the index directory and the cause.
 */
public final class IndexWriteException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;
    private final boolean diskFull;

    IndexWriteException(Path path, String what, Throwable cause) {
        super(message(path, what, cause), cause);
        this.path = path;
        this.diskFull = isDiskFull(cause);
    }

    private static String message(Path path, String what, Throwable cause) {
        String m = what + ": " + path;
        if (cause == null) {
            return m;
        }
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root && root.getMessage() == null) {
            root = root.getCause();
        }
        String why = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return m + ": " + why + (isDiskFull(cause)
                ? " (the disk is full: free some space and try again; what was saved before is intact)"
                : " (what was saved before is intact)");
    }

    /** The index directory. */
    public Path path() {
        return path;
    }

    /** Whether the cause was a full disk or an exhausted quota. */
    public boolean diskFull() {
        return diskFull;
    }

    /** Whether {@code t} or a cause of it says the disk (or the quota) is full. */
    public static boolean isDiskFull(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = c.getMessage();
            if (m != null) {
                String l = m.toLowerCase(Locale.ROOT);
                if (l.contains("no space left on device") || l.contains("disk quota exceeded")
                        || l.contains("not enough space on the disk") || l.contains("disk full")) {
                    return true;
                }
            }
        }
        return false;
    }
}
