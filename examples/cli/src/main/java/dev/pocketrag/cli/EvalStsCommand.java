package dev.pocketrag.cli;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.EmbedderModel;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.server.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "sts", mixinStandardHelpOptions = true,
        description = {"Spearman correlation between cosine similarity and the gold scores of an STS Benchmark file.",
                "The file is tab-separated: genre, file, year, id, score, sentence1, sentence2.",
                "Both sentences get the prefix the model's authors use for symmetric tasks (e5-small: \"query: \"; "
                        + "bge-small and minilm: none)."})
final class EvalStsCommand implements Callable<Integer> {

    @Option(names = "--embedder", paramLabel = "NAME", defaultValue = Embedders.DEFAULT,
            completionCandidates = EmbedderChoice.class, description = EmbedderChoice.DESCRIPTION)
    String embedderName;

    @Option(names = "--json", description = "Print {\"pairs\": N, \"spearman\": R}.")
    boolean json;

    @Parameters(paramLabel = "FILE", description = "e.g. ../shared/datasets/stsbenchmark/sts-test.csv")
    Path file;

    @Spec
    CommandSpec spec;

    record Pair(double gold, String a, String b) {}

    @Override
    public Integer call() throws IOException {
        EmbedderModel model = EmbedderChoice.model(embedderName);
        List<Pair> pairs = read(file);
        if (pairs.isEmpty()) {
            throw new UserException(file + " has no sentence pairs (expected tab-separated STS Benchmark lines)");
        }
        // each distinct sentence is embedded once
        Map<String, Integer> index = new LinkedHashMap<>();
        for (Pair p : pairs) {
            index.putIfAbsent(p.a(), index.size());
            index.putIfAbsent(p.b(), index.size());
        }
        List<String> sentences = new ArrayList<>(index.keySet());
        List<float[]> vectors = new ArrayList<>(sentences.size());
        try (Embedder embedder = Embedders.named(model.name(), model.similarityRecipe());
                ProgressBar bar = new ProgressBar("embedding", sentences.size())) {
            for (int i = 0; i < sentences.size(); i += 64) {
                List<String> part = sentences.subList(i, Math.min(sentences.size(), i + 64));
                vectors.addAll(embedder.embedAll(part));
                bar.step(part.size());
            }
        }
        double[] gold = new double[pairs.size()];
        double[] predicted = new double[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            Pair p = pairs.get(i);
            gold[i] = p.gold();
            predicted[i] = Stats.cosine(vectors.get(index.get(p.a())), vectors.get(index.get(p.b())));
        }
        double rho = Stats.spearman(predicted, gold);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("pairs", pairs.size());
            o.put("spearman", rho);
            out.println(Json.of(o));
        } else {
            out.printf(Locale.ROOT, "embedder  %s%npairs     %d%nspearman  %.4f%n", model.name(), pairs.size(), rho);
        }
        out.flush();
        return 0;
    }

    /** Reads STS Benchmark lines; split on tabs only (sentences hold unbalanced quotes). */
    static List<Pair> read(Path file) throws IOException {
        List<Pair> pairs = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            if (f.length < 7) {
                throw new UserException(file + ":" + lineNo + ": expected at least 7 tab-separated fields, found "
                        + f.length);
            }
            double score;
            try {
                score = Double.parseDouble(f[4].trim());
            } catch (NumberFormatException e) {
                throw new UserException(file + ":" + lineNo + ": score '" + f[4] + "' is not a number");
            }
            pairs.add(new Pair(score, f[5], f[6]));
        }
        return pairs;
    }

}
