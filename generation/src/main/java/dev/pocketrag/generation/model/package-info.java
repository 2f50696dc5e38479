/**
 * The forward pass of llama-family models over a mapped GGUF file: hyper-parameters
 * ({@link dev.pocketrag.generation.model.ModelConfig}), the transformer with its F16 KV cache and
 * worker pool ({@link dev.pocketrag.generation.model.Transformer}), and token sampling
 * ({@link dev.pocketrag.generation.model.Sampler}). Below the API package, never importing it.
 */
package dev.pocketrag.generation.model;
