package dev.pocketrag.index;

import java.util.Objects;

/**
 * How a {@link NoteIndex} is opened.
 *
 * @param modelId the embedding model whose vectors go into the index (e.g. {@code
 *     Embedder.modelId()}); an existing index built with another model is refused
 * @param dimension the number of dimensions of every vector, 1 to 4096
 * @param vectorFormat how new segments store vectors; existing segments keep theirs
 * @param maxConn HNSW M, the most neighbours of a node per layer: 2 to 512 (Lucene's default 16)
 * @param beamWidth HNSW candidates kept while building the graph: 1 to 3200 (default 100)
 * @param bm25K1 BM25 term-frequency saturation, 0 to 10 (default 0.9 as in Anserini/Pyserini)
 * @param bm25B BM25 length normalisation, 0 to 1 (default 0.4)
 * @param knnCandidates HNSW candidates a kNN search collects (at least k) before keeping the
 *     best k, 1 to 10000 (default 100, like efSearch); with quantized formats the candidates are
 *     rescored with the full-precision vectors
 * @param recipe how the model's outputs became vectors ({@code Embedder.recipe()}: pooling,
 *     normalisation, max tokens, prefixes), at most 4000 characters; recorded with the model id,
 *     and an index that records another one is refused. Empty: not said (any recorded recipe is
 *     accepted and kept)
 */
public record IndexOptions(String modelId, int dimension, VectorFormat vectorFormat, int maxConn,
        int beamWidth, float bm25K1, float bm25B, int knnCandidates, String recipe) {

    public static final int DEFAULT_MAX_CONN = 16;
    public static final int DEFAULT_BEAM_WIDTH = 100;
    public static final float DEFAULT_BM25_K1 = 0.9f;
    public static final float DEFAULT_BM25_B = 0.4f;
    public static final int DEFAULT_KNN_CANDIDATES = 100;
    public static final int MAX_DIMENSION = 4096;

    public IndexOptions {
        Objects.requireNonNull(modelId, "modelId");
        Objects.requireNonNull(vectorFormat, "vectorFormat");
        Objects.requireNonNull(recipe, "recipe");
        if (recipe.length() > 4000 || recipe.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("recipe must be one line of at most 4000 characters, got '"
                    + Note.abbreviate(recipe) + "'");
        }
        if (modelId.isBlank() || modelId.length() > 1000) {
            throw new IllegalArgumentException("modelId must have 1 to 1000 characters and not be blank, got '"
                    + Note.abbreviate(modelId) + "'");
        }
        if (dimension < 1 || dimension > MAX_DIMENSION) {
            throw new IllegalArgumentException("dimension=" + dimension + ", must be in [1, " + MAX_DIMENSION + "]");
        }
        if (maxConn < 2 || maxConn > 512) {
            throw new IllegalArgumentException("maxConn=" + maxConn + ", must be in [2, 512]");
        }
        if (beamWidth < 1 || beamWidth > 3200) {
            throw new IllegalArgumentException("beamWidth=" + beamWidth + ", must be in [1, 3200]");
        }
        if (!(bm25K1 >= 0 && bm25K1 <= 10)) {
            throw new IllegalArgumentException("bm25K1=" + bm25K1 + ", must be in [0, 10]");
        }
        if (!(bm25B >= 0 && bm25B <= 1)) {
            throw new IllegalArgumentException("bm25B=" + bm25B + ", must be in [0, 1]");
        }
        if (knnCandidates < 1 || knnCandidates > 10_000) {
            throw new IllegalArgumentException("knnCandidates=" + knnCandidates + ", must be in [1, 10000]");
        }
    }

    /**
     * Defaults: int8 HNSW, M=16, beam width 100, BM25 k1=0.9 b=0.4, 100 kNN candidates, no recipe
     * said.
     */
    public static IndexOptions of(String modelId, int dimension) {
        return new IndexOptions(modelId, dimension, VectorFormat.INT8, DEFAULT_MAX_CONN, DEFAULT_BEAM_WIDTH,
                DEFAULT_BM25_K1, DEFAULT_BM25_B, DEFAULT_KNN_CANDIDATES, "");
    }

    /** {@link #of(String, int)} for the model {@code m} with its recipe. */
    public static IndexOptions of(RecordedModel m) {
        return of(m.modelId(), m.dimension()).withRecipe(m.recipe());
    }

    /**
     * Checks that {@code cn} fits an index opened with these options: a title of at most {@link
     * Note#MAX_TITLE_LENGTH} characters, and one finite unit-length vector (within 1e-3 of norm 1 in
     * the square) of {@link #dimension()} components per chunk.
     *
     * @throws IllegalArgumentException naming the note and the chunk or the length
     */
    public void checkNote(ChunkedNote cn) {
        if (cn.note().title().length() > Note.MAX_TITLE_LENGTH) {
            throw new IllegalArgumentException("note '" + cn.note().id() + "': title has " + cn.note().title().length()
                    + " characters, at most " + Note.MAX_TITLE_LENGTH + " (Note.withBoundedTitle() makes it fit)");
        }
        for (int c = 0; c < cn.vectors().size(); c++) {
            float[] v = cn.vectors().get(c);
            if (v == null) {
                throw new IllegalArgumentException("note '" + cn.note().id() + "' chunk " + c + ": vector is null");
            }
            if (v.length != dimension) {
                throw new IllegalArgumentException("note '" + cn.note().id() + "' chunk " + c + ": vector has "
                        + v.length + " dimensions, the index holds " + dimension + "-dimensional vectors of model '"
                        + modelId + "'");
            }
            double sq = 0;
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    throw new IllegalArgumentException("note '" + cn.note().id() + "' chunk " + c
                            + ": vector component " + i + " is " + v[i]);
                }
                sq += (double) v[i] * v[i];
            }
            if (Math.abs(sq - 1) > NORM_TOLERANCE) {
                throw new IllegalArgumentException("note '" + cn.note().id() + "' chunk " + c
                        + ": vector norm is " + Math.sqrt(sq) + ", must be 1 (normalise the embeddings)");
            }
        }
    }

    /**
     * Checks a query vector's dimension against these options.
     *
     * @throws IllegalArgumentException naming both dimensions and the model
     */
    public void checkQuery(float[] vector) {
        if (vector != null && vector.length != dimension) {
            throw new IllegalArgumentException("query vector has " + vector.length + " dimensions, the index holds "
                    + dimension + "-dimensional vectors of model '" + modelId + "'");
        }
    }

    /** Allowed deviation of a vector's squared norm from 1. */
    private static final double NORM_TOLERANCE = 1e-3;

    /** The model these options open an index for. */
    public RecordedModel model() {
        return new RecordedModel(modelId, dimension, recipe);
    }

    public IndexOptions withRecipe(String r) {
        return new IndexOptions(modelId, dimension, vectorFormat, maxConn, beamWidth, bm25K1, bm25B, knnCandidates, r);
    }

    public IndexOptions withVectorFormat(VectorFormat format) {
        return new IndexOptions(modelId, dimension, format, maxConn, beamWidth, bm25K1, bm25B, knnCandidates, recipe);
    }

    public IndexOptions withHnsw(int newMaxConn, int newBeamWidth) {
        return new IndexOptions(modelId, dimension, vectorFormat, newMaxConn, newBeamWidth, bm25K1, bm25B, knnCandidates, recipe);
    }

    public IndexOptions withBm25(float k1, float b) {
        return new IndexOptions(modelId, dimension, vectorFormat, maxConn, beamWidth, k1, b, knnCandidates, recipe);
    }

    public IndexOptions withKnnCandidates(int candidates) {
        return new IndexOptions(modelId, dimension, vectorFormat, maxConn, beamWidth, bm25K1, bm25B, candidates, recipe);
    }
}
