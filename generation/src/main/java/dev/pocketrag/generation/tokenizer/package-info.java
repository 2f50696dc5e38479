/**
 * Tokenizers built from GGUF {@code tokenizer.ggml.*} metadata, reproducing llama.cpp
 * ({@code src/llama-vocab.cpp}, {@code src/unicode.cpp}): SentencePiece ({@code llama}), byte-level
 * BPE ({@code gpt2}) with the pre-tokenizers of {@code tokenizer.ggml.pre}, and WordPiece
 * ({@code bert}). The entry points are {@link dev.pocketrag.generation.tokenizer.Tokenizer} and,
 * for GGUF files, {@link dev.pocketrag.generation.Tokenizers}.
 */
package dev.pocketrag.generation.tokenizer;

