package dev.pocketrag.index;

/** Which retriever a search uses. */
public enum SearchMode {
    /** kNN over chunk vectors (HNSW). */
    DENSE,
    /** BM25 over chunk text and note title (English analyzer, Porter stemming). */
    BM25,
    /** Both, fused by Reciprocal Rank Fusion. */
    HYBRID
}
