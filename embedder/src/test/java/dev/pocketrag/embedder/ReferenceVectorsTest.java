package dev.pocketrag.embedder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Our vectors against the reference vectors computed with the sentence-transformers recipe. */
class ReferenceVectorsTest {
    record Ref(String text, int tokens, float[] vector) {}

    static Embedder embedder;

    @BeforeAll
    static void load() {
        embedder = Embedders.miniLm();
    }

    @AfterAll
    static void close() {
        if (embedder != null) {
            embedder.close();
        }
    }

    static List<Ref> read(String name) throws IOException {
        Path f = SharedData.file("reference/embeddings/" + name);
        List<Ref> refs = new ArrayList<>();
        for (String line : Files.readAllLines(f)) {
            if (line.isBlank()) {
                continue;
            }
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            var arr = o.getAsJsonArray("vector");
            float[] v = new float[arr.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = arr.get(i).getAsFloat();
            }
            refs.add(new Ref(o.get("text").getAsString(), o.get("tokens").getAsInt(), v));
        }
        return refs;
    }

    static double cosine(float[] a, float[] b) {
        assertEquals(a.length, b.length, "dimension");
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    @Test
    void reproduces_every_int8_reference_vector_through_embed() throws IOException {
        List<Ref> refs = read("minilm-int8-reference.jsonl");
        assertEquals(60, refs.size(), "reference file has 60 texts");
        for (Ref r : refs) {
            Embedder.Embedding e = embedder.embedWithInfo(r.text());
            assertEquals(Math.min(r.tokens(), 256), e.tokens(), () -> "word pieces of " + abbreviate(r.text()));
            double c = cosine(e.vector(), r.vector());
            assertTrue(c >= 0.9999, () -> "cosine " + c + " < 0.9999 for " + abbreviate(r.text()));
        }
    }

    @Test
    void reproduces_every_int8_reference_vector_through_one_embedAll() throws IOException {
        List<Ref> refs = read("minilm-int8-reference.jsonl");
        List<float[]> got = embedder.embedAll(refs.stream().map(Ref::text).toList());
        assertEquals(refs.size(), got.size());
        for (int i = 0; i < refs.size(); i++) {
            Ref r = refs.get(i);
            double c = cosine(got.get(i), r.vector());
            assertTrue(c >= 0.9999, () -> "cosine " + c + " < 0.9999 for " + abbreviate(r.text()));
        }
    }

    @Test
    void lands_close_to_every_fp32_reference_vector() throws IOException {
        List<Ref> refs = read("minilm-fp32-reference.jsonl");
        List<float[]> got = embedder.embedAll(refs.stream().map(Ref::text).toList());
        double sum = 0;
        double min = 1;
        for (int i = 0; i < refs.size(); i++) {
            double c = cosine(got.get(i), refs.get(i).vector());
            sum += c;
            min = Math.min(min, c);
            Ref r = refs.get(i);
            assertTrue(c >= 0.975, () -> "cosine " + c + " < 0.975 against fp32 for " + abbreviate(r.text()));
        }
        double mean = sum / refs.size();
        assertTrue(mean >= 0.99, "mean cosine against fp32 " + mean + " < 0.99 (min " + min + ")");
    }

    @Test
    void vectors_have_unit_length_and_384_dimensions() throws IOException {
        for (Ref r : read("minilm-int8-reference.jsonl")) {
            float[] v = embedder.embed(r.text());
            assertEquals(384, v.length);
            double n = 0;
            for (float x : v) {
                n += x * x;
            }
            assertEquals(1.0, Math.sqrt(n), 1e-5, () -> "norm of " + abbreviate(r.text()));
        }
    }

    static String abbreviate(String s) {
        String t = s.replace("\n", "\\n");
        return '"' + (t.length() > 60 ? t.substring(0, 60) + "..." : t) + '"';
    }
}
