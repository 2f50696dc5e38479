package dev.pocketrag.generation.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pocketrag.generation.gguf.GgufFile;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The generation loop allocates nothing: after warm-up (so the JIT has compiled the kernels), 100
 * single-token forward passes allocate zero bytes on the calling thread and on the pool's worker, as
 * counted by the JVM's per-thread allocation counters ({@code com.sun.management.ThreadMXBean}).
 * Measured in a fresh JVM ({@link Probe}): in the test JVM, other tests' calls into the same kernels
 * with unusual shapes change what the JIT compiles, which says nothing about a real process.
 */
class NoAllocationTest {
    @Test
    void single_token_forward_passes_allocate_nothing_once_warm() throws Exception {
        Path model = ReferenceCase.shared().resolve("reference/models/tiny-llama-Q4_0.gguf");
        assumeTrue(Files.exists(model), "needs " + model);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new java.util.ArrayList<>(List.of(java.toString()));
        cmd.add("--add-modules=jdk.incubator.vector");
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-Dpocketrag.simd") || a.startsWith("-XX:MaxVectorSize")
                        || a.startsWith("-XX:UseAVX")).toList());
        cmd.addAll(List.of("-Xmx256m", "-cp", probeClassPath(), Probe.class.getName(), model.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe did not finish");
        assertTrue(out.contains("kernels=" + dev.pocketrag.generation.tensor.Simd.describe()),
                "the probe must run the same kernels as this JVM (" + dev.pocketrag.generation.tensor.Simd.describe()
                        + "):\n" + out);
        String line = out.lines().filter(l -> l.startsWith("allocated=")).findFirst()
                .orElseThrow(() -> new AssertionError("no result from the probe:\n" + out));
        assertEquals(0, Long.parseLong(line.substring("allocated=".length()).trim()),
                "bytes allocated by 100 single-token forward passes after warm-up (probe output:\n" + out + ")");
    }

    /**
     * The probe runs on the class path: this test's classes and the engine's, wherever surefire put
     * them (on the module path, with the tests patched into the module, or on the class path).
     */
    static String probeClassPath() throws Exception {
        List<String> parts = new java.util.ArrayList<>();
        parts.add(Path.of(Probe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        for (String key : List.of("jdk.module.path", "java.class.path")) {
            String v = System.getProperty(key, "");
            if (!v.isEmpty()) {
                parts.add(v);
            }
        }
        return String.join(java.io.File.pathSeparator, parts);
    }

    /** Runs in its own JVM: warms up, then counts the bytes 100 single-token passes allocate. */
    public static final class Probe {
        public static void main(String[] args) throws IOException {
            var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            try (GgufFile g = GgufFile.open(Path.of(args[0]))) {
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
                    long measured = -1;
                    // warm up until a whole pass of 100 tokens allocates nothing (at most 40 rounds)
                    for (int round = 0; round < 40 && measured != 0; round++) {
                        t.forward(seq, 0, 16, 0);
                        long before = allocated(mx, ids);
                        for (int p = 16; p < 116; p++) {
                            t.forward(seq, p, p + 1, p);
                        }
                        measured = allocated(mx, ids) - before;
                    }
                    System.out.println("kernels=" + dev.pocketrag.generation.tensor.Simd.describe());
                    System.out.println("threads=" + ids.length);
                    System.out.println("allocated=" + measured);
                }
            }
        }

        private static long allocated(com.sun.management.ThreadMXBean mx, long[] ids) {
            long sum = 0;
            for (long id : ids) {
                sum += Math.max(0, mx.getThreadAllocatedBytes(id));
            }
            return sum;
        }
    }
}
