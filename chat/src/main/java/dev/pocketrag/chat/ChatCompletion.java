package dev.pocketrag.chat;

import java.util.Objects;

/**
 * The result of a generation.
 *
 * @param text the generated text (stop strings and end-of-generation tokens excluded)
 * @param finishReason why generation ended
 * @param usage prompt and completion token counts
 * @param timings how long prompt processing and generation took
 */
public record ChatCompletion(String text, FinishReason finishReason, Usage usage, Timings timings) {
    /** Why generation ended. */
    public enum FinishReason {
        /** An end-of-generation token or a stop string. */
        STOP,
        /** {@code maxTokens} reached. */
        LENGTH,
        /** The listener asked to stop. */
        CANCELLED;

        /** The OpenAI API's name: {@code stop}, {@code length}, {@code cancelled}. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Token counts.
     *
     * @param promptTokens tokens of the prompt (template included)
     * @param completionTokens tokens generated
     * @param cachedPromptTokens tokens at the start of the prompt whose keys and values were reused from
     *     an earlier call instead of computed (OpenAI's {@code prompt_tokens_details.cached_tokens});
     *     0..promptTokens
     */
    public record Usage(int promptTokens, int completionTokens, int cachedPromptTokens) {
        public Usage {
            if (promptTokens < 0 || completionTokens < 0) {
                throw new IllegalArgumentException(
                        "token counts must be >= 0; promptTokens=" + promptTokens + ", completionTokens=" + completionTokens);
            }
            if (cachedPromptTokens < 0 || cachedPromptTokens > promptTokens) {
                throw new IllegalArgumentException("cachedPromptTokens must be in 0..promptTokens (" + promptTokens
                        + "); cachedPromptTokens=" + cachedPromptTokens);
            }
        }

        /** Counts with nothing reused from a cache. */
        public Usage(int promptTokens, int completionTokens) {
            this(promptTokens, completionTokens, 0);
        }

        public int totalTokens() {
            return promptTokens + completionTokens;
        }
    }

    /**
     * Wall-clock timings.
     *
     * @param promptMillis time to process the prompt (time to first token, minus sampling)
     * @param generationMillis time to generate the completion tokens
     * @param promptTokens tokens processed in {@code promptMillis} (cached prefix tokens excluded, see
     *     {@link Usage#cachedPromptTokens()})
     * @param generatedTokens tokens generated in {@code generationMillis}
     */
    public record Timings(double promptMillis, double generationMillis, int promptTokens, int generatedTokens) {
        public static final Timings NONE = new Timings(0, 0, 0, 0);

        /** Prompt processing speed in tokens per second (0 when nothing was measured). */
        public double promptTokensPerSecond() {
            return promptMillis <= 0 ? 0 : promptTokens * 1000.0 / promptMillis;
        }

        /** Generation speed in tokens per second (0 when nothing was measured). */
        public double generationTokensPerSecond() {
            return generationMillis <= 0 ? 0 : generatedTokens * 1000.0 / generationMillis;
        }
    }

    public ChatCompletion {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(finishReason, "finishReason");
        Objects.requireNonNull(usage, "usage");
        Objects.requireNonNull(timings, "timings");
    }
}
