/**
 * Text to MiniLM vectors: the public facade is {@link dev.pocketrag.embedder.Embedder}.
 */
package dev.pocketrag.embedder;
