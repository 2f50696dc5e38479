package dev.pocketrag.index;

import java.util.Objects;

/**
 * A piece of a note's body: the unit that is embedded, indexed and returned by a search.
 *
 * @param ordinal position of the chunk in its note, from 0
 * @param start offset of the first character of {@code text} in the note's body (UTF-16 units)
 * @param end offset just past the last character: {@code text = body.substring(start, end)}
 * @param text the chunk as it appears in the body
 * @param embeddingText what to embed for this chunk: the note's title (when there is one) on its
 *     own line, then {@code text}; at most the chunker's token budget
 */
public record Chunk(int ordinal, int start, int end, String text, String embeddingText) {
    public Chunk {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(embeddingText, "embeddingText");
        if (ordinal < 0) {
            throw new IllegalArgumentException("chunk ordinal=" + ordinal + ", must be >= 0");
        }
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("chunk " + ordinal + ": start=" + start + ", end=" + end
                    + ": need 0 <= start <= end");
        }
        if (text.length() != end - start) {
            throw new IllegalArgumentException("chunk " + ordinal + ": text has " + text.length()
                    + " characters but end - start = " + (end - start));
        }
    }
}
