package dev.pocketrag.generation;

import dev.pocketrag.generation.gguf.GgufFormatException;
import dev.pocketrag.generation.gguf.GgufTensorInfo;
import dev.pocketrag.generation.gguf.UnsupportedModelException;
import java.util.Locale;

/**
 * How much memory running a GGUF model needs at a given context length, and whether it fits.
 *
 * <h2>Formula</h2>
 * <pre>
 * total   = weights + kvCache + compute + runtime
 * weights = the mapped file (all tensor bytes; every page is touched by one forward pass)
 * kvCache = sum over layers of ctx x nKvHeads(layer) x (keyDim + valueDim) x kvBytes
 *         = nLayer x nKvHeads x headDim x ctx x 2 x kvBytes        (uniform layers, keyDim = valueDim)
 * compute = 4 x (nVocab                                  logits of one position
 *               + batch x (5 nEmbd + 2 kvDim + 4 nFf))   float activations of a batch of positions (with the
 *                                                         batch kernel's transposed copies of its inputs)
 * runtime = 80 MiB + 700 B x nVocab                       the JVM, and the tokenizer's tables
 * </pre>
 * {@code nKvHeads} is {@code <arch>.attention.head_count_kv} (grouped-query attention: often 4-8x fewer
 * than query heads, which is why the usual {@code 2 x nLayer x nEmbd x ctx x 2} formula overstates the
 * cache 4-8x on modern models); {@code headDim} is {@code <arch>.attention.key_length} (value_length), or
 * {@code nEmbd / nHead}; {@code kvBytes} is 2 (F16 cache, as llama.cpp's default); {@code batch} is the
 * number of prompt positions evaluated together ({@link #DEFAULT_BATCH}, as {@link GgufChatModel}).
 * The runtime term is calibrated on {@code pocketrag generate} (peak RSS, {@code /usr/bin/time -v}):
 * about 80 MiB for the JVM with a tiny vocabulary (stories260K), plus roughly 700 bytes a token for the
 * token strings, merges and lookup maps (Llama-3: 128,256 tokens, Qwen2: 151,936).
 *
 * <p>Measured when calibrated (synthetic models of real shapes, 2 threads, prompt batches of 64 and the
 * kernels before the batch GEMM): Llama-3.2-1B Q4_0 at 4096 estimated 969.6 MiB, peak RSS 1012.8 MiB; at
 * 1024, 873.6 vs 872.7 MiB; Qwen2.5-0.5B Q4_0 at 512, 463.2 vs 462.6 MiB; stories260K at 512, 82.0 vs
 * 83.2 MiB: within 5% each. <b>Stale since:</b> with the current engine (batches of 256, per-thread GEMM
 * panels) and the launcher's default heap, peak RSS runs well above the estimate (2 December 2026,
 * {@code ./pocketrag generate -n 32}: Qwen2.5-0.5B Q4_0 at 512 estimates 547 MiB, peak RSS 830-1,020 MiB,
 * 1,317 MiB with a 400-word prompt; stories260K 82.8 vs 158 MiB); the gap is mostly the Java heap, which
 * the runtime term does not bound. Read the estimate as what the model needs, not as the process's size,
 * until the runtime term is calibrated again.
 *
 * <h2>Worked example: Llama-3.2-1B at a 4096-token context</h2>
 * 16 layers, 32 query heads, 8 KV heads, head dim 64, nEmbd 2048, nFf 8192, vocabulary 128256:
 * <pre>
 * kvCache = 16 x 8 x 64 x 4096 x 2 x 2 B           = 134,217,728 B = 128 MiB
 *           (the hidden-size formula: 16 x 2048 x 4096 x 2 x 2 = 512 MiB, 4x too much)
 * compute = 4 x (128256 + 256 x (5x2048 + 2x512 + 4x8192))
 *         = 4 x (128256 + 11272192)                 = 45,601,792 B ~ 43.5 MiB
 * runtime = 80 x 2^20 + 700 x 128256                = 173,665,280 B ~ 165.6 MiB
 * weights = the file, about 808 MB for Q4_K_M (1.5 GB for Q8_0)
 * total   ~ 808 MB + 134 MB + 46 MB + 174 MB        ~ 1.16 GB
 * </pre>
 * Every doubling of the context adds another 128 MiB of cache.
 *
 * @param weightBytes     the mapped file
 * @param kvCacheBytes    the KV cache at {@code context}
 * @param computeBytes    activation, score and logit buffers at {@code context}
 * @param runtimeBytes    the JVM and the tokenizer
 * @param context         the context length estimated for
 * @param trainedContext  {@code <arch>.context_length} (0 if absent)
 */
public record MemoryEstimate(long weightBytes, long kvCacheBytes, long computeBytes, long runtimeBytes,
                             int context, int trainedContext) {

    /** Prompt positions evaluated together ({@link GgufChatModel}'s default). */
    public static final int DEFAULT_BATCH = GgufChatModel.DEFAULT_BATCH;
    /** Bytes per KV cache element (F16). */
    public static final int DEFAULT_KV_BYTES = 2;
    /** The JVM's share of the runtime overhead. */
    public static final long RUNTIME_BYTES = 80L << 20;
    /** The tokenizer's share of the runtime overhead, per vocabulary entry. */
    public static final long RUNTIME_BYTES_PER_TOKEN = 700;

    public MemoryEstimate {
        if (weightBytes < 0 || kvCacheBytes < 0 || computeBytes < 0 || runtimeBytes < 0 || context < 1) {
            throw new IllegalArgumentException("negative size or context " + context + " < 1");
        }
    }

    /** weights + kvCache + compute + runtime. */
    public long totalBytes() {
        return weightBytes + kvCacheBytes + computeBytes + runtimeBytes;
    }

    /** Whether {@link #totalBytes()} is at most {@code ramBytes}. */
    public boolean fits(long ramBytes) {
        return totalBytes() <= ramBytes;
    }

    /** The model shape the formula uses, read from GGUF metadata. */
    public record Shape(String arch, int nLayer, int nEmbd, int nHead, long[] nKvHeadsPerLayer, int keyDim,
                        int valueDim, int nFf, int nVocab, int trainedContext) {

        /**
         * Reads the shape of the model in {@code g}.
         *
         * @throws UnsupportedModelException if its architecture is not one {@link GgufChatModel} runs
         */
        public static Shape of(Gguf g) {
            String arch = g.architecture().orElseThrow(() -> new GgufFormatException(g.path().getFileName().toString(),
                    "key 'general.architecture'", "(absent)", -1, "not a model file: no architecture"));
            if (dev.pocketrag.generation.model.Architecture.byGgufName(arch).isEmpty()) {
                throw new UnsupportedModelException(g.path().getFileName() + ": architecture '" + arch
                        + "' is not supported; supported: " + dev.pocketrag.generation.model.Architecture.supportedNames());
            }
            String p = arch + ".";
            int nLayer = g.getInt(p + "block_count");
            int nEmbd = g.getInt(p + "embedding_length", 0);
            int nHead = maxOf(g, p + "attention.head_count", 0, nLayer);
            long[] kv = perLayer(g, p + "attention.head_count_kv", nHead, nLayer);
            int headDim = nHead > 0 ? nEmbd / nHead : 0;
            int keyDim = g.getInt(p + "attention.key_length", headDim);
            int valueDim = g.getInt(p + "attention.value_length", keyDim);
            int nFf = maxOf(g, p + "feed_forward_length", 0, nLayer);
            int nVocab = g.has("tokenizer.ggml.tokens") ? g.getArrayLength("tokenizer.ggml.tokens")
                    : g.getInt(p + "vocab_size", g.findTensor("token_embd.weight").map(t -> (int) t.ne(1)).orElse(0));
            return new Shape(arch, nLayer, nEmbd, nHead, kv, keyDim, valueDim, nFf, nVocab,
                    g.getInt(p + "context_length", 0));
        }

        /** KV cache bytes per position of context. */
        public long kvBytesPerPosition(int kvBytes) {
            long s = 0;
            for (long h : nKvHeadsPerLayer) {
                s += h * (keyDim + (long) valueDim) * kvBytes;
            }
            return s;
        }

        /** The largest number of KV heads of a layer. */
        public long maxKvHeads() {
            long m = 0;
            for (long h : nKvHeadsPerLayer) {
                m = Math.max(m, h);
            }
            return m;
        }

        private static int maxOf(Gguf g, String key, int def, int nLayer) {
            long[] v = perLayer(g, key, def, nLayer);
            long m = 0;
            for (long x : v) {
                m = Math.max(m, x);
            }
            return (int) m;
        }

        private static long[] perLayer(Gguf g, String key, int def, int nLayer) {
            if (g.has(key) && g.get(key).isArray()) {
                return g.getLongArray(key);
            }
            long v = g.has(key) ? g.getLong(key) : def;
            long[] a = new long[nLayer];
            java.util.Arrays.fill(a, v);
            return a;
        }
    }

    /** The estimate for {@code g} at context {@code ctx} with the default batch and an F16 cache. */
    public static MemoryEstimate of(Gguf g, int ctx) {
        return of(g.fileSize(), Shape.of(g), ctx, DEFAULT_BATCH, DEFAULT_KV_BYTES);
    }

    /** The estimate for a model of {@code shape} mapped from {@code fileBytes}. */
    public static MemoryEstimate of(long fileBytes, Shape shape, int ctx, int batch, int kvBytes) {
        if (ctx < 1) {
            throw new IllegalArgumentException("context " + ctx + " must be >= 1");
        }
        if (batch < 1 || kvBytes < 1) {
            throw new IllegalArgumentException("batch " + batch + " and kvBytes " + kvBytes + " must be >= 1");
        }
        long kv = shape.kvBytesPerPosition(kvBytes) * ctx;
        return new MemoryEstimate(fileBytes, kv, compute(shape, batch), runtime(shape), ctx, shape.trainedContext());
    }

    static long compute(Shape s, int batch) {
        long kvDim = s.maxKvHeads() * Math.max(s.keyDim(), s.valueDim());
        long perPosition = 5L * s.nEmbd() + 2 * kvDim + 4L * s.nFf();
        return 4L * (s.nVocab() + batch * perPosition);
    }

    static long runtime(Shape s) {
        return RUNTIME_BYTES + RUNTIME_BYTES_PER_TOKEN * s.nVocab();
    }

    /**
     * The largest context (at most {@code limit}) whose estimate fits in {@code ramBytes}, or 0 if not even
     * a context of 1 fits.
     */
    public static int maxContext(long fileBytes, Shape shape, long ramBytes, int limit) {
        MemoryEstimate one = of(fileBytes, shape, 1, DEFAULT_BATCH, DEFAULT_KV_BYTES);
        if (!one.fits(ramBytes)) {
            return 0;
        }
        long perCtx = shape.kvBytesPerPosition(DEFAULT_KV_BYTES);
        long spare = ramBytes - one.totalBytes();
        long extra = perCtx == 0 ? Long.MAX_VALUE : spare / perCtx;
        return (int) Math.min(limit, 1 + Math.min(extra, Integer.MAX_VALUE - 1L));
    }

    /**
     * Parses a size like {@code 8G}, {@code 8GiB}, {@code 512M}, {@code 1.5GB}, {@code 1048576}: binary
     * units (K, M, G, T = 2^10, 2^20, 2^30, 2^40; "B", "iB" suffixes allowed).
     */
    public static long parseSize(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        long mult = 1;
        if (!t.isEmpty()) {
            char u = t.charAt(t.length() - 1);
            int shift = switch (u) {
                case 'K' -> 10;
                case 'M' -> 20;
                case 'G' -> 30;
                case 'T' -> 40;
                default -> 0;
            };
            if (shift > 0) {
                mult = 1L << shift;
                t = t.substring(0, t.length() - 1).trim();
            }
        }
        try {
            double v = Double.parseDouble(t);
            if (!(v > 0) || v * mult > Long.MAX_VALUE / 2.0) {
                throw new NumberFormatException();
            }
            return (long) (v * mult);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad size '" + s + "': use a positive number with an optional unit "
                    + "K, M, G or T (binary), e.g. 8G or 512MiB");
        }
    }

    /** "1.23 GiB" style. */
    public static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] u = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int i = -1;
        while (v >= 1024 && i < u.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.2f %s", v, u[i]);
    }

    /** Sum of tensor bytes of {@code g} (for display). */
    public static long tensorBytes(Gguf g) {
        return g.tensors().stream().mapToLong(GgufTensorInfo::byteSize).sum();
    }
}
