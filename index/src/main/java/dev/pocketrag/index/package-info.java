/**
 * Notes in a Lucene index on local disk (HNSW + BM25): the public facade is {@code NoteIndex}.
 */
package dev.pocketrag.index;
