/**
 * Pure-Java GGUF chat models: the public facades are {@code GgufChatModel} (a {@code dev.pocketrag.chat.ChatModel}), {@code Gguf}.
 *
 * <p>Inference: {@link dev.pocketrag.generation.GgufChatModel#load} maps a model and allocates its KV
 * cache; {@code chat}, {@code complete} and {@code generate} stream a completion. Below the facade,
 * by concern: {@code gguf} (the file format), {@code tensor} (types, activation encodings and the
 * matrix kernels), {@code tokenizer}, {@code model} (hyper-parameters, the forward pass
 * {@code Transformer}, the KV cache, the worker pool, the sampler)
 * and {@code chat} (prompt templates).
 *
 * <p>Measuring a model: {@link dev.pocketrag.generation.Perplexity} (perplexity over a text in llama.cpp's
 * windows, a saved base of log-probabilities, and the KL divergence of another model from it, as
 * {@code llama-perplexity} computes them).
 *
 * <p>GGUF files: {@link dev.pocketrag.generation.Gguf#open} (read: typed metadata getters, tensor infos,
 * tensor bytes as mapped {@code MemorySegment}s) and {@link dev.pocketrag.generation.gguf.GgufWriter} (write);
 * errors are {@link dev.pocketrag.generation.gguf.GgufFormatException}.
 */
package dev.pocketrag.generation;
