package dev.pocketrag.desktop;

import dev.pocketrag.generation.Gguf;
import dev.pocketrag.generation.MemoryEstimate;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Locale;

/** What {@code pocketrag fits} says about a model, as text for the settings dialog. */
final class FitsReport {
    private FitsReport() {}

    /** The context used when the user leaves it at 0: the model's trained one, at most 4096 (as the CLI). */
    static int defaultContext(int trained) {
        return trained > 0 ? Math.min(4096, trained) : 4096;
    }

    /**
     * The memory {@code file} needs at context {@code ctx} (0: the default) and whether it fits in
     * {@code ramBytes}, in the same words as {@code pocketrag fits}.
     */
    static String describe(Path file, int ctx, long ramBytes) throws IOException {
        if (ctx < 0) {
            throw new IllegalArgumentException("context size must be 0 (the model's) or positive; ctx=" + ctx);
        }
        try (Gguf g = Gguf.open(file)) {
            MemoryEstimate.Shape s = MemoryEstimate.Shape.of(g);
            int trained = s.trainedContext();
            int c = ctx > 0 ? ctx : defaultContext(trained);
            MemoryEstimate e = MemoryEstimate.of(g, c);
            int limit = trained > 0 ? trained : Integer.MAX_VALUE;
            int maxCtx = MemoryEstimate.maxContext(g.fileSize(), s, ramBytes, limit);
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "model:     %s (%s, %d layers, %d KV heads x %d)%n",
                    g.path().getFileName(), s.arch(), s.nLayer(), s.maxKvHeads(), s.keyDim()));
            b.append(String.format(Locale.ROOT, "context:   %d%s%n", c, trained <= 0 ? ""
                    : c > trained ? " (beyond the trained context " + trained + ")" : " (trained " + trained + ")"));
            b.append(String.format(Locale.ROOT, "weights:   %s (mapped)%n", MemoryEstimate.human(e.weightBytes())));
            b.append(String.format(Locale.ROOT, "KV cache:  %s (F16)%n", MemoryEstimate.human(e.kvCacheBytes())));
            b.append(String.format(Locale.ROOT, "compute:   %s%n", MemoryEstimate.human(e.computeBytes())));
            b.append(String.format(Locale.ROOT, "total:     %s%n", MemoryEstimate.human(e.totalBytes())));
            b.append(String.format(Locale.ROOT, "RAM:       %s: %s%n", MemoryEstimate.human(ramBytes),
                    e.fits(ramBytes) ? "fits" : "does NOT fit"));
            b.append(String.format(Locale.ROOT, "largest context that fits: %s",
                    maxCtx == 0 ? "none (the weights alone do not fit)"
                            : maxCtx + (maxCtx == limit && trained > 0 ? " (capped at the trained context)" : "")));
            return b.toString();
        }
    }

    /** This machine's physical memory, or 0 if the JDK cannot tell. */
    static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return 0;
    }
}
