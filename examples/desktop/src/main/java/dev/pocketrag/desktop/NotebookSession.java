package dev.pocketrag.desktop;

import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.index.IndexInUseException;
import dev.pocketrag.retrieval.EmbedderMismatchException;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.ReindexListener;
import dev.pocketrag.retrieval.ReindexProgress;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The app's access to one notebook directory, shared with the CLI.
 *
 * <p>Only one process may have a notebook open, so the app does not keep it open while the user
 * is idle: {@link #call} opens it on demand and it is closed again after {@code idleAfter} without
 * use, which lets {@code pocketrag add} or {@code import} run while the window stays open. When
 * another process holds it, {@link #call} waits and retries every {@code retryEvery}, telling the
 * {@link Listener} each time, instead of failing.
 *
 * <p>The embedder (slow to load) and the chat model live as long as the session, not the
 * notebook. The embedder is the one the notebook was made with (a notebook remembers it), or the
 * built-in one the settings name; when that is not the notebook's, opening fails with {@link
 * EmbedderMismatchException} until the notebook is {@link #reindex re-indexed} or the session
 * {@link #useNotebooksOwnEmbedder uses the notebook's own}. Work runs on the caller's thread (never the event thread): every caller holds a read
 * lock while it uses the notebook; opening, closing and switching the chat model take the write
 * lock, so they wait for the work in flight.
 */
final class NotebookSession implements AutoCloseable {

    /** Hears about the notebook's availability; called on the thread that waits for it. */
    interface Listener {
        /** Another process holds the notebook; the next try is in {@code retryIn}. */
        void busy(Path directory, int attempt, Duration retryIn);

        /** The notebook is open (again) after having been busy. */
        void available(Path directory);

        /** A background close failed (the data is committed after each write; this is rare). */
        default void closeFailed(Exception e) {}
    }

    /**
     * Makes the embedder of the notebook in {@code directory}: the built-in one called {@code
     * wanted}, or for null the notebook's own; may throw {@link EmbedderMismatchException}.
     */
    @FunctionalInterface
    interface EmbedderFactory {
        Embedder make(Path directory, String wanted) throws IOException;

        /**
         * The embedder of the notebook in {@code directory} whose notes are in the index at {@code
         * indexUrl} (null: in the directory); by default {@link #make(Path, String)}.
         */
        default Embedder make(Path directory, java.net.URI indexUrl, String wanted) throws IOException {
            return make(directory, wanted);
        }
    }

    /** The app's: built-in embedders, loaded on another thread from the start. */
    static final EmbedderFactory BUILT_IN = new EmbedderFactory() {
        @Override
        public Embedder make(Path dir, String wanted) throws IOException {
            return make(dir, null, wanted);
        }

        @Override
        public Embedder make(Path dir, java.net.URI indexUrl, String wanted) throws IOException {
            return Notebook.builder(dir).indexUrl(indexUrl).embedder(wanted).loadEmbedderInBackground()
                    .resolveEmbedder();
        }
    };

    /** Work on the open notebook. */
    @FunctionalInterface
    interface Task<T> {
        T run(Notebook notebook) throws Exception;
    }

    private final Path directory;
    /** Where the notes are when not in {@link #directory} (the config's {@code index-url=}); null: there. */
    private final java.net.URI indexUrl;
    private final EmbedderFactory embedderFactory;
    private final Duration retryEvery;
    private final Duration idleAfter;
    private final Listener listener;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock(true);
    private final CountDownLatch closing = new CountDownLatch(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ScheduledExecutorService idleTimer;
    private final AskThread askThread;

    // written under the write lock; volatile so the idle timer may peek without it
    private volatile Notebook notebook;
    private Embedder embedder;
    /** The built-in embedder the settings ask for; null: the notebook's own. */
    private volatile String wanted;
    private volatile ChatModel chatModel;
    private volatile long lastUse = System.nanoTime();

    /**
     * @param embedderFactory makes the embedder on first use; the session closes what it makes
     * @param retryEvery how long to wait before trying a busy notebook again
     * @param idleAfter how long the notebook stays open without use
     */
    NotebookSession(Path directory, Supplier<Embedder> embedderFactory, Duration retryEvery, Duration idleAfter,
            Listener listener) {
        this(directory, fixed(embedderFactory), null, retryEvery, idleAfter, listener);
    }

    private static EmbedderFactory fixed(Supplier<Embedder> s) {
        Objects.requireNonNull(s, "embedderFactory");
        return (dir, wanted) -> s.get();
    }

    /**
     * @param embedderFactory makes the embedder on first use; the session closes what it makes
     * @param wanted the built-in embedder the settings name; null for the notebook's own
     */
    NotebookSession(Path directory, EmbedderFactory embedderFactory, String wanted, Duration retryEvery,
            Duration idleAfter, Listener listener) {
        this(directory, null, embedderFactory, wanted, retryEvery, idleAfter, listener);
    }

    /**
     * @param indexUrl the index the notes are in ({@link Notebook.Builder#indexUrl}); null: the
     *     notebook directory's own
     * @param embedderFactory makes the embedder on first use; the session closes what it makes
     * @param wanted the built-in embedder the settings name; null for the notebook's own
     */
    NotebookSession(Path directory, java.net.URI indexUrl, EmbedderFactory embedderFactory, String wanted,
            Duration retryEvery, Duration idleAfter, Listener listener) {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.indexUrl = indexUrl;
        this.embedderFactory = Objects.requireNonNull(embedderFactory, "embedderFactory");
        this.wanted = wanted;
        if (retryEvery.isNegative() || retryEvery.isZero()) {
            throw new IllegalArgumentException("retryEvery must be positive; retryEvery=" + retryEvery);
        }
        if (idleAfter.isNegative() || idleAfter.isZero()) {
            throw new IllegalArgumentException("idleAfter must be positive; idleAfter=" + idleAfter);
        }
        this.retryEvery = retryEvery;
        this.idleAfter = idleAfter;
        this.listener = Objects.requireNonNull(listener, "listener");
        this.askThread = new AskThread(directory, java.time.LocalDateTime::now);
        this.idleTimer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pocketrag-notebook-idle");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(50, Math.min(1000, idleAfter.toMillis() / 4));
        idleTimer.scheduleWithFixedDelay(this::closeIfIdle, period, period, TimeUnit.MILLISECONDS);
    }

    Path directory() {
        return directory;
    }

    /** The index URL the notes are in; null when they are in {@link #directory()}. */
    java.net.URI indexUrl() {
        return indexUrl;
    }

    /**
     * The conversation of the Ask panel: it outlives the notebook being closed when idle (ask with
     * {@code call(nb -> askThread().ask(nb, ...))}).
     */
    AskThread askThread() {
        return askThread;
    }

    /**
     * Runs {@code task} on the notebook, opening it first if needed (waiting while another
     * process holds it).
     *
     * @throws IllegalStateException if the session is closed (or closes while waiting)
     */
    <T> T call(Task<T> task) throws Exception {
        Notebook nb = acquire();
        try {
            return task.run(nb);
        } finally {
            lastUse = System.nanoTime();
            lock.readLock().unlock();
        }
    }

    /** Returns the open notebook with the read lock held. */
    private Notebook acquire() throws IOException {
        lock.readLock().lock();
        if (notebook != null) {
            return notebook;
        }
        lock.readLock().unlock();
        lock.writeLock().lock();
        try {
            if (notebook == null) {
                notebook = openWaiting();
            }
            lock.readLock().lock(); // downgrade: keep it open for the caller
            return notebook;
        } finally {
            lock.writeLock().unlock();
        }
    }

    private Notebook openWaiting() throws IOException {
        int attempt = 0;
        while (true) {
            checkOpen();
            if (embedder == null) {
                embedder = embedderFactory.make(directory, indexUrl, wanted);
            }
            try {
                Notebook nb;
                try {
                    nb = Notebook.builder(directory).indexUrl(indexUrl).embedder(embedder).chatModel(chatModel, false).build();
                } catch (EmbedderMismatchException e) {
                    if (wanted != null) {
                        throw e; // the app offers to re-index
                    }
                    // re-indexed by another process since our embedder was made: take the notebook's own
                    embedder.close();
                    embedder = null;
                    embedder = embedderFactory.make(directory, indexUrl, null);
                    nb = Notebook.builder(directory).indexUrl(indexUrl).embedder(embedder).chatModel(chatModel, false).build();
                }
                if (attempt > 0) {
                    listener.available(directory);
                }
                return nb;
            } catch (IndexInUseException e) {
                attempt++;
                listener.busy(directory, attempt, retryEvery);
                try {
                    if (closing.await(retryEvery.toMillis(), TimeUnit.MILLISECONDS)) {
                        checkOpen();
                    }
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the notebook " + directory, ie);
                }
            }
        }
    }

    private void closeIfIdle() {
        if (notebook == null || System.nanoTime() - lastUse < idleAfter.toNanos()) {
            return;
        }
        if (!lock.writeLock().tryLock()) {
            return; // in use
        }
        try {
            if (notebook != null && System.nanoTime() - lastUse >= idleAfter.toNanos()) {
                Notebook nb = notebook;
                notebook = null;
                nb.close();
            }
        } catch (IOException | RuntimeException e) {
            listener.closeFailed(e);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Whether the notebook is open right now (it closes when idle). */
    boolean isNotebookOpen() {
        lock.readLock().lock();
        try {
            return notebook != null;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The built-in embedder the settings ask for; null for the notebook's own. */
    String wantedEmbedder() {
        return wanted;
    }

    /**
     * Uses the notebook's own embedder from now on (not the one the settings named): the notebook
     * opens again with it on next use.
     */
    void useNotebooksOwnEmbedder() throws IOException {
        lock.writeLock().lock();
        try {
            checkOpen();
            wanted = null;
            closeNotebookAndEmbedder();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Closes the notebook (if open) and the embedder; called with the write lock held. */
    private void closeNotebookAndEmbedder() throws IOException {
        try {
            if (notebook != null) {
                Notebook nb = notebook;
                notebook = null;
                nb.close();
            }
        } finally {
            if (embedder != null) {
                embedder.close();
                embedder = null;
            }
        }
    }

    /**
     * Moves the notebook to the embedder {@code to} ({@link Notebook#reindex}: every note embedded
     * again, the notebook usable meanwhile), opening it with its own embedder to do so; when it is
     * done the session uses {@code to}, and owns it from this call on (it is closed if the notebook
     * does not end up on it: a stop, a failure, nothing to do).
     */
    ReindexProgress reindex(Embedder to, ReindexListener listener) throws Exception {
        boolean adopted = false;
        try {
            lock.writeLock().lock();
            try {
                checkOpen();
                if (wanted != null) {
                    wanted = null; // open it with its own: that is what the notebook was made with
                    closeNotebookAndEmbedder();
                }
            } finally {
                lock.writeLock().unlock();
            }
            ReindexProgress p = call(nb -> nb.reindex(to, listener));
            if (p.phase() == ReindexProgress.Phase.DONE) {
                lock.writeLock().lock();
                try {
                    Embedder old = embedder;
                    embedder = to; // what the open notebook uses now
                    adopted = true;
                    if (old != null && old != to) {
                        old.close();
                    }
                } finally {
                    lock.writeLock().unlock();
                }
            }
            return p;
        } finally {
            if (!adopted) {
                to.close();
            }
        }
    }

    /** The chat model answers are generated with; null for extractive answers. */
    ChatModel chatModel() {
        return chatModel;
    }

    /**
     * Switches the chat model (null: extractive answers), closing the previous one. Waits for the
     * work in flight; the notebook is reopened with the new model on next use.
     */
    void setChatModel(ChatModel model) throws IOException {
        lock.writeLock().lock();
        try {
            if (closed.get()) {
                if (model != null) {
                    model.close();
                }
                checkOpen();
            }
            if (notebook != null) {
                Notebook nb = notebook;
                notebook = null;
                nb.close();
            }
            ChatModel old = chatModel;
            chatModel = model;
            if (old != null && old != model) {
                old.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the notebook session for " + directory + " is closed");
        }
    }

    /**
     * Closes the notebook, the chat model and the embedder; waits for the work in flight (cancel
     * it first). Idempotent.
     */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closing.countDown();
        idleTimer.shutdownNow();
        lock.writeLock().lock();
        try {
            try {
                if (notebook != null) {
                    notebook.close();
                }
            } finally {
                notebook = null;
                try {
                    if (chatModel != null) {
                        chatModel.close();
                    }
                } finally {
                    chatModel = null;
                    if (embedder != null) {
                        embedder.close();
                        embedder = null;
                    }
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
