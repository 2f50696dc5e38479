package dev.pocketrag.cli;

import dev.pocketrag.generation.Gguf;
import dev.pocketrag.generation.MemoryEstimate;
import dev.pocketrag.generation.Perplexity;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = {"Measure how well a GGUF model predicts a text, and what a quantization cost.",
                "Perplexity the way llama.cpp's llama-perplexity computes it: the text in chunks of --ctx tokens, "
                        + "each from an empty cache (BOS first when the model adds one), the second half of each "
                        + "chunk scored. --save-logits F keeps the model's log-probabilities at every scored "
                        + "position (about 2 bytes per vocabulary entry and position); a later run of another "
                        + "model of the same vocabulary with --kl-divergence-base F on the same text reports its KL "
                        + "divergence from them (mean, median, percentiles, max), how often both models' top token "
                        + "agrees, and the perplexity ratio, like llama-perplexity --kl-divergence.",
                "Typical use: `perplexity -m model-f16.gguf -f wiki.test.raw --save-logits f16.logits`, then "
                        + "`perplexity -m model-q4_k_m.gguf -f wiki.test.raw --kl-divergence-base f16.logits`."})
final class PerplexityCommand implements Callable<Integer> {
    /** llama-perplexity's default context. */
    static final int DEFAULT_CTX = 512;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE.gguf", description = "The model file.")
    Path model;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "TEXT",
            description = "The text to evaluate (UTF-8), at least --ctx tokens long.")
    Path file;

    @Option(names = {"-c", "--ctx"}, paramLabel = "N",
            description = "Tokens per chunk (default: " + DEFAULT_CTX + ", or the base's with --kl-divergence-base).")
    Integer ctx;

    @Option(names = "--chunks", paramLabel = "K", defaultValue = "0",
            description = "Evaluate only the first K chunks (default: all).")
    int chunks;

    @Option(names = "--save-logits", paramLabel = "F",
            description = "Save the log-probabilities for a later --kl-divergence-base (written to a temporary file, "
                    + "moved into place when complete).")
    Path saveLogits;

    @Option(names = "--kl-divergence-base", paramLabel = "F",
            description = "Compare with the base saved by --save-logits (same text and vocabulary).")
    Path base;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "Inference threads (default: one per core).")
    int threads;

    @Option(names = "--json", description = "Print one object: {\"ppl\", \"ppl_error\", \"tokens\" (of the text), "
            + "\"scored_tokens\", \"chunks\", \"ctx\", ...; with a base also \"kld_mean\", \"kld_median\", \"kld_p99\", "
            + "\"top1_agreement\", \"ppl_base\", \"ppl_ratio\" ...}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (saveLogits != null && base != null) {
            throw new UserException("--save-logits and --kl-divergence-base cannot be combined: save the base with the "
                    + "base model, then compare another model with it");
        }
        if (chunks < 0) {
            throw new UserException("--chunks must be >= 0 (0 = all); got " + chunks);
        }
        if (threads < 0) {
            throw new UserException("--threads must be >= 0 (0 = one per core); got " + threads);
        }
        Perplexity.BaseInfo info = null;
        if (base != null) {
            if (!Files.isRegularFile(base)) {
                throw new UserException("base file not found: " + base);
            }
            info = Perplexity.describeBase(base);
        }
        int window = ctx != null ? ctx : info != null ? info.window() : DEFAULT_CTX;
        if (window < 4) {
            throw new UserException("--ctx must be >= 4; got " + window);
        }
        if (saveLogits != null) {
            OutputFiles.requireFolder(saveLogits);
        }
        String text = readText();
        if (!Files.isRegularFile(model)) {
            throw new UserException(Files.exists(model) ? "model " + model + " is not a file" : "model file not found: "
                    + model);
        }
        int nThreads = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        try (Gguf g = Gguf.open(model); Perplexity p = Perplexity.open(g, window, nThreads)) {
            String arch = g.getString("general.architecture", "");
            int trained = arch.isEmpty() ? 0 : g.getInt(arch + ".context_length", 0);
            if (trained > 0 && window > trained) {
                err.println("warning: the model was trained on " + trained + " tokens of context; --ctx is " + window);
            }
            int[] ids = p.tokenize(text);
            if (ids.length < window) {
                throw new UserException(file + " tokenizes to " + ids.length + " tokens; --ctx " + window
                        + " needs at least " + window + " (use a longer text or a smaller --ctx)");
            }
            int n = info != null ? (chunks == 0 ? info.chunks() : chunks) : p.chunks(ids.length, chunks);
            if (!json) {
                out.printf(Locale.ROOT, "perplexity: %s, %s: %d tokens, %d chunks of %d (%d tokens scored each), "
                                + "%d threads, %s%n", model.getFileName(), file.getFileName(), ids.length, n, window,
                        p.scoredPerChunk(), nThreads, Perplexity.kernels());
                out.flush();
            }
            StringBuilder running = new StringBuilder();
            StringBuilder table = new StringBuilder();
            Perplexity.Result r;
            try (ProgressBar bar = new ProgressBar("perplexity (chunks)", n)) {
                Perplexity.Progress progress = c -> {
                    running.append(String.format(Locale.ROOT, "[%d]%.4f,", c.index(), c.ppl()));
                    table.append(String.format(Locale.ROOT, "%5d  %12.4f ± %9.4f  %12.5f  %12.6f  %8.3f %%%n",
                            c.index(), c.ppl(), c.pplError(), c.lnPplRatio(), c.meanKld(), 100 * c.sameTop()));
                    bar.step(1);
                };
                if (base != null) {
                    r = p.compare(ids, base, chunks, progress);
                } else if (saveLogits != null) {
                    r = p.measure(ids, chunks, saveLogits, progress);
                } else {
                    r = p.measure(ids, chunks, progress);
                }
            }
            if (json) {
                out.println(dev.pocketrag.server.Json.of(json(r, ids.length)));
            } else {
                out.println(running);
                out.printf(Locale.ROOT, "Final estimate: PPL = %.4f +/- %.5f%n", r.ppl(), r.pplError());
                if (r.kld() != null) {
                    out.println();
                    out.println("chunk           PPL (so far)  ln(PPL(Q)/PPL(base))  KL divergence  Same top p");
                    out.print(table);
                    human(out, r);
                }
                if (saveLogits != null) {
                    out.println("saved the base to " + saveLogits + " (" + MemoryEstimate.human(Files.size(saveLogits))
                            + ")");
                }
            }
            out.flush();
            err.printf(Locale.ROOT, "evaluated %d tokens in %.2f s (%.1f tokens/s)%n", r.chunks() * r.window(),
                    r.seconds(), r.tokensPerSecond());
            err.flush();
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        } catch (NoSuchFileException e) {
            throw new UserException("file not found: " + e.getFile());
        }
        return 0;
    }

    private String readText() throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new UserException(Files.exists(file) ? file + " is not a file" : "text file not found: " + file);
        }
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }

    private Map<String, Object> json(Perplexity.Result r, int tokens) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("model", model.toString());
        o.put("file", file.toString());
        o.put("ctx", r.window());
        o.put("chunks", r.chunks());
        o.put("tokens", tokens);
        o.put("scored_tokens", r.scored());
        o.put("ppl", r.ppl());
        o.put("ppl_error", r.pplError());
        Perplexity.KlDivergence k = r.kld();
        if (k != null) {
            o.put("base", base.toString());
            o.put("ppl_base", k.pplBase());
            o.put("ppl_base_error", k.pplBaseError());
            o.put("ppl_ratio", k.pplRatio());
            o.put("ppl_ratio_error", k.pplRatioError());
            o.put("ln_ppl_ratio", k.lnPplRatio());
            o.put("ln_ppl_ratio_error", k.lnPplRatioError());
            o.put("ln_ppl_correlation", k.correlation());
            o.put("kld_mean", k.meanKld());
            o.put("kld_mean_error", k.meanKldError());
            o.put("kld_median", k.medianKld());
            o.put("kld_p90", k.p90Kld());
            o.put("kld_p95", k.p95Kld());
            o.put("kld_p99", k.p99Kld());
            o.put("kld_max", k.maxKld());
            o.put("kld_min", k.minKld());
            o.put("rms_delta_p", k.rmsDeltaP());
            o.put("rms_delta_p_error", k.rmsDeltaPError());
            o.put("max_delta_p", k.maxDeltaP());
            o.put("top1_agreement", k.sameTop());
            o.put("top1_agreement_error", k.sameTopError());
        }
        if (saveLogits != null) {
            o.put("saved_logits", saveLogits.toString());
        }
        o.put("seconds", Math.round(r.seconds() * 1000) / 1000.0);
        o.put("tokens_per_second", Math.round(r.tokensPerSecond() * 10) / 10.0);
        return o;
    }

    /** The statistics as llama-perplexity --kl-divergence prints them. */
    private static void human(PrintWriter out, Perplexity.Result r) {
        Perplexity.KlDivergence k = r.kld();
        out.println();
        out.println("====== Perplexity statistics ======");
        out.printf(Locale.ROOT, "Mean PPL(Q)                   : %10.6f ± %10.6f%n", r.ppl(), r.pplError());
        out.printf(Locale.ROOT, "Mean PPL(base)                : %10.6f ± %10.6f%n", k.pplBase(), k.pplBaseError());
        out.printf(Locale.ROOT, "Cor(ln(PPL(Q)), ln(PPL(base))): %6.2f%%%n", 100 * k.correlation());
        out.printf(Locale.ROOT, "Mean ln(PPL(Q)/PPL(base))     : %10.6f ± %10.6f%n", k.lnPplRatio(), k.lnPplRatioError());
        out.printf(Locale.ROOT, "Mean PPL(Q)/PPL(base)         : %10.6f ± %10.6f%n", k.pplRatio(), k.pplRatioError());
        out.println();
        out.println("====== KL divergence statistics ======");
        out.printf(Locale.ROOT, "Mean    KLD: %10.6f ± %10.6f%n", k.meanKld(), k.meanKldError());
        out.printf(Locale.ROOT, "Maximum KLD: %10.6f%n", k.maxKld());
        out.printf(Locale.ROOT, "99.0%%   KLD: %10.6f%n", k.p99Kld());
        out.printf(Locale.ROOT, "95.0%%   KLD: %10.6f%n", k.p95Kld());
        out.printf(Locale.ROOT, "90.0%%   KLD: %10.6f%n", k.p90Kld());
        out.printf(Locale.ROOT, "Median  KLD: %10.6f%n", k.medianKld());
        out.printf(Locale.ROOT, "Minimum KLD: %10.6f%n", k.minKld());
        out.println();
        out.println("====== Token probability statistics ======");
        out.printf(Locale.ROOT, "Maximum Δp: %6.3f%%%n", 100 * k.maxDeltaP());
        out.printf(Locale.ROOT, "RMS Δp    : %6.3f ± %5.3f %%%n", 100 * k.rmsDeltaP(), 100 * k.rmsDeltaPError());
        out.printf(Locale.ROOT, "Same top p: %6.3f ± %5.3f %%%n", 100 * k.sameTop(), 100 * k.sameTopError());
    }
}
