package dev.pocketrag.bench;

import dev.pocketrag.index.Chunk;
import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.IndexOptions;
import dev.pocketrag.index.IndexStats;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.index.SearchRequest;
import dev.pocketrag.index.VectorFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.lucene.util.VectorUtil;

/**
 * {@code bench/run index [--json] [--sizes 100000,1000000] [--queries 1000] [--threads 2]
 * [--float-peer-max 100000] [--seed N]}: the {@link NoteIndex} with precomputed vectors (no
 * embedder).
 *
 * <p>Per size: ingest throughput (chunks/s: {@code putAll} of 100-note batches from {@code
 * --threads} threads, then {@code commit}); query latency p50/p99 of kNN (k=10), BM25 (k=10) and
 * hybrid (RRF of two 100-deep lists, k=10), one query at a time after 2,000 warm-up queries; index size on
 * disk; peak RSS of the process so far (VmHWM). The peer measured in the same run is an exact
 * brute-force scan over the same float vectors held in memory (Lucene's SIMD {@code
 * VectorUtil.dotProduct}): kNN latency is reported against it, and kNN recall@10 is measured
 * against its answers. Up to {@code --float-peer-max} chunks the ingest is also measured with
 * full-float HNSW, the format int8 is compared with. RSS is measured before the exact scan's
 * in-memory copy of the vectors is made.
 *
 * <p>Data (seeded): 384-d unit vectors around 1,000 random centroids (cosine to their centroid
 * about 0.7), a query being a stored vector plus noise; chunk text of 40-60 words drawn from a
 * Zipf(1) vocabulary of 50,000 pseudo-words, a query 3 words of that vocabulary. Ten chunks per
 * note.
 */
final class IndexBench {
    private IndexBench() {}

    static final int DIM = 384;
    static final int CENTROIDS = 1000;
    static final int VOCAB = 50_000;
    static final int CHUNKS_PER_NOTE = 10;

    static int run(String[] args) throws Exception {
        boolean json = false;
        List<Integer> sizes = List.of(100_000, 1_000_000);
        int queries = 1000;
        int threads = 2;
        int floatPeerMax = 100_000;
        long seed = 42;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--json" -> json = true;
                case "--sizes" -> sizes = Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
                case "--queries" -> queries = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--float-peer-max" -> floatPeerMax = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                default -> {
                    System.err.println("usage: bench/run index [--json] [--sizes N,N] [--queries N] [--threads N]"
                            + " [--float-peer-max N] [--seed N]");
                    return 2;
                }
            }
        }
        log("machine: " + Runtime.getRuntime().availableProcessors() + " cores, Java " + Runtime.version()
                + ", max heap " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB; seed " + seed);
        Data data = new Data(seed);
        List<Map<String, Object>> results = new ArrayList<>();
        for (int n : sizes) {
            results.add(measure(data, n, queries, threads, n <= floatPeerMax));
        }
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("benchmark", "index");
            o.put("peer", "exact brute-force scan over in-memory float vectors (Lucene VectorUtil.dotProduct)");
            o.put("seed", seed);
            o.put("threads", threads);
            o.put("results", results);
            System.out.println(Jsons.of(o));
        }
        return 0;
    }

    private static Map<String, Object> measure(Data data, int n, int queries, int threads, boolean floatPeer)
            throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("chunks", n);
        Path root = Files.createTempDirectory("pocketrag-index-bench-");
        try {
            if (floatPeer) {
                Path fdir = root.resolve("float32");
                try (NoteIndex index = NoteIndex.open(fdir, options(VectorFormat.FLOAT32))) {
                    double rate = ingest(index, data, n, threads);
                    r.put("float32_ingest_chunks_per_s", rate);
                    r.put("float32_size_on_disk_bytes", index.stats().sizeOnDisk());
                    log(String.format(Locale.ROOT, "%,d chunks float32 HNSW: ingest %,.0f chunks/s", n, rate));
                }
                deleteTree(fdir);
            }
            try (NoteIndex index = NoteIndex.open(root.resolve("int8"), options(VectorFormat.INT8))) {
                double rate = ingest(index, data, n, threads);
                IndexStats stats = index.stats();
                r.put("int8_ingest_chunks_per_s", rate);
                r.put("size_on_disk_bytes", stats.sizeOnDisk());
                r.put("segments", stats.segments());
                log(String.format(Locale.ROOT, "%,d chunks int8 HNSW: ingest %,.0f chunks/s, %s on disk, %d segments",
                        n, rate, mib(stats.sizeOnDisk()), stats.segments()));
                if (floatPeer) {
                    log(String.format(Locale.ROOT, "  int8 / float32 ingest rate: %.2fx",
                            rate / (double) r.get("float32_ingest_chunks_per_s")));
                }

                SplittableRandom qr = new SplittableRandom(data.seed ^ 0x5eedL);
                int warm = 2000; // JIT warm-up of each search path (C2 and the Panama kernels), not measured
                float[][] qv = new float[queries + warm][];
                String[] qt = new String[queries + warm];
                for (int i = 0; i < qv.length; i++) {
                    qv[i] = data.query(qr, qr.nextInt(n));
                    qt[i] = data.queryText(qr);
                }
                List<List<SearchHit>> knnHits = new ArrayList<>();
                double[] knn = latencies(qv.length, warm, i -> {
                    List<SearchHit> h = index.search(SearchRequest.dense(qv[i], 10));
                    if (i >= warm) {
                        knnHits.add(h);
                    }
                });
                double[] bm25 = latencies(qv.length, warm, i -> index.search(SearchRequest.bm25(qt[i], 10)));
                double[] hybrid = latencies(qv.length, warm, i -> index.search(SearchRequest.hybrid(qv[i], qt[i], 10)));
                r.put("peak_rss_bytes", ProcStats.peakRssBytes());
                r.put("knn", percentiles(knn));
                r.put("bm25", percentiles(bm25));
                r.put("hybrid", percentiles(hybrid));
                log(String.format(Locale.ROOT, "  latency p50/p99 ms: kNN %.2f/%.2f, BM25 %.2f/%.2f, hybrid %.2f/%.2f;"
                        + " peak RSS %s", pct(knn, 50), pct(knn, 99), pct(bm25, 50), pct(bm25, 99), pct(hybrid, 50),
                        pct(hybrid, 99), mib(ProcStats.peakRssBytes())));

                // the peer: exact scan over the same vectors in memory
                float[][] all = new float[n][];
                for (int i = 0; i < n; i++) {
                    all[i] = data.vector(i);
                }
                int[][] truth = new int[queries][];
                // a short warm-up: the scan is one tight loop, and slow at 1M
                int exactWarm = 20;
                double[] exact = latencies(queries + exactWarm, exactWarm, i -> {
                    int q = i - exactWarm + warm; // the measured queries are the same as above
                    int[] top = exactTop10(all, qv[Math.max(0, q)]);
                    if (i >= exactWarm) {
                        truth[i - exactWarm] = top;
                    }
                });
                r.put("exact_scan", percentiles(exact));
                double recall = 0;
                for (int q = 0; q < queries; q++) {
                    List<String> got = knnHits.get(q).stream().map(h -> h.noteId() + "#" + h.chunkOrdinal()).toList();
                    for (int t : truth[q]) {
                        if (got.contains(Data.noteId(t / CHUNKS_PER_NOTE) + "#" + (t % CHUNKS_PER_NOTE))) {
                            recall++;
                        }
                    }
                }
                recall /= queries * 10.0;
                r.put("knn_recall_at_10", recall);
                r.put("knn_p50_speedup_vs_exact", pct(exact, 50) / pct(knn, 50));
                r.put("knn_p99_speedup_vs_exact", pct(exact, 99) / pct(knn, 99));
                log(String.format(Locale.ROOT, "  exact scan p50/p99 ms %.2f/%.2f: kNN is %.1fx faster at p50, %.1fx at"
                        + " p99, recall@10 %.4f", pct(exact, 50), pct(exact, 99), pct(exact, 50) / pct(knn, 50),
                        pct(exact, 99) / pct(knn, 99), recall));
            }
        } finally {
            deleteTree(root);
        }
        return r;
    }

    static IndexOptions options(VectorFormat f) {
        return IndexOptions.of("bench-synthetic", DIM).withVectorFormat(f);
    }

    /** Puts chunks [0, n) as notes of ten chunks, batches of 100 notes over {@code threads} threads; commits. */
    static double ingest(NoteIndex index, Data data, int n, int threads) throws Exception {
        int notes = (n + CHUNKS_PER_NOTE - 1) / CHUNKS_PER_NOTE;
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> fs = new ArrayList<>();
            for (int from = 0; from < notes; from += 100) {
                int start = from;
                fs.add(pool.submit(() -> {
                    List<ChunkedNote> batch = new ArrayList<>(100);
                    for (int k = start; k < Math.min(notes, start + 100); k++) {
                        batch.add(data.note(k, n));
                    }
                    index.putAll(batch);
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        }
        index.commit();
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    static int[] exactTop10(float[][] all, float[] q) {
        double[] best = new double[10];
        int[] idx = new int[10];
        Arrays.fill(best, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < all.length; i++) {
            float dot = VectorUtil.dotProduct(q, all[i]);
            if (dot > best[9]) {
                int p = 9;
                while (p > 0 && best[p - 1] < dot) {
                    best[p] = best[p - 1];
                    idx[p] = idx[p - 1];
                    p--;
                }
                best[p] = dot;
                idx[p] = i;
            }
        }
        return idx;
    }

    @FunctionalInterface
    interface Query {
        void run(int i) throws Exception;
    }

    /** Milliseconds of queries [warm, total), after running [0, warm) as warm-up. */
    static double[] latencies(int total, int warm, Query q) throws Exception {
        double[] ms = new double[total - warm];
        for (int i = 0; i < total; i++) {
            long t = System.nanoTime();
            q.run(i);
            if (i >= warm) {
                ms[i - warm] = (System.nanoTime() - t) / 1e6;
            }
        }
        Arrays.sort(ms);
        return ms;
    }

    static double pct(double[] sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static Map<String, Object> percentiles(double[] sorted) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("p50_ms", pct(sorted, 50));
        m.put("p99_ms", pct(sorted, 99));
        return m;
    }

    /** Seeded synthetic vectors and text. */
    static final class Data {
        final long seed;
        final float[][] centroids = new float[CENTROIDS][];
        final double[] zipfCdf = new double[VOCAB];
        final String[] words = new String[VOCAB];

        Data(long seed) {
            this.seed = seed;
            SplittableRandom r = new SplittableRandom(seed);
            for (int c = 0; c < CENTROIDS; c++) {
                centroids[c] = gaussianUnit(r, 1.0f, null);
            }
            double sum = 0;
            for (int w = 0; w < VOCAB; w++) {
                sum += 1.0 / (w + 1);
                zipfCdf[w] = sum;
                words[w] = pseudoWord(w);
            }
            for (int w = 0; w < VOCAB; w++) {
                zipfCdf[w] /= sum;
            }
        }

        static String noteId(int note) {
            return "note-" + note;
        }

        /** Letters only, so the English analyzer keeps each pseudo-word one token. */
        static String pseudoWord(int w) {
            String cons = "bcdfghjklmnprstvz";
            String vow = "aeiou";
            StringBuilder sb = new StringBuilder();
            int x = w + 1;
            while (x > 0) {
                sb.append(cons.charAt(x % cons.length()));
                x /= cons.length();
                sb.append(vow.charAt(x % vow.length()));
                x /= vow.length();
            }
            return sb.toString();
        }

        float[] vector(int chunk) {
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + chunk);
            return gaussianUnit(r, 1.0f, centroids[r.nextInt(CENTROIDS)]);
        }

        float[] query(SplittableRandom r, int chunk) {
            return gaussianUnit(r, 0.5f, vector(chunk));
        }

        /** normalise(base + sigma * g / sqrt(DIM)) with g standard normal; base may be null. */
        static float[] gaussianUnit(SplittableRandom r, float sigma, float[] base) {
            float[] v = new float[DIM];
            double sq = 0;
            double scale = sigma / Math.sqrt(DIM);
            for (int d = 0; d < DIM; d++) {
                v[d] = (float) ((base == null ? 0 : base[d]) + scale * r.nextGaussian());
                sq += v[d] * v[d];
            }
            float inv = (float) (1 / Math.sqrt(sq));
            for (int d = 0; d < DIM; d++) {
                v[d] *= inv;
            }
            return v;
        }

        String word(SplittableRandom r) {
            int i = Arrays.binarySearch(zipfCdf, r.nextDouble());
            return words[Math.min(VOCAB - 1, i < 0 ? -i - 1 : i)];
        }

        String queryText(SplittableRandom r) {
            return word(r) + " " + word(r) + " " + word(r);
        }

        /** Note {@code k}: chunks [10k, 10k + 10) below n, the body their texts joined by spaces. */
        ChunkedNote note(int k, int n) {
            SplittableRandom r = new SplittableRandom(seed * 31 + k);
            StringBuilder body = new StringBuilder();
            List<Chunk> chunks = new ArrayList<>();
            List<float[]> vectors = new ArrayList<>();
            for (int c = 0; c < CHUNKS_PER_NOTE && k * CHUNKS_PER_NOTE + c < n; c++) {
                if (c > 0) {
                    body.append(' ');
                }
                int start = body.length();
                int words = 40 + r.nextInt(21);
                for (int w = 0; w < words; w++) {
                    if (w > 0) {
                        body.append(' ');
                    }
                    body.append(word(r));
                }
                body.append('.');
                String text = body.substring(start);
                chunks.add(new Chunk(c, start, body.length(), text, text));
                vectors.add(vector(k * CHUNKS_PER_NOTE + c));
            }
            Instant t = Instant.ofEpochSecond(1_700_000_000L + k);
            Note note = new Note(noteId(k), "Note " + k, body.toString(), List.of("t" + (k % 10)), "", t, t);
            return new ChunkedNote(note, chunks, vectors);
        }
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static void log(String s) {
        System.err.println(s);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
