package dev.pocketrag.server;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One request at a time uses the chat model (one KV cache: requests never interleave), the others
 * wait in arrival order (a fair semaphore is FIFO), and at most {@code queueCapacity} may wait:
 * the next one is refused at once (429).
 */
final class ModelGate {
    private final Semaphore permit = new Semaphore(1, true);
    private final AtomicInteger admitted = new AtomicInteger();
    private final int queueCapacity;
    private final java.util.function.BooleanSupplier closing;

    /** @param closing true once the server shuts down: requests that get their turn then are refused */
    ModelGate(int queueCapacity, java.util.function.BooleanSupplier closing) {
        this.closing = closing;
        if (queueCapacity < 0 || queueCapacity > 10_000) {
            throw new IllegalArgumentException("queueCapacity must be in 0..10000; queueCapacity=" + queueCapacity);
        }
        this.queueCapacity = queueCapacity;
    }

    /** The right to use the model; {@link #close()} gives it back. */
    final class Slot implements AutoCloseable {
        private boolean held;
        private boolean closed;

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (held) {
                permit.release();
            }
            admitted.decrementAndGet();
        }
    }

    /**
     * Waits for the model (behind those that came first).
     *
     * @throws ApiError 429 if {@code queueCapacity} requests are already waiting; 503 if the server
     *     began shutting down while this one waited
     */
    Slot enter() throws InterruptedException {
        int n = admitted.incrementAndGet();
        if (n > queueCapacity + 1) {
            admitted.decrementAndGet();
            throw ApiError.queueFull("the model is busy and " + queueCapacity
                    + " requests are already waiting for it; try again later");
        }
        Slot s = new Slot();
        boolean ok = false;
        try {
            permit.acquire();
            s.held = true;
            if (closing.getAsBoolean()) {
                throw new ApiError(503, "server_error", "the server is shutting down", null, "shutting_down");
            }
            ok = true;
        } finally {
            if (!ok) {
                s.close();
            }
        }
        return s;
    }

    /** Requests waiting for the model (not counting the one using it). */
    int waiting() {
        return permit.getQueueLength();
    }

    /** Requests using or waiting for the model. */
    int admitted() {
        return admitted.get();
    }

    /** Waits until nobody uses the model; returns false on timeout. */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
        if (permit.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            permit.release();
            return true;
        }
        return false;
    }
}
