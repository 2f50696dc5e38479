package dev.pocketrag.retrieval;

/** Follows a {@link Notebook#reindex re-index}; called on the re-indexing thread. */
@FunctionalInterface
public interface ReindexListener {
    ReindexListener NONE = p -> true;

    /**
     * Called after each batch of notes (and once at the start and at the end).
     *
     * @return {@code true} to go on, {@code false} to stop after this batch: what is embedded so far
     *     is kept, and the next re-index to the same model carries on from there (the notebook stays
     *     on its old model meanwhile). Not asked once the final catch-up has begun.
     */
    boolean onProgress(ReindexProgress progress);
}
