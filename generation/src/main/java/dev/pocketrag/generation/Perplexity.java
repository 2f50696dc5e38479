package dev.pocketrag.generation;

import dev.pocketrag.generation.model.ModelConfig;
import dev.pocketrag.generation.model.Transformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * How well a GGUF model predicts a text, measured the way llama.cpp's {@code llama-perplexity} does,
 * and how far a (quantized) model's predictions are from a base model's: the way to judge what a
 * quantization cost.
 *
 * <pre>{@code
 * try (Gguf g = Gguf.open(Path.of("model-f16.gguf")); Perplexity p = Perplexity.open(g, 512, 4)) {
 *     int[] ids = p.tokenize(Files.readString(Path.of("wiki.test.raw")));
 *     Perplexity.Result r = p.measure(ids, 0, Path.of("f16.logits"), Perplexity.Progress.NONE);
 * }
 * try (Gguf g = Gguf.open(Path.of("model-q4_k_m.gguf")); Perplexity p = Perplexity.open(g, 512, 4)) {
 *     Perplexity.Result r = p.compare(p.tokenize(text), Path.of("f16.logits"), 0, Perplexity.Progress.NONE);
 *     System.out.println(r.ppl() + " " + r.kld().meanKld() + " " + r.kld().sameTop());
 * }
 * }</pre>
 *
 * <h2>Method (llama.cpp's)</h2>
 * The text is tokenized as {@code llama_tokenize(text, add_special=true, parse_special=false)} does
 * (a BOS first when the model adds one; special-token text stays text) and cut into
 * {@code chunks = tokens / window} chunks of {@code window} consecutive tokens (the rest is not used).
 * Each chunk is evaluated on its own, from an empty KV cache, at positions {@code 0..window-1}; when
 * the model adds a BOS, the chunk's first token is replaced by BOS. Only the second half of each
 * window is scored: the logits at positions {@code p = window/2 .. window-2} predict the tokens at
 * {@code p+1}, so every scored token has at least {@code window/2} tokens of context
 * ({@code window - 1 - window/2} scored tokens per chunk). With {@code nll_i = -log softmax(logits_p)[token_{p+1}]}
 * over the N scored tokens, {@code PPL = exp(mean nll)} and its uncertainty is
 * {@code PPL * sqrt((mean nll^2 - (mean nll)^2) / (N - 1))}. Unlike llama.cpp, which refuses a text of
 * fewer than {@code 2 * window} tokens, one window's worth is enough here; on longer texts the results
 * are the same. The last position of a window (whose logits are not scored) is not evaluated.
 *
 * <h2>KL divergence</h2>
 * {@link #measure(int[], int, Path, Progress)} also saves, for every scored position, the model's
 * log-probabilities over the whole vocabulary in a compact 16-bit form (see {@link LogitsBase} for the
 * file: about {@code 2 * vocab} bytes per position), with the text's tokens, the window and the
 * vocabulary. {@link #compare} evaluates another model on the same text and window and reports, per
 * llama.cpp's {@code --kl-divergence}, the KL divergence {@code sum_i p_base(i) log(p_base(i) / p(i))}
 * of each position (its mean, median, percentiles and maximum), how often both models put the same
 * token on top, the RMS of the difference of the next token's probability, and both perplexities
 * with their ratio.
 *
 * <p>Not thread-safe; {@link #close()} (idempotent) stops the worker threads and frees the cache; the
 * {@link Gguf} stays open (it belongs to the caller).
 */
public final class Perplexity implements AutoCloseable {
    /** Tokens per forward step (the logits of a step take {@code BATCH * vocab} floats). */
    static final int BATCH = 128;

    /** Receives the running estimate after each chunk. */
    @FunctionalInterface
    public interface Progress {
        /** Reports nothing. */
        Progress NONE = c -> { };

        /** Chunk {@code chunk.index()} (1-based) of {@code chunk.of()} is done. */
        void chunk(Chunk chunk);
    }

    /**
     * The running estimate after a chunk, over all positions scored so far.
     *
     * @param index     chunks done (1-based)
     * @param of        chunks in all
     * @param ppl       perplexity so far
     * @param pplError  its uncertainty
     * @param lnPplRatio {@code ln(PPL / PPL(base))} so far; NaN without a base
     * @param meanKld   mean KL divergence from the base so far; NaN without a base
     * @param sameTop   fraction of positions where both models' top token is the same; NaN without a base
     */
    public record Chunk(int index, int of, double ppl, double pplError, double lnPplRatio, double meanKld,
                        double sameTop) {}

    /**
     * The KL divergence statistics of a model against a base, over the scored positions (as llama.cpp's
     * {@code --kl-divergence} prints them; "error" is the standard error of a mean).
     *
     * @param pplBase       the base's perplexity on the same positions (from its saved log-likelihoods)
     * @param pplBaseError  its uncertainty
     * @param lnPplRatio    {@code mean ln(PPL / PPL(base))}
     * @param lnPplRatioError its uncertainty (the correlation of the two taken into account)
     * @param pplRatio      {@code PPL / PPL(base)}
     * @param pplRatioError its uncertainty
     * @param correlation   correlation of the two models' per-position log-likelihoods (0 below 10 positions)
     * @param meanKld       mean KL divergence (nats)
     * @param meanKldError  its uncertainty (0 for 10 positions or fewer)
     * @param medianKld     median KL divergence
     * @param p90Kld        90th percentile
     * @param p95Kld        95th percentile
     * @param p99Kld        99th percentile
     * @param maxKld        largest
     * @param minKld        smallest
     * @param rmsDeltaP     RMS of {@code p(next token) - p_base(next token)}
     * @param rmsDeltaPError its uncertainty
     * @param maxDeltaP     largest {@code |p - p_base|} of the next token
     * @param sameTop       fraction of positions where both models' most likely token is the same
     * @param sameTopError  its uncertainty
     */
    public record KlDivergence(double pplBase, double pplBaseError, double lnPplRatio, double lnPplRatioError,
                               double pplRatio, double pplRatioError, double correlation, double meanKld,
                               double meanKldError, double medianKld, double p90Kld, double p95Kld, double p99Kld,
                               double maxKld, double minKld, double rmsDeltaP, double rmsDeltaPError,
                               double maxDeltaP, double sameTop, double sameTopError) {}

    /**
     * The outcome of a run.
     *
     * @param window   tokens per chunk
     * @param chunks   chunks evaluated
     * @param scored   tokens scored ({@code chunks * (window - 1 - window/2)})
     * @param ppl      perplexity
     * @param pplError its uncertainty
     * @param meanNll  mean negative log-likelihood per scored token (nats), {@code ln(ppl)}
     * @param seconds  wall time of the evaluation
     * @param kld      the comparison with the base, or null without one
     */
    public record Result(int window, int chunks, int scored, double ppl, double pplError, double meanNll,
                         double seconds, KlDivergence kld) {
        /** Tokens evaluated per second ({@code chunks * window / seconds}). */
        public double tokensPerSecond() {
            return seconds <= 0 ? 0 : (double) chunks * window / seconds;
        }
    }

    /**
     * What a logits base file holds.
     *
     * @param window tokens per chunk it was computed with
     * @param vocab  logits per position
     * @param chunks chunks of the text it covers
     */
    public record BaseInfo(int window, int vocab, int chunks) {}

    /**
     * The window, vocabulary size and chunks of the logits base at {@code base} (its header and size
     * checked, its rows not read).
     *
     * @throws LogitsBaseException if it is not a logits base or its counts do not match its size
     */
    public static BaseInfo describeBase(Path base) throws IOException {
        try (LogitsBase.Reader r = new LogitsBase.Reader(base)) {
            LogitsBase.Header h = r.header();
            return new BaseInfo(h.window(), h.vocab(), h.chunks());
        }
    }

    private final Transformer transformer;
    private final GgufTokenizer tokenizer;
    private final int window;
    private final int vocab;
    private final int vocabCrc;

    private Perplexity(Transformer transformer, GgufTokenizer tokenizer, int window, int vocabCrc) {
        this.transformer = transformer;
        this.tokenizer = tokenizer;
        this.window = window;
        this.vocab = transformer.config().vocabSize();
        this.vocabCrc = vocabCrc;
    }

    /**
     * The model of {@code gguf} with windows of {@code window} tokens, run by {@code threads} threads.
     *
     * @throws dev.pocketrag.generation.gguf.GgufFormatException       if the file is not a valid model
     * @throws dev.pocketrag.generation.gguf.UnsupportedModelException if its architecture is not implemented
     * @throws IllegalArgumentException if window is outside {@value LogitsBase#MIN_WINDOW}..{@value LogitsBase#MAX_WINDOW}
     *                                  or threads outside 1..1024
     */
    public static Perplexity open(Gguf gguf, int window, int threads) {
        Objects.requireNonNull(gguf, "gguf");
        if (window < LogitsBase.MIN_WINDOW || window > LogitsBase.MAX_WINDOW) {
            throw new IllegalArgumentException("the window must be " + LogitsBase.MIN_WINDOW + ".."
                    + LogitsBase.MAX_WINDOW + " tokens; window=" + window);
        }
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads must be in 1..1024; threads=" + threads);
        }
        ModelConfig config = ModelConfig.from(gguf.file());
        GgufTokenizer tok = Tokenizers.fromGguf(gguf);
        int crc = vocabularyFingerprint(gguf);
        return new Perplexity(new Transformer(gguf.file(), config, window, threads, Math.min(BATCH, window)), tok,
                window, crc);
    }

    /** CRC32 of the vocabulary's token texts (UTF-8, each followed by a 0 byte); 0 without a vocabulary. */
    static int vocabularyFingerprint(Gguf gguf) {
        if (!gguf.has("tokenizer.ggml.tokens")) {
            return 0;
        }
        CRC32 crc = new CRC32();
        for (String s : gguf.getStringArray("tokenizer.ggml.tokens")) {
            crc.update(s.getBytes(StandardCharsets.UTF_8));
            crc.update(0);
        }
        return (int) crc.getValue();
    }

    /** Tokens per chunk. */
    public int window() {
        return window;
    }

    /** Logits per position. */
    public int vocabSize() {
        return vocab;
    }

    /** Whether each chunk starts with the model's BOS token. */
    public boolean addsBos() {
        return tokenizer.addsBos() && tokenizer.bosId() >= 0;
    }

    /** The model's tokenizer. */
    public GgufTokenizer tokenizer() {
        return tokenizer;
    }

    /** The text's token ids as llama.cpp's perplexity tool gets them: BOS first when the model adds one. */
    public int[] tokenize(String text) {
        return tokenizer.encode(text, true, false);
    }

    /** Tokens scored per chunk: {@code window - 1 - window/2}. */
    public int scoredPerChunk() {
        return window - 1 - window / 2;
    }

    /**
     * The chunks a run over {@code tokens} tokens evaluates: all {@code tokens / window} of them, or
     * {@code limit} if that is fewer (0 = no limit).
     *
     * @throws IllegalArgumentException if the text is shorter than one window, or limit is negative
     */
    public int chunks(int tokens, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("the chunk limit must be >= 0 (0 = all); limit=" + limit);
        }
        if (tokens < window) {
            throw new IllegalArgumentException("the text has " + tokens + " tokens; a window of " + window
                    + " tokens needs at least " + window + " (use a longer text or a smaller window)");
        }
        int all = tokens / window;
        return limit == 0 ? all : Math.min(all, limit);
    }

    /**
     * The perplexity of the model over {@code tokens} ({@link #tokenize}), in {@link #chunks} chunks.
     *
     * @param limit most chunks, 0 = all
     */
    public Result measure(int[] tokens, int limit, Progress progress) {
        try {
            return run(tokens, chunks(tokens.length, limit), null, null, progress);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // no file involved
        }
    }

    /**
     * {@link #measure(int[], int, Progress)}, saving the base for a later {@link #compare} to
     * {@code saveLogits} (written to a temporary file and moved into place when complete).
     *
     * @throws IOException if the file cannot be written
     */
    public Result measure(int[] tokens, int limit, Path saveLogits, Progress progress) throws IOException {
        Objects.requireNonNull(saveLogits, "saveLogits");
        int chunks = chunks(tokens.length, limit);
        LogitsBase.Header h = new LogitsBase.Header(window, vocab, chunks, vocabCrc);
        try (LogitsBase.Writer w = new LogitsBase.Writer(saveLogits, h, tokens)) {
            Result r = run(tokens, chunks, w, null, progress);
            w.finish();
            return r;
        }
    }

    /**
     * The perplexity of the model over {@code tokens} and its KL divergence from the base saved in
     * {@code base} by {@link #measure(int[], int, Path, Progress)} (another model of the same
     * vocabulary, on the same text and window).
     *
     * @param limit most chunks, 0 = all the base has
     * @throws LogitsBaseException if the base is damaged, or was computed for another vocabulary, window or
     *                             text (the message names the difference), or has fewer than {@code limit} chunks
     * @throws IOException         if it cannot be read
     */
    public Result compare(int[] tokens, Path base, int limit, Progress progress) throws IOException {
        Objects.requireNonNull(base, "base");
        if (limit < 0) {
            throw new IllegalArgumentException("the chunk limit must be >= 0 (0 = all); limit=" + limit);
        }
        try (LogitsBase.Reader r = new LogitsBase.Reader(base)) {
            LogitsBase.Header h = r.header();
            if (h.vocab() != vocab) {
                throw new LogitsBaseException(base, "the base has " + h.vocab() + " logits per position; this model has "
                        + vocab + " (another vocabulary)");
            }
            if (h.vocabCrc() != vocabCrc) {
                throw new LogitsBaseException(base, String.format("the base was computed with another vocabulary of "
                        + "the same size (fingerprint 0x%08x; this model's is 0x%08x)", h.vocabCrc(), vocabCrc));
            }
            if (h.window() != window) {
                throw new LogitsBaseException(base, "the base was computed with a window of " + h.window()
                        + " tokens; this run's is " + window + " (use --ctx " + h.window() + ")");
            }
            if (limit > h.chunks()) {
                throw new LogitsBaseException(base, "the base has " + h.chunks() + " chunks; " + limit + " asked for");
            }
            int chunks = limit == 0 ? h.chunks() : limit;
            long needed = (long) chunks * window;
            if (tokens.length < needed) {
                throw new LogitsBaseException(base, "the base covers " + chunks + " chunks of " + window + " tokens ("
                        + needed + " tokens); this text has " + tokens.length + " (another text)");
            }
            int[] ref = r.tokens();
            for (int i = 0; i < needed; i++) {
                if (tokens[i] != ref[i]) {
                    throw new LogitsBaseException(base, "the text differs from the base's at token " + i + " (chunk "
                            + (i / window + 1) + ", position " + i % window + "): " + tokens[i] + " '"
                            + tokenizer.piece(tokens[i]) + "' here, " + ref[i] + " '" + tokenizer.piece(ref[i])
                            + "' in the base (another text)");
                }
            }
            Result res = run(tokens, chunks, null, r, progress);
            r.finish(new short[vocab]);
            return res;
        }
    }

    /** Evaluates {@code chunks} chunks; saves rows to {@code out} or compares with {@code base} (at most one). */
    private Result run(int[] tokens, int chunks, LogitsBase.Writer out, LogitsBase.Reader base, Progress progress)
            throws IOException {
        Objects.requireNonNull(progress, "progress");
        final int n = window;
        final int first = n / 2;
        final int perChunk = scoredPerChunk();
        int[] win = new int[n];
        short[] codes = out != null || base != null ? new short[vocab] : null;
        LogProbs.Kl kl = base != null ? new LogProbs.Kl(chunks * perChunk) : null;
        double[] sums = new double[2]; // sum nll, sum nll^2 (without a base)
        long start = System.nanoTime();
        for (int c = 0; c < chunks; c++) {
            int off = c * n;
            System.arraycopy(tokens, off, win, 0, n);
            if (addsBos()) {
                win[0] = tokenizer.bosId();
            }
            // 1. positions 0..first-1: keys and values only
            transformer.forward(win, 0, first, 0);
            // 2. positions first..n-2: logits, each predicting the token after it
            try {
                transformer.forwardAll(win, first, n - 1, first, (i, logits, lo) -> {
                    int p = first + i;
                    int next = tokens[off + p + 1];
                    try {
                        if (kl != null) {
                            float[] row = base.next(codes);
                            kl.add(logits, lo, vocab, next, row[0], row[1], row[2], codes);
                        } else {
                            double v = LogProbs.nll(logits, lo, vocab, next);
                            sums[0] += v;
                            sums[1] += v * v;
                            if (out != null) {
                                float[] sm = LogProbs.encode(logits, lo, vocab, codes);
                                out.row(sm[0], sm[1], (float) v, codes);
                            }
                        }
                    } catch (NonFiniteLogitsException e) {
                        throw new NonFiniteLogitsException("the logits at position " + p + " of chunk " + (off / n + 1)
                                + " hold NaN or infinite values: the model's weights are damaged or overflow");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            int count = (c + 1) * perChunk;
            if (kl != null) {
                double[] lp = LogProbs.meanAndError(kl.sumNll, kl.sumNll2, count);
                double[] lb = LogProbs.meanAndError(kl.sumNllBase, kl.sumNllBase2, count);
                progress.chunk(new Chunk(c + 1, chunks, Math.exp(lp[0]), pplError(kl.sumNll, kl.sumNll2, count),
                        lp[0] - lb[0], kl.sumKld / count, (double) kl.sameTop / count));
            } else {
                progress.chunk(new Chunk(c + 1, chunks, Math.exp(sums[0] / count), pplError(sums[0], sums[1], count),
                        Double.NaN, Double.NaN, Double.NaN));
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int count = chunks * perChunk;
        if (kl != null) {
            sums[0] = kl.sumNll;
            sums[1] = kl.sumNll2;
        }
        double mean = sums[0] / count;
        return new Result(n, chunks, count, Math.exp(mean), pplError(sums[0], sums[1], count), mean, seconds,
                kl == null ? null : statistics(kl));
    }

    /** {@code PPL * sqrt(var(nll) / (count - 1))} as llama.cpp's final estimate; 0 when that is not positive. */
    static double pplError(double sum, double sum2, long count) {
        if (count < 2) {
            return 0;
        }
        double mean = sum / count;
        double var = sum2 / count - mean * mean;
        return var > 0 ? Math.sqrt(var / (count - 1)) * Math.exp(mean) : 0;
    }

    /** The statistics of llama.cpp's {@code kl_divergence} from the sums. */
    static KlDivergence statistics(LogProbs.Kl k) {
        int n = k.count;
        double[] lp = LogProbs.meanAndError(k.sumNll, k.sumNll2, n);
        double[] lb = LogProbs.meanAndError(k.sumNllBase, k.sumNllBase2, n);
        double pplBase = Math.exp(lb[0]);
        double cov = LogProbs.covariance(k.sumNll, k.sumNllBase, k.sumNllNllBase, n);
        double cor = lp[1] > 0 && lb[1] > 0 ? cov / (lp[1] * lb[1]) : 0;
        double lnRatio = lp[0] - lb[0];
        double lnRatioError = Math.sqrt(Math.max(0, lp[1] * lp[1] + lb[1] * lb[1] - 2 * cov));
        double ratio = Math.exp(lnRatio);
        double[] kld = LogProbs.meanAndError(k.sumKld, k.sumKld2, n);
        float[] sorted = Arrays.copyOf(k.klds, n);
        Arrays.sort(sorted);
        double[] mse = LogProbs.meanAndError(k.sumPDiff2, k.sumPDiff4, n);
        double rms = Math.sqrt(mse[0]);
        double same = (double) k.sameTop / n;
        double sameError = n > 1 ? Math.sqrt(same * (1 - same) / (n - 1)) : 0;
        return new KlDivergence(pplBase, pplBase * lb[1], lnRatio, lnRatioError, ratio, ratio * lnRatioError, cor,
                kld[0], kld[1], LogProbs.median(sorted, n), LogProbs.percentile(sorted, n, 0.90),
                LogProbs.percentile(sorted, n, 0.95), LogProbs.percentile(sorted, n, 0.99), sorted[n - 1], sorted[0],
                rms, rms > 0 ? 0.5 / rms * mse[1] : 0, k.maxPDiff, same, sameError);
    }

    /** The kernels in use, e.g. {@code "Vector API 512-bit (16 float lanes)"}. */
    public static String kernels() {
        return ForwardPass.kernels();
    }

    /** Stops the workers and frees the cache; idempotent. */
    @Override
    public void close() {
        transformer.close();
    }
}
