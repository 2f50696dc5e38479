package dev.pocketrag.retrieval.internal;

import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.RecordedModel;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.retrieval.ReindexListener;
import dev.pocketrag.retrieval.ReindexProgress;
import dev.pocketrag.retrieval.ReindexProgress.Phase;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Makes a target index (of another embedding model) hold every note of a source index, as the
 * source has it now: the work of a re-index, done in passes ({@link #sync}).
 *
 * <p>The target is its own progress record: a note whose id, content (title, text, tags, source,
 * dates) and fingerprint in the target equal the source's is done and is not embedded again, so a
 * pass after a crash or a stop carries on where the last commit of the target left off. Notes are
 * embedded in batches (up to {@value #BATCH_CHUNKS} estimated chunks, at most {@code notesPerCommit}
 * notes) and the target is committed after each batch. Notes in the target that the source no
 * longer has are deleted from it.
 *
 * <p>A pass reads the source page by page while its owner may write to it; a note changed or added
 * meanwhile may be missed (or read twice: counted once). The caller's last pass runs while no one
 * writes the source, so it leaves the two equal.
 */
public final class Reindexer {
    /** Notes are embedded together until they hold about this many chunks (one parallel embedding pass). */
    static final int BATCH_CHUNKS = 48;
    /** Notes read from the source at a time. */
    static final int PAGE = 200;

    private final NoteIndex source;
    private final NoteIndex target;
    private final Function<List<Note>, List<ChunkedNote>> chunkAndEmbed;
    private final int notesPerCommit;
    private final RecordedModel from;
    private final RecordedModel to;
    private final boolean discarded;
    private final long total;
    /** Ids handled in this run (each counted once in done). */
    private final Set<String> handled = new HashSet<>();
    private long kept, embedded, deleted, chunks, saved;
    private Phase phase = Phase.EMBEDDING;

    /**
     * @param chunkAndEmbed chunks and embeds notes with the target's model
     * @param notesPerCommit most notes embedded between two commits of the target (1..10000)
     * @param discarded whether an unfinished re-index to another model was deleted first (for the progress)
     */
    public Reindexer(NoteIndex source, NoteIndex target, Function<List<Note>, List<ChunkedNote>> chunkAndEmbed,
            int notesPerCommit, RecordedModel from, RecordedModel to, boolean discarded) throws IOException {
        if (notesPerCommit < 1 || notesPerCommit > 10_000) {
            throw new IllegalArgumentException("notesPerCommit=" + notesPerCommit + ", must be in [1, 10000]");
        }
        this.source = source;
        this.target = target;
        this.chunkAndEmbed = chunkAndEmbed;
        this.notesPerCommit = notesPerCommit;
        this.from = from;
        this.to = to;
        this.discarded = discarded;
        this.total = source.stats().notes();
        this.saved = target.stats().notes();
    }

    /** Where it stands now. */
    public ReindexProgress progress() {
        return new ReindexProgress(phase, from, to, total, handled.size(), kept, embedded, deleted, chunks, saved,
                discarded);
    }

    /** Sets the phase the progress reports. */
    public void phase(Phase p) {
        this.phase = p;
    }

    /**
     * One pass: embeds into the target every note of the source it does not hold as the source has
     * it, and deletes from the target the notes the source does not have; commits the target.
     *
     * @param listener told after each batch; when it returns false the pass stops there (null: not asked)
     * @return false if the listener stopped it
     */
    public boolean sync(ReindexListener listener) throws IOException {
        Set<String> inSource = new HashSet<>();
        List<Note> batch = new ArrayList<>();
        Map<String, String> fingerprints = new HashMap<>();
        int batchChunks = 0;
        boolean firstPass = handled.isEmpty();
        for (int offset = 0; ; offset += PAGE) {
            List<Note> page = source.list(SearchFilter.NONE, offset, PAGE);
            for (Note n : page) {
                if (!inSource.add(n.id())) {
                    continue; // met again on a later page, moved by a write meanwhile
                }
                String fingerprint = source.fingerprint(n.id()).orElse(null);
                if (fingerprint == null) {
                    continue; // deleted since the page was read
                }
                if (target.get(n.id()).filter(n::equals).isPresent()
                        && target.fingerprint(n.id()).filter(fingerprint::equals).isPresent()) {
                    if (firstPass && handled.add(n.id())) {
                        kept++; // done by an earlier run
                    }
                    continue;
                }
                batch.add(n);
                fingerprints.put(n.id(), fingerprint);
                batchChunks += Math.max(1, n.body().length() / 800);
                if (batchChunks >= BATCH_CHUNKS || batch.size() >= notesPerCommit) {
                    flush(batch, fingerprints);
                    batchChunks = 0;
                    if (listener != null && !listener.onProgress(progress())) {
                        return false;
                    }
                }
            }
            if (page.size() < PAGE) {
                break;
            }
        }
        flush(batch, fingerprints);
        deleteMissing(inSource);
        target.commit();
        saved = target.stats().notes();
        return listener == null || listener.onProgress(progress());
    }

    private void flush(List<Note> batch, Map<String, String> fingerprints) throws IOException {
        if (batch.isEmpty()) {
            return;
        }
        List<ChunkedNote> ready = new ArrayList<>(batch.size());
        for (ChunkedNote c : chunkAndEmbed.apply(batch)) {
            ready.add(c.withFingerprint(fingerprints.getOrDefault(c.note().id(), "")));
        }
        target.putAll(ready);
        target.commit();
        for (ChunkedNote c : ready) {
            chunks += c.chunks().size();
            handled.add(c.note().id());
            embedded++; // a note changed again after it was embedded counts twice
        }
        saved = target.stats().notes();
        batch.clear();
        fingerprints.clear();
    }

    /** Deletes from the target the notes not in {@code inSource}. */
    private void deleteMissing(Set<String> inSource) throws IOException {
        List<String> gone = new ArrayList<>();
        for (int offset = 0; ; offset += PAGE) {
            List<Note> page = target.list(SearchFilter.NONE, offset, PAGE);
            for (Note n : page) {
                if (!inSource.contains(n.id())) {
                    gone.add(n.id());
                }
            }
            if (page.size() < PAGE) {
                break;
            }
        }
        // a note deleted from the source while this pass read it may still be listed: ask again
        List<String> really = new ArrayList<>();
        for (String id : gone) {
            Optional<String> f = source.fingerprint(id);
            if (f.isEmpty()) {
                really.add(id);
            }
        }
        if (!really.isEmpty()) {
            target.deleteAll(really);
            deleted += really.size();
        }
    }
}
