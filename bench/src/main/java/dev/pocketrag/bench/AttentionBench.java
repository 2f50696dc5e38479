package dev.pocketrag.bench;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.LogFormat;
import dev.pocketrag.generation.ForwardPass;
import dev.pocketrag.generation.Gguf;
import dev.pocketrag.generation.GgufTokenizer;
import dev.pocketrag.generation.Tokenizers;
import dev.pocketrag.generation.gguf.FileType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code bench/run attention [--prompt 1536] [--tokens 16] [--quants Q4_K_M,Q4_0] [--threads 2] [--runs 2]
 * [--no-peer] [--json]}: what a long prompt costs, the case of {@code ask} (issue 13): prefill speed of
 * a {@code --prompt}-token prompt and the time of each of the first {@code --tokens} generated tokens
 * after it, against llama.cpp through its Java binding on the same file and prompt in the same run.
 *
 * <p>Ours runs first in the JVM, so its first row ({@code cold}) is what a one-shot CLI process sees
 * (JIT warm-up included); {@code warm} is the best of {@code --runs} more runs in the same process.
 * A {@code short} row generates the same tokens after a 64-token prompt (warm): the difference
 * to {@code warm} is what attending to the long prompt costs per token. The model is the
 * generation benchmark's synthetic Qwen2.5-0.5B (random weights, real vocabulary), batches of GgufChatModel.DEFAULT_BATCH
 * prompt tokens as {@code GgufChatModel} runs them; greedy, end-of-generation tokens ignored.
 */
final class AttentionBench {
    private AttentionBench() {}

    record Row(String quant, String phase, int prompt_tokens, double prefill_ours, double prefill_llamacpp,
               double token_ms_ours, double token_ms_llamacpp, double[] token_ms) {}

    /** Prefill tokens/s and the milliseconds of each generated token. */
    record Run(double prefill, double[] tokenMs) {
        double meanMs() {
            return Arrays.stream(tokenMs).average().orElse(0);
        }

        Run best(Run o) {
            if (o == null) {
                return this;
            }
            return new Run(Math.max(prefill, o.prefill), meanMs() <= o.meanMs() ? tokenMs : o.tokenMs);
        }
    }

    static int run(String[] args) throws Exception {
        int prompt = 1536;
        int tokens = 16;
        int threads = 2;
        int runs = 2;
        boolean peer = true;
        boolean json = false;
        List<String> quants = List.of("Q4_K_M", "Q4_0");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--prompt" -> prompt = Integer.parseInt(args[++i]);
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--quants" -> quants = List.of(args[++i].split(","));
                case "--no-peer" -> peer = false;
                case "--json" -> json = true;
                default -> {
                    System.err.println("error: unknown argument '" + args[i] + "'; usage: bench/run attention "
                            + "[--prompt 1536] [--tokens 16] [--quants Q4_K_M,Q4_0] [--threads 2] [--runs 2] "
                            + "[--no-peer] [--json]");
                    return 2;
                }
            }
        }
        if (prompt < 64 || tokens < 1) {
            System.err.println("error: --prompt must be >= 64 and --tokens >= 1; prompt=" + prompt + ", tokens=" + tokens);
            return 2;
        }
        Path shared = Path.of(System.getProperty("pocketrag.shared", "../shared"));
        Path dir = GenerationBench.benchTarget().resolve("generation-models");
        Files.createDirectories(dir);
        GenerationBench.Shape shape = GenerationBench.SHAPES.get(0);
        Path vocab = shared.resolve(shape.vocab());
        if (!Files.exists(vocab)) {
            System.err.println("error: vocabulary " + vocab + " not found (set -Dpocketrag.shared)");
            return 2;
        }
        System.err.printf(Locale.ROOT, "attention bench: %s, %d cores, %d threads, ours: %s%n", GenerationBench.cpuName(),
                Runtime.getRuntime().availableProcessors(), threads, ForwardPass.kernels());
        List<Row> rows = new ArrayList<>();
        for (String q : quants) {
            Path model = GenerationBench.ensureModel(dir, shape, vocab, FileType.parse(q));
            try (Gguf g = Gguf.open(model)) {
                GgufTokenizer tok = Tokenizers.fromGguf(g);
                String text = GenerationBench.promptText(tok, prompt);
                int[] ids = tok.encode(text, true, false);
                Run cold;
                Run warm = null;
                Run shortRun = null;
                try (ForwardPass t = ForwardPass.open(g, prompt + tokens, threads)) {
                    cold = runOurs(t, ids, tokens);
                    report("cold", q, prompt, cold);
                    for (int r = 0; r < runs; r++) {
                        warm = runOurs(t, ids, tokens).best(warm);
                        shortRun = runOurs(t, Arrays.copyOf(ids, 64), tokens).best(shortRun);
                    }
                    report("warm", q, prompt, warm);
                    report("short", q, 64, shortRun);
                }
                Run p = null;
                Run pShort = null;
                if (peer) {
                    java.io.PrintStream stdout = System.out;
                    System.setOut(System.err); // the binding prints a line when its library loads
                    try {
                        LlamaModel.setLogger(LogFormat.TEXT, (level, msg) -> { });
                    } finally {
                        System.setOut(stdout);
                    }
                    ModelParameters mp = new ModelParameters().setModel(model.toString()).setThreads(threads)
                            .setThreadsBatch(threads).setCtxSize(prompt + tokens + 64).setBatchSize(512)
                            .setUbatchSize(512).setParallel(1).disableContextShift().disableLog();
                    String shortText = tok.decode(Arrays.copyOfRange(ids, tok.addsBos() ? 1 : 0, 64));
                    try (LlamaModel m = new LlamaModel(mp)) {
                        runPeer(m, shortText, 64, 4); // warm-up
                        for (int r = 0; r < runs; r++) {
                            p = runPeer(m, text, prompt, tokens).best(p);
                            pShort = runPeer(m, shortText, 64, tokens).best(pShort);
                        }
                    }
                    report("llama.cpp", q, prompt, p);
                }
                rows.add(row(q, "cold", prompt, cold, p));
                rows.add(row(q, "warm", prompt, warm, p));
                rows.add(row(q, "short", 64, shortRun, pShort));
            }
        }
        if (json) {
            for (Row r : rows) {
                System.out.println(Jsons.of(r));
            }
        } else {
            System.out.println("| quant | run | prompt tokens | prefill ours (tok/s) | prefill llama.cpp | ratio "
                    + "| first " + tokens + " tokens ours (ms/token) | llama.cpp | ratio |");
            System.out.println("|---|---|---|---|---|---|---|---|---|");
            for (Row r : rows) {
                System.out.printf(Locale.ROOT, "| %s | %s | %d | %.1f | %.1f | %.2fx | %.1f | %.1f | %.2fx |%n", r.quant(),
                        r.phase(), r.prompt_tokens(), r.prefill_ours(), r.prefill_llamacpp(),
                        ratio(r.prefill_ours(), r.prefill_llamacpp()), r.token_ms_ours(), r.token_ms_llamacpp(),
                        ratio(r.token_ms_llamacpp(), r.token_ms_ours()));
            }
        }
        return 0;
    }

    private static double ratio(double a, double b) {
        return b == 0 ? 0 : a / b;
    }

    private static Row row(String q, String phase, int prompt, Run ours, Run peer) {
        return new Row(q, phase, prompt, ours.prefill(), peer == null ? 0 : peer.prefill(), ours.meanMs(),
                peer == null ? 0 : peer.meanMs(), ours.tokenMs());
    }

    private static void report(String phase, String q, int prompt, Run r) {
        StringBuilder s = new StringBuilder();
        for (double ms : r.tokenMs()) {
            s.append(String.format(Locale.ROOT, " %.0f", ms));
        }
        System.err.printf(Locale.ROOT, "  %-6s %-9s %4d-token prompt: prefill %.1f tok/s; tokens (ms):%s; mean %.1f ms%n",
                q, phase, prompt, r.prefill(), s, r.meanMs());
    }

    /** The prompt in batches, then greedy single-token steps, each timed. */
    static Run runOurs(ForwardPass t, int[] prompt, int generate) {
        int[] seq = Arrays.copyOf(prompt, prompt.length + generate);
        long t0 = System.nanoTime();
        float[] logits = t.forward(seq, 0, prompt.length, 0);
        int pos = prompt.length;
        seq[pos] = GenerationBench.argmax(logits);
        long t1 = System.nanoTime();
        double[] ms = new double[generate];
        for (int i = 0; i < generate; i++) {
            long s = System.nanoTime();
            logits = t.forward(seq, pos, pos + 1, pos);
            pos++;
            if (pos < seq.length) {
                seq[pos] = GenerationBench.argmax(logits);
            }
            ms[i] = (System.nanoTime() - s) / 1e6;
        }
        return new Run(prompt.length / ((t1 - t0) / 1e9), ms);
    }

    /**
     * llama.cpp: prefill = prompt tokens / time to the first output; per token = the time from the first
     * output to the last over the tokens in between (the binding hands over some outputs together, so
     * the gaps between single outputs are not token times; every token gets the mean).
     */
    static Run runPeer(LlamaModel m, String text, int promptTokens, int generate) {
        InferenceParameters ip = new InferenceParameters(text).setNPredict(generate + 1).setTemperature(0f)
                .setIgnoreEos(true).setCachePrompt(false).setSeed(42);
        long t0 = System.nanoTime();
        long first = 0;
        long last = 0;
        int outputs = 0;
        for (LlamaOutput out : m.generate(ip)) {
            last = System.nanoTime();
            if (outputs++ == 0) {
                first = last;
            }
        }
        double[] ms = new double[generate];
        java.util.Arrays.fill(ms, outputs > 1 ? (last - first) / 1e6 / (outputs - 1) : 0);
        return new Run(promptTokens / ((first - t0) / 1e9), ms);
    }
}
