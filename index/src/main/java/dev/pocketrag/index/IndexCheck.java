package dev.pocketrag.index;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link NoteIndex#check} found in an index, or what {@link NoteIndex#repair} did.
 *
 * <p>Every note falls in one of three groups: sound; damaged but rebuildable (its text is
 * readable, but a chunk or a vector is missing, doubled or unreadable, or it lies in a segment
 * whose files are damaged: repair indexes it again from its text); or lost (its text cannot be
 * read: repair drops what is left of it). Chunk documents that cannot be read at all belong to
 * notes that cannot be named; they are counted apart.
 *
 * @param repaired whether this reports a repair (else a check, which changes nothing)
 * @param sound notes with nothing wrong
 * @param rebuilt damaged notes whose text is readable: a check's would be rebuilt, a repair's were
 * @param lost notes whose text cannot be read: a check's would be lost, a repair's were dropped
 * @param unidentified chunk documents that could not be read at all: of lost notes, or of notes
 *     that cannot even be named
 * @param chunks chunk documents read
 * @param problems what is wrong, one line each, in the order found; at most
 *     {@value #MAX_PROBLEMS}
 * @param problemCount how many problems there are in all
 * @param lostNotes the lost notes (id, and title when it could be read); at most {@value
 *     #MAX_PROBLEMS}
 * @param backup where a repair copied the index before changing it; empty for a check, and for a
 *     repair of a sound index (which changes nothing)
 * @param model the embedding model the index's last commit records (id, dimension, recipe); empty
 *     when there is no index, or its commit cannot be read or records none
 */
public record IndexCheck(boolean repaired, long sound, long rebuilt, long lost, long unidentified, long chunks,
        List<String> problems, long problemCount, List<NoteRef> lostNotes, Optional<Path> backup,
        Optional<RecordedModel> model) {

    /** The most problems and lost notes listed. */
    public static final int MAX_PROBLEMS = 100;

    public IndexCheck {
        problems = List.copyOf(problems);
        lostNotes = List.copyOf(lostNotes);
        Objects.requireNonNull(backup, "backup");
        Objects.requireNonNull(model, "model");
    }

    /** A note named in a report: its id and, when it could be read, its title (else empty). */
    public record NoteRef(String id, String title) {
        public NoteRef {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(title, "title");
        }
    }

    /** Whether nothing is wrong. */
    public boolean healthy() {
        return problemCount == 0;
    }

    /** The notes the index holds (after a repair) or would hold after one: sound and rebuilt. */
    public long notes() {
        return sound + rebuilt;
    }
}
