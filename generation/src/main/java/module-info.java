/**
 * pocketrag's GGUF engine: loads GGUF models and runs them in pure Java (Vector API kernels, FFM
 * mapped weights). Exports the API ({@code dev.pocketrag.generation}: {@code GgufChatModel},
 * {@code Gguf}, {@code Tokenizers}, {@code Quantizer}, {@code MemoryEstimate} ...) and the GGUF format
 * types ({@code dev.pocketrag.generation.gguf}); the forward pass ({@code model}), kernels and quant
 * blocks ({@code tensor}), tokenizers ({@code tokenizer}) and chat templates ({@code chat}) are
 * internal. The chat contract it implements ({@code dev.pocketrag.chat}) comes with it.
 */
module dev.pocketrag.generation {
    requires transitive dev.pocketrag.chat;
    requires jdk.incubator.vector;

    exports dev.pocketrag.generation;
    exports dev.pocketrag.generation.gguf;
}
