package dev.pocketrag.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.google.gson.JsonParser;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15q.BgeSmallEnV15QuantizedEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.e5smallv2q.E5SmallV2QuantizedEmbeddingModel;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.EmbedderModel;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.embedder.internal.OnnxEmbedder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * {@code bench/run embed [--json] [--rounds N] [--embedders NAME,...]}: texts per second of our
 * {@code embedAll} for each built-in model ({@link Embedders#names()}, or those named) against
 * LangChain4j's in-process model of the same int8 ONNX file and tokenizer ({@code
 * AllMiniLmL6V2QuantizedEmbeddingModel}, {@code BgeSmallEnV15QuantizedEmbeddingModel}, {@code
 * E5SmallV2QuantizedEmbeddingModel}: the classes inside the model jars, on the langchain4j-embeddings
 * runtime), on the same inputs, in the same run, alternating; then, for MiniLM, 8 threads x 200
 * single {@code embed} calls through the race-to-sleep queue against the same calls made directly
 * on the model.
 *
 * <p>Input sets: (a) the 2,758 sentences of the STS Benchmark test set; (b) the first 2,000
 * SciFact abstracts cut to 256 word pieces (so neither library truncates or windows); for MiniLM
 * also (b') cut to 128. LangChain4j adds no prefixes: it is given the model's passage prefix
 * (e5: {@code "passage: "}) before each text, as ours adds it, so both embed the same word pieces.
 */
final class EmbedBench {
    private EmbedBench() {}

    static int run(String[] args) throws Exception {
        boolean json = false;
        int rounds = 3;
        List<String> embedders = Embedders.names();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--json" -> json = true;
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--embedders" -> embedders = List.of(args[++i].split(","));
                default -> {
                    System.err.println("usage: bench/run embed [--json] [--rounds N] [--embedders "
                            + String.join(",", Embedders.names()) + "]");
                    return 2;
                }
            }
        }
        for (String e : embedders) {
            Embedders.model(e); // an unknown name fails here, naming the choices
        }
        Path shared = Path.of(System.getProperty("pocketrag.shared", "../shared"));
        List<String> sts = stsSentences(shared.resolve("datasets/stsbenchmark/sts-test.csv"));
        List<String> scifact = scifactAbstracts(shared.resolve("datasets/scifact/corpus.jsonl"), 2000, 256);
        // LangChain4j keeps MiniLM's tokenizer.json truncation (128 word pieces), so on (b) it
        // reads only the first half of long abstracts; (b') gives both the same work. The bge and
        // e5 tokenizer.json files truncate nothing.
        List<String> scifact128 = scifactAbstracts(shared.resolve("datasets/scifact/corpus.jsonl"), 2000, 128);
        log("machine: " + Runtime.getRuntime().availableProcessors() + " cores, Java " + Runtime.version());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String name : embedders) {
            EmbedderModel model = Embedders.model(name);
            String prefix = model.recipe().passagePrefix();
            try (Embedder ours = Embedders.named(name)) {
                EmbeddingModel theirs = peer(name);
                // warm up both (JIT, ORT arenas)
                ours.embedAll(sts.subList(0, 300));
                theirs.embedAll(segments(sts.subList(0, 300), prefix));
                rows.add(compare(name, "sts-test (2758 sentences)", sts, ours, theirs, prefix, rounds));
                rows.add(compare(name, "scifact (2000 abstracts, <=256 word pieces)", scifact, ours, theirs, prefix, rounds));
                if (name.equals(Embedders.DEFAULT)) {
                    rows.add(compare(name, "scifact (2000 abstracts, <=128 word pieces)", scifact128, ours, theirs, prefix,
                            rounds));
                }
            }
        }
        for (Map<String, Object> r : rows) {
            if (json) {
                System.out.println(Jsons.of(r));
            }
        }
        if (!json) {
            System.out.printf(Locale.ROOT, "%-10s %-46s %10s %15s %7s %10s%n", "embedder", "set", "ours/s", "langchain4j/s",
                    "ratio", "min cos");
            for (Map<String, Object> r : rows) {
                System.out.printf(Locale.ROOT, "%-10s %-46s %10.1f %15.1f %6.2fx %10.6f%n", r.get("embedder"), r.get("set"),
                        r.get("ours_per_s"), r.get("langchain4j_per_s"), r.get("ratio"), r.get("min_cosine"));
            }
        }
        if (embedders.contains(Embedders.DEFAULT)) {
            burstComparison(sts, json);
        }
        return 0;
    }

    /** LangChain4j's in-process model of the same files as our {@code name}. */
    private static EmbeddingModel peer(String name) {
        return switch (name) {
            case "minilm" -> new AllMiniLmL6V2QuantizedEmbeddingModel();
            case "bge-small" -> new BgeSmallEnV15QuantizedEmbeddingModel();
            case "e5-small" -> new E5SmallV2QuantizedEmbeddingModel();
            default -> throw new IllegalArgumentException("no LangChain4j peer for embedder '" + name + "'");
        };
    }

    private static Map<String, Object> compare(String embedder, String set, List<String> texts, Embedder ours,
            EmbeddingModel theirs, String prefix, int rounds) {
        List<TextSegment> segs = segments(texts, prefix);
        double bestOurs = 0, bestTheirs = 0;
        List<float[]> ourVectors = null;
        List<float[]> theirVectors = null;
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            List<float[]> a = ours.embedAll(texts);
            long t1 = System.nanoTime();
            var b = theirs.embedAll(segs).content();
            long t2 = System.nanoTime();
            double oursPerS = texts.size() / ((t1 - t0) / 1e9);
            double theirsPerS = texts.size() / ((t2 - t1) / 1e9);
            log(String.format(Locale.ROOT, "%s %s round %d: ours %.1f/s, langchain4j %.1f/s", embedder, set, r + 1, oursPerS,
                    theirsPerS));
            bestOurs = Math.max(bestOurs, oursPerS);
            bestTheirs = Math.max(bestTheirs, theirsPerS);
            ourVectors = a;
            theirVectors = b.stream().map(e -> e.vector()).toList();
        }
        double minCos = 1;
        for (int i = 0; i < texts.size(); i++) {
            minCos = Math.min(minCos, cosine(ourVectors.get(i), theirVectors.get(i)));
        }
        log(String.format(Locale.ROOT, "%s %s: lowest cosine between the two libraries' vectors: %.6f", embedder, set,
                minCos));
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("embedder", embedder);
        row.put("set", set);
        row.put("ours_per_s", round1(bestOurs));
        row.put("langchain4j_per_s", round1(bestTheirs));
        row.put("ratio", Math.round(bestOurs / bestTheirs * 100) / 100.0);
        row.put("min_cosine", Math.round(minCos * 1e6) / 1e6);
        return row;
    }

    /** 8 threads x 200 single calls: through the burst queue vs straight to the model. */
    private static void burstComparison(List<String> sts, boolean json) throws Exception {
        int threads = 8, calls = 200;
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Embedder queued = Embedders.miniLm()) {
            OnnxEmbedder e = (OnnxEmbedder) queued;
            e.embedAll(sts.subList(0, 200));
            for (String mode : new String[] {"burst-queue", "direct", "burst-queue", "direct"}) {
                long wake0 = e.wakeups();
                var before = ProcStats.allThreads();
                long t0 = System.nanoTime();
                // callers' own switches (they live only during the run) + the pool's threads'
                ProcStats.Switches callers = hammer(threads, calls, sts, mode.equals("direct") ? e::embedDirect : e::embed);
                long t1 = System.nanoTime();
                ProcStats.Switches sw = callers.plus(ProcStats.delta(before, ProcStats.allThreads()));
                long ctx = sw.voluntary();
                long inv = sw.involuntary();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("mode", mode);
                row.put("calls", threads * calls);
                row.put("per_s", round1(threads * calls / ((t1 - t0) / 1e9)));
                row.put("worker_wakeups", mode.equals("direct") ? 0 : e.wakeups() - wake0);
                row.put("model_runs", threads * calls);
                row.put("voluntary_context_switches", ctx);
                row.put("involuntary_context_switches", inv);
                rows.add(row);
            }
        }
        for (Map<String, Object> r : rows) {
            if (json) {
                System.out.println(Jsons.of(r));
            } else {
                System.out.printf(Locale.ROOT,
                        "%-12s %5d calls  %8.1f calls/s  worker wake-ups %5d  context switches: voluntary %5d, involuntary %5d%n",
                        r.get("mode"), r.get("calls"), r.get("per_s"), r.get("worker_wakeups"),
                        r.get("voluntary_context_switches"), r.get("involuntary_context_switches"));
            }
        }
    }

    /** Runs the calls on {@code threads} new threads; returns the context switches those threads made. */
    private static ProcStats.Switches hammer(int threads, int calls, List<String> texts, Consumer<String> call)
            throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicLong vol = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong invol = new java.util.concurrent.atomic.AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int offset = t * calls;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    ProcStats.Switches s0 = ProcStats.currentThread();
                    for (int i = 0; i < calls; i++) {
                        call.accept(texts.get((offset + i) % texts.size()));
                    }
                    ProcStats.Switches d = ProcStats.currentThread().minus(s0);
                    vol.addAndGet(d.voluntary());
                    invol.addAndGet(d.involuntary());
                } catch (Throwable ex) {
                    failure.compareAndSet(null, ex);
                }
            });
            th.start();
            ts.add(th);
        }
        start.countDown();
        for (Thread th : ts) {
            th.join();
        }
        if (failure.get() != null) {
            throw new RuntimeException(failure.get());
        }
        return new ProcStats.Switches(vol.get(), invol.get());
    }

    static List<String> stsSentences(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String[] f = line.split("\t", -1);
            if (f.length >= 7) {
                out.add(f[5]);
                out.add(f[6]);
            }
        }
        return out;
    }

    /**
     * The first {@code n} SciFact abstracts, each cut after its {@code (maxTokens - 2)}th word
     * piece so that with [CLS] and [SEP] it has at most {@code maxTokens}.
     */
    static List<String> scifactAbstracts(Path corpus, int n, int maxTokens) throws IOException {
        List<String> raw = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(corpus, StandardCharsets.UTF_8)) {
            for (String line; raw.size() < n && (line = r.readLine()) != null; ) {
                if (!line.isBlank()) {
                    raw.add(JsonParser.parseString(line).getAsJsonObject().get("text").getAsString());
                }
            }
        }
        List<String> out = new ArrayList<>(raw.size());
        try (InputStream in = EmbedBench.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-q-tokenizer.json");
                HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(in,
                        Map.of("padding", "false", "truncation", "false"))) {
            for (String text : raw) {
                Encoding e = tok.encode(text, false, false);
                CharSpan[] spans = e.getCharTokenSpans();
                int keep = maxTokens - 2;
                out.add(spans.length <= keep ? text : text.substring(0, spans[keep - 1].getEnd()));
            }
        }
        return out;
    }

    private static List<TextSegment> segments(List<String> texts, String prefix) {
        return texts.stream().map(t -> TextSegment.from(prefix + t)).toList();
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static void log(String s) {
        System.err.println(s);
    }
}
