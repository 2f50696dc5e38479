package dev.pocketrag.embedder.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * "Race to sleep": single calls arriving from many threads are gathered and processed in one
 * burst, then the workers sleep until the next burst, instead of waking for every call.
 *
 * <p>One collector thread sleeps on the queue. The first call wakes it; it then waits at most
 * {@code maxWaitMillis} for companions, until there is one call per worker (or {@code maxCount}),
 * hands the burst to {@code processor} (which fans it out over the worker threads), completes each
 * caller's future, and goes back to sleep if nothing else arrived. Under load the calls that queue
 * up while a burst runs form the next burst, which starts at once: bursts grow with the load
 * instead of the workers waking once per call. Items keep their identity: the processor must return
 * one result per item, in order.
 */
final class BurstQueue<T, R> implements AutoCloseable {
    private record Item<T, R>(T value, CompletableFuture<R> result) {}

    private final BlockingQueue<Item<T, R>> queue = new LinkedBlockingQueue<>();
    private final int maxCount;
    private final long maxWaitNanos;
    private final Function<List<T>, List<R>> processor;
    private final Thread collector;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong bursts = new AtomicLong();
    private final AtomicLong wakeups = new AtomicLong();
    /** Calls that keep every worker busy: gathering stops early once a burst has this many. */
    private final int fill;

    BurstQueue(int maxCount, int maxWaitMillis, int workers, Function<List<T>, List<R>> processor, String threadName) {
        if (maxCount < 1) {
            throw new IllegalArgumentException("maxCount must be >= 1; maxCount=" + maxCount);
        }
        if (maxWaitMillis < 0) {
            throw new IllegalArgumentException("maxWaitMillis must be >= 0; maxWaitMillis=" + maxWaitMillis);
        }
        this.maxCount = maxCount;
        this.fill = Math.max(1, Math.min(workers, maxCount));
        this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMillis);
        this.processor = processor;
        this.collector = OnnxEmbedder.daemonThreads(threadName).newThread(this::collect);
        collector.start();
    }

    CompletableFuture<R> submit(T value) {
        CompletableFuture<R> f = new CompletableFuture<>();
        if (closed.get()) {
            f.completeExceptionally(new IllegalStateException("closed"));
            return f;
        }
        queue.add(new Item<>(value, f));
        if (closed.get()) { // raced with close(): make sure nobody waits forever
            drainFailing();
        }
        return f;
    }

    long bursts() {
        return bursts.get();
    }

    /** Times the collector woke from sleep because a call arrived while it was idle. */
    long wakeups() {
        return wakeups.get();
    }

    private void collect() {
        List<Item<T, R>> burst = new ArrayList<>(maxCount);
        try {
            while (!closed.get()) {
                // Under load, everything that queued up while the last burst ran goes at once.
                queue.drainTo(burst, maxCount);
                if (burst.isEmpty()) {
                    burst.add(queue.take()); // idle: sleep until a call arrives
                    wakeups.incrementAndGet();
                    queue.drainTo(burst, maxCount - 1);
                    // wait at most maxWait for companions, until there is one call per worker
                    long deadline = System.nanoTime() + maxWaitNanos;
                    while (burst.size() < fill) {
                        long left = deadline - System.nanoTime();
                        Item<T, R> next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
                        if (next == null) {
                            break;
                        }
                        burst.add(next);
                        queue.drainTo(burst, maxCount - burst.size());
                    }
                }
                bursts.incrementAndGet();
                run(burst);
                burst.clear();
            }
        } catch (InterruptedException e) {
            // close() interrupts us
        } finally {
            for (Item<T, R> i : burst) {
                i.result().completeExceptionally(new IllegalStateException("closed"));
            }
            drainFailing();
        }
    }

    private void run(List<Item<T, R>> burst) {
        List<T> values = new ArrayList<>(burst.size());
        for (Item<T, R> i : burst) {
            values.add(i.value());
        }
        try {
            List<R> results = processor.apply(values);
            for (int k = 0; k < burst.size(); k++) {
                burst.get(k).result().complete(results.get(k));
            }
        } catch (RuntimeException | Error e) {
            for (Item<T, R> i : burst) {
                i.result().completeExceptionally(e);
            }
        }
    }

    private void drainFailing() {
        Item<T, R> i;
        while ((i = queue.poll()) != null) {
            i.result().completeExceptionally(new IllegalStateException("closed"));
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            collector.interrupt();
        }
    }
}
