package dev.pocketrag.embedder.internal;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.EmbedderException;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * An {@link Embedder} that creates the real one (tokenizer, ONNX Runtime session: most of a cold
 * command's start-up) on first use. {@link #modelId()}, {@link #dimension()} and
 * {@link #maxTokens()} answer from what was declared, without loading anything, so a notebook can
 * open its index, list, count and delete notes without a model; the first embedding or token count
 * loads it, and a loaded model that disagrees with the declaration is refused (closed, and an
 * {@link EmbedderException} naming both values), so vectors are never stored under a wrong id.
 *
 * <p>Thread-safe: concurrent first calls load once. A failed load is not remembered; the next call
 * tries again. {@link #close()} is idempotent and closes the loaded embedder, if any.
 */
public final class LazyEmbedder implements Embedder {
    private final String modelId;
    private final int dimension;
    private final int maxTokens;
    private final Supplier<? extends Embedder> loader;
    private final Object lock = new Object();
    private volatile Embedder loaded;
    private boolean closed; // guarded by lock

    /**
     * @param modelId what {@link #modelId()} answers; the loaded embedder must have the same
     * @param dimension what {@link #dimension()} answers (1..65536); the loaded one must agree
     * @param maxTokens what {@link #maxTokens()} answers (at least 1); the loaded one must agree
     * @param loader makes the real embedder; called at most once unless it throws
     */
    public LazyEmbedder(String modelId, int dimension, int maxTokens, Supplier<? extends Embedder> loader) {
        this.modelId = Objects.requireNonNull(modelId, "modelId");
        this.loader = Objects.requireNonNull(loader, "loader");
        if (dimension < 1 || dimension > 65536) {
            throw new IllegalArgumentException("dimension must be in 1..65536; dimension=" + dimension);
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1; maxTokens=" + maxTokens);
        }
        this.dimension = dimension;
        this.maxTokens = maxTokens;
    }

    /** Whether the real embedder has been created. */
    public boolean isLoaded() {
        return loaded != null;
    }

    /** The real embedder, created now if this is the first call. */
    private Embedder delegate() {
        Embedder e = loaded;
        if (e != null) {
            return e; // a closed delegate refuses the call itself
        }
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("embedder " + modelId + " is closed");
            }
            if (loaded == null) {
                Embedder l = Objects.requireNonNull(loader.get(), "the embedder loader returned null");
                String mismatch = !l.modelId().equals(modelId) ? "model id " + l.modelId() + ", expected " + modelId
                        : l.dimension() != dimension ? "dimension " + l.dimension() + ", expected " + dimension
                        : l.maxTokens() != maxTokens ? "maxTokens " + l.maxTokens() + ", expected " + maxTokens
                        : null;
                if (mismatch != null) {
                    l.close();
                    throw new EmbedderException("the loaded embedding model has " + mismatch);
                }
                loaded = l;
            }
            return loaded;
        }
    }

    @Override
    public float[] embed(String text) {
        Objects.requireNonNull(text, "text");
        return delegate().embed(text);
    }

    @Override
    public float[] embedQuery(String text) {
        Objects.requireNonNull(text, "text");
        return delegate().embedQuery(text);
    }

    @Override
    public Embedding embedWithInfo(String text) {
        Objects.requireNonNull(text, "text");
        return delegate().embedWithInfo(text);
    }

    @Override
    public List<float[]> embedAll(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        return delegate().embedAll(texts);
    }

    @Override
    public int countTokens(String text) {
        Objects.requireNonNull(text, "text");
        return delegate().countTokens(text);
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public int maxTokens() {
        return maxTokens;
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public void close() {
        Embedder e;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            e = loaded;
        }
        if (e != null) {
            e.close();
        }
    }

    @Override
    public String toString() {
        return "LazyEmbedder[" + modelId + (isLoaded() ? ", loaded]" : ", not loaded]");
    }
}
