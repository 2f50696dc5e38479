package dev.pocketrag.generation;

import java.util.Objects;

/**
 * What a loaded GGUF chat model is, for callers that show or log it ({@link GgufChatModel#describe()}).
 *
 * @param name          {@code general.name}, or the architecture name
 * @param architecture  {@code general.architecture} as written in GGUF files ({@code llama}, {@code qwen2} ...)
 * @param layers        transformer blocks
 * @param embedding     embedding size
 * @param heads         query heads
 * @param kvHeads       key/value heads
 * @param ffn           feed-forward hidden size
 * @param vocabSize     tokens in the vocabulary
 * @param contextTrain  the context length the model was trained for, in tokens
 * @param contextLength the context this instance was loaded with (its KV cache), in tokens
 * @param weightTypes   the ggml types of the weight matrices, most bytes first ({@code "Q4_K, Q6_K"})
 * @param chatTemplate  the chat template's name as llama.cpp calls it, "(fallback)" if guessed
 * @param threads       threads of the forward pass
 * @param kvCacheBytes  bytes of the KV cache
 */
public record ModelDescription(String name, String architecture, int layers, int embedding, int heads, int kvHeads,
        int ffn, int vocabSize, int contextTrain, int contextLength, String weightTypes, String chatTemplate,
        int threads, long kvCacheBytes) {
    public ModelDescription {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(weightTypes, "weightTypes");
        Objects.requireNonNull(chatTemplate, "chatTemplate");
        if (layers < 1 || embedding < 1 || heads < 1 || kvHeads < 1 || ffn < 1 || vocabSize < 1 || contextTrain < 1
                || contextLength < 1 || threads < 1 || kvCacheBytes < 0) {
            throw new IllegalArgumentException("sizes must be positive: layers=" + layers + ", embedding=" + embedding
                    + ", heads=" + heads + ", kvHeads=" + kvHeads + ", ffn=" + ffn + ", vocabSize=" + vocabSize
                    + ", contextTrain=" + contextTrain + ", contextLength=" + contextLength + ", threads=" + threads
                    + ", kvCacheBytes=" + kvCacheBytes);
        }
    }
}
