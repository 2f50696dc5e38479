package dev.pocketrag.server;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded queue in front of scarce work: {@code permits} requests at a time do it (one for the
 * chat model: one KV cache, requests never interleave), the others wait in arrival order (a fair
 * semaphore is FIFO), and at most {@code queueCapacity} may wait: the next one is refused at once
 * (429). A request can take its place in the queue ({@link #admit}) before it is ready to wait for
 * its turn ({@link Slot#await}), so that it is refused before it answers with a status, and does
 * the work that needs no turn (embedding a question) without holding one.
 */
final class ModelGate {
    private final Semaphore permit;
    private final int permits;
    private final AtomicInteger admitted = new AtomicInteger();
    private final int queueCapacity;
    private final String busy;
    private final java.util.function.BooleanSupplier closing;

    /** One permit: the chat model's queue. */
    ModelGate(int queueCapacity, java.util.function.BooleanSupplier closing) {
        this(1, queueCapacity, "the model is busy", closing);
    }

    /**
     * @param busy    how a refusal starts, e.g. "the model is busy"
     * @param closing true once the server shuts down: requests that get their turn then are refused
     */
    ModelGate(int permits, int queueCapacity, String busy, java.util.function.BooleanSupplier closing) {
        if (permits < 1 || permits > 1024) {
            throw new IllegalArgumentException("permits must be in 1..1024; permits=" + permits);
        }
        if (queueCapacity < 0 || queueCapacity > 10_000) {
            throw new IllegalArgumentException("queueCapacity must be in 0..10000; queueCapacity=" + queueCapacity);
        }
        this.permits = permits;
        this.permit = new Semaphore(permits, true);
        this.queueCapacity = queueCapacity;
        this.busy = busy;
        this.closing = closing;
    }

    /** A place in the queue, then (after {@link #await}) the right to do the work; {@link #close()} gives both back. */
    final class Slot implements AutoCloseable {
        private boolean held;
        private boolean closed;

        /**
         * Waits for the turn (behind those that came first); does nothing if it has it already.
         *
         * @throws ApiError 503 if the server began shutting down while this one waited
         */
        synchronized void await() throws InterruptedException {
            if (held || closed) {
                return;
            }
            permit.acquire();
            held = true;
            if (closing.getAsBoolean()) {
                throw new ApiError(503, "server_error", "the server is shutting down", null, "shutting_down");
            }
        }

        /**
         * {@link #await()}, then gives the turn back at once if {@code giveUp} is true by then (a
         * client that left while it waited: its place in line was kept, and the work is skipped).
         *
         * @throws ApiError 499 when it gave up; 503 if the server began shutting down
         */
        void await(java.util.function.BooleanSupplier giveUp) throws InterruptedException {
            await();
            if (giveUp.getAsBoolean()) {
                close();
                throw new ApiError(499, "invalid_request_error", "the client closed the connection", null,
                        "client_closed_request");
            }
        }

        /**
         * Gives the turn back but keeps the place in the queue: the next {@link #await} waits
         * again behind those that came meanwhile (a follow-up's rewrite, then its retrieval, then
         * its answer). Does nothing without the turn.
         */
        synchronized void release() {
            if (held && !closed) {
                held = false;
                permit.release();
            }
        }

        /** Gives the turn back early (the place in the queue with it); idempotent. */
        @Override
        public synchronized void close() {
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
     * A place in the queue, not yet the turn.
     *
     * @throws ApiError 429 if {@code queueCapacity} requests are already waiting
     */
    Slot admit() {
        int n = admitted.incrementAndGet();
        if (n > queueCapacity + permits) {
            admitted.decrementAndGet();
            throw ApiError.queueFull(busy + " and " + queueCapacity + " requests are already waiting for it; try again later");
        }
        return new Slot();
    }

    /**
     * {@link #admit}, then waits for the turn.
     *
     * @throws ApiError 429 if {@code queueCapacity} requests are already waiting; 503 if the server
     *     began shutting down while this one waited
     */
    Slot enter() throws InterruptedException {
        Slot s = admit();
        boolean ok = false;
        try {
            s.await();
            ok = true;
        } finally {
            if (!ok) {
                s.close();
            }
        }
        return s;
    }

    /** Requests waiting for a turn (not counting those that have one). */
    int waiting() {
        return permit.getQueueLength();
    }

    /** Requests admitted: with a turn, waiting for one, or about to. */
    int admitted() {
        return admitted.get();
    }

    /** Waits until nobody has a turn; returns false on timeout. */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
        if (permit.tryAcquire(permits, timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            permit.release(permits);
            return true;
        }
        return false;
    }
}
