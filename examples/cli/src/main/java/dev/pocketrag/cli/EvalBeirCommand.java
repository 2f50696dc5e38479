package dev.pocketrag.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.EmbedderModel;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.IndexOptions;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.index.SearchMode;
import dev.pocketrag.index.SearchRequest;
import dev.pocketrag.retrieval.Chunker;
import dev.pocketrag.server.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pocketrag eval beir DIR [--embedder NAME]}: indexes a BEIR dataset in a temporary {@link
 * NoteIndex} with a built-in embedder (the default one unless named) and reports nDCG@k, recall@k,
 * recall@100 and MRR@k per retriever (metric definitions in {@link RetrievalMetrics}).
 *
 * <p>Dataset layout (BEIR): {@code corpus.jsonl} (one object a line: {@code _id}, {@code title},
 * {@code text}), {@code queries.jsonl} ({@code _id}, {@code text}), {@code qrels/SPLIT.tsv}
 * (header line, then {@code query-id<TAB>corpus-id<TAB>score}). Each document becomes a note
 * split into chunks of at most the embedder's token budget and embedded as passages (with the
 * model's passage prefix), queries are embedded as queries ({@link Embedder#embedQuery}, with its
 * query prefix), as a notebook does; retrieval ranks documents by their best chunk.
 */
@Command(name = "beir", mixinStandardHelpOptions = true,
        description = {"nDCG@k, recall@k, recall@100 and MRR@k of dense, BM25 and hybrid retrieval on a BEIR dataset.",
                "The dataset has the BEIR layout (corpus.jsonl, queries.jsonl, qrels/test.tsv); it is indexed "
                        + "in a temporary directory (or the index at --index-url) with the embedder named by --embedder."})
final class EvalBeirCommand implements Callable<Integer> {

    @Option(names = "--embedder", paramLabel = "NAME", defaultValue = Embedders.DEFAULT,
            completionCandidates = EmbedderChoice.class, description = EmbedderChoice.DESCRIPTION)
    String embedderName;

    enum Mode { DENSE, BM25, HYBRID, ALL }

    @Parameters(paramLabel = "DIR", description = "e.g. ../shared/datasets/scifact")
    Path dir;

    @Option(names = "--mode", defaultValue = "all", description = "dense, bm25, hybrid or all (default: ${DEFAULT-VALUE}).")
    Mode mode;

    @Option(names = "--k", defaultValue = "10", description = "Cut-off of nDCG, recall and MRR (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--json", description = "One JSON object per mode: {\"mode\", \"ndcg@K\", \"recall@K\", \"recall@100\", \"mrr@K\"}.")
    boolean json;

    @Option(names = "--split", defaultValue = "test", description = "Which qrels/SPLIT.tsv (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--rrf-k", defaultValue = "60", description = "RRF constant of hybrid (default: ${DEFAULT-VALUE}).")
    int rrfK;

    @Option(names = "--depth", defaultValue = "100", description = "Depth of each list fused by hybrid (default: ${DEFAULT-VALUE}).")
    int depth;

    @Option(names = "--index-url", paramLabel = "URL",
            description = "Index the documents into the index at URL (a search cluster, or file:/path/to/index) instead"
                    + " of a temporary directory; it must be new or empty (see --force). What this run made is"
                    + " deleted at the end: the documents, and a file: index's folder.")
    String indexUrl;

    @Option(names = "--force",
            description = "With --index-url: use an index that already holds notes (the dataset's documents replace"
                    + " notes with the same ids, and are left there at the end).")
    boolean force;

    @Spec
    CommandSpec spec;

    record Doc(String id, String title, String text) {}

    @Override
    public Integer call() throws IOException {
        EmbedderModel model = EmbedderChoice.model(embedderName);
        if (k < 1 || k > 1000) {
            throw new UserException("--k=" + k + ", must be in [1, 1000]");
        }
        if (depth < 1 || depth > SearchRequest.MAX_K) {
            throw new UserException("--depth=" + depth + ", must be in [1, " + SearchRequest.MAX_K + "]");
        }
        if (rrfK < 1 || rrfK > 10_000) {
            throw new UserException("--rrf-k=" + rrfK + ", must be in [1, 10000]");
        }
        Path corpusFile = dir.resolve("corpus.jsonl");
        Path queriesFile = dir.resolve("queries.jsonl");
        Path qrelsFile = dir.resolve("qrels").resolve(split + ".tsv");
        for (Path f : List.of(corpusFile, queriesFile, qrelsFile)) {
            if (!Files.isRegularFile(f)) {
                throw new UserException("not a BEIR dataset: " + f + " is missing");
            }
        }
        List<Doc> corpus = readJsonl(corpusFile, true);
        Map<String, String> queries = new LinkedHashMap<>();
        for (Doc q : readJsonl(queriesFile, false)) {
            queries.put(q.id(), q.text());
        }
        Map<String, Map<String, Integer>> qrels = readQrels(qrelsFile);
        for (String q : qrels.keySet()) {
            if (!queries.containsKey(q)) {
                throw new UserException(qrelsFile + ": query '" + q + "' is not in " + queriesFile);
            }
        }
        List<Mode> modes = mode == Mode.ALL ? List.of(Mode.BM25, Mode.DENSE, Mode.HYBRID) : List.of(mode);
        boolean needVectors = modes.contains(Mode.DENSE) || modes.contains(Mode.HYBRID);
        if (force && indexUrl == null) {
            throw new UserException("--force goes with --index-url");
        }
        java.net.URI url = indexUrl == null ? null : MigrateCommand.parse("--index-url", indexUrl);
        Target target = url == null ? new Target(null, null, Files.createTempDirectory("pocketrag-beir-"), true, true)
                : target(url);
        List<Map<String, Object>> results = new ArrayList<>();
        try (Embedder embedder = Embedders.named(model.name())) {
            Chunker chunker = Chunker.forEmbedder(embedder);
            String modelId = needVectors ? embedder.modelId() : "none (bm25 only)";
            IndexOptions io = IndexOptions.of(modelId, embedder.dimension()).withRecipe(needVectors ? embedder.recipe() : "");
            try (NoteIndex index = target.open(io)) {
                boolean ok = false;
                try {
                    build(index, corpus, chunker, embedder, needVectors);
                    ok = true;
                } finally {
                    if (!ok) {
                        target.cleanUp(index, corpus);
                    }
                }
                List<String> qids = new ArrayList<>(qrels.keySet());
                List<float[]> qvecs = needVectors ? embedQueries(embedder, qids.stream().map(queries::get).toList())
                        : null;
                int n = Math.max(100, k);
                for (Mode m : modes) {
                    Map<String, Map<String, Double>> run = new HashMap<>();
                    for (int i = 0; i < qids.size(); i++) {
                        String text = queries.get(qids.get(i));
                        float[] v = qvecs == null ? null : qvecs.get(i);
                        SearchRequest r = new SearchRequest(SearchMode.valueOf(m.name()), m == Mode.BM25 ? null : v,
                                m == Mode.DENSE ? null : text, n, SearchFilter.NONE, true, Math.max(n, depth), rrfK);
                        Map<String, Double> scores = new HashMap<>();
                        for (SearchHit h : index.search(r)) {
                            scores.put(h.noteId(), h.score());
                        }
                        run.put(qids.get(i), scores);
                    }
                    RetrievalMetrics.Summary s = RetrievalMetrics.evaluate(qrels, run, k);
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("mode", m.name().toLowerCase(Locale.ROOT));
                    o.put("ndcg@" + k, s.ndcg());
                    o.put("recall@" + k, s.recall());
                    o.put("recall@100", s.recall100());
                    o.put("mrr@" + k, s.mrr());
                    results.add(o);
                }
                target.cleanUp(index, corpus);
            }
        } finally {
            if (target.folder() != null && target.made()) {
                deleteTree(target.folder());
            }
        }
        print(results, corpus.size(), qrels.size(), target.url());
        if (target.url() != null && !target.fresh() && !json) {
            spec.commandLine().getOut().println("the " + corpus.size() + " documents are left in " + target.url()
                    + " (it held notes before: --force)");
        }
        return 0;
    }

    /**
     * Where the documents go.
     *
     * @param location the index URL as given (null: a temporary folder)
     * @param url the same without credentials, to print
     * @param folder the local folder of the index (a temporary one, or a file: URL's); null for a cluster
     * @param fresh whether the index held no notes before: the documents are deleted at the end
     * @param made whether this run made the folder: it is deleted at the end
     */
    private record Target(java.net.URI location, java.net.URI url, Path folder, boolean fresh, boolean made) {
        NoteIndex open(IndexOptions io) throws IOException {
            if (folder != null) {
                return NoteIndex.open(folder, io);
            }
            try {
                return NoteIndex.open(location, io);
            } catch (dev.pocketrag.index.ModelMismatchException e) {
                throw e;
            } catch (IOException e) {
                throw new UserException("cannot open the note index at " + url + ": "
                        + dev.pocketrag.retrieval.Errors.describe(e));
            }
        }

        /** Deletes the documents from a fresh index at a URL (best effort: a cluster keeps an empty index). */
        void cleanUp(NoteIndex index, List<Doc> corpus) {
            if (url == null || !fresh || made) {
                return; // a temporary folder goes whole; a used index keeps what it was given
            }
            try {
                index.deleteAll(corpus.stream().map(Doc::id).toList());
                index.commit();
            } catch (IOException | RuntimeException e) {
                System.err.println("pocketrag eval beir: could not delete the documents from " + url + ": "
                        + dev.pocketrag.retrieval.Errors.describe(e));
            }
        }
    }

    /**
     * The index at {@code url}, checked: new, or empty, or {@code --force}.
     *
     * @throws UserException if it holds notes and there is no {@code --force}
     */
    private Target target(java.net.URI url) throws IOException {
        java.net.URI shown = dev.pocketrag.retrieval.RemoteIndexException.redacted(url);
        boolean file = "file".equalsIgnoreCase(url.getScheme());
        Path folder = file ? Path.of(url) : null;
        boolean made = file && !Files.exists(folder);
        java.util.Optional<dev.pocketrag.index.RecordedModel> rec;
        try {
            rec = NoteIndex.recorded(url);
        } catch (IOException e) {
            throw new UserException("cannot read the note index at " + shown + ": "
                    + dev.pocketrag.retrieval.Errors.describe(e));
        }
        long notes = 0;
        if (rec.isPresent()) {
            try (NoteIndex idx = file ? NoteIndex.openReadOnly(folder, IndexOptions.of(rec.get()))
                    : NoteIndex.open(url, IndexOptions.of(rec.get()))) {
                notes = idx.stats().notes();
            }
        }
        if (notes > 0 && !force) {
            throw new UserException("the note index at " + shown + " holds " + notes + " notes: name a new one"
                    + " (eval beir deletes what it made at the end), or add --force to use it anyway");
        }
        return new Target(url, shown, folder, notes == 0, made);
    }

    /** Indexes the corpus through the notebook's chunk -> embed pipeline ({@link Chunker#chunkAndEmbed}). */
    private void build(NoteIndex index, List<Doc> corpus, Chunker chunker, Embedder embedder, boolean needVectors)
            throws IOException {
        Instant t = Instant.EPOCH;
        List<Note> notes = new ArrayList<>(corpus.size());
        for (Doc d : corpus) {
            notes.add(new Note(d.id(), d.title(), d.text(), List.of(), "", t, t));
        }
        List<ChunkedNote> chunked;
        if (needVectors) {
            ProgressBar[] bar = new ProgressBar[1];
            try {
                chunked = chunker.chunkAndEmbed(notes, embedder::embedAll, 64, new Chunker.EmbedProgress() {
                    private int shown;

                    @Override
                    public void embedded(int embedded, int total) {
                        if (bar[0] == null) {
                            bar[0] = new ProgressBar("embedding " + corpus.size() + " documents, " + total
                                    + " chunks:", total);
                        }
                        bar[0].step(embedded - shown);
                        shown = embedded;
                    }
                });
            } finally {
                if (bar[0] != null) {
                    bar[0].close();
                }
            }
        } else {
            float[] unit = new float[embedder.dimension()];
            unit[0] = 1; // BM25 only: the vector is never searched
            chunked = chunker.chunkAndEmbed(notes, texts -> java.util.Collections.nCopies(texts.size(), unit),
                    Integer.MAX_VALUE, null);
        }
        for (int i = 0; i < chunked.size(); i += 500) {
            index.putAll(chunked.subList(i, Math.min(chunked.size(), i + 500)));
        }
        index.commit();
    }

    /** The query vectors ({@link Embedder#embedQuery}: with the model's query prefix), in order. */
    private static List<float[]> embedQueries(Embedder embedder, List<String> texts) {
        List<float[]> out = new ArrayList<>(texts.size());
        try (ProgressBar bar = new ProgressBar("queries", texts.size())) {
            for (String t : texts) {
                out.add(embedder.embedQuery(t));
                bar.step(1);
            }
        }
        return out;
    }

    private void print(List<Map<String, Object>> results, int docs, int queries, java.net.URI url) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            for (Map<String, Object> o : results) {
                out.println(Json.of(o));
            }
        } else {
            out.printf(Locale.ROOT, "%s: %d documents, %d queries (%s), embedder %s%s%n", dir, docs, queries, split,
                    EmbedderChoice.model(embedderName).name(), url == null ? "" : ", index at " + url);
            out.printf(Locale.ROOT, "%-8s %9s %10s %11s %8s%n", "mode", "ndcg@" + k, "recall@" + k, "recall@100", "mrr@" + k);
            for (Map<String, Object> o : results) {
                out.printf(Locale.ROOT, "%-8s %9.4f %10.4f %11.4f %8.4f%n", o.get("mode"), o.get("ndcg@" + k),
                        o.get("recall@" + k), o.get("recall@100"), o.get("mrr@" + k));
            }
        }
        out.flush();
    }

    /** Reads {@code _id}, {@code title} (corpus only, may be absent) and {@code text} of each line. */
    static List<Doc> readJsonl(Path file, boolean corpus) throws IOException {
        List<Doc> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                JsonObject o;
                try {
                    JsonElement e = JsonParser.parseString(line);
                    if (!e.isJsonObject()) {
                        throw new UserException(file + ":" + lineNo + ": expected a JSON object");
                    }
                    o = e.getAsJsonObject();
                } catch (JsonParseException e) {
                    throw new UserException(file + ":" + lineNo + ": not JSON: " + e.getMessage());
                }
                String id = string(o, "_id", file, lineNo, true);
                String title = corpus ? string(o, "title", file, lineNo, false) : "";
                String text = string(o, "text", file, lineNo, true);
                try {
                    out.add(new Doc(id, title, text));
                } catch (IllegalArgumentException e) {
                    throw new UserException(file + ":" + lineNo + ": " + e.getMessage());
                }
            }
        }
        return out;
    }

    private static String string(JsonObject o, String key, Path file, int lineNo, boolean required) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            if (required) {
                throw new UserException(file + ":" + lineNo + ": no \"" + key + "\"");
            }
            return "";
        }
        if (!e.isJsonPrimitive()) {
            throw new UserException(file + ":" + lineNo + ": \"" + key + "\" is not a string");
        }
        return e.getAsString();
    }

    /** query id -> (doc id -> relevance), from a TSV with a header line. */
    static Map<String, Map<String, Integer>> readQrels(Path file) throws IOException {
        Map<String, Map<String, Integer>> out = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            if (f.length != 3) {
                throw new UserException(file + ":" + (i + 1) + ": expected 3 tab-separated fields, found " + f.length);
            }
            int rel;
            try {
                rel = Integer.parseInt(f[2].trim());
            } catch (NumberFormatException e) {
                throw new UserException(file + ":" + (i + 1) + ": score '" + f[2] + "' is not an integer");
            }
            out.computeIfAbsent(f[0], q -> new LinkedHashMap<>()).put(f[1], rel);
        }
        return out;
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
