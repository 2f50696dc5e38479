package dev.pocketrag.cli;

import dev.pocketrag.embedder.Embedder;
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
        description = {"Embed texts with the built-in MiniLM model (384 dimensions, offline).",
                "Without TEXT, reads one text per line from standard input."})
final class EmbedCommand implements Callable<Integer> {

    @Option(names = "--json", description = "One JSON line per text: {\"text\", \"tokens\", \"vector\"}.")
    boolean json;

    @Parameters(arity = "0..*", paramLabel = "TEXT", description = "Texts to embed.")
    List<String> texts = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<String> input = texts;
        if (input.isEmpty()) {
            input = new ArrayList<>();
            BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                input.add(line);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Embedder embedder = Embedders.miniLm()) {
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
