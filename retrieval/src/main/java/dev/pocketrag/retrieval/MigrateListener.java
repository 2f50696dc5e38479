package dev.pocketrag.retrieval;

/** Follows a copy of a notebook's index ({@link Notebook.Builder#migrateTo}); called on the copying thread. */
@FunctionalInterface
public interface MigrateListener {
    MigrateListener NONE = p -> true;

    /**
     * Called after each batch of notes is committed in the target (and once at the start and at the end).
     *
     * @return {@code true} to go on, {@code false} to stop now: what is committed stays, and the next
     *     copy to the same place skips it
     */
    boolean onProgress(MigrateProgress progress);
}
