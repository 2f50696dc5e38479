package dev.pocketrag.retrieval;

import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.index.SearchFilter;
import java.util.Objects;

/**
 * How {@link Notebook#ask} answers.
 *
 * @param passages how many top passages to retrieve (1..100); those that do not fit in the chat
 *     model's window are reported in {@link Answer#leftOut()}
 * @param maxAnswerTokens tokens reserved for the answer (the context budget keeps them free)
 * @param minSimilarity the cosine similarity the best passage must reach for the notes to count as
 *     relevant (-1..1); below it the answer says nothing relevant was found
 * @param filter which notes may be used
 * @param generation sampling settings of the chat model ({@code maxTokens} is replaced by
 *     {@code maxAnswerTokens})
 * @param context what of each passage goes into a chat model's prompt: whole chunks, or the
 *     sentences that matter to the question ({@link ContextMode}); no effect on extractive answers
 *
 * <p>Start from {@link #defaults()} and change what you need; each {@code with...} returns a copy:
 * <pre>{@code
 * AskOptions options = AskOptions.defaults()
 *         .withPassages(3)                                   // the top 3 passages
 *         .withMaxAnswerTokens(200)                          // a short answer
 *         .withFilter(SearchFilter.tags("travel"))           // only notes tagged travel
 *         .withGeneration(GenerationParams.greedy())         // same answer every time
 *         .withContext(ContextMode.WHOLE);                   // whole chunks in the prompt
 * Answer a = notebook.ask("Which hotel in Kyoto?", options);
 * }</pre>
 */
public record AskOptions(int passages, int maxAnswerTokens, double minSimilarity, SearchFilter filter,
        GenerationParams generation, ContextMode context) {

    /** The similarity below which a question counts as unrelated to every note (MiniLM cosine). */
    public static final double DEFAULT_MIN_SIMILARITY = 0.30;

    /**
     * Checks the ranges above.
     *
     * @throws IllegalArgumentException naming the value out of range
     */
    public AskOptions {
        if (passages < 1 || passages > 100) {
            throw new IllegalArgumentException("passages must be in 1..100; passages=" + passages);
        }
        if (maxAnswerTokens < 1 || maxAnswerTokens > 100_000) {
            throw new IllegalArgumentException("maxAnswerTokens must be in 1..100000; maxAnswerTokens=" + maxAnswerTokens);
        }
        if (!(minSimilarity >= -1 && minSimilarity <= 1)) {
            throw new IllegalArgumentException("minSimilarity must be in -1..1; minSimilarity=" + minSimilarity);
        }
        Objects.requireNonNull(filter, "filter");
        Objects.requireNonNull(generation, "generation");
        Objects.requireNonNull(context, "context");
    }

    /** What goes into the prompt unless asked otherwise. */
    public static final ContextMode DEFAULT_CONTEXT = ContextMode.FOCUSED;

    /**
     * 6 passages, 384 answer tokens, similarity threshold 0.30, low temperature (0.2), seed 42,
     * focused context.
     *
     * @return the defaults
     */
    public static AskOptions defaults() {
        return new AskOptions(6, 384, DEFAULT_MIN_SIMILARITY, SearchFilter.NONE,
                GenerationParams.defaults().withTemperature(0.2f).withSeed(42).withRepeatPenalty(1.1f, 64),
                DEFAULT_CONTEXT);
    }

    /**
     * These options with another number of passages.
     *
     * @param n how many top passages to retrieve (1..100)
     * @return a copy with {@code passages = n}
     */
    public AskOptions withPassages(int n) {
        return new AskOptions(n, maxAnswerTokens, minSimilarity, filter, generation, context);
    }

    /**
     * These options with another answer budget.
     *
     * @param n tokens reserved for the answer (1..100000)
     * @return a copy with {@code maxAnswerTokens = n}
     */
    public AskOptions withMaxAnswerTokens(int n) {
        return new AskOptions(passages, n, minSimilarity, filter, generation, context);
    }

    /**
     * These options with another relevance threshold.
     *
     * @param s the cosine similarity the best passage must reach (-1..1)
     * @return a copy with {@code minSimilarity = s}
     */
    public AskOptions withMinSimilarity(double s) {
        return new AskOptions(passages, maxAnswerTokens, s, filter, generation, context);
    }

    /**
     * These options restricted to some notes.
     *
     * @param f which notes may be used (e.g. {@code SearchFilter.tags("work")})
     * @return a copy with {@code filter = f}
     */
    public AskOptions withFilter(SearchFilter f) {
        return new AskOptions(passages, maxAnswerTokens, minSimilarity, f, generation, context);
    }

    /**
     * These options with other sampling settings for the chat model.
     *
     * @param p e.g. {@code GenerationParams.greedy()}; its {@code maxTokens} is replaced by
     *     {@link #maxAnswerTokens()}
     * @return a copy with {@code generation = p}
     */
    public AskOptions withGeneration(GenerationParams p) {
        return new AskOptions(passages, maxAnswerTokens, minSimilarity, filter, p, context);
    }

    /**
     * These options with another {@link ContextMode}: whole chunks or the sentences that matter.
     *
     * @param c what of each passage goes into the prompt
     * @return a copy with {@code context = c}
     */
    public AskOptions withContext(ContextMode c) {
        return new AskOptions(passages, maxAnswerTokens, minSimilarity, filter, generation, c);
    }
}
