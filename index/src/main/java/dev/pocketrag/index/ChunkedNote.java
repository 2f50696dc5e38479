package dev.pocketrag.index;

import java.util.List;
import java.util.Objects;

/**
 * A note ready to index: its chunks (from a {@link Chunker}) and one vector per chunk.
 *
 * <p>Validated: at least one chunk, ordinals 0..n-1 in order, each chunk's text equal to its slice
 * of the body, one non-null vector per chunk. Vector length and norm are checked by the index,
 * which knows the dimension.
 */
public record ChunkedNote(Note note, List<Chunk> chunks, List<float[]> vectors) {
    public ChunkedNote {
        Objects.requireNonNull(note, "note");
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
}
