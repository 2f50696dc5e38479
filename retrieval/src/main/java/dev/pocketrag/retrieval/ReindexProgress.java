package dev.pocketrag.retrieval;

import dev.pocketrag.index.RecordedModel;
import java.util.Objects;

/**
 * Where a {@link Notebook#reindex re-index} stands.
 *
 * @param phase what it is doing
 * @param from the model the notebook's vectors were made with when it started
 * @param to the model it re-embeds the notes with
 * @param total notes in the notebook when it started (notes added meanwhile are caught up at the
 *     end, and counted in {@link #embedded})
 * @param done notes handled so far (kept or embedded; each counted once)
 * @param kept notes an earlier, interrupted re-index to the same model had already embedded, found
 *     unchanged: not embedded again
 * @param embedded notes embedded with the new model in this run (one changed again meanwhile counts
 *     each time)
 * @param deleted notes dropped from the new index because they are no longer in the notebook
 * @param chunks chunks embedded in this run
 * @param saved notes durable in the new index (at its last commit): what a crash would keep
 * @param discarded whether an unfinished re-index to another model was deleted first
 */
public record ReindexProgress(Phase phase, RecordedModel from, RecordedModel to, long total, long done, long kept,
        long embedded, long deleted, long chunks, long saved, boolean discarded) {

    /** The stages of a re-index. */
    public enum Phase {
        /** Embedding the notes into the new index beside the old one; the notebook works as before. */
        EMBEDDING,
        /** The final catch-up: notes changed meanwhile; the notebook's writes wait until the switch. */
        CATCHING_UP,
        /** Switched: every note is on the new model and the old index is deleted. */
        DONE,
        /** Stopped by the listener before the switch: the notebook is on its old model; a new run carries on. */
        STOPPED,
        /** The notebook already is on that model (and recipe): nothing to do. */
        UNCHANGED
    }

    public ReindexProgress {
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
    }
}
