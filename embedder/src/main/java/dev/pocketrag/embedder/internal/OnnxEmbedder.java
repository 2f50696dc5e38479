package dev.pocketrag.embedder.internal;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession.SessionOptions;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.EmbedderException;
import dev.pocketrag.embedder.EmbedderOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A sentence-transformers BERT export run by ONNX Runtime through DJL.
 *
 * <h2>Batch invariance</h2>
 * The int8 MiniLM export quantizes its activations dynamically ({@code DynamicQuantizeLinear}:
 * one scale per tensor), so padding a text or putting it in a batch with others changes the scale
 * its activations are quantized with, and so its vector (cosine 0.992 between "alone" and "in a
 * padded batch of two"). A vector must not depend on its neighbours, so this class never batches:
 * every text is one model run of shape {@code (1, n)}, without padding. Throughput comes from
 * running {@code threads} such runs in parallel, each single-threaded inside ONNX Runtime (one
 * shared session; its {@code run} is thread-safe), so no run's result depends on scheduling
 * either.
 *
 * <h2>Recipe</h2>
 * The text (prefix included) cut to its first {@link Embedder#maxChars(int) maxChars(maxTokens)}
 * characters before tokenizing, so that a huge input costs what a long one does; WordPiece ids
 * from the model's {@code tokenizer.json} with its built-in padding and truncation switched off;
 * [CLS] + at most {@code maxTokens - 2} word pieces + [SEP]; attention mask all ones; token type
 * ids zero; pooling over the output {@code last_hidden_state (1, n, d)}; optional L2
 * normalisation.
 */
public final class OnnxEmbedder implements Embedder {

    private final String modelId;
    private final EmbedderOptions options;
    private final HuggingFaceTokenizer tokenizer;
    private final Model model;
    private final List<String> inputNames;
    private final int dimension;
    private final long sepId;
    private final ExecutorService workers;
    private final int threads;
    private final ThreadLocal<Predictor<NDList, NDList>> predictor;
    private final ConcurrentLinkedQueue<Predictor<NDList, NDList>> predictors = new ConcurrentLinkedQueue<>();
    private final BurstQueue<String, Result> burst;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicLong workerTasks = new java.util.concurrent.atomic.AtomicLong();

    /** ONNX Runtime sessions this JVM has created (see {@link #sessionsCreated()}). */
    private static final java.util.concurrent.atomic.AtomicLong SESSIONS = new java.util.concurrent.atomic.AtomicLong();

    /** One text's result: the vector and its token counts. */
    record Result(float[] vector, int tokens, int totalTokens) {}

    private OnnxEmbedder(String name, String modelId, String source, byte[] onnx, String tokenizerSource,
            byte[] tokenizerJson, EmbedderOptions options) {
        this.options = options;
        this.modelId = modelId;
        this.threads = options.effectiveThreads();
        boolean ok = false;
        HuggingFaceTokenizer tok = null;
        Model m = null;
        try {
            Djl.offline();
            try {
                tok = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson),
                        Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "true"));
            } catch (IOException | RuntimeException e) {
                throw new EmbedderException("cannot load tokenizer " + tokenizerSource + ": " + rootMessage(e), e);
            }
            m = Model.newInstance(name, Device.cpu(), "OnnxRuntime");
            SessionOptions so = new SessionOptions();
            so.setIntraOpNumThreads(1);
            so.setInterOpNumThreads(1);
            so.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
            so.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
            m.load(new ByteArrayInputStream(onnx), Map.of("sessionOptions", so));
            SESSIONS.incrementAndGet();
            this.tokenizer = tok;
            this.model = m;
            this.inputNames = m.describeInput().keys();
            if (!inputNames.contains("input_ids")) {
                throw new EmbedderException(source + " is not a BERT-style text model: its inputs are "
                        + inputNames + ", expected input_ids, attention_mask[, token_type_ids]");
            }
            Encoding probe = tok.encode("");
            long[] ids = probe.getIds();
            if (ids.length < 2) {
                throw new EmbedderException("tokenizer of " + source
                        + " adds no [CLS]/[SEP] special tokens; encode(\"\") gave " + Arrays.toString(ids));
            }
            this.sepId = ids[ids.length - 1];
            this.workers = Executors.newFixedThreadPool(threads, daemonThreads("pocketrag-embed"));
            this.predictor = ThreadLocal.withInitial(() -> {
                Predictor<NDList, NDList> p = model.newPredictor(new NoopTranslator());
                predictors.add(p);
                return p;
            });
            // one probe run: fails fast on a corrupt model, and tells the dimension.
            this.dimension = runModel(ids).length;
            this.burst = new BurstQueue<>(options.burstMaxCount(), options.burstMaxWaitMillis(), threads,
                    this::embedBurst, "pocketrag-embed-burst");
            ok = true;
        } catch (MalformedModelException | IOException | OrtException | RuntimeException e) {
            if (e instanceof EmbedderException ee) {
                throw ee;
            }
            throw new EmbedderException("cannot load embedding model " + source + ": " + rootMessage(e), e);
        } finally {
            if (!ok) {
                if (m != null) {
                    m.close();
                }
                if (tok != null) {
                    tok.close();
                }
            }
        }
    }

    /**
     * Loads a model from the bytes of its ONNX file and {@code tokenizer.json}.
     *
     * @param source where the model bytes came from, for error messages
     * @param tokenizerSource where the tokenizer bytes came from, for error messages
     */
    public static OnnxEmbedder load(String name, String source, byte[] onnx, String tokenizerSource,
            byte[] tokenizerJson, EmbedderOptions options) {
        return new OnnxEmbedder(name, name + "@sha256:" + sha256(onnx), source, onnx, tokenizerSource,
                tokenizerJson, options);
    }

    /**
     * {@link #load} of a model whose id the caller already knows (it has checked that {@code onnx}
     * is that model's file), without hashing its bytes again.
     */
    public static OnnxEmbedder loadKnown(String modelId, String source, byte[] onnx, String tokenizerSource,
            byte[] tokenizerJson, EmbedderOptions options) {
        Objects.requireNonNull(modelId, "modelId");
        int at = modelId.indexOf('@');
        return new OnnxEmbedder(at > 0 ? modelId.substring(0, at) : modelId, modelId, source, onnx, tokenizerSource,
                tokenizerJson, options);
    }

    @Override
    public float[] embed(String text) {
        return embedWithInfo(text).vector();
    }

    @Override
    public float[] embedQuery(String text) {
        Objects.requireNonNull(text, "text");
        checkOpen();
        return embedOne(input(options.queryPrefix(), text)).vector();
    }

    @Override
    public Embedding embedWithInfo(String text) {
        Objects.requireNonNull(text, "text");
        checkOpen();
        Result r = join(burst.submit(input(options.passagePrefix(), text)));
        return new Embedding(r.vector(), r.tokens(), r.totalTokens());
    }

    @Override
    public List<float[]> embedAll(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        List<String> prefixed = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            if (t == null) {
                throw new NullPointerException("texts[" + i + "] is null");
            }
            prefixed.add(input(options.passagePrefix(), t));
        }
        checkOpen();
        List<Result> results = embedBurst(prefixed);
        List<float[]> out = new ArrayList<>(results.size());
        for (Result r : results) {
            out.add(r.vector());
        }
        return out;
    }

    /**
     * Embeds one text on the calling thread, bypassing the burst queue (for benchmarks comparing
     * the two; the vector is the same).
     */
    public float[] embedDirect(String text) {
        Objects.requireNonNull(text, "text");
        checkOpen();
        return embedOne(input(options.passagePrefix(), text)).vector();
    }

    /**
     * Embeds texts on the worker threads, each distinct text one model run (a text that occurs
     * several times is run once); order is kept.
     */
    private List<Result> embedBurst(List<String> texts) {
        int n = texts.size();
        if (n == 0) {
            return List.of();
        }
        // distinct texts, and for each position the distinct text it maps to
        Map<String, Integer> firstIndex = new java.util.HashMap<>(n * 2);
        List<String> distinct = new ArrayList<>(n);
        int[] slot = new int[n];
        for (int i = 0; i < n; i++) {
            Integer k = firstIndex.putIfAbsent(texts.get(i), distinct.size());
            if (k == null) {
                k = distinct.size();
                distinct.add(texts.get(i));
            }
            slot[i] = k;
        }
        int m = distinct.size();
        Result[] unique = new Result[m];
        AtomicInteger next = new AtomicInteger();
        int tasks = Math.min(threads, m);
        workerTasks.addAndGet(tasks);
        List<Future<?>> futures = new ArrayList<>(tasks);
        for (int t = 0; t < tasks; t++) {
            futures.add(workers.submit(() -> {
                for (int i = next.getAndIncrement(); i < m; i = next.getAndIncrement()) {
                    unique[i] = embedOne(distinct.get(i));
                }
            }));
        }
        for (Future<?> f : futures) {
            join(f);
        }
        Result[] out = new Result[n];
        boolean[] handedOut = new boolean[m];
        for (int i = 0; i < n; i++) {
            Result r = unique[slot[i]];
            // every caller gets its own array, so mutating one vector never changes another
            out[i] = handedOut[slot[i]] ? new Result(r.vector().clone(), r.tokens(), r.totalTokens()) : r;
            handedOut[slot[i]] = true;
        }
        return Arrays.asList(out);
    }

    /** {@code prefix + text}, cut to {@link Embedder#maxChars(int)} characters (never inside a surrogate pair). */
    private String input(String prefix, String text) {
        int room = Math.max(0, Embedder.maxChars(options.maxTokens()) - prefix.length());
        return prefix.isEmpty() && text.length() <= room ? text : prefix + Texts.cut(text, room);
    }

    /** Embeds one (already prefixed and cut) text on the calling thread. */
    private Result embedOne(String text) {
        long[] ids = tokenizer.encode(Texts.replaceLoneSurrogates(text)).getIds();
        int total = ids.length;
        int max = options.maxTokens();
        if (total > max) {
            ids = Arrays.copyOf(ids, max);
            ids[max - 1] = sepId; // [CLS] w1 .. w(max-2) [SEP], as the tokenizer's own truncation does
        }
        return new Result(runModel(ids), ids.length, total);
    }

    /** One forward pass of one sequence: {@code ids (n,) -> pooled vector (d,)}. */
    private float[] runModel(long[] ids) {
        Predictor<NDList, NDList> p = predictor.get();
        int n = ids.length;
        try (NDManager nd = NDManager.newBaseManager(Device.cpu(), "OnnxRuntime")) {
            NDList in = new NDList(inputNames.size());
            for (String name : inputNames) {
                long[] data = switch (name) {
                    case "input_ids" -> ids;
                    case "attention_mask" -> filled(n, 1);
                    case "token_type_ids" -> new long[n];
                    default -> throw new EmbedderException("model input '" + name
                            + "' is not supported (expected input_ids, attention_mask, token_type_ids)");
                };
                NDArray a = nd.create(data, new Shape(1, n));
                a.setName(name);
                in.add(a);
            }
            NDList outs = p.predict(in);
            NDArray hidden = pickHidden(outs);
            float[] h = hidden.toFloatArray(); // (1, n, d) row-major
            int d = (int) hidden.getShape().get(2);
            float[] v = new float[d];
            if (options.pooling() == EmbedderOptions.Pooling.CLS) {
                System.arraycopy(h, 0, v, 0, d);
            } else {
                for (int t = 0; t < n; t++) {
                    int base = t * d;
                    for (int j = 0; j < d; j++) {
                        v[j] += h[base + j];
                    }
                }
                float inv = 1f / n;
                for (int j = 0; j < d; j++) {
                    v[j] *= inv;
                }
            }
            if (options.normalize()) {
                double s = 0;
                for (float x : v) {
                    s += (double) x * x;
                }
                float inv = (float) (1.0 / Math.max(Math.sqrt(s), 1e-12));
                for (int j = 0; j < d; j++) {
                    v[j] *= inv;
                }
            }
            return v;
        } catch (TranslateException e) {
            throw new EmbedderException("embedding model " + modelId + " failed: " + rootMessage(e), e);
        }
    }

    private static NDArray pickHidden(NDList outs) {
        for (NDArray a : outs) {
            String name = a.getName();
            if (("last_hidden_state".equals(name) || "token_embeddings".equals(name)) && a.getShape().dimension() == 3) {
                return a;
            }
        }
        for (NDArray a : outs) {
            if (a.getShape().dimension() == 3) {
                return a;
            }
        }
        throw new EmbedderException("model has no (batch, tokens, dim) output; outputs: " + outs.getShapes());
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public int maxTokens() {
        return options.maxTokens();
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public String recipe() {
        return options.recipe();
    }

    @Override
    public int countTokens(String text) {
        Objects.requireNonNull(text, "text");
        checkOpen();
        return tokenizer.encode(Texts.replaceLoneSurrogates(input(options.passagePrefix(), text))).getIds().length;
    }

    /**
     * How many ONNX Runtime sessions (model loads) this JVM has created so far: lets a test check,
     * without timing, that a command which needs no embedding never loads the model.
     */
    public static long sessionsCreated() {
        return SESSIONS.get();
    }

    /** Bursts processed so far by the {@link #embed} queue (for benchmarks). */
    public long bursts() {
        return burst.bursts();
    }

    /**
     * Thread wake-ups so far for model work: the burst collector waking from idle, plus every task
     * handed to a worker thread (by a burst or by {@link #embedAll}).
     */
    public long wakeups() {
        return burst.wakeups() + workerTasks.get();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        burst.close();
        workers.shutdownNow();
        Predictor<NDList, NDList> p;
        while ((p = predictors.poll()) != null) {
            p.close();
        }
        model.close();
        tokenizer.close();
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("embedder " + modelId + " is closed");
        }
    }

    private static long[] filled(int n, long value) {
        long[] a = new long[n];
        Arrays.fill(a, value);
        return a;
    }

    private static <T> T join(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbedderException("interrupted while embedding", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new EmbedderException("embedding failed: " + rootMessage(c), c);
        }
    }

    private static <T> T join(CompletableFuture<T> f) {
        return join((Future<T>) f);
    }

    static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        String m = c.getMessage();
        return m == null ? c.getClass().getSimpleName() : m;
    }
}
