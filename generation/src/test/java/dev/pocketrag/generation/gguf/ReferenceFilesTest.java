package dev.pocketrag.generation.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pocketrag.generation.Gguf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every GGUF file in ../shared opens; values agree with the reference README and MODELS.json. */
class ReferenceFilesTest {

    static Path shared() {
        String s = System.getProperty("pocketrag.shared");
        Assumptions.assumeTrue(s != null && Files.isDirectory(Path.of(s)),
                "pocketrag.shared not set or missing: skipping reference-file tests");
        return Path.of(s);
    }

    @TestFactory
    Stream<DynamicTest> opens_every_shared_gguf_file() throws IOException {
        List<Path> files;
        try (Stream<Path> w = Files.walk(shared(), java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
            files = w.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
        }
        assertFalse(files.isEmpty());
        return files.stream().map(p -> DynamicTest.dynamicTest(shared().relativize(p).toString(), () -> {
            try (Gguf g = Gguf.open(p)) {
                assertEquals(Files.size(p), g.fileSize());
                assertTrue(g.version() == 2 || g.version() == 3);
                for (GgufTensorInfo t : g.tensors()) {
                    assertEquals(t.byteSize(), g.tensorData(t).byteSize());
                    assertTrue(g.tensorData(t).isReadOnly());
                }
            }
        }));
    }

    @Test
    void quant_file_matches_the_readme() throws IOException {
        try (Gguf g = Gguf.open(shared().resolve("reference/quants/quant-Q4_K.gguf"))) {
            assertEquals(3, g.version());
            assertEquals(32, g.alignment());
            assertEquals("q4_K", g.getString("refdata.ggml_type")); // ggml_type_name
            assertEquals(12, g.getInt("refdata.ggml_type_id"));
            GgufTensorInfo w = g.tensor("w");
            assertEquals(dev.pocketrag.generation.gguf.GgmlType.Q4_K, w.type());
            assertEquals(512, w.ne(0));
            assertEquals(6, w.ne(1));
            assertEquals(1728, w.byteSize());
            assertEquals(512 * 6 * 4, g.tensor("w_source").byteSize());
        }
    }

    @Test
    void vocab_file_arrays_match_the_readme() throws IOException {
        try (Gguf g = Gguf.open(shared().resolve("reference/vocab/ggml-vocab-llama-bpe.gguf"))) {
            assertEquals(128256, g.getStringList("tokenizer.ggml.tokens").size());
            assertEquals(127156, g.getStringArray("tokenizer.ggml.merges").length);
            int[] types = g.getIntArray("tokenizer.ggml.token_type");
            assertEquals(1, types[127999]);
            assertEquals(3, types[128000]);
            assertEquals(128000, g.getInt("tokenizer.ggml.bos_token_id"));
            assertEquals(128009, g.getLong("tokenizer.ggml.eos_token_id"));
            assertTrue(g.getBool("tokenizer.ggml.add_bos_token"));
            assertEquals("llama-bpe", g.getString("tokenizer.ggml.pre"));
            assertEquals("<|begin_of_text|>", g.getStringList("tokenizer.ggml.tokens").get(128000));
        }
    }

    @Test
    void model_tensors_match_models_json() throws IOException {
        Path models = shared().resolve("reference/models");
        JsonObject all = JsonParser.parseString(Files.readString(models.resolve("MODELS.json"))).getAsJsonObject();
        int checked = 0;
        for (String file : all.keySet()) {
            JsonObject m = all.getAsJsonObject(file);
            try (Gguf g = Gguf.open(models.resolve(file))) {
                var tensors = m.getAsJsonArray("tensors");
                assertEquals(tensors.size(), g.tensors().size(), file);
                for (var te : tensors) {
                    JsonObject t = te.getAsJsonObject();
                    GgufTensorInfo info = g.tensor(t.get("name").getAsString());
                    assertEquals(t.get("type").getAsString(), info.type().name(), file + " " + info.name());
                    var ne = t.getAsJsonArray("ne");
                    for (int i = 0; i < ne.size(); i++) {
                        assertEquals(ne.get(i).getAsLong(), info.ne(i), info.name());
                    }
                    assertEquals(t.get("bytes").getAsLong(), info.byteSize(), info.name());
                    checked++;
                }
                assertEquals(m.get("bytes").getAsLong(), g.fileSize());
            }
        }
        assertTrue(checked > 50, "checked " + checked + " tensors");
    }
}
