package dev.pocketrag.retrieval;

import java.util.List;
import java.util.Objects;

/**
 * Where a folder import stands.
 *
 * @param total files with an importable extension found in the folder
 * @param done files handled so far (added, updated, unchanged, skipped or failed)
 * @param added new notes
 * @param updated changed files re-indexed
 * @param renamed files found under a new path with the bytes of a note whose file was gone: the
 *     note kept its id (and its vectors, unless its title came from the file name)
 * @param unchanged files whose content had not changed (not embedded again)
 * @param deleted notes removed because their file is gone
 * @param skipped files skipped because they are empty, binary, not valid UTF-8 text or too large,
 *     and documents that are encrypted, damaged, without a text layer or over a bound
 * @param failed files and folders that could not be read, and files that changed while they were
 *     read (their notes are kept)
 * @param chunks chunks embedded so far
 * @param current the file being handled, empty at the end
 * @param problems what was skipped or failed and why, in the order met; at most
 *     {@value #MAX_PROBLEMS} (the counts above count them all)
 */
public record ImportProgress(int total, int done, int added, int updated, int renamed, int unchanged, int deleted,
        int skipped, int failed, long chunks, String current, List<Problem> problems) {

    /** The most problems kept in {@link #problems()}. */
    public static final int MAX_PROBLEMS = 100;

    public ImportProgress {
        Objects.requireNonNull(current, "current");
        problems = List.copyOf(problems);
    }

    /**
     * A file or folder that was skipped or could not be read.
     *
     * @param path relative to the imported folder ({@code "."} for the folder itself); a folder
     *     ends with {@code /}
     * @param reason why, in a few words ({@code "binary (NUL byte at offset 4)"}, {@code "not
     *     readable (permission denied); its notes are kept"}, {@code "no text layer: OCR not
     *     supported"})
     * @param failed true if it could not be read (counted in {@link #failed()}), false if it was
     *     read and is not a note (counted in {@link #skipped()})
     */
    public record Problem(String path, String reason, boolean failed) {
        public Problem {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Files embedded (added or updated). */
    public int embedded() {
        return added + updated;
    }
}
