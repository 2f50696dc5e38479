package dev.pocketrag.retrieval;

import dev.pocketrag.index.RecordedModel;
import java.net.URI;
import java.util.Objects;

/**
 * Where a copy of a notebook's index to or from an index at a URL stands ({@link
 * Notebook.Builder#migrateTo}, {@link Notebook.Builder#migrateFrom}).
 *
 * @param phase what it is doing
 * @param from where the notes come from (a URL without credentials, or the local index's
 *     {@code file:} URI)
 * @param to where they go
 * @param model the embedding model both indexes record (vectors are copied, never embedded again)
 * @param total notes in the source when the copy started
 * @param done notes handled so far (copied or skipped)
 * @param copied notes written to the target in this run
 * @param skipped notes the target already had with the same fingerprint (and content): not written
 *     again, as after an interrupted run
 * @param chunks chunks (with their vectors) written in this run
 * @param saved notes written and committed in the target in this run: what a crash would keep
 */
public record MigrateProgress(Phase phase, URI from, URI to, RecordedModel model, long total, long done, long copied,
        long skipped, long chunks, long saved) {

    /** The stages of a copy. */
    public enum Phase {
        /** Copying notes, a batch at a time, committing after each. */
        COPYING,
        /** Every note of the source is in the target. */
        DONE,
        /** Stopped by the listener after a batch: what was committed stays, and a new run carries on. */
        STOPPED
    }

    public MigrateProgress {
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(model, "model");
        if (total < 0 || done < 0 || copied < 0 || skipped < 0 || chunks < 0 || saved < 0) {
            throw new IllegalArgumentException("counts must not be negative; total=" + total + ", done=" + done
                    + ", copied=" + copied + ", skipped=" + skipped + ", chunks=" + chunks + ", saved=" + saved);
        }
    }
}
