package dev.pocketrag.embedder.internal;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.EmbedderException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * An {@link Embedder} that creates the real one (tokenizer, ONNX Runtime session: most of a cold
 * command's start-up) on first use, or on a background thread from {@link #loadInBackground()}.
 * {@link #modelId()}, {@link #dimension()} and {@link #maxTokens()} answer from what was declared,
 * without loading anything, so a notebook can open its index, list, count and delete notes without
 * a model. A loaded model that disagrees with the declaration is refused (closed, and an
 * {@link EmbedderException} naming both values), so vectors are never stored under a wrong id.
 *
 * <p>Thread-safe: concurrent first calls load once and all wait for that load. A failed load is not
 * remembered; the next call tries again. {@link #close()} is idempotent and closes the loaded
 * embedder (one still loading in the background is waited for, then closed).
 */
public final class LazyEmbedder implements Embedder {
    private final String modelId;
    private final int dimension;
    private final int maxTokens;
    private final String recipe;
    /** How long {@link #close()} waits for a load under way. */
    public static final int CLOSE_WAIT_SECONDS = 30;

    private final Supplier<? extends Embedder> loader;
    private final Object lock = new Object();
    private volatile Embedder loaded;
    private CompletableFuture<Embedder> loading; // guarded by lock; null: not started, or the last load failed
    private boolean closed; // guarded by lock

    /**
     * @param modelId what {@link #modelId()} answers; the loaded embedder must have the same
     * @param dimension what {@link #dimension()} answers (1..65536); the loaded one must agree
     * @param maxTokens what {@link #maxTokens()} answers (at least 1); the loaded one must agree
     * @param loader makes the real embedder; called once unless it throws
     */
    public LazyEmbedder(String modelId, int dimension, int maxTokens, Supplier<? extends Embedder> loader) {
        this(modelId, dimension, maxTokens, "", loader);
    }

    /**
     * @param recipe what {@link #recipe()} answers; the loaded embedder must have the same (unless
     *     this is empty)
     */
    public LazyEmbedder(String modelId, int dimension, int maxTokens, String recipe,
            Supplier<? extends Embedder> loader) {
        this.recipe = Objects.requireNonNull(recipe, "recipe");
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

    /**
     * Starts loading the model on a new daemon thread, so the caller can do other work (open an
     * index) meanwhile; the first use waits for it. Does nothing if loading has started or this is
     * closed.
     *
     * @return this
     */
    public LazyEmbedder loadInBackground() {
        CompletableFuture<Embedder> f;
        synchronized (lock) {
            if (closed || loading != null) {
                return this;
            }
            f = loading = new CompletableFuture<>();
        }
        Thread t = new Thread(() -> load(f), "pocketrag-embedder-load");
        t.setDaemon(true);
        t.start();
        return this;
    }

    /** Whether the real embedder has been created. */
    public boolean isLoaded() {
        return loaded != null;
    }

    /** The real embedder, loaded now (or waited for) if this is the first call. */
    private Embedder delegate() {
        Embedder e = loaded;
        if (e != null) {
            return e; // a closed delegate refuses the call itself
        }
        CompletableFuture<Embedder> f;
        boolean mine = false;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("embedder " + modelId + " is closed");
            }
            f = loading;
            if (f == null) {
                f = loading = new CompletableFuture<>();
                mine = true;
            }
        }
        if (mine) {
            load(f);
        }
        try {
            return f.join();
        } catch (CompletionException | CancellationException x) {
            Throwable c = x.getCause() != null ? x.getCause() : x;
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new EmbedderException("cannot load embedding model " + modelId + ": " + c, c);
        }
    }

    /** Loads into {@code f}; on failure forgets {@code f}, so that the next call tries again. */
    private void load(CompletableFuture<Embedder> f) {
        Embedder l = null;
        try {
            l = Objects.requireNonNull(loader.get(), "the embedder loader returned null");
            String mismatch = !l.modelId().equals(modelId) ? "model id " + l.modelId() + ", expected " + modelId
                    : l.dimension() != dimension ? "dimension " + l.dimension() + ", expected " + dimension
                    : l.maxTokens() != maxTokens ? "maxTokens " + l.maxTokens() + ", expected " + maxTokens
                    : !recipe.isEmpty() && !recipe.equals(l.recipe()) ? "recipe " + l.recipe() + ", expected " + recipe
                    : null;
            if (mismatch != null) {
                throw new EmbedderException("the loaded embedding model has " + mismatch);
            }
        } catch (RuntimeException | Error t) {
            if (l != null) {
                l.close();
            }
            synchronized (lock) {
                if (loading == f) {
                    loading = null;
                }
            }
            f.completeExceptionally(t);
            return;
        }
        boolean closeNow;
        synchronized (lock) {
            closeNow = closed;
            if (!closeNow) {
                loaded = l;
            }
        }
        if (closeNow) {
            l.close(); // closed while loading in the background
        }
        f.complete(l);
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
    public String recipe() {
        return recipe;
    }

    @Override
    public String modelId() {
        return modelId;
    }

    /**
     * Closes the loaded embedder. A load under way is waited for (at most {@link #CLOSE_WAIT_SECONDS})
     * and what it made closed: a process that exits while ONNX Runtime builds a session on the
     * loading thread can crash in native code (its C++ globals are destroyed at exit under that
     * thread; seen as a SIGSEGV in {@code createSession} when {@code serve} was stopped half a
     * second after it started), so closing is what lets a caller exit safely.
     */
    @Override
    public void close() {
        Embedder e;
        CompletableFuture<Embedder> f;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            e = loaded;
            f = loading;
        }
        if (e != null) {
            e.close();
        } else if (f != null && !f.isDone()) {
            try {
                f.get(CLOSE_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS); // load() closes what it made
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ignored) {
                // a failed load left nothing open; one that takes longer is closed when it ends
            }
        }
    }

    @Override
    public String toString() {
        return "LazyEmbedder[" + modelId + (isLoaded() ? ", loaded]" : ", not loaded]");
    }
}
