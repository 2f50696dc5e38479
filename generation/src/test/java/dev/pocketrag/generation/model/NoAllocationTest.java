package dev.pocketrag.generation.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pocketrag.generation.Gguf;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The generation loop allocates nothing: after warm-up (so the JIT has compiled the kernels), a
 * single-token forward pass allocates zero bytes on the calling thread and the pool's worker, as counted by the
 * JVM's per-thread allocation counters ({@code com.sun.management.ThreadMXBean}).
 */
class NoAllocationTest {
    @Test
    void single_token_forward_passes_allocate_nothing_once_warm() throws IOException {
        Path model = ReferenceCase.shared().resolve("reference/models/tiny-llama-Q4_0.gguf");
        assumeTrue(Files.exists(model), "needs " + model);
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(mx.isThreadAllocatedMemorySupported(), "no per-thread allocation counters");
        try (Gguf g = Gguf.open(model)) {
            ModelConfig cfg = ModelConfig.from(g);
            try (Transformer t = new Transformer(g, cfg, 512, 2, 16)) {
                int[] seq = new int[512];
                for (int i = 0; i < seq.length; i++) {
                    seq[i] = 1 + (i * 7919) % (cfg.vocabSize() - 1);
                }
                // this thread and the pool's workers (collected now: no allocation while counting)
                long[] ids = Thread.getAllStackTraces().keySet().stream()
                        .filter(th -> th == Thread.currentThread() || th.getName().startsWith("pocketrag-worker"))
                        .mapToLong(Thread::threadId).toArray();
                assertEquals(2, ids.length, "this thread and one worker");
                long measured = -1;
                // warm up until a whole pass of 100 tokens allocates nothing (at most 30 rounds)
                for (int round = 0; round < 30 && measured != 0; round++) {
                    t.forward(seq, 0, 16, 0);
                    long before = allocated(mx, ids);
                    for (int p = 16; p < 116; p++) {
                        t.forward(seq, p, p + 1, p);
                    }
                    measured = allocated(mx, ids) - before;
                }
                assertEquals(0, measured, "bytes allocated by 100 single-token forward passes after warm-up");
            }
        }
    }

    /** Bytes allocated so far by all live threads of the JVM (including the pool's workers). */
    private static long allocated(com.sun.management.ThreadMXBean mx, long[] ids) {
        long sum = 0;
        for (long id : ids) {
            sum += Math.max(0, mx.getThreadAllocatedBytes(id));
        }
        return sum;
    }
}
