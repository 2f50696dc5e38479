package dev.pocketrag.retrieval;

/**
 * Where a folder import stands.
 *
 * @param total files with an importable extension found in the folder
 * @param done files handled so far (added, updated, unchanged, skipped or failed)
 * @param added new notes
 * @param updated changed files re-indexed
 * @param unchanged files whose content had not changed (not embedded again)
 * @param deleted notes removed because their file is gone
 * @param skipped files skipped because they are empty, binary or not valid UTF-8 text
 * @param failed files that could not be read
 * @param chunks chunks embedded so far
 * @param current the file being handled, empty at the end
 */
public record ImportProgress(int total, int done, int added, int updated, int unchanged, int deleted,
        int skipped, int failed, long chunks, String current) {

    /** Files embedded (added or updated). */
    public int embedded() {
        return added + updated;
    }
}
