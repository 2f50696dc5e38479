/**
 * The forward pass of llama-family models over a mapped GGUF file: hyper-parameters
 * ({@link dev.pocketrag.generation.model.ModelConfig}), the transformer with its F16 KV cache and
 * worker pool ({@link dev.pocketrag.generation.model.Transformer}), token sampling
 * ({@link dev.pocketrag.generation.model.Sampler}) and synthetic models of real shapes for
 * measurements ({@link dev.pocketrag.generation.model.SyntheticModel}).
 */
package dev.pocketrag.generation.model;
