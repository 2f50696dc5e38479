package dev.pocketrag.embedder;

import java.util.List;

/**
 * Turns text into dense vectors for semantic search.
 *
 * <p>Implementations are thread-safe and {@link AutoCloseable}; {@link #close()} is idempotent.
 * A text's vector never depends on what else is embedded with it (batch invariance): embedding
 * a text alone, inside {@link #embedAll}, or concurrently with other callers gives the same
 * vector.
 *
 * <p>The default implementation is {@link Embedders#miniLm()}: all-MiniLM-L6-v2 int8, 384
 * dimensions, loaded from the classpath, never from the network.
 */
public interface Embedder extends AutoCloseable {

    /**
     * Embeds one text. Calls arriving at the same time from several threads are gathered into one
     * burst (the default implementation waits up to {@link EmbedderOptions#burstMaxWaitMillis()}
     * for companions), so a loop over many texts is better served by {@link #embedAll}.
     *
     * @throws NullPointerException if {@code text} is null
     * @throws EmbedderException if the model fails
     */
    float[] embed(String text);

    /**
     * Embeds a search query. Models trained with instruction prefixes (e5, bge) put a different
     * prefix before queries than before passages; for MiniLM this equals {@link #embed}.
     *
     * @throws NullPointerException if {@code text} is null
     */
    default float[] embedQuery(String text) {
        return embed(text);
    }

    /**
     * Embeds one text and tells how many word pieces it had and whether it was truncated.
     *
     * @throws NullPointerException if {@code text} is null
     */
    Embedding embedWithInfo(String text);

    /**
     * Embeds many texts, in order; faster than calling {@link #embed} in a loop and gives the same
     * vectors.
     *
     * @throws NullPointerException if the list or any element is null (the message names the index)
     */
    List<float[]> embedAll(List<String> texts);

    /** The number of dimensions of every vector. */
    int dimension();

    /**
     * The maximum number of tokens (word pieces including special tokens) one text may have;
     * longer texts are truncated (see {@link Embedding#truncated()}).
     */
    int maxTokens();

    /** Characters of input read per token of {@link #maxTokens()}: see {@link #maxChars(int)}. */
    int CHARS_PER_TOKEN = 64;

    /**
     * How much of a text an embedder with {@code maxTokens} reads: its first {@code maxTokens x 64}
     * characters (16,384 for MiniLM's 256). The rest is cut before tokenizing, so a huge input
     * costs what a long one does. Text has about 4-6 characters a word piece, so the cut never
     * changes a vector, except for text that is mostly runs of spaces or words of over 100
     * characters (which WordPiece reads as one unknown token); token counts ({@link #countTokens},
     * {@link Embedding#totalTokens()}) are those of the text that was read.
     */
    static int maxChars(int maxTokens) {
        return (int) Math.min(Integer.MAX_VALUE, (long) maxTokens * CHARS_PER_TOKEN);
    }

    /**
     * An identifier of the model: its name and the sha256 of the model file, e.g.
     * {@code all-minilm-l6-v2-q@sha256:1a2b...}. An index stores it to refuse vectors of another
     * model.
     */
    String modelId();

    /**
     * What turns this model's outputs into vectors, in one canonical line ({@link
     * EmbedderOptions#recipe()}: pooling, normalisation, max tokens, query and passage prefixes). An
     * index records it beside {@link #modelId()}: the same model file with another recipe makes
     * other vectors. Empty when the implementation does not say.
     */
    default String recipe() {
        return "";
    }

    /**
     * The number of tokens this embedder sees for {@code text}, special tokens included, before
     * truncation (of the first {@link #maxChars(int)} characters); a chunker keeps each chunk at or
     * below {@link #maxTokens()}.
     */
    int countTokens(String text);

    @Override
    void close();

    /**
     * A vector with what the tokenizer saw.
     *
     * @param vector the embedding
     * @param tokens word pieces fed to the model, special tokens included (at most
     *     {@link #maxTokens()})
     * @param totalTokens word pieces of the text before truncation (of its first
     *     {@link #maxChars(int)} characters)
     */
    record Embedding(float[] vector, int tokens, int totalTokens) {
        public Embedding {
            if (vector == null) {
                throw new IllegalArgumentException("vector is null");
            }
            if (tokens < 0 || totalTokens < tokens) {
                throw new IllegalArgumentException(
                        "tokens=" + tokens + ", totalTokens=" + totalTokens + ": need 0 <= tokens <= totalTokens");
            }
        }

        /** True when the text had more tokens than the model reads and its tail was cut off. */
        public boolean truncated() {
            return totalTokens > tokens;
        }
    }
}
