/**
 * Pure-Java GGUF chat models: the public facades are {@code ChatModel}, {@code GgufChatModel}, {@code Gguf}.
 *
 * <p>GGUF files: {@link dev.pocketrag.generation.Gguf#open} (read: typed metadata getters, tensor infos,
 * tensor bytes as mapped {@code MemorySegment}s) and {@link dev.pocketrag.generation.Gguf#writer()} (write);
 * errors are {@link dev.pocketrag.generation.GgufFormatException}.
 */
package dev.pocketrag.generation;
