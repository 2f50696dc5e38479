/**
 * Text to vectors with a built-in int8 model (all-MiniLM-L6-v2 by default; bge-small-en-v1.5 and
 * e5-small-v2 by name, {@link dev.pocketrag.embedder.Embedders#named}): the public facade is
 * {@link dev.pocketrag.embedder.Embedder}.
 */
package dev.pocketrag.embedder;
