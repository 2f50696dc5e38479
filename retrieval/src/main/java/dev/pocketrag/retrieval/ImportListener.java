package dev.pocketrag.retrieval;

/** Follows a folder import; called on the importing thread. */
@FunctionalInterface
public interface ImportListener {
    ImportListener NONE = p -> true;

    /**
     * Called after each file (and once at the start and end).
     *
     * @return {@code true} to go on, {@code false} to stop after this file (what is done so far is
     *     committed)
     */
    boolean onProgress(ImportProgress progress);
}
