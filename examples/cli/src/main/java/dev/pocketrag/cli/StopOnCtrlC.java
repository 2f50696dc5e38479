package dev.pocketrag.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C (or SIGTERM) during a long, resumable command (reindex, migrate): {@link #requested()}
 * turns true so the command stops after the batch under way, and the JVM waits (at most 30 s) for
 * {@link #close()} so what that batch saves is complete; the next run carries on from there.
 */
final class StopOnCtrlC implements AutoCloseable {

    private volatile boolean requested;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;

    /** Installs the shutdown hook, a thread named {@code threadName}. */
    StopOnCtrlC(String threadName) {
        hook = new Thread(() -> {
            requested = true;
            try {
                finished.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                // exit anyway: the next run carries on from the last commit
            }
        }, threadName);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Whether the user asked to stop. */
    boolean requested() {
        return requested;
    }

    /** Lets a waiting shutdown go on, and removes the hook; idempotent. */
    @Override
    public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: it was waiting for us
        }
    }
}
