package dev.pocketrag.desktop;

import dev.pocketrag.desktop.Host.Lane;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import javax.swing.SwingUtilities;

/**
 * The window's background lanes: one thread per {@link Lane} for work on the notebook (so work on a
 * lane runs in order), and a pool for work that does not need it (loading a model, estimating
 * memory, writing the config). Results and failures go back to the event thread.
 */
final class Lanes {
    private final NotebookSession session;
    private final BooleanSupplier closing;
    private final BiConsumer<String, Throwable> showError;
    private final Map<Lane, ExecutorService> lanes = new EnumMap<>(Lane.class);
    private final ExecutorService background = Executors.newCachedThreadPool(daemon("pocketrag-background"));

    /**
     * @param closing whether the window is closing (then no work starts and no result is shown)
     * @param showError shows "{@code what}: message" in the window (called on the event thread)
     */
    Lanes(NotebookSession session, BooleanSupplier closing, BiConsumer<String, Throwable> showError) {
        this.session = session;
        this.closing = closing;
        this.showError = showError;
        for (Lane lane : Lane.values()) {
            lanes.put(lane, Executors.newSingleThreadExecutor(daemon("pocketrag-" + lane.name().toLowerCase(Locale.ROOT))));
        }
    }

    /** The pool for work without the notebook. */
    ExecutorService background() {
        return background;
    }

    /** {@link Host#run}: {@code task} on the notebook on {@code lane}, {@code onDone} on the event thread. */
    <T> void run(Lane lane, String what, NotebookSession.Task<T> task, Consumer<T> onDone, Runnable onFinally) {
        runWork(lane, what, () -> session.call(task), onDone, onFinally);
    }

    /**
     * {@code work} (which uses the session itself, e.g. {@link NotebookSession#reindex}) on {@code
     * lane}, {@code onDone} on the event thread; as {@link #run}.
     */
    <T> void runWork(Lane lane, String what, java.util.concurrent.Callable<T> work, Consumer<T> onDone,
            Runnable onFinally) {
        if (closing.getAsBoolean()) {
            return;
        }
        lanes.get(lane).execute(() -> {
            T result;
            try {
                result = work.call();
            } catch (Throwable t) {
                SwingUtilities.invokeLater(() -> {
                    if (!closing.getAsBoolean()) {
                        showError.accept(what, t);
                    }
                    if (onFinally != null) {
                        onFinally.run();
                    }
                });
                return;
            }
            SwingUtilities.invokeLater(() -> {
                try {
                    if (!closing.getAsBoolean()) {
                        onDone.accept(result);
                    }
                } finally {
                    if (onFinally != null) {
                        onFinally.run();
                    }
                }
            });
        });
    }

    /** Lets the work in flight finish (up to 2 minutes a lane), then stops the background pool. */
    void shutdownAndAwait() throws InterruptedException {
        for (ExecutorService lane : lanes.values()) {
            lane.shutdown();
        }
        for (ExecutorService lane : lanes.values()) {
            if (!lane.awaitTermination(2, TimeUnit.MINUTES)) {
                System.err.println("pocketrag desktop: background work did not finish in 2 minutes");
            }
        }
        background.shutdownNow();
    }

    static ThreadFactory daemon(String name) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
