package dev.pocketrag.server;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.time.Duration;
import java.util.Locale;

/**
 * The connection limits of the JDK's HTTP server, which reads them from system properties once,
 * when the first server of the process starts ({@code sun.net.httpserver.ServerConfig}); a value
 * the user set on the command line ({@code -Djdk.httpserver.maxConnections=...}) is kept.
 *
 * <ul>
 *   <li>{@code jdk.httpserver.maxConnections}: open connections at most, below what the process's
 *       file-descriptor limit leaves ({@link #cap}). Beyond it the server closes a new connection
 *       at once, instead of failing {@code accept} with "too many open files" over and over (its
 *       dispatcher then spins at 100% CPU and the connection waits unanswered).</li>
 *   <li>{@code sun.net.httpserver.idleInterval} ({@value #IDLE_SECONDS} s): a connection that
 *       sends nothing for that long (a new one before its first request, or one kept alive between
 *       requests) is closed, so idle connections cannot hold the places for long.</li>
 *   <li>{@code sun.net.httpserver.maxReqTime} ({@value #REQUEST_SECONDS} s): a connection that
 *       has not sent a whole request (headers and body) by then is closed (a slow trickle).</li>
 *   <li>{@code sun.net.httpserver.clockTick} (1 s): how often those timers look.</li>
 * </ul>
 */
final class Connections {
    private static final System.Logger LOG = System.getLogger(Connections.class.getName());

    static final String MAX_CONNECTIONS = "jdk.httpserver.maxConnections";
    /** Seconds a connection may stay silent. */
    static final int IDLE_SECONDS = 10;
    /** Seconds a connection may take to send a request (headers and body). */
    static final int REQUEST_SECONDS = 60;
    /** Most connections, whatever the descriptor limit. */
    static final int MOST = 1024;
    /** Descriptors kept for everything else: index files, jars, models, logs. */
    static final int RESERVE = 64;

    private static int configured = -1;

    private Connections() {}

    /**
     * Sets the limits before the first server starts (later calls return what was set); returns
     * the connection cap in force.
     */
    static synchronized int configure() {
        if (configured > 0) {
            return configured;
        }
        setIfAbsent("sun.net.httpserver.idleInterval", Integer.toString(IDLE_SECONDS));
        setIfAbsent("sun.net.httpserver.maxReqTime", Integer.toString(REQUEST_SECONDS));
        setIfAbsent("sun.net.httpserver.clockTick", "1000");
        String given = System.getProperty(MAX_CONNECTIONS);
        int cap;
        long[] fds = fileDescriptors();
        if (given != null) {
            try {
                cap = Integer.parseInt(given.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(MAX_CONNECTIONS + " must be an integer; got '" + given + "'", e);
            }
        } else {
            cap = cap(fds[0], fds[1]);
            System.setProperty(MAX_CONNECTIONS, Integer.toString(cap));
        }
        configured = cap;
        LOG.log(System.Logger.Level.DEBUG, String.format(Locale.ROOT,
                "at most %d connections at once (file descriptors: %s open of %s); more are closed at once",
                cap, fds[0] < 0 ? "?" : Long.toString(fds[0]), fds[1] < 0 ? "?" : Long.toString(fds[1])));
        return cap;
    }

    /**
     * The connection cap for a process with {@code open} of {@code max} file descriptors in use:
     * what is left after {@link #RESERVE}, at least 8 and at most {@link #MOST}; {@link #MOST}
     * when unknown (negative).
     */
    static int cap(long open, long max) {
        if (open < 0 || max < 0) {
            return MOST;
        }
        return (int) Math.max(8, Math.min(MOST, max - open - RESERVE));
    }

    /** {open, max} file descriptors of this process; -1 where the platform does not tell. */
    static long[] fileDescriptors() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean u) {
            return new long[] {u.getOpenFileDescriptorCount(), u.getMaxFileDescriptorCount()};
        }
        return new long[] {-1, -1};
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /**
     * Watches the descriptors in use while a server runs and logs (at most once a minute) when the
     * connections fill the cap, since the JDK closes the extra ones without a word.
     */
    static Thread watch(int cap, java.util.function.BooleanSupplier stop) {
        long base = fileDescriptors()[0];
        if (base < 0) {
            return null;
        }
        return Thread.ofVirtual().name("pocketrag-connections").start(() -> {
            long lastLog = 0;
            while (!stop.getAsBoolean()) {
                try {
                    Thread.sleep(Duration.ofSeconds(2));
                } catch (InterruptedException e) {
                    return;
                }
                long open = fileDescriptors()[0];
                long now = System.nanoTime();
                if (open - base >= cap && (lastLog == 0 || now - lastLog > Duration.ofMinutes(1).toNanos())) {
                    lastLog = now;
                    LOG.log(System.Logger.Level.WARNING, "the connection limit of " + cap + " is reached (" + open
                            + " file descriptors open): new connections are closed at once, and connections that"
                            + " send nothing are closed after " + System.getProperty("sun.net.httpserver.idleInterval")
                            + " s");
                }
            }
        });
    }
}
