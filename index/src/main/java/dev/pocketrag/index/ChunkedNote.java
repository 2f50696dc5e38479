package dev.pocketrag.index;

import java.util.List;
import java.util.Objects;

/**
 * A note ready to index: its chunks (from a chunker, e.g. retrieval's {@code Chunker}), one
 * vector per chunk, and a fingerprint of what the note was made from.
 *
 * <p>Validated: at least one chunk, ordinals 0..n-1 in order, each chunk's text equal to its slice
 * of the body, one non-null vector per chunk. Vector length and norm are checked by the index,
 * which knows the dimension.
 *
 * @param fingerprint an opaque string the index keeps with the note and hands back (e.g. the
 *     sha-256 of the file the note was read from, so that an import can skip an unchanged file
 *     without reading it as a note); empty for none; at most {@value #MAX_FINGERPRINT_LENGTH}
 *     characters without control characters
 */
public record ChunkedNote(Note note, List<Chunk> chunks, List<float[]> vectors, String fingerprint) {
    /** The longest fingerprint accepted. */
    public static final int MAX_FINGERPRINT_LENGTH = 256;

    /** A note without a fingerprint. */
    public ChunkedNote(Note note, List<Chunk> chunks, List<float[]> vectors) {
        this(note, chunks, vectors, "");
    }

    public ChunkedNote {
        Objects.requireNonNull(note, "note");
        Objects.requireNonNull(fingerprint, "fingerprint");
        if (!fingerprint.isEmpty()) {
            Note.checkKey("fingerprint", fingerprint, MAX_FINGERPRINT_LENGTH);
        }
        chunks = List.copyOf(chunks);
        vectors = List.copyOf(vectors);
        if (chunks.isEmpty()) {
            throw new IllegalArgumentException("note '" + note.id() + "' has no chunks (a Chunker gives at least one)");
        }
        if (vectors.size() != chunks.size()) {
            throw new IllegalArgumentException("note '" + note.id() + "': " + chunks.size() + " chunks but "
                    + vectors.size() + " vectors");
        }
        String body = note.body();
        for (int i = 0; i < chunks.size(); i++) {
            Chunk c = chunks.get(i);
            if (c.ordinal() != i) {
                throw new IllegalArgumentException("note '" + note.id() + "': chunk " + i + " has ordinal " + c.ordinal());
            }
            if (c.end() > body.length() || !body.regionMatches(c.start(), c.text(), 0, c.text().length())) {
                throw new IllegalArgumentException("note '" + note.id() + "': chunk " + i + " [" + c.start() + ", "
                        + c.end() + ") is not the body's text there (body length " + body.length() + ")");
            }
        }
    }

    /** This note with another fingerprint. */
    public ChunkedNote withFingerprint(String newFingerprint) {
        return new ChunkedNote(note, chunks, vectors, newFingerprint);
    }
}
