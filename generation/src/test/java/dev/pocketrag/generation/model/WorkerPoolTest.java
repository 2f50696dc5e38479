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
