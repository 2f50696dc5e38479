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
 * @param page the 1-based page of a paged document (a PDF) the chunk is on; 0 when unknown or not
 *     paged
 * @param section the heading path the chunk is under ({@code "Chapter 2 > Dough"}); empty when
 *     unknown or none; at most {@value #MAX_SECTION_LENGTH} characters
 */
public record Chunk(int ordinal, int start, int end, String text, String embeddingText, int page, String section) {
    /** The longest section path kept (a longer one is cut by the chunker). */
    public static final int MAX_SECTION_LENGTH = 300;

    /** A chunk without a location (no page, no section). */
    public Chunk(int ordinal, int start, int end, String text, String embeddingText) {
        this(ordinal, start, end, text, embeddingText, 0, "");
    }

    public Chunk {
        Objects.requireNonNull(section, "section");
        if (page < 0) {
            throw new IllegalArgumentException("chunk " + ordinal + ": page=" + page + ", must be >= 0 (0: none)");
        }
        if (section.length() > MAX_SECTION_LENGTH) {
            throw new IllegalArgumentException("chunk " + ordinal + ": section has " + section.length()
                    + " characters, at most " + MAX_SECTION_LENGTH);
        }
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

    /** This chunk with a location. */
    public Chunk withLocation(int newPage, String newSection) {
        return new Chunk(ordinal, start, end, text, embeddingText, newPage, newSection);
    }
}
