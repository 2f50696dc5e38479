package dev.pocketrag.index;

/** How chunk vectors are stored and searched (all use an HNSW graph). */
public enum VectorFormat {
    /**
     * Scalar-quantized to one byte per dimension (Lucene's {@code
     * Lucene99HnswScalarQuantizedVectorsFormat}, 7 bits); the float vectors are kept too for
     * merging and rescoring. The default: about 4x smaller to search, recall close to float.
     */
    INT8,
    /** Full 32-bit floats ({@code Lucene99HnswVectorsFormat}). */
    FLOAT32,
    /** Binary quantization, one bit per dimension ({@code Lucene102HnswBinaryQuantizedVectorsFormat}). */
    BBQ
}
