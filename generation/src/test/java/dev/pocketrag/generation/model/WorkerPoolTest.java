package dev.pocketrag.generation.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {
    @Test
    void every_index_is_run_exactly_once_with_aligned_chunks() {
        try (WorkerPool pool = new WorkerPool(3, "test")) {
            for (int n : new int[] {1, 2, 3, 7, 64, 1001}) {
                for (int align : new int[] {1, 4, 16}) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    pool.run((w, from, to) -> {
                        if (from % align != 0) {
                            throw new AssertionError("chunk start " + from + " not aligned to " + align);
                        }
                        for (int i = from; i < to; i++) {
                            hits.incrementAndGet(i);
                        }
                    }, n, align);
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, hits.get(i), "n=" + n + " align=" + align + " index " + i);
                    }
                }
            }
        }
    }

    @Test
    void dynamic_chunks_cover_every_index_exactly_once_and_a_slow_thread_takes_fewer() {
        try (WorkerPool pool = new WorkerPool(2, "test")) {
            for (int n : new int[] {1, 5, 64, 1001}) {
                for (int grain : new int[] {1, 4, 100}) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    pool.runDynamic((w, from, to) -> {
                        if (from % grain != 0 || to - from > grain) {
                            throw new AssertionError("chunk [" + from + ", " + to + ") is not one grain of " + grain);
                        }
                        for (int i = from; i < to; i++) {
                            hits.incrementAndGet(i);
                        }
                    }, n, grain);
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, hits.get(i), "n=" + n + " grain=" + grain + " index " + i);
                    }
                }
            }
            // worker 1 sleeps on each chunk: the calling thread (worker 0) claims most of the 40 chunks
            java.util.concurrent.atomic.AtomicInteger byWorker0 = new java.util.concurrent.atomic.AtomicInteger();
            pool.runDynamic((w, from, to) -> {
                if (w == 0) {
                    byWorker0.incrementAndGet();
                } else {
                    java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
                }
            }, 40, 1);
            org.junit.jupiter.api.Assertions.assertTrue(byWorker0.get() > 30, "worker 0 ran " + byWorker0.get() + " of 40");
        }
    }

    @Test
    void an_exception_in_a_worker_reaches_the_caller_and_the_pool_stays_usable() {
        try (WorkerPool pool = new WorkerPool(2, "test")) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run((w, from, to) -> {
                if (w == 1) {
                    throw new IllegalStateException("boom");
                }
            }, 100, 1));
            assertEquals("boom", e.getMessage());
            AtomicIntegerArray hits = new AtomicIntegerArray(10);
            pool.run((w, from, to) -> {
                for (int i = from; i < to; i++) {
                    hits.incrementAndGet(i);
                }
            }, 10, 1);
            assertEquals(1, hits.get(9));
        }
    }

    @Test
    void rejects_bad_thread_counts_and_runs_after_close() {
        assertThrows(IllegalArgumentException.class, () -> new WorkerPool(0, "x"));
        WorkerPool p = new WorkerPool(2, "x");
        p.close();
        p.close();
        assertThrows(IllegalStateException.class, () -> p.run((w, a, b) -> { }, 10, 1));
    }
}
