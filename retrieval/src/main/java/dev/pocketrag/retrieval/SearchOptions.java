package dev.pocketrag.retrieval;

import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.index.SearchMode;
import java.util.Objects;

/**
 * How {@link Notebook#search} searches.
 *
 * @param k how many hits (1..1000)
 * @param mode hybrid (default), dense (meaning) or BM25 (words)
 * @param filter which notes may be returned
 * @param groupByNote at most one hit (the best chunk) per note
 *
 * <p>Start from {@link #defaults()}; each {@code with...} returns a copy:
 * <pre>{@code
 * List<SearchHit> hits = notebook.search("kyoto hotel", SearchOptions.defaults()
 *         .withK(5)                                          // five hits
 *         .withMode(SearchMode.DENSE)                        // by meaning only (BM25: by words only)
 *         .withFilter(SearchFilter.tags("travel"))           // only notes tagged travel
 *         .withGroupByNote(false));                          // several chunks of one note may come back
 * for (SearchHit h : hits) {
 *     System.out.println(h.rank() + " " + h.title() + ": " + h.chunkText());
 * }
 * }</pre>
 */
public record SearchOptions(int k, SearchMode mode, SearchFilter filter, boolean groupByNote) {
    /**
     * Checks {@code k} and the nulls.
     *
     * @throws IllegalArgumentException if {@code k} is outside 1..1000 (the message names it)
     */
    public SearchOptions {
        if (k < 1 || k > 1000) {
            throw new IllegalArgumentException("k must be in 1..1000; k=" + k);
        }
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(filter, "filter");
    }

    /**
     * 10 hybrid hits, one per note, no filter.
     *
     * @return the defaults
     */
    public static SearchOptions defaults() {
        return new SearchOptions(10, SearchMode.HYBRID, SearchFilter.NONE, true);
    }

    /**
     * These options with another number of hits.
     *
     * @param n how many hits (1..1000)
     * @return a copy with {@code k = n}
     */
    public SearchOptions withK(int n) {
        return new SearchOptions(n, mode, filter, groupByNote);
    }

    /**
     * These options with another retriever.
     *
     * @param m {@code HYBRID} (meaning and words, fused), {@code DENSE} (meaning) or {@code BM25} (words)
     * @return a copy with {@code mode = m}
     */
    public SearchOptions withMode(SearchMode m) {
        return new SearchOptions(k, m, filter, groupByNote);
    }

    /**
     * These options restricted to some notes.
     *
     * @param f which notes may be returned (tags, creation and update times)
     * @return a copy with {@code filter = f}
     */
    public SearchOptions withFilter(SearchFilter f) {
        return new SearchOptions(k, mode, f, groupByNote);
    }

    /**
     * These options with or without grouping by note.
     *
     * @param g true: at most one hit (the best chunk) per note
     * @return a copy with {@code groupByNote = g}
     */
    public SearchOptions withGroupByNote(boolean g) {
        return new SearchOptions(k, mode, filter, g);
    }
}
