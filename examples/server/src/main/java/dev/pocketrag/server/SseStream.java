package dev.pocketrag.server;

import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * A server-sent-events response ({@code text/event-stream}): {@code event: NAME\n} (optional) and
 * {@code data: JSON\n}, each event ended by a blank line; {@code : keep-alive} comments when
 * nothing was sent for a while.
 *
 * <p>The generating thread never touches the socket: {@link #send} appends to a buffer that a
 * writer thread drains, so a slow client cannot hold the model. {@link #send} returns false (and
 * the generation is cancelled) once the client is gone (a write failed), the client has stalled
 * (one write blocked for longer than {@code stallTimeout}, or more than {@code maxPendingBytes}
 * are waiting), or the server is closing.
 */
final class SseStream {
    private final HttpExchange exchange;
    private final Duration stallTimeout;
    private final long maxPendingBytes;
    private final Duration keepAlive;
    private final BooleanSupplier closing;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final Thread writer;
    private boolean finished;
    private volatile boolean gone;
    private volatile boolean stalled;
    private volatile long writeStartedNanos;
    private volatile boolean done;

    /** Sends the 200 response headers and starts the writer. */
    SseStream(HttpExchange exchange, Duration stallTimeout, long maxPendingBytes, Duration keepAlive,
            BooleanSupplier closing) throws IOException {
        this.exchange = exchange;
        this.stallTimeout = stallTimeout;
        this.maxPendingBytes = maxPendingBytes;
        this.keepAlive = keepAlive;
        this.closing = closing;
        var h = exchange.getResponseHeaders();
        h.set("Content-Type", "text/event-stream; charset=utf-8");
        h.set("Cache-Control", "no-store");
        h.set("X-Accel-Buffering", "no");
        exchange.sendResponseHeaders(200, 0); // chunked
        this.writer = Thread.ofVirtual().name("pocketrag-sse-writer").start(this::writeLoop);
    }

    /** Queues {@code data: json} as one event; false if the client is gone or stalled (cancel then). */
    boolean send(String json) {
        return send(null, json);
    }

    /** Queues an event named {@code event} (null: unnamed); false if the client is gone or stalled. */
    boolean send(String event, String json) {
        if (!alive()) {
            return false;
        }
        StringBuilder sb = new StringBuilder(json.length() + 24);
        if (event != null) {
            sb.append("event: ").append(event).append('\n');
        }
        // the JSON writer escapes line breaks inside strings: one data line suffices
        sb.append("data: ").append(json).append("\n\n");
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        lock.lock();
        try {
            if (finished) {
                return false;
            }
            pending.writeBytes(bytes);
            if (pending.size() > maxPendingBytes) {
                stalled = true;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        return alive();
    }

    /** Whether the client still takes what is sent. */
    boolean alive() {
        if (gone || stalled || closing.getAsBoolean()) {
            return false;
        }
        long started = writeStartedNanos;
        if (started != 0 && System.nanoTime() - started > stallTimeout.toNanos()) {
            stalled = true;
            return false;
        }
        return true;
    }

    /** Whether the client disconnected or stalled. */
    boolean lost() {
        return gone || stalled;
    }

    /**
     * Ends the stream after what is queued, waiting at most {@code stallTimeout} for the writer.
     * A writer still blocked then is left to the connection's fate (it ends when the client goes
     * away or the server stops); the caller may free the model either way.
     */
    void finish() {
        lock.lock();
        try {
            finished = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            writer.join(stallTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether everything was written and the response ended. */
    boolean completed() {
        return done;
    }

    private void writeLoop() {
        OutputStream out = exchange.getResponseBody();
        try {
            while (true) {
                byte[] chunk;
                boolean last;
                lock.lock();
                try {
                    long deadline = System.nanoTime() + keepAlive.toNanos();
                    while (pending.size() == 0 && !finished) {
                        long wait = deadline - System.nanoTime();
                        if (wait <= 0) {
                            break;
                        }
                        changed.awaitNanos(wait);
                    }
                    chunk = pending.toByteArray();
                    pending.reset();
                    last = finished;
                } finally {
                    lock.unlock();
                }
                if (chunk.length == 0 && !last) {
                    chunk = ": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII);
                }
                if (chunk.length > 0) {
                    writeStartedNanos = System.nanoTime();
                    out.write(chunk);
                    out.flush();
                    writeStartedNanos = 0;
                }
                if (last) {
                    out.close();
                    done = true;
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            gone = true;
        } finally {
            writeStartedNanos = 0;
            exchange.close();
        }
    }
}
