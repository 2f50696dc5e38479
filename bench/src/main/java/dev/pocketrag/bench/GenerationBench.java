package dev.pocketrag.bench;

import com.google.gson.GsonBuilder;
import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.LogFormat;
import dev.pocketrag.generation.ForwardPass;
import dev.pocketrag.generation.Gguf;
import dev.pocketrag.generation.GgufTokenizer;
import dev.pocketrag.generation.Quantizer;
import dev.pocketrag.generation.SyntheticModel;
import dev.pocketrag.generation.Tokenizers;
import dev.pocketrag.generation.gguf.FileType;
import dev.pocketrag.generation.gguf.GgmlType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * {@code bench/run generation [--quick] [--json] [--runs N] [--threads 1,2] [--shapes a,b] [--quants Q4_0,...]
 * [--dir DIR]}: prompt processing (512 tokens) and generation (128 tokens) in tokens/s, pocketrag's
 * pure-Java engine vs llama.cpp through its Java binding ({@code de.kherud:llama}, CPU build shipped
 * in the jar), alternating runs on the same GGUF file.
 *
 * <p>Models: synthetic files of real shapes ({@link SyntheticModel}: Qwen2.5-0.5B, Llama-3.2-1B,
 * SmolLM2-135M) with random weights and a real vocabulary from ../shared (Qwen2, Llama-3 and, for
 * SmolLM2's 49152 tokens, the StarCoder vocabulary, which has exactly 49152 tokens), written once in
 * F16 and quantized with our {@link Quantizer} (llama-quantize's type mix) to Q4_0, Q8_0 and Q4_K_M;
 * cached under {@code bench/target/generation-models} (or {@code --dir}).
 *
 * <p>Prompt: 512 tokens built deterministically from the vocabulary (whole-word tokens with a
 * leading space, in a fixed pseudo-random order), the same text for both engines (llama.cpp's own
 * tokenizer is checked to give the same count). Generation: greedy, 128 tokens, end-of-generation
 * tokens ignored by both (ours runs the forward pass directly; llama.cpp with {@code ignore_eos}).
 * Prompt speed = 512 / time to the first token; generation speed = 127 / time from the first token
 * to the 128th (127 single-token forward passes in both). Each configuration runs {@code --runs}
 * times per engine, alternating, after one warm-up each; the best run is reported.
 */
final class GenerationBench {
    private GenerationBench() {}

    static final int PROMPT = 512;
    static final int GENERATE = 128;

    record Shape(String name, SyntheticModel.Shape shape, String vocab) {}

    static final List<Shape> SHAPES = List.of(
            new Shape("qwen2.5-0.5b", SyntheticModel.QWEN25_05B, "reference/vocab/ggml-vocab-qwen2.gguf"),
            new Shape("llama-3.2-1b", SyntheticModel.LLAMA_32_1B, "reference/vocab/ggml-vocab-llama-bpe.gguf"),
            new Shape("smollm2-135m", SyntheticModel.SMOLLM2_135M, "models/vocab/ggml-vocab-starcoder.gguf"));

    record Row(String model, String quant, int threads, double pp_ours, double pp_llamacpp, double tg_ours,
               double tg_llamacpp) {}

    /** Weight bytes one generated token reads: every matrix once (the tied embedding as the output). */
    static long weightBytesPerToken(Gguf g) {
        boolean untied = g.tensors().stream().anyMatch(t -> t.name().equals("output.weight"));
        long sum = 0;
        for (var t : g.tensors()) {
            if (t.nDims() >= 2 && !(untied && t.name().equals("token_embd.weight"))) {
                sum += t.byteSize();
            }
        }
        return sum;
    }

    /** Read bandwidth of this machine in GB/s with {@code threads} threads (1 GiB off-heap, best of 5). */
    static double readBandwidth(int threads) throws InterruptedException {
        long size = 1L << 30;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
            java.lang.foreign.MemorySegment m = arena.allocate(size, 4096);
            for (long o = 0; o < size; o += 4096) {
                m.set(java.lang.foreign.ValueLayout.JAVA_BYTE, o, (byte) o);
            }
            double best = 0;
            long[] sink = new long[threads];
            for (int rep = 0; rep < 5; rep++) {
                Thread[] ts = new Thread[threads];
                long chunk = size / threads;
                long t0 = System.nanoTime();
                for (int i = 0; i < threads; i++) {
                    final int id = i;
                    ts[i] = new Thread(() -> sink[id] = sumBytes(m, id * chunk, (id + 1) * chunk));
                    ts[i].start();
                }
                for (Thread t : ts) {
                    t.join();
                }
                best = Math.max(best, size / ((System.nanoTime() - t0) / 1e9) / 1e9);
            }
            return best;
        }
    }

    private static long sumBytes(java.lang.foreign.MemorySegment m, long from, long to) {
        var species = jdk.incubator.vector.LongVector.SPECIES_PREFERRED;
        var acc = jdk.incubator.vector.LongVector.zero(species);
        int step = species.vectorByteSize();
        for (long o = from; o < to; o += step) {
            acc = acc.add(jdk.incubator.vector.LongVector.fromMemorySegment(species, m, o, java.nio.ByteOrder.LITTLE_ENDIAN));
        }
        return acc.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    record Speed(double pp, double tg) {
        Speed best(Speed o) {
            return o == null ? this : new Speed(Math.max(pp, o.pp), Math.max(tg, o.tg));
        }
    }

    static int run(String[] args) throws Exception {
        boolean quick = false;
        boolean json = false;
        int runs = 2;
        List<Integer> threads = List.of(1, 2);
        List<String> shapes = null;
        List<String> quants = List.of("Q4_0", "Q8_0", "Q4_K_M");
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--json" -> json = true;
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
                case "--shapes" -> shapes = List.of(args[++i].split(","));
                case "--quants" -> quants = List.of(args[++i].split(","));
                case "--dir" -> dir = Path.of(args[++i]);
                default -> {
                    System.err.println("error: unknown argument '" + args[i] + "'; usage: bench/run generation [--quick] "
                            + "[--json] [--runs N] [--threads 1,2] [--shapes qwen2.5-0.5b,...] [--quants Q4_0,...] [--dir DIR]");
                    return 2;
                }
            }
        }
        if (quick) {
            shapes = List.of("qwen2.5-0.5b");
            quants = List.of("Q4_0", "Q4_K_M");
            threads = List.of(2);
        }
        Path shared = Path.of(System.getProperty("pocketrag.shared", "../shared"));
        if (dir == null) {
            dir = benchTarget().resolve("generation-models");
        }
        Files.createDirectories(dir);
        // loading the binding's native library prints a line to stdout: keep stdout for the results
        java.io.PrintStream stdout = System.out;
        System.setOut(System.err);
        try {
            LlamaModel.setLogger(LogFormat.TEXT, (level, msg) -> { }); // llama.cpp logs nothing
        } finally {
            System.setOut(stdout);
        }
        System.err.printf(Locale.ROOT, "generation bench: %s, %d cores, runs %d, ours: %s%n", cpuName(),
                Runtime.getRuntime().availableProcessors(), runs, ForwardPass.kernels());
        System.err.printf(Locale.ROOT, "  memory read bandwidth: %.1f GB/s (1 thread), %.1f GB/s (2 threads)%n",
                readBandwidth(1), readBandwidth(2));
        List<Row> rows = new ArrayList<>();
        for (Shape s : SHAPES) {
            if (shapes != null && !shapes.contains(s.name())) {
                continue;
            }
            Path vocab = shared.resolve(s.vocab());
            if (!Files.exists(vocab)) {
                System.err.println("error: vocabulary " + vocab + " not found (set -Dpocketrag.shared)");
                return 2;
            }
            for (String q : quants) {
                Path model = ensureModel(dir, s, vocab, FileType.parse(q));
                for (int t : threads) {
                    Row r = measure(s.name(), q, model, t, runs);
                    rows.add(r);
                    long wb;
                    try (Gguf g = Gguf.open(model)) {
                        wb = weightBytesPerToken(g);
                    }
                    System.err.printf(Locale.ROOT, "  %-13s %-7s %d thr: pp %.1f / %.1f tok/s, tg %.1f / %.1f tok/s"
                                    + " (weights %.0f MB/token: %.1f / %.1f GB/s)%n",
                            r.model(), r.quant(), t, r.pp_ours(), r.pp_llamacpp(), r.tg_ours(), r.tg_llamacpp(), wb / 1e6,
                            wb * r.tg_ours() / 1e9, wb * r.tg_llamacpp() / 1e9);
                }
            }
        }
        if (json) {
            var gson = new GsonBuilder().disableHtmlEscaping().create();
            for (Row r : rows) {
                System.out.println(gson.toJson(r));
            }
        } else {
            System.out.println("| model | quant | threads | prompt ours | prompt llama.cpp | ratio | gen ours | gen llama.cpp | ratio |");
            System.out.println("|---|---|---|---|---|---|---|---|---|");
            for (Row r : rows) {
                System.out.printf(Locale.ROOT, "| %s | %s | %d | %.1f | %.1f | %.2fx | %.1f | %.1f | %.2fx |%n", r.model(),
                        r.quant(), r.threads(), r.pp_ours(), r.pp_llamacpp(), r.pp_ours() / r.pp_llamacpp(), r.tg_ours(),
                        r.tg_llamacpp(), r.tg_ours() / r.tg_llamacpp());
            }
        }
        return 0;
    }

    /** bench/target (beside the bench jar), else a temp dir. */
    static Path benchTarget() {
        try {
            Path jar = Path.of(GenerationBench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return jar.getParent();
        } catch (Exception e) {
            return Path.of(System.getProperty("java.io.tmpdir"), "pocketrag-bench");
        }
    }

    static String cpuName() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    return l.substring(l.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException ignored) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    /** The model file for shape and type, written (F16 base, then quantized) when missing. */
    static Path ensureModel(Path dir, Shape s, Path vocab, FileType type) throws IOException {
        Path out = dir.resolve(s.name() + "-" + type.name() + ".gguf");
        if (Files.exists(out)) {
            return out;
        }
        Path base = dir.resolve(s.name() + "-F16.gguf");
        if (!Files.exists(base)) {
            long t0 = System.nanoTime();
            Path tmp = dir.resolve(base.getFileName() + ".tmp");
            SyntheticModel.write(s.shape(), vocab, GgmlType.F16, 42, tmp);
            Files.move(tmp, base, StandardCopyOption.REPLACE_EXISTING);
            System.err.printf(Locale.ROOT, "  wrote %s (%.0f s)%n", base.getFileName(), (System.nanoTime() - t0) / 1e9);
        }
        long t0 = System.nanoTime();
        Quantizer.quantize(base, out, type, Quantizer.Progress.NONE);
        System.err.printf(Locale.ROOT, "  quantized %s (%.0f s)%n", out.getFileName(), (System.nanoTime() - t0) / 1e9);
        return out;
    }

    private static final Pattern WORD = Pattern.compile(" [a-z]{3,12}");

    /** A text of exactly {@code n} tokens (BOS included when the model adds one): whole-word tokens in a fixed order. */
    static String promptText(GgufTokenizer tok, int n) {
        StringBuilder text = new StringBuilder();
        int v = tok.vocabSize();
        long id = 12345;
        int count = tok.encode("", true, false).length;
        for (int guard = 0; count < n && guard < 50 * v; guard++) {
            id = (id * 6364136223846793005L + 1442695040888963407L);
            int t = (int) Long.remainderUnsigned(id >>> 17, v);
            String piece = tok.decode(new int[] {t});
            if (!WORD.matcher(piece).matches()) {
                continue;
            }
            int c = tok.encode(text + piece, true, false).length;
            if (c <= n) {
                text.append(piece);
                count = c;
            }
        }
        if (count != n) {
            throw new IllegalStateException("could not build a prompt of " + n + " tokens (got " + count + ")");
        }
        return text.toString();
    }

    static Row measure(String name, String quant, Path model, int threads, int runs) throws IOException {
        try (Gguf g = Gguf.open(model)) {
            GgufTokenizer tok = Tokenizers.fromGguf(g);
            String text = promptText(tok, PROMPT);
            int[] ids = tok.encode(text, true, false);
            ModelParameters mp = new ModelParameters().setModel(model.toString()).setThreads(threads)
                    .setThreadsBatch(threads).setCtxSize(1024).setBatchSize(512).setUbatchSize(512).setParallel(1)
                    .disableContextShift().disableLog();
            try (ForwardPass ours = ForwardPass.open(g, PROMPT + GENERATE, threads);
                 LlamaModel peer = new LlamaModel(mp)) {
                int peerCount = peer.encode(text).length + (tok.addsBos() ? 1 : 0);
                if (peerCount != ids.length) {
                    System.err.println("  note: llama.cpp tokenizes the prompt to " + peerCount + " tokens, ours to "
                            + ids.length);
                }
                runOurs(ours, Arrays.copyOf(ids, 64), 8); // warm-up (JIT)
                runPeer(peer, text, 8);
                Speed o = null;
                Speed p = null;
                for (int r = 0; r < runs; r++) {
                    o = runOurs(ours, ids, GENERATE).best(o);
                    p = runPeer(peer, text, GENERATE).best(p);
                }
                return new Row(name, quant, threads, o.pp(), p.pp(), o.tg(), p.tg());
            }
        }
    }

    /** Prompt in batches, then greedy single-token steps; end-of-generation tokens are not special. */
    static Speed runOurs(ForwardPass t, int[] prompt, int generate) {
        int[] seq = Arrays.copyOf(prompt, prompt.length + generate);
        long t0 = System.nanoTime();
        float[] logits = t.forward(seq, 0, prompt.length, 0);
        int pos = prompt.length;
        seq[pos] = argmax(logits);
        long t1 = System.nanoTime();
        for (int i = 1; i < generate; i++) {
            logits = t.forward(seq, pos, pos + 1, pos);
            pos++;
            seq[pos] = argmax(logits);
        }
        long t2 = System.nanoTime();
        return new Speed(prompt.length / ((t1 - t0) / 1e9), (generate - 1) / ((t2 - t1) / 1e9));
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    static Speed runPeer(LlamaModel m, String text, int generate) {
        InferenceParameters ip = new InferenceParameters(text).setNPredict(generate).setTemperature(0f)
                .setIgnoreEos(true).setCachePrompt(false).setSeed(42);
        long t0 = System.nanoTime();
        long first = 0;
        int outputs = 0;
        for (LlamaOutput out : m.generate(ip)) {
            if (outputs++ == 0) {
                first = System.nanoTime();
            }
        }
        long end = System.nanoTime();
        return new Speed(PROMPT / ((first - t0) / 1e9), (generate - 1) / ((end - first) / 1e9));
    }
}
