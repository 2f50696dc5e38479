package dev.pocketrag.server;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The JSON answer to work that may take long (a generation that is not streamed, a large note),
 * with a way to notice that the client left: the JDK server tells a handler nothing about its
 * connection until it writes to it. If the answer is not ready after {@code after}, the success
 * status goes out with chunked encoding, then a space (JSON allows whitespace before a value)
 * every {@code interval}; a write that fails means the client is gone, and {@link #clientGone()}
 * turns true so the work can stop. The answer (or, once the status is out, an error object) is the
 * rest of the body. An answer ready in time is a plain response with its own status.
 */
final class LongResponse implements AutoCloseable {
    private static final byte[] SPACE = {' '};

    private final HttpExchange exchange;
    private final int status;
    private final ReentrantLock lock = new ReentrantLock();
    private final Thread ticker;
    private boolean started;
    private boolean done;
    private volatile boolean gone;
    private OutputStream out;

    /**
     * @param status the status of a successful answer (sent early when the work takes long)
     */
    LongResponse(HttpExchange exchange, int status, Duration after, Duration interval) {
        this.exchange = exchange;
        this.status = status;
        this.ticker = Thread.ofVirtual().name("pocketrag-long-response").start(() -> tick(after, interval));
    }

    private void tick(Duration after, Duration interval) {
        try {
            Thread.sleep(after);
            while (true) {
                lock.lock();
                try {
                    if (done) {
                        return;
                    }
                    if (!started) {
                        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
                        exchange.getResponseHeaders().set("Cache-Control", "no-store");
                        exchange.sendResponseHeaders(status, 0); // chunked
                        out = exchange.getResponseBody();
                        started = true;
                    }
                    out.write(SPACE);
                    out.flush();
                } finally {
                    lock.unlock();
                }
                Thread.sleep(interval);
            }
        } catch (IOException e) {
            gone = true;
        } catch (InterruptedException e) {
            // done
        }
    }

    /** Whether a write to the client failed: it closed the connection. */
    boolean clientGone() {
        return gone;
    }

    /** Sends {@code body} as the answer (with the success status) and ends the exchange. */
    void send(Object body) throws IOException {
        if (!finish()) {
            Http.sendJson(exchange, status, body);
            return;
        }
        writeRest(Json.of(body));
    }

    /**
     * Ends the exchange with {@code e}: thrown back when no status went out yet (the caller's error
     * handling answers), else written as the rest of the body (an {@code {"error": ...}} object
     * under the success status that is already out).
     */
    void fail(ApiError e) throws IOException {
        if (!finish()) {
            throw e;
        }
        writeRest(Json.of(Http.errorBody(e)));
    }

    /** Stops the spaces; returns whether the status went out already. */
    private boolean finish() {
        lock.lock();
        try {
            done = true;
        } finally {
            lock.unlock();
        }
        ticker.interrupt();
        return started;
    }

    private void writeRest(String json) throws IOException {
        try {
            out.write(json.getBytes(StandardCharsets.UTF_8));
            out.close();
        } finally {
            exchange.close();
        }
    }

    /** Stops the spaces (the caller answers, or already did); idempotent. */
    @Override
    public void close() {
        finish();
    }
}
