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
 */
public record SearchOptions(int k, SearchMode mode, SearchFilter filter, boolean groupByNote) {
    public SearchOptions {
        if (k < 1 || k > 1000) {
            throw new IllegalArgumentException("k must be in 1..1000; k=" + k);
        }
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(filter, "filter");
    }

    /** 10 hybrid hits, one per note. */
    public static SearchOptions defaults() {
        return new SearchOptions(10, SearchMode.HYBRID, SearchFilter.NONE, true);
    }

    public SearchOptions withK(int n) {
        return new SearchOptions(n, mode, filter, groupByNote);
    }

    public SearchOptions withMode(SearchMode m) {
        return new SearchOptions(k, m, filter, groupByNote);
    }

    public SearchOptions withFilter(SearchFilter f) {
        return new SearchOptions(k, mode, f, groupByNote);
    }

    public SearchOptions withGroupByNote(boolean g) {
        return new SearchOptions(k, mode, filter, g);
    }
}
