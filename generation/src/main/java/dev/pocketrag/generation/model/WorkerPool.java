package dev.pocketrag.generation.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of threads that split one range of work at a time: {@link #run} cuts
 * {@code [0, n)} into one contiguous chunk per thread (the calling thread takes the first) and
 * returns when all chunks are done. Meant for the many short parallel steps of a forward pass
 * (one matrix product, one attention step): workers spin briefly between steps, then park, and a
 * step allocates nothing. Not reentrant; one caller at a time.
 */
final class WorkerPool implements AutoCloseable {
    /** A unit of work over a range of indices; {@code worker} is 0..threads-1 (for per-thread scratch). */
    interface Task {
        void run(int worker, int from, int to);
    }

    /** How long an idle worker spins before parking (short: spinning hurts when cores are oversubscribed). */
    private static final long SPIN_NANOS = 50_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicIntegerArray parked;
    private final AtomicInteger remaining = new AtomicInteger();
    private volatile int epoch;
    private volatile boolean closed;
    private volatile Task task;
    private volatile int n;
    private volatile int align;
    /** Dynamic mode: the chunk size (0 = static split); the next unclaimed index. */
    private volatile int grain;
    private final AtomicInteger next = new AtomicInteger();
    private volatile Throwable failure;

    WorkerPool(int threads, String name) {
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads must be in 1..1024; threads=" + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.parked = new AtomicIntegerArray(threads);
        for (int i = 1; i < threads; i++) {
            final int id = i;
            Thread t = new Thread(() -> loop(id), name + "-" + i);
            t.setDaemon(true);
            workers[i - 1] = t;
            t.start();
        }
    }

    int threads() {
        return threads;
    }

    /**
     * Runs {@code task} over {@code [0, n)}, chunk boundaries multiples of {@code align} (except the end).
     * Rethrows the first exception a chunk threw.
     */
    void run(Task task, int n, int align) {
        start(task, n, align, 0);
    }

    /**
     * Runs {@code task} over {@code [0, n)} in chunks of {@code grain} indices that the threads claim
     * as they go (a thread slowed down by another process on its core takes fewer chunks). Which thread
     * runs which chunk varies; tasks whose results do not depend on it (rows of a matrix product) stay
     * deterministic.
     */
    void runDynamic(Task task, int n, int grain) {
        if (grain < 1) {
            throw new IllegalArgumentException("grain must be >= 1; grain=" + grain);
        }
        start(task, n, grain, grain);
    }

    private void start(Task task, int n, int align, int grain) {
        if (n <= 0) {
            return;
        }
        if (threads == 1 || n <= align) {
            task.run(0, 0, n);
            return;
        }
        if (closed) {
            throw new IllegalStateException("worker pool is closed");
        }
        this.task = task;
        this.n = n;
        this.align = align;
        this.grain = grain;
        next.set(0);
        this.failure = null;
        remaining.set(threads - 1);
        epoch = epoch + 1; // publishes the fields above
        for (int i = 1; i < threads; i++) {
            if (parked.get(i) != 0) {
                LockSupport.unpark(workers[i - 1]);
            }
        }
        Throwable mine = null;
        try {
            runChunk(task, 0, n, align);
        } catch (Throwable t) {
            mine = t;
        }
        long start = System.nanoTime();
        while (remaining.get() != 0) {
            if (System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        Throwable f = mine != null ? mine : failure;
        this.task = null;
        if (f instanceof RuntimeException re) {
            throw re;
        }
        if (f instanceof Error e) {
            throw e;
        }
        if (f != null) {
            throw new IllegalStateException(f);
        }
    }

    private void runChunk(Task t, int worker, int n, int align) {
        int g = grain;
        if (g > 0) {
            for (int from = next.getAndAdd(g); from < n; from = next.getAndAdd(g)) {
                t.run(worker, from, Math.min(n, from + g));
            }
            return;
        }
        int units = (n + align - 1) / align;
        int from = (int) ((long) units * worker / threads) * align;
        int to = Math.min(n, (int) ((long) units * (worker + 1) / threads) * align);
        if (from < to) {
            t.run(worker, from, to);
        }
    }

    private void loop(int id) {
        int seen = 0;
        while (true) {
            long start = System.nanoTime();
            int e;
            while ((e = epoch) == seen && !closed) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    parked.set(id, 1);
                    // re-check after announcing, so a run() that missed the flag is seen here
                    if (epoch == seen && !closed) {
                        LockSupport.park(this);
                    }
                    parked.set(id, 0);
                }
            }
            if (closed) {
                return;
            }
            seen = e;
            try {
                runChunk(task, id, n, align);
            } catch (Throwable t) {
                failure = t;
            } finally {
                remaining.decrementAndGet();
            }
        }
    }

    /** Stops the workers; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
    }
}
