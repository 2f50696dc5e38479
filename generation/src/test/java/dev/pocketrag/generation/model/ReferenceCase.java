package dev.pocketrag.generation.model;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * One llama.cpp reference output of ../shared/reference/outputs (see its README): a model file, a
 * prompt, llama.cpp's prompt token ids, the top-20 logits at every prompt position and the 48
 * greedy tokens with the top-20 logits each was chosen from.
 */
record ReferenceCase(String name, Path model, String prompt, int[] promptTokens, List<float[][]> promptTop,
                     int[] generated, List<float[][]> generatedTop) {

    /** {@code ../shared} (system property {@code pocketrag.shared}); skips the test when absent. */
    static Path shared() {
        String s = System.getProperty("pocketrag.shared");
        assumeTrue(s != null && Files.isDirectory(Path.of(s)),
                "pocketrag.shared is not set or not a directory: skipping tests on the shared reference outputs");
        return Path.of(s);
    }

    static Stream<ReferenceCase> all() throws IOException {
        Path shared = shared();
        Path dir = shared.resolve("reference/outputs");
        List<ReferenceCase> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                out.add(read(shared, p));
            }
        }
        return out.stream();
    }

    static ReferenceCase read(Path shared, Path json) throws IOException {
        JsonObject o = JsonParser.parseString(Files.readString(json, StandardCharsets.UTF_8)).getAsJsonObject();
        String file = o.get("model_file").getAsString();
        Path model = file.startsWith("stories260K") ? shared.resolve("models").resolve(file)
                : shared.resolve("reference/models").resolve(file);
        List<float[][]> promptTop = new ArrayList<>();
        for (JsonElement e : o.getAsJsonArray("prompt_top")) {
            promptTop.add(pairs(e.getAsJsonObject().getAsJsonArray("top")));
        }
        JsonObject g = o.getAsJsonObject("generated");
        List<float[][]> genTop = new ArrayList<>();
        for (JsonElement e : g.getAsJsonArray("top")) {
            genTop.add(pairs(e.getAsJsonArray()));
        }
        String name = json.getFileName().toString().replace(".json", "");
        return new ReferenceCase(name, model, o.get("prompt").getAsString(), ints(o.getAsJsonArray("prompt_tokens")),
                promptTop, ints(g.getAsJsonArray("tokens")), genTop);
    }

    /** [[id, logit], ...] as {ids[], logits[]} encoded in a float[2][k] (ids are exact in float up to 2^24). */
    private static float[][] pairs(JsonArray a) {
        float[][] r = new float[2][a.size()];
        for (int i = 0; i < a.size(); i++) {
            JsonArray p = a.get(i).getAsJsonArray();
            r[0][i] = p.get(0).getAsInt();
            r[1][i] = p.get(1).getAsFloat();
        }
        return r;
    }

    private static int[] ints(JsonArray a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i).getAsInt();
        }
        return r;
    }

    @Override
    public String toString() {
        return name;
    }
}
