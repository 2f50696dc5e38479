package dev.pocketrag.cli;

import dev.pocketrag.generation.Gguf;
import dev.pocketrag.generation.MemoryEstimate;
import dev.pocketrag.server.Json;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "fits", mixinStandardHelpOptions = true,
        description = {"Estimate the memory a GGUF model needs, and whether it fits in RAM.",
                "Counts the mapped weights, the KV cache (layers x KV heads x head dim x context x 2 x 2 bytes) "
                        + "and compute buffers; whether it fits in RAM and the largest context that would.",
                "Exit code: 0 fits, 1 does not fit, 2 error."})
final class FitsCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE.gguf", description = "The model file.")
    Path file;

    @Option(names = "--ctx", paramLabel = "N", description = "Context length (default: 4096, or the model's if smaller).")
    Integer ctx;

    @Option(names = "--ram", paramLabel = "SIZE",
            description = "Memory available, e.g. 8G, 512M (default: this machine's physical memory).")
    String ram;

    @Option(names = "--json", description = "One JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        long ramBytes = ram != null ? MemoryEstimate.parseSize(ram) : physicalMemory();
        if (ctx != null && ctx < 1) {
            throw new UserException("--ctx " + ctx + " must be at least 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Gguf g = GgufFiles.open(file)) {
            MemoryEstimate.Shape s = MemoryEstimate.Shape.of(g);
            int trained = s.trainedContext();
            int c = ctx != null ? ctx : trained > 0 ? Math.min(4096, trained) : 4096;
            MemoryEstimate e = MemoryEstimate.of(g, c);
            int limit = trained > 0 ? trained : Integer.MAX_VALUE;
            int maxCtx = MemoryEstimate.maxContext(g.fileSize(), s, ramBytes, limit);
            boolean fits = e.fits(ramBytes);
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("file", g.path().getFileName().toString());
                o.put("architecture", s.arch());
                o.put("layers", s.nLayer());
                o.put("kv_heads", s.maxKvHeads());
                o.put("head_dim", s.keyDim());
                o.put("context", c);
                o.put("trained_context", trained);
                o.put("weights_bytes", e.weightBytes());
                o.put("kv_cache_bytes", e.kvCacheBytes());
                o.put("compute_bytes", e.computeBytes());
                o.put("runtime_bytes", e.runtimeBytes());
                o.put("total_bytes", e.totalBytes());
                o.put("ram_bytes", ramBytes);
                o.put("fits", fits);
                o.put("max_context", maxCtx);
                out.println(Json.of(o));
            } else {
                out.printf(Locale.ROOT, "model:     %s (%s, %d layers, %d KV heads x %d)%n",
                        g.path().getFileName(), s.arch(), s.nLayer(), s.maxKvHeads(), s.keyDim());
                out.printf(Locale.ROOT, "context:   %d%s%n", c, trained <= 0 ? ""
                        : c > trained ? " (beyond the trained context " + trained + ")" : " (trained " + trained + ")");
                out.printf(Locale.ROOT, "weights:   %s (mapped)%n", MemoryEstimate.human(e.weightBytes()));
                out.printf(Locale.ROOT, "KV cache:  %s (F16)%n", MemoryEstimate.human(e.kvCacheBytes()));
                out.printf(Locale.ROOT, "compute:   %s%n", MemoryEstimate.human(e.computeBytes()));
                out.printf(Locale.ROOT, "runtime:   %s%n", MemoryEstimate.human(e.runtimeBytes()));
                out.printf(Locale.ROOT, "total:     %s%n", MemoryEstimate.human(e.totalBytes()));
                out.printf(Locale.ROOT, "RAM:       %s: %s%n", MemoryEstimate.human(ramBytes),
                        fits ? "fits" : "does NOT fit");
                out.printf(Locale.ROOT, "largest context that fits: %s%n",
                        maxCtx == 0 ? "none (the weights alone do not fit)"
                                : maxCtx + (maxCtx == limit && trained > 0 ? " (capped at the trained context)" : ""));
            }
            out.flush();
            return fits ? 0 : 1;
        }
    }

    static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        throw new UserException("cannot determine this machine's memory: pass --ram SIZE");
    }
}
