package dev.pocketrag.index;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One result of a search: a chunk of a note.
 *
 * @param noteId the note's id
 * @param title the note's title
 * @param tags the note's tags
 * @param source where the note came from (its {@link Note#source()}: a path or URL, empty when unknown)
 * @param created when the note was created ({@link Note#created()})
 * @param chunkOrdinal which chunk of the note (from 0)
 * @param chunkText the chunk's text
 * @param start offset of the chunk in the note's body (UTF-16 units)
 * @param end offset just past the chunk
 * @param rank 1-based position in the result
 * @param score the final score: the similarity (DENSE, {@code (1 + dot) / 2}), the BM25 score, or
 *     the RRF score (HYBRID)
 * @param denseRank 1-based rank in the kNN list, 0 if the chunk (or note) was not in it
 * @param denseScore its kNN score, NaN if not in the list
 * @param bm25Rank 1-based rank in the BM25 list, 0 if not in it
 * @param bm25Score its BM25 score, NaN if not in the list
 * @param page the page the chunk is on ({@link Chunk#page()}), 0 when unknown
 * @param section the heading path the chunk is under ({@link Chunk#section()}), empty when unknown
 */
public record SearchHit(String noteId, String title, List<String> tags, String source, Instant created,
        int chunkOrdinal, String chunkText, int start, int end, int rank, double score, int denseRank, double denseScore, int bm25Rank,
        double bm25Score, int page, String section) {

    /** A hit without a location. */
    public SearchHit(String noteId, String title, List<String> tags, String source, Instant created,
            int chunkOrdinal, String chunkText, int start, int end, int rank, double score, int denseRank,
            double denseScore, int bm25Rank, double bm25Score) {
        this(noteId, title, tags, source, created, chunkOrdinal, chunkText, start, end, rank, score, denseRank,
                denseScore, bm25Rank, bm25Score, 0, "");
    }

    public SearchHit {
        Objects.requireNonNull(section, "section");
        Objects.requireNonNull(noteId, "noteId");
        Objects.requireNonNull(title, "title");
        tags = List.copyOf(tags);
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(chunkText, "chunkText");
        if (rank < 1) {
            throw new IllegalArgumentException("rank=" + rank + ", must be >= 1");
        }
    }
}
