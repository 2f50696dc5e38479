/**
 * The GGUF container format: {@link dev.pocketrag.generation.gguf.GgufReader} (strict parser),
 * {@link dev.pocketrag.generation.gguf.GgufWriter}, metadata values and tensor infos. Use it through
 * {@link dev.pocketrag.generation.gguf.GgufFile}, whose javadoc documents the layout field by field
 * (applications use the facade {@code dev.pocketrag.generation.Gguf}). Below the API package, this
 * package imports nothing else of the engine.
 */
package dev.pocketrag.generation.gguf;
