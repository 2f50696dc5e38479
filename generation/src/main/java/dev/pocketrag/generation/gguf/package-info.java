/**
 * The GGUF container format: {@link dev.pocketrag.generation.gguf.GgufReader} (strict parser),
 * {@link dev.pocketrag.generation.gguf.GgufWriter}, metadata values and tensor infos. Use it through
 * {@link dev.pocketrag.generation.Gguf}, whose javadoc documents the layout field by field.
 */
package dev.pocketrag.generation.gguf;
