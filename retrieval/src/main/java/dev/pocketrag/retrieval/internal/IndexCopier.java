package dev.pocketrag.retrieval.internal;

import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.RecordedModel;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.retrieval.MigrateListener;
import dev.pocketrag.retrieval.MigrateProgress;
import dev.pocketrag.retrieval.MigrateProgress.Phase;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Copies every note of one {@link NoteIndex} into another of the same embedding model, with its
 * chunks, vectors and fingerprint as stored ({@link NoteIndex#getChunked}: nothing is embedded
 * again), whatever either index is (local Lucene, a cluster): the work of {@code pocketrag migrate}.
 *
 * <p>The target is its own progress record: a note the target already has with the source's
 * fingerprint (and, for a note put without one, the same title, text, tags, source and dates) is
 * skipped, so a copy stopped (by the listener, Ctrl-C, a crash) carries on at its next run from
 * what the target committed. Notes go in batches of at most {@code batchNotes} notes or about
 * {@value #BATCH_CHUNKS} chunks, one {@code putAll} and one commit each. Notes the target has and
 * the source has not are left alone (the target may be shared).
 *
 * <p>The source is read page by page, most recently updated first: a source written meanwhile (a
 * cluster others write to) may have a note missed or read twice in this run; the next run copies
 * what was missed.
 */
public final class IndexCopier {
    /** Notes read from the source at a time. */
    static final int PAGE = 200;
    /** A batch is written once it holds about this many chunks. */
    static final int BATCH_CHUNKS = 512;

    private IndexCopier() {}

    /**
     * Copies {@code source} into {@code target}.
     *
     * @param batchNotes most notes written between two commits of the target (1..10000)
     * @return the last progress: {@link Phase#DONE}, or {@link Phase#STOPPED} if the listener said so
     */
    public static MigrateProgress copy(NoteIndex source, NoteIndex target, URI from, URI to, RecordedModel model,
            MigrateListener listener, int batchNotes) throws IOException {
        if (batchNotes < 1 || batchNotes > 10_000) {
            throw new IllegalArgumentException("batchNotes must be in 1..10000; batchNotes=" + batchNotes);
        }
        long total = source.stats().notes();
        long[] c = new long[5]; // done, copied, skipped, chunks, saved
        java.util.function.Function<Phase, MigrateProgress> progress = ph -> new MigrateProgress(ph, from, to, model,
                total, c[0], c[1], c[2], c[3], c[4]);
        if (!listener.onProgress(progress.apply(Phase.COPYING))) {
            return stopped(listener, progress);
        }
        List<ChunkedNote> batch = new ArrayList<>();
        int batchChunks = 0;
        for (int offset = 0; ; offset += PAGE) {
            List<Note> page = source.list(SearchFilter.NONE, offset, PAGE);
            for (Note n : page) {
                Optional<String> fp = source.fingerprint(n.id());
                if (fp.isEmpty()) {
                    continue; // deleted since it was listed
                }
                if (same(n, fp.get(), target)) {
                    c[0]++;
                    c[2]++;
                    continue;
                }
                Optional<ChunkedNote> whole = source.getChunked(n.id());
                if (whole.isEmpty()) {
                    continue;
                }
                batch.add(whole.get());
                batchChunks += whole.get().chunks().size();
                if (batch.size() >= batchNotes || batchChunks >= BATCH_CHUNKS) {
                    write(target, batch, c);
                    batchChunks = 0;
                    if (!listener.onProgress(progress.apply(Phase.COPYING))) {
                        return stopped(listener, progress);
                    }
                }
            }
            if (page.size() < PAGE) {
                break;
            }
        }
        if (!batch.isEmpty()) {
            write(target, batch, c);
        }
        target.commit();
        MigrateProgress done = progress.apply(Phase.DONE);
        listener.onProgress(done);
        return done;
    }

    private static MigrateProgress stopped(MigrateListener listener,
            java.util.function.Function<Phase, MigrateProgress> progress) {
        MigrateProgress p = progress.apply(Phase.STOPPED);
        listener.onProgress(p);
        return p;
    }

    /** Whether {@code target} has note {@code n} as the source has it (fingerprint {@code fp}). */
    private static boolean same(Note n, String fp, NoteIndex target) throws IOException {
        Optional<String> there = target.fingerprint(n.id());
        if (there.isEmpty() || !there.get().equals(fp)) {
            return false;
        }
        // a note put without a fingerprint (added, not imported) says nothing by it: compare the note
        return !fp.isEmpty() || target.get(n.id()).filter(n::equals).isPresent();
    }

    /** Puts and commits the batch (then empties it), counting it in {@code c}. */
    private static void write(NoteIndex target, List<ChunkedNote> batch, long[] c) throws IOException {
        target.putAll(batch);
        target.commit();
        for (ChunkedNote n : batch) {
            c[3] += n.chunks().size();
        }
        c[0] += batch.size();
        c[1] += batch.size();
        c[4] += batch.size();
        batch.clear();
    }
}
