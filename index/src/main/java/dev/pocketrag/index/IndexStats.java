package dev.pocketrag.index;

/**
 * What an index holds.
 *
 * @param notes live notes
 * @param chunks live chunks (Lucene documents)
 * @param sizeOnDisk bytes of all files in the index directory
 * @param modelId the embedding model recorded in the index
 * @param dimension the vector dimension recorded in the index
 * @param recipe the embedding recipe recorded in the index ({@link RecordedModel#recipe()}); empty
 *     for an index written before recipes were recorded
 * @param vectorFormat the format new segments are written with
 * @param segments Lucene segments in the current view
 */
public record IndexStats(long notes, long chunks, long sizeOnDisk, String modelId, int dimension, String recipe,
        VectorFormat vectorFormat, int segments) {}
