package dev.pocketrag.retrieval;

import java.util.Objects;

/**
 * One thing that happened to a file or a folder root while a folder was imported or watched: a
 * line of {@code pocketrag watch}'s output.
 *
 * @param kind what happened
 * @param path the file's (or root's) absolute path, decoded as UTF-8 (a note's source)
 * @param from for {@link Kind#RENAMED}: the path it had before; else empty
 * @param reason for {@link Kind#SKIPPED}, {@link Kind#FAILED} and {@link Kind#BUSY}: why, in a few
 *     words; for {@link Kind#SCANNED}: a summary of the counts; else empty
 */
public record FolderChange(Kind kind, String path, String from, String reason) {

    /** What happened. */
    public enum Kind {
        /** A new file became a note. */
        ADDED,
        /** A changed file's note was indexed again. */
        UPDATED,
        /** A file moved (the same bytes under another path): its note kept its id and vectors. */
        RENAMED,
        /** A file is gone (under a root that is there): its note was deleted. */
        DELETED,
        /** A file was read and is not a note (empty, binary, not text, too large). */
        SKIPPED,
        /** A file or folder could not be read; its note, if any, is kept. */
        FAILED,
        /** A file was changing while it was read (being written): not imported, tried again later. */
        BUSY,
        /** A watched root is gone or not a folder (an unmounted drive): its notes are kept. */
        OFFLINE,
        /** A watched root that was offline is back (it is scanned again). */
        ONLINE,
        /** A full scan of a root ended. */
        SCANNED
    }

    public FolderChange {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(reason, "reason");
    }

    /** A change with no {@code from} and no reason. */
    public static FolderChange of(Kind kind, String path) {
        return new FolderChange(kind, path, "", "");
    }
}
