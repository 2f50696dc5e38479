package dev.pocketrag.index;

import java.util.Objects;

/**
 * One search.
 *
 * @param mode which retriever(s)
 * @param vector the query vector (DENSE, HYBRID), else null
 * @param text the query text (BM25, HYBRID), else null
 * @param k how many hits to return, 1 to {@value #MAX_K}
 * @param filter which notes may be returned
 * @param groupByNote true: at most one hit per note, its best chunk (each list is grouped before
 *     fusion, so ranks count notes)
 * @param depth how deep each list goes before fusion (HYBRID), at least {@code k}, at most
 *     {@value #MAX_K}; for DENSE and BM25 it is {@code k}
 * @param rrfK the RRF constant: score = sum over lists of 1 / (rrfK + rank), 1 to 10000
 */
public record SearchRequest(SearchMode mode, float[] vector, String text, int k, SearchFilter filter,
        boolean groupByNote, int depth, int rrfK) {

    public static final int MAX_K = 10_000;
    public static final int DEFAULT_DEPTH = 100;
    public static final int DEFAULT_RRF_K = 60;

    public SearchRequest {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(filter, "filter");
        if (mode != SearchMode.BM25 && vector == null) {
            throw new IllegalArgumentException(mode + " search needs a query vector");
        }
        if (mode != SearchMode.DENSE && text == null) {
            throw new IllegalArgumentException(mode + " search needs a query text");
        }
        if (k < 1 || k > MAX_K) {
            throw new IllegalArgumentException("k=" + k + ", must be in [1, " + MAX_K + "]");
        }
        if (depth < k || depth > MAX_K) {
            throw new IllegalArgumentException("depth=" + depth + ", must be in [k=" + k + ", " + MAX_K + "]");
        }
        if (rrfK < 1 || rrfK > 10_000) {
            throw new IllegalArgumentException("rrfK=" + rrfK + ", must be in [1, 10000]");
        }
    }

    /** kNN: the {@code k} nearest chunks. */
    public static SearchRequest dense(float[] vector, int k) {
        return new SearchRequest(SearchMode.DENSE, vector, null, k, SearchFilter.NONE, false, k, DEFAULT_RRF_K);
    }

    /** BM25: the {@code k} best chunks for {@code text}. */
    public static SearchRequest bm25(String text, int k) {
        return new SearchRequest(SearchMode.BM25, null, text, k, SearchFilter.NONE, false, k, DEFAULT_RRF_K);
    }

    /** Hybrid: RRF (k=60) of kNN and BM25 lists of depth max(100, k). */
    public static SearchRequest hybrid(float[] vector, String text, int k) {
        return new SearchRequest(SearchMode.HYBRID, vector, text, k, SearchFilter.NONE, false,
                Math.max(DEFAULT_DEPTH, k), DEFAULT_RRF_K);
    }

    public SearchRequest withFilter(SearchFilter f) {
        return new SearchRequest(mode, vector, text, k, f, groupByNote, depth, rrfK);
    }

    public SearchRequest groupedByNote() {
        return new SearchRequest(mode, vector, text, k, filter, true, depth, rrfK);
    }

    public SearchRequest withFusion(int newDepth, int newRrfK) {
        return new SearchRequest(mode, vector, text, k, filter, groupByNote, newDepth, newRrfK);
    }
}
