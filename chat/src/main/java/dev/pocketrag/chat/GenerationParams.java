package dev.pocketrag.chat;

import java.util.List;
import java.util.Objects;

/**
 * How to sample a completion. Defaults: greedy off (temperature 0.8), top-k 40, top-p 0.95,
 * min-p 0.05, no penalties, 512 tokens at most, {@link #DEFAULT_SEED} (the model's own generator:
 * set a seed for output that repeats call after call).
 *
 * @param maxTokens most tokens to generate (1..1,000,000)
 * @param temperature 0 means greedy (argmax, ties to the lowest id); otherwise {@code 0 < t <= 100}
 * @param topK keep the k most likely tokens (0 = all)
 * @param topP keep the smallest set whose probability reaches p (1 = all; {@code 0 < p <= 1})
 * @param minP drop tokens below minP x the top probability (0 = off; {@code 0 <= p <= 1})
 * @param repeatPenalty divide positive / multiply negative logits of recently seen tokens (1 = off)
 * @param repeatLastN how many recent tokens the penalties look at (0..65536)
 * @param presencePenalty subtract from the logit of every token already seen (0 = off)
 * @param seed random seed: the same seed, prompt and params give the same output;
 *     {@link #DEFAULT_SEED} draws one from the model's generator (seeded at load)
 * @param stop strings that end generation when they appear (not included in the text)
 */
public record GenerationParams(
        int maxTokens,
        float temperature,
        int topK,
        float topP,
        float minP,
        float repeatPenalty,
        int repeatLastN,
        float presencePenalty,
        long seed,
        List<String> stop) {

    /** "No seed of its own": the model draws one from its generator (llama.cpp's LLAMA_DEFAULT_SEED). */
    public static final long DEFAULT_SEED = -1L;

    public GenerationParams {
        if (maxTokens < 1 || maxTokens > 1_000_000) {
            throw new IllegalArgumentException("maxTokens must be in 1..1000000; maxTokens=" + maxTokens);
        }
        if (!(temperature >= 0 && temperature <= 100)) {
            throw new IllegalArgumentException("temperature must be in 0..100; temperature=" + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 = off); topK=" + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1]; topP=" + topP);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("minP must be in [0, 1]; minP=" + minP);
        }
        if (!(repeatPenalty > 0 && repeatPenalty <= 10)) {
            throw new IllegalArgumentException("repeatPenalty must be in (0, 10]; repeatPenalty=" + repeatPenalty);
        }
        if (repeatLastN < 0 || repeatLastN > 65536) {
            throw new IllegalArgumentException("repeatLastN must be in 0..65536; repeatLastN=" + repeatLastN);
        }
        if (!(presencePenalty >= -10 && presencePenalty <= 10)) {
            throw new IllegalArgumentException("presencePenalty must be in [-10, 10]; presencePenalty=" + presencePenalty);
        }
        Objects.requireNonNull(stop, "stop");
        for (String s : stop) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must be non-empty; stop=" + stop);
            }
        }
        stop = List.copyOf(stop);
    }

    /** Sampling defaults (llama.cpp's): temperature 0.8, top-k 40, top-p 0.95, min-p 0.05. */
    public static GenerationParams defaults() {
        return new GenerationParams(512, 0.8f, 40, 0.95f, 0.05f, 1.0f, 64, 0f, DEFAULT_SEED, List.of());
    }

    /** Greedy decoding: always the most likely token. */
    public static GenerationParams greedy() {
        return defaults().withTemperature(0f);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }

    public GenerationParams withMaxTokens(int v) {
        return new GenerationParams(v, temperature, topK, topP, minP, repeatPenalty, repeatLastN, presencePenalty, seed, stop);
    }

    public GenerationParams withTemperature(float v) {
        return new GenerationParams(maxTokens, v, topK, topP, minP, repeatPenalty, repeatLastN, presencePenalty, seed, stop);
    }

    public GenerationParams withTopK(int v) {
        return new GenerationParams(maxTokens, temperature, v, topP, minP, repeatPenalty, repeatLastN, presencePenalty, seed, stop);
    }

    public GenerationParams withTopP(float v) {
        return new GenerationParams(maxTokens, temperature, topK, v, minP, repeatPenalty, repeatLastN, presencePenalty, seed, stop);
    }

    public GenerationParams withMinP(float v) {
        return new GenerationParams(maxTokens, temperature, topK, topP, v, repeatPenalty, repeatLastN, presencePenalty, seed, stop);
    }

    public GenerationParams withRepeatPenalty(float v, int lastN) {
        return new GenerationParams(maxTokens, temperature, topK, topP, minP, v, lastN, presencePenalty, seed, stop);
    }

    public GenerationParams withPresencePenalty(float v) {
        return new GenerationParams(maxTokens, temperature, topK, topP, minP, repeatPenalty, repeatLastN, v, seed, stop);
    }

    public GenerationParams withSeed(long v) {
        return new GenerationParams(maxTokens, temperature, topK, topP, minP, repeatPenalty, repeatLastN, presencePenalty, v, stop);
    }

    public GenerationParams withStop(List<String> v) {
        return new GenerationParams(maxTokens, temperature, topK, topP, minP, repeatPenalty, repeatLastN, presencePenalty, seed, v);
    }
}
