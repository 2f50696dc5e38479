package dev.pocketrag.generation;

import dev.pocketrag.generation.model.ModelConfig;
import dev.pocketrag.generation.model.Transformer;
import dev.pocketrag.generation.tensor.Simd;
import java.util.Objects;

/**
 * The bare forward pass of a GGUF model with its KV cache, without tokenizer, template or sampler:
 * the hook the benchmarks time (prompt processing and single-token steps) so that they need none
 * of the engine's internal packages. Applications use {@link GgufChatModel}.
 *
 * <pre>{@code
 * try (Gguf g = Gguf.open(path); ForwardPass f = ForwardPass.open(g, 1024, 2)) {
 *     float[] logits = f.forward(ids, 0, ids.length, 0);     // the prompt, in batches
 *     ids[n] = argmax(logits);
 *     logits = f.forward(ids, n, n + 1, n);                  // one more token at position n
 * }
 * }</pre>
 * Not thread-safe; {@link #close()} (idempotent) stops the worker threads and frees the cache, the
 * file stays open (it belongs to the caller).
 */
public final class ForwardPass implements AutoCloseable {
    private final Transformer transformer;

    private ForwardPass(Transformer transformer) {
        this.transformer = transformer;
    }

    /**
     * The forward pass of {@code gguf} with a KV cache of {@code contextLength} positions, run by
     * {@code threads} threads, prompts in batches of {@link GgufChatModel#DEFAULT_BATCH} tokens.
     *
     * @throws dev.pocketrag.generation.gguf.GgufFormatException       if the file is not a valid model
     * @throws dev.pocketrag.generation.gguf.UnsupportedModelException if its architecture is not implemented
     * @throws IllegalArgumentException                                 if contextLength or threads is out of range
     */
    public static ForwardPass open(Gguf gguf, int contextLength, int threads) {
        Objects.requireNonNull(gguf, "gguf");
        ModelConfig config = ModelConfig.from(gguf.file());
        return new ForwardPass(new Transformer(gguf.file(), config, contextLength, threads,
                Math.min(GgufChatModel.DEFAULT_BATCH, contextLength)));
    }

    /**
     * Runs {@code tokens[from..to)} at positions {@code pos, pos+1, ...} (the cache must hold positions
     * {@code 0..pos-1} of this sequence) and returns the logits after the last one, one per vocabulary
     * entry (an array reused by the next call).
     */
    public float[] forward(int[] tokens, int from, int to, int pos) {
        return transformer.forward(tokens, from, to, pos);
    }

    /** Positions the KV cache holds. */
    public int contextLength() {
        return transformer.contextLength();
    }

    /** The kernels in use, e.g. {@code "Vector API 512-bit (16 float lanes)"} or {@code "scalar (reason)"}. */
    public static String kernels() {
        return Simd.describe();
    }

    /** Stops the workers and frees the cache; idempotent. */
    @Override
    public void close() {
        transformer.close();
    }
}
