package dev.pocketrag.bench;

import dev.pocketrag.generation.Gguf;
import dev.pocketrag.generation.Perplexity;
import dev.pocketrag.generation.gguf.FileType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code bench/run perplexity}: tokens/s and perplexity of {@link Perplexity} against llama.cpp's own
 * {@code llama-perplexity} on the same files, text, window and threads, in the same run; and the KL
 * divergence of Q4_K_M from F16 as each engine measures it.
 *
 * <p>Models: stories260K (../shared, F32, a trained model: its perplexity means something) and the
 * synthetic Qwen2.5-0.5B-shaped models of {@code bench/run generation} (F16 and Q4_K_M, written when
 * missing; random weights, so their perplexity is huge, but the speed and the agreement are real). Text:
 * the sample notes of {@code examples/notes} (every {@code .md}, sorted by path, concatenated; about
 * 83 KB), or {@code --text FILE}.
 *
 * <p>The peer is the {@code llama-perplexity} binary of llama.cpp built from source (the commit of
 * ../shared/reference, c392e50): {@code --llama PATH}, default {@code /tmp/llama.cpp-build/bin/llama-perplexity};
 * without it only our numbers are printed. Build it outside the checkout:
 * <pre>
 * cmake -S llama.cpp -B /tmp/llama.cpp-build -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
 *       -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF
 * cmake --build /tmp/llama.cpp-build --target llama-perplexity -j2
 * </pre>
 * Its speed is what it prints as "prompt eval time" (tokens per second, its default batch); ours is
 * the chunks' tokens over the wall time of {@link Perplexity#measure}, best of {@code --runs} after a
 * one-chunk warm-up, alternating with the peer.
 */
final class PerplexityBench {
    private PerplexityBench() {}

    static final Pattern FINAL = Pattern.compile("Final estimate: PPL = ([0-9.]+) \\+/- ([0-9.]+)");
    static final Pattern SPEED = Pattern.compile("prompt eval time =\\s*([0-9.]+) ms /\\s*(\\d+) tokens.*?([0-9.]+) tokens per second");
    static final Pattern KLD = Pattern.compile("Mean\\s+KLD:\\s*(-?[0-9.]+)");
    static final Pattern P99 = Pattern.compile("99\\.0%\\s+KLD:\\s*(-?[0-9.]+)");
    static final Pattern SAME_TOP = Pattern.compile("Same top p:\\s*([0-9.]+)");
    static final Pattern PPL_Q = Pattern.compile("Mean PPL\\(Q\\)\\s*:\\s*([0-9.]+)");

    record Peer(double ppl, double pplError, double tokensPerSecond, String output) {}

    record Row(String model, int window, int chunks, double pplOurs, double pplErrorOurs, double pplLlama,
               double tpsOurs, double tpsLlama) {}

    static int run(String[] args) throws Exception {
        int ctx = 512;
        int chunks = 4;
        int storiesChunks = 16;
        int threads = 2;
        int runs = 2;
        boolean json = false;
        boolean kld = true;
        Path llama = Path.of("/tmp/llama.cpp-build/bin/llama-perplexity");
        Path text = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--ctx" -> ctx = Integer.parseInt(args[++i]);
                case "--chunks" -> chunks = Integer.parseInt(args[++i]);
                case "--stories-chunks" -> storiesChunks = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--llama" -> llama = Path.of(args[++i]);
                case "--text" -> text = Path.of(args[++i]);
                case "--no-kld" -> kld = false;
                case "--json" -> json = true;
                default -> {
                    System.err.println("error: unknown argument '" + args[i] + "'; usage: bench/run perplexity [--ctx N] "
                            + "[--chunks K] [--stories-chunks K] [--threads T] [--runs R] [--llama PATH] [--text FILE] "
                            + "[--no-kld] [--json]");
                    return 2;
                }
            }
        }
        Path target = GenerationBench.benchTarget();
        Path shared = Path.of(System.getProperty("pocketrag.shared", "../shared"));
        if (text == null) {
            text = target.resolve("perplexity-notes.txt");
            Files.writeString(text, notesText(target.getParent().getParent().resolve("examples/notes")));
        }
        String content = new String(Files.readAllBytes(text), StandardCharsets.UTF_8);
        boolean peer = Files.isExecutable(llama);
        System.out.printf(Locale.ROOT, "perplexity: %s, %d threads, ours on %s; text %s (%d bytes); peer: %s%n",
                GenerationBench.cpuName(), threads, Perplexity.kernels(), text.getFileName(), content.length(),
                peer ? llama : "none (" + llama + " not found: build llama-perplexity, see PerplexityBench)");
        Path models = target.resolve("generation-models");
        Files.createDirectories(models);
        GenerationBench.Shape qwen = GenerationBench.SHAPES.getFirst();
        Path vocab = shared.resolve(qwen.vocab());
        Path q4 = GenerationBench.ensureModel(models, qwen, vocab, FileType.parse("Q4_K_M"));
        Path f16 = models.resolve(qwen.name() + "-F16.gguf");
        Path stories = shared.resolve("models/stories260K.gguf");

        List<Row> rows = new ArrayList<>();
        rows.add(measure(stories, text, content, ctx, storiesChunks, threads, runs, peer ? llama : null));
        rows.add(measure(f16, text, content, ctx, chunks, threads, runs, peer ? llama : null));
        rows.add(measure(q4, text, content, ctx, chunks, threads, runs, peer ? llama : null));

        Map<String, Object> kl = null;
        if (kld) {
            kl = divergence(f16, q4, text, content, ctx, chunks, threads, peer ? llama : null);
        }
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("cpu", GenerationBench.cpuName());
            o.put("kernels", Perplexity.kernels());
            o.put("threads", threads);
            List<Map<String, Object>> list = new ArrayList<>();
            for (Row r : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("model", r.model());
                m.put("ctx", r.window());
                m.put("chunks", r.chunks());
                m.put("ppl_ours", num(r.pplOurs()));
                m.put("ppl_error_ours", num(r.pplErrorOurs()));
                m.put("ppl_llama_cpp", num(r.pplLlama()));
                m.put("tokens_per_second_ours", num(r.tpsOurs()));
                m.put("tokens_per_second_llama_cpp", num(r.tpsLlama()));
                list.add(m);
            }
            o.put("rows", list);
            if (kl != null) {
                kl.replaceAll((k, v) -> v instanceof Double d ? num(d) : v);
            }
            o.put("kld", kl);
            System.out.println(Jsons.of(o));
            return 0;
        }
        System.out.println();
        System.out.println("| model | ctx x chunks | PPL ours | PPL llama.cpp | rel. diff | tok/s ours | tok/s llama.cpp | ratio |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %s | %d x %d | %.4f +/- %.4f | %.4f | %.1e | %.1f | %.1f | %.2fx |%n",
                    r.model(), r.window(), r.chunks(), r.pplOurs(), r.pplErrorOurs(), r.pplLlama(),
                    Math.abs(r.pplOurs() - r.pplLlama()) / r.pplLlama(), r.tpsOurs(), r.tpsLlama(),
                    r.tpsOurs() / r.tpsLlama());
        }
        if (kl != null) {
            System.out.println();
            System.out.println("KL divergence of " + q4.getFileName() + " from " + f16.getFileName() + " (" + ctx + " x "
                    + chunks + "): " + kl);
        }
        return 0;
    }

    /** null for NaN (JSON has no NaN). */
    static Double num(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /** Every {@code .md} under {@code dir}, sorted by path, concatenated. */
    static String notesText(Path dir) throws IOException {
        StringBuilder b = new StringBuilder();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(f -> f.toString().endsWith(".md")).sorted().toList()) {
                b.append(Files.readString(p, StandardCharsets.UTF_8)).append('\n');
            }
        }
        return b.toString();
    }

    static Row measure(Path model, Path text, String content, int ctx, int chunks, int threads, int runs, Path llama)
            throws Exception {
        String name = model.getFileName().toString().replace(".gguf", "");
        System.err.println("  " + name + " ...");
        double best = 0;
        double bestPeer = 0;
        Perplexity.Result ours = null;
        Peer peer = null;
        try (Gguf g = Gguf.open(model); Perplexity p = Perplexity.open(g, ctx, threads)) {
            int[] ids = p.tokenize(content);
            p.measure(ids, 1, Perplexity.Progress.NONE); // warm-up
            for (int r = 0; r < runs; r++) {
                ours = p.measure(ids, chunks, Perplexity.Progress.NONE);
                best = Math.max(best, ours.tokensPerSecond());
                if (llama != null) {
                    peer = runPeer(llama, List.of("-m", model.toString(), "-f", text.toString(), "-c",
                            String.valueOf(ctx), "--chunks", String.valueOf(chunks), "-t", String.valueOf(threads)));
                    bestPeer = Math.max(bestPeer, peer.tokensPerSecond());
                }
                System.err.printf(Locale.ROOT, "    run %d: ours PPL %.4f, %.1f tok/s; llama.cpp PPL %s, %s tok/s%n", r + 1,
                        ours.ppl(), ours.tokensPerSecond(), peer == null ? "-" : String.format(Locale.ROOT, "%.4f", peer.ppl()),
                        peer == null ? "-" : String.format(Locale.ROOT, "%.1f", peer.tokensPerSecond()));
            }
        }
        return new Row(name, ctx, ours.chunks(), ours.ppl(), ours.pplError(), peer == null ? Double.NaN : peer.ppl(),
                best, llama == null ? Double.NaN : bestPeer);
    }

    /** KL divergence of {@code q} from {@code base}, by each engine with its own base file. */
    static Map<String, Object> divergence(Path base, Path q, Path text, String content, int ctx, int chunks,
                                          int threads, Path llama) throws Exception {
        System.err.println("  KL divergence ...");
        Map<String, Object> o = new LinkedHashMap<>();
        Path ourBase = GenerationBench.benchTarget().resolve("perplexity-f16.logits");
        try (Gguf g = Gguf.open(base); Perplexity p = Perplexity.open(g, ctx, threads)) {
            p.measure(p.tokenize(content), chunks, ourBase, Perplexity.Progress.NONE);
        }
        try (Gguf g = Gguf.open(q); Perplexity p = Perplexity.open(g, ctx, threads)) {
            Perplexity.Result r = p.compare(p.tokenize(content), ourBase, 0, Perplexity.Progress.NONE);
            o.put("ours_kld_mean", r.kld().meanKld());
            o.put("ours_kld_p99", r.kld().p99Kld());
            o.put("ours_same_top", r.kld().sameTop());
            o.put("ours_ppl_ratio", r.kld().pplRatio());
        } finally {
            Files.deleteIfExists(ourBase);
        }
        if (llama != null) {
            Path theirBase = GenerationBench.benchTarget().resolve("perplexity-f16.llama-logits");
            try {
                runPeer(llama, List.of("-m", base.toString(), "-f", text.toString(), "-c", String.valueOf(ctx),
                        "--chunks", String.valueOf(chunks), "-t", String.valueOf(threads), "--kl-divergence-base",
                        theirBase.toString()));
                Peer r = runPeer(llama, List.of("-m", q.toString(), "-c", String.valueOf(ctx), "-t",
                        String.valueOf(threads), "--kl-divergence", "--kl-divergence-base", theirBase.toString()));
                o.put("llama_kld_mean", group(KLD, r.output()));
                o.put("llama_kld_p99", group(P99, r.output()));
                o.put("llama_same_top", group(SAME_TOP, r.output()) / 100);
                o.put("llama_ppl_q", group(PPL_Q, r.output()));
            } finally {
                Files.deleteIfExists(theirBase);
            }
        }
        return o;
    }

    static double group(Pattern p, String s) {
        Matcher m = p.matcher(s);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    static Peer runPeer(Path llama, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(llama.toString());
        cmd.addAll(args);
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!proc.waitFor(30, TimeUnit.MINUTES) || proc.exitValue() != 0) {
            throw new IOException("llama-perplexity failed (" + String.join(" ", cmd) + "):\n" + out);
        }
        Matcher f = FINAL.matcher(out);
        Matcher s = SPEED.matcher(out);
        double ppl = f.find() ? Double.parseDouble(f.group(1)) : Double.NaN;
        double err = f.groupCount() > 1 && !Double.isNaN(ppl) ? Double.parseDouble(f.group(2)) : Double.NaN;
        double tps = s.find() ? Double.parseDouble(s.group(3)) : Double.NaN;
        return new Peer(ppl, err, tps, out);
    }
}
