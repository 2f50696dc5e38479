package dev.pocketrag.cli;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.EmbedderModel;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.server.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
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

@Command(name = "embed", mixinStandardHelpOptions = true,
        description = {"Embed texts with a built-in model (384 dimensions, offline): as passages (with the model's "
                + "passage prefix, as notes are indexed), or with --query as search queries (with its query prefix).",
                "Without TEXT, reads one text per line from standard input."})
final class EmbedCommand implements Callable<Integer> {

    @Option(names = "--embedder", paramLabel = "NAME", defaultValue = Embedders.DEFAULT,
            completionCandidates = EmbedderChoice.class, description = EmbedderChoice.DESCRIPTION)
    String embedderName;

    @Option(names = "--query", description = "Embed the texts as search queries (bge-small: its instruction; e5-small: "
            + "\"query: \"; minilm: no difference). Word pieces then include the prefix.")
    boolean query;

    @Option(names = "--json", description = "One JSON line per text: {\"text\", \"tokens\", \"vector\"}.")
    boolean json;

    @Parameters(arity = "0..*", paramLabel = "TEXT", description = "Texts to embed.")
    List<String> texts = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        EmbedderModel model = EmbedderChoice.model(embedderName);
        List<String> input = texts;
        if (input.isEmpty()) {
            input = new ArrayList<>();
            BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                input.add(line);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        // as queries: the query prefix in the passage's place, so that embedWithInfo tells the word
        // pieces too; the vector is embedQuery's
        String q = model.recipe().queryPrefix();
        try (Embedder embedder = Embedders.named(model.name(), query ? model.recipe().withPrefixes(q, q) : model.recipe())) {
            for (String text : input) {
                Embedder.Embedding e = embedder.embedWithInfo(text);
                if (json) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("text", text);
                    o.put("tokens", e.tokens());
                    o.put("vector", e.vector());
                    out.println(Json.of(o));
                } else {
                    out.println(human(text, e));
                }
            }
        }
        out.flush();
        return 0;
    }

    private static String human(String text, Embedder.Embedding e) {
        float[] v = e.vector();
        StringBuilder sb = new StringBuilder();
        sb.append(text).append('\n');
        sb.append(String.format(Locale.ROOT, "  %d word pieces%s, %d dimensions: [", e.tokens(),
                e.truncated() ? " (truncated from " + e.totalTokens() + ")" : "", v.length));
        for (int i = 0; i < Math.min(6, v.length); i++) {
            sb.append(String.format(Locale.ROOT, "%s%.4f", i == 0 ? "" : ", ", v[i]));
        }
        sb.append(", ...]");
        return sb.toString();
    }
}
