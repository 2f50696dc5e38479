package dev.pocketrag.remote;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Reads server-sent events: {@code data:} lines (a space after the colon dropped; several lines of
 * one event joined with {@code \n}), events ended by a blank line, lines ended by LF or CR LF,
 * comments ({@code :...}) and other fields ignored, a last event without its blank line delivered
 * at the end of the stream. A watchdog closes the stream when nothing arrived for
 * {@code idleTimeout}; then {@link #idle()} is true.
 */
final class SseReader implements AutoCloseable {
    /** Receives the data of each event. */
    interface Events {
        /** Handles one event's data; returns true when reading should stop. */
        boolean onData(String data);
    }

    private final InputStream body;
    private final URI uri;
    private final Watchdog dog;

    SseReader(InputStream body, URI uri, Duration idleTimeout) {
        this.body = body;
        this.uri = uri;
        this.dog = new Watchdog(body, idleTimeout);
    }

    /** Whether the watchdog closed the stream (nothing arrived for the idle timeout). */
    boolean idle() {
        return dog.fired();
    }

    /**
     * Reads events until {@code events} says stop or the stream ends.
     *
     * @throws RemoteModelException if an event or a line is longer than {@link Transport#MAX_LINE_CHARS}
     */
    void read(Events events) throws IOException {
        Reader reader = new InputStreamReader(body, StandardCharsets.UTF_8);
        StringBuilder line = new StringBuilder();
        StringBuilder data = new StringBuilder();
        boolean hasData = false;
        boolean stop = false;
        while (!stop) {
            int eol = readLine(reader, line);
            dog.touch();
            if (eol < 0 && line.isEmpty()) {
                break; // end of stream
            }
            if (line.isEmpty()) {
                if (hasData) {
                    stop = events.onData(data.toString());
                    data.setLength(0);
                    hasData = false;
                }
                continue;
            }
            if (line.charAt(0) != ':') {
                int colon = line.indexOf(":");
                String field = colon < 0 ? line.toString() : line.substring(0, colon);
                if (field.equals("data")) {
                    int from = colon < 0 ? line.length() : colon + 1;
                    if (from < line.length() && line.charAt(from) == ' ') {
                        from++;
                    }
                    if (hasData) {
                        data.append('\n');
                    }
                    data.append(line, from, line.length());
                    hasData = true;
                    if (data.length() > Transport.MAX_LINE_CHARS) {
                        throw new RemoteModelException(uri, 200, "chat server " + uri
                                + " sent an event longer than " + Transport.MAX_LINE_CHARS + " characters", null);
                    }
                }
            }
            if (eol < 0) {
                if (hasData) {
                    events.onData(data.toString());
                }
                break;
            }
        }
    }

    /**
     * Reads one line (without its terminator: LF or CR LF) into {@code line}; returns 1 if a
     * terminator was read, -1 at the end of the stream.
     */
    private int readLine(Reader in, StringBuilder line) throws IOException {
        line.setLength(0);
        while (true) {
            int c = in.read();
            if (c < 0) {
                return -1;
            }
            if (c == '\n') {
                return 1;
            }
            if (c == '\r') {
                continue; // CR LF ends a line like LF (servers do not end lines with a lone CR)
            }
            line.append((char) c);
            if (line.length() > Transport.MAX_LINE_CHARS) {
                throw new RemoteModelException(uri, 200, "chat server " + uri + " sent a line longer than "
                        + Transport.MAX_LINE_CHARS + " characters", null);
            }
        }
    }

    /** Stops the watchdog and closes the stream (which, mid-answer, tells the server to stop); idempotent. */
    @Override
    public void close() throws IOException {
        try (InputStream in = body) {
            dog.close();
        }
    }

    /** Closes a stream when nothing arrived on it for a while. */
    private static final class Watchdog implements AutoCloseable {
        private final Thread thread;
        private volatile long last = System.nanoTime();
        private volatile boolean fired;

        Watchdog(Closeable target, Duration idle) {
            long idleNanos = idle.toNanos();
            thread = Thread.ofVirtual().name("pocketrag-remote-idle-watchdog").start(() -> {
                try {
                    while (true) {
                        long wait = idleNanos - (System.nanoTime() - last);
                        if (wait <= 0) {
                            fired = true;
                            try {
                                target.close();
                            } catch (IOException ignored) {
                                // closing is all that is wanted
                            }
                            return;
                        }
                        Thread.sleep(Duration.ofNanos(Math.min(wait, 1_000_000_000L) + 1_000_000L));
                    }
                } catch (InterruptedException e) {
                    // call finished
                }
            });
        }

        void touch() {
            last = System.nanoTime();
        }

        boolean fired() {
            return fired;
        }

        @Override
        public void close() {
            thread.interrupt();
        }
    }
}
