/**
 * Notes in a Lucene index on local disk (HNSW + BM25): the public facade is {@link
 * dev.pocketrag.index.NoteIndex}.
 *
 * <p>Typical use, with any embedder (the index never embeds anything itself) and a chunker (the
 * notebook's is {@code dev.pocketrag.retrieval.Chunker}, above this module):
 * <pre>{@code
 * try (NoteIndex index = NoteIndex.open(dir, IndexOptions.of(embedder.modelId(), embedder.dimension())
 *         .withRecipe(embedder.recipe()))) {
 *     List<Chunk> chunks = chunker.split(note);
 *     index.put(note, chunks, embedder.embedAll(chunks.stream().map(Chunk::embeddingText).toList()));
 *     index.commit();
 *     List<SearchHit> hits = index.search(SearchRequest.hybrid(embedder.embed(question), question, 5).groupedByNote());
 * }
 * }</pre>
 * The on-disk layout is documented in the (package-private) {@code LuceneNoteIndex}; the fusion
 * of ranked lists in {@code Rrf}.
 */
package dev.pocketrag.index;
