/**
 * pocketrag for LangChain4j: {@link dev.pocketrag.langchain4j.PocketragEmbeddingModel} (the
 * built-in embedders), {@link dev.pocketrag.langchain4j.PocketragEmbeddingStore} (the Lucene note
 * index), {@link dev.pocketrag.langchain4j.PocketragContentRetriever} (a notebook's hybrid search),
 * {@link dev.pocketrag.langchain4j.PocketragChatModel} and {@link
 * dev.pocketrag.langchain4j.PocketragStreamingChatModel} (any pocketrag chat model, e.g. the
 * pure-Java GGUF engine). Everything runs in-process and offline.
 */
package dev.pocketrag.langchain4j;
