/**
 * Hugging Face checkpoints to GGUF in Java: {@code config.json}, {@code *.safetensors} (sharded or
 * not, memory-mapped, every header length and offset checked), the tokenizer files and the
 * generation config become one GGUF file the engine ({@code dev.pocketrag.generation}) and
 * llama.cpp load. Internals (the safetensors reader, the tensor name maps, the vocabulary) are in
 * {@code dev.pocketrag.convert.internal}.
 */
package dev.pocketrag.convert;
