package dev.pocketrag.embedder;

import java.util.Objects;

/**
 * How a sentence-transformers ONNX export turns its token vectors into one text vector, and how
 * the embedder runs it.
 *
 * @param pooling mean over the attention mask (sentence-transformers default) or the [CLS] vector
 * @param normalize L2-normalise the pooled vector
 * @param maxTokens word pieces per text including special tokens; longer texts are truncated
 *     (1..8192; MiniLM was trained with 256)
 * @param queryPrefix prepended to queries ({@link Embedder#embedQuery}), e.g. {@code "query: "} for
 *     e5; empty for none
 * @param passagePrefix prepended to every other text, e.g. {@code "passage: "} for e5
 * @param threads model runs in parallel (each run embeds one text on one thread); 0 = one per
 *     available processor
 * @param burstMaxCount most {@link Embedder#embed} calls gathered into one burst (1..4096)
 * @param burstMaxWaitMillis longest a gathered call waits for companions before its burst starts
 *     (0..1000 ms)
 */
public record EmbedderOptions(
        Pooling pooling,
        boolean normalize,
        int maxTokens,
        String queryPrefix,
        String passagePrefix,
        int threads,
        int burstMaxCount,
        int burstMaxWaitMillis) {

    /** How token vectors become one text vector. */
    public enum Pooling {
        /** Mean of the token vectors, weighted by the attention mask. */
        MEAN,
        /** The vector of the first token ([CLS]). */
        CLS
    }

    public EmbedderOptions {
        Objects.requireNonNull(pooling, "pooling");
        Objects.requireNonNull(queryPrefix, "queryPrefix");
        Objects.requireNonNull(passagePrefix, "passagePrefix");
        if (maxTokens < 1 || maxTokens > 8192) {
            throw new IllegalArgumentException("maxTokens must be in 1..8192; maxTokens=" + maxTokens);
        }
        if (threads < 0 || threads > 1024) {
            throw new IllegalArgumentException("threads must be in 0..1024 (0 = one per processor); threads=" + threads);
        }
        if (burstMaxCount < 1 || burstMaxCount > 4096) {
            throw new IllegalArgumentException("burstMaxCount must be in 1..4096; burstMaxCount=" + burstMaxCount);
        }
        if (burstMaxWaitMillis < 0 || burstMaxWaitMillis > 1000) {
            throw new IllegalArgumentException(
                    "burstMaxWaitMillis must be in 0..1000; burstMaxWaitMillis=" + burstMaxWaitMillis);
        }
    }

    /** The sentence-transformers recipe of all-MiniLM-L6-v2: mean pooling, normalised, 256 tokens. */
    public static EmbedderOptions defaults() {
        return new EmbedderOptions(Pooling.MEAN, true, 256, "", "", 0, 64, 2);
    }

    public EmbedderOptions withPooling(Pooling p) {
        return new EmbedderOptions(p, normalize, maxTokens, queryPrefix, passagePrefix, threads, burstMaxCount, burstMaxWaitMillis);
    }

    public EmbedderOptions withNormalize(boolean n) {
        return new EmbedderOptions(pooling, n, maxTokens, queryPrefix, passagePrefix, threads, burstMaxCount, burstMaxWaitMillis);
    }

    public EmbedderOptions withMaxTokens(int m) {
        return new EmbedderOptions(pooling, normalize, m, queryPrefix, passagePrefix, threads, burstMaxCount, burstMaxWaitMillis);
    }

    public EmbedderOptions withPrefixes(String query, String passage) {
        return new EmbedderOptions(pooling, normalize, maxTokens, query, passage, threads, burstMaxCount, burstMaxWaitMillis);
    }

    public EmbedderOptions withThreads(int t) {
        return new EmbedderOptions(pooling, normalize, maxTokens, queryPrefix, passagePrefix, t, burstMaxCount, burstMaxWaitMillis);
    }

    public EmbedderOptions withBurst(int maxCount, int maxWaitMillis) {
        return new EmbedderOptions(pooling, normalize, maxTokens, queryPrefix, passagePrefix, threads, maxCount, maxWaitMillis);
    }

    /**
     * The recipe part of these options (what changes vectors; not the run settings) in one canonical
     * line, e.g. {@code pooling=mean normalize=true maxTokens=256 query="" passage=""}: an index
     * records it with the model id and refuses vectors made with another.
     */
    public String recipe() {
        return "pooling=" + pooling.name().toLowerCase(java.util.Locale.ROOT) + " normalize=" + normalize
                + " maxTokens=" + maxTokens + " query=" + quote(queryPrefix) + " passage=" + quote(passagePrefix);
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /** The number of model threads these options ask for, with 0 resolved to the processor count. */
    public int effectiveThreads() {
        return threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
    }
}
