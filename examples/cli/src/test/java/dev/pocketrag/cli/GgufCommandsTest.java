package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pocketrag.generation.Gguf;
import dev.pocketrag.generation.gguf.GgmlType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** inspect, fits and quantize on the shared reference models; each command's error path. */
class GgufCommandsTest {
    @TempDir
    Path dir;

    @Test
    void inspect_json_describes_the_model() {
        Path model = SharedData.file("reference/models/tiny-llama-Q4_K_M.gguf");
        CliRun r = CliRun.of("inspect", "--json", "--tensors", model.toString());
        assertEquals(0, r.exitCode(), r::toString);
        JsonObject o = JsonParser.parseString(r.out().strip()).getAsJsonObject();
        assertEquals("llama", o.get("architecture").getAsString());
        assertEquals(13_002_304L, o.get("bytes").getAsLong());
        assertEquals(4096, o.get("context_length").getAsInt());
        assertEquals("Q4_K_M", o.getAsJsonObject("file_type").get("name").getAsString());
        JsonObject tok = o.getAsJsonObject("tokenizer");
        assertEquals("llama", tok.get("model").getAsString());
        assertEquals(32000, tok.get("tokens").getAsInt());
        assertEquals(1, tok.get("bos").getAsInt());
        assertFalse(tok.get("chat_template").getAsBoolean());
        assertEquals(21, o.getAsJsonArray("tensors").size());
        // parameters = sum of tensor element counts (README: n_embd 256, n_ff 768, 2 layers, vocab 32000, untied)
        long expected = 2 * 32000L * 256 + 256 + 2 * (256L * 256 * 2 + 256L * 128 * 2 + 3L * 256 * 768 + 2 * 256);
        assertEquals(expected, o.get("parameters").getAsLong());
        // by bytes: the Q6_K output matrix and the last layer's attn_v/ffn_down outweigh the 13 Q4_K tensors
        var mix = o.getAsJsonArray("quant_mix");
        assertEquals("Q6_K", mix.get(0).getAsJsonObject().get("type").getAsString(), r.out());
        assertEquals(3, mix.get(0).getAsJsonObject().get("tensors").getAsInt());
        assertEquals(6_720_000 + 26_880 + 161_280, mix.get(0).getAsJsonObject().get("bytes").getAsLong());
        assertEquals("Q4_K", mix.get(1).getAsJsonObject().get("type").getAsString(), r.out());
        assertEquals(13, mix.get(1).getAsJsonObject().get("tensors").getAsInt());
        assertEquals(32000, o.getAsJsonObject("metadata").getAsJsonObject("tokenizer.ggml.tokens").get("length").getAsInt());
    }

    @Test
    void inspect_prints_a_readable_summary() {
        Path model = SharedData.file("reference/models/tiny-phi3-Q4_K_M.gguf");
        CliRun r = CliRun.of("inspect", model.toString());
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("architecture:  phi3"), r::toString);
        assertTrue(r.out().contains("file type:     15 (Q4_K_M)"), r::toString);
        assertTrue(r.out().contains("general.file_type = 15"), r::toString);
        assertTrue(r.out().contains("Q5_K"), r::toString);
    }

    @Test
    void inspect_of_a_text_file_is_one_line_naming_the_magic() throws Exception {
        Path notes = dir.resolve("notes.txt");
        Files.writeString(notes, "shopping: milk, eggs\n");
        CliRun r = CliRun.of("inspect", notes.toString());
        assertEquals(2, r.exitCode(), r::toString);
        assertEquals("error: notes.txt is not a GGUF file (magic 0x73686f70 \"shop\" at offset 0, expected \"GGUF\")",
                r.err().strip());
    }

    @Test
    void inspect_of_a_truncated_model_names_field_and_offset() throws Exception {
        Path model = SharedData.file("reference/models/tiny-llama-Q4_K_M.gguf");
        Path cut = dir.resolve("cut.gguf");
        Files.write(cut, java.util.Arrays.copyOf(Files.readAllBytes(model), 5000));
        CliRun r = CliRun.of("inspect", cut.toString());
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().startsWith("error: cut.gguf: kv[") && r.err().contains("at offset"), r::toString);
        assertEquals(1, r.err().strip().lines().count(), r::toString);
    }

    @Test
    void fits_reports_the_gqa_kv_cache_and_the_largest_context() {
        Path model = SharedData.file("reference/models/tiny-llama-Q4_K_M.gguf");
        CliRun r = CliRun.of("fits", "--json", "--ctx", "4096", "--ram", "1G", model.toString());
        assertEquals(0, r.exitCode(), r::toString);
        JsonObject o = JsonParser.parseString(r.out().strip()).getAsJsonObject();
        // 2 layers x 2 KV heads x head dim 64 x 4096 x 2 x 2 bytes
        assertEquals(2L * 2 * 64 * 4096 * 2 * 2, o.get("kv_cache_bytes").getAsLong());
        assertEquals(13_002_304L, o.get("weights_bytes").getAsLong());
        assertTrue(o.get("fits").getAsBoolean());
        assertEquals(4096, o.get("max_context").getAsInt(), "limited by the trained context");
        CliRun tight = CliRun.of("fits", "--ram", "80M", model.toString());
        assertEquals(1, tight.exitCode(), tight::toString);
        assertTrue(tight.out().contains("does NOT fit"), tight::toString);
    }

    @Test
    void fits_rejects_a_bad_size_in_one_line() {
        Path model = SharedData.file("reference/models/tiny-llama-Q4_K_M.gguf");
        CliRun r = CliRun.of("fits", "--ram", "lots", model.toString());
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().startsWith("error: bad size 'lots'"), r::toString);
        assertEquals(1, r.err().strip().lines().count(), r::toString);
    }

    @Test
    void quantize_writes_llama_cpp_types() throws Exception {
        Path model = SharedData.file("reference/models/tiny-llama-Q8_0.gguf");
        Path out = dir.resolve("out-q4km.gguf");
        CliRun r = CliRun.of("quantize", model.toString(), out.toString(), "Q4_K_M");
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("Q4_K_M (file type 15)"), r::toString);
        try (Gguf g = Gguf.open(out)) {
            assertEquals(15, g.getInt("general.file_type"));
            assertEquals(GgmlType.Q6_K, g.tensor("output.weight").type());
            assertEquals(GgmlType.Q4_K, g.tensor("token_embd.weight").type());
            assertEquals(GgmlType.Q6_K, g.tensor("blk.1.ffn_down.weight").type());
            assertEquals(GgmlType.Q4_K, g.tensor("blk.0.ffn_down.weight").type());
            assertEquals(GgmlType.F32, g.tensor("output_norm.weight").type());
        }
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left");
        }
    }

    @Test
    void quantize_errors_are_one_line_and_leave_no_file() throws Exception {
        Path model = SharedData.file("reference/models/tiny-llama-Q8_0.gguf");
        Path out = dir.resolve("never.gguf");
        CliRun bad = CliRun.of("quantize", model.toString(), out.toString(), "Q3_X");
        assertEquals(2, bad.exitCode(), bad::toString);
        assertTrue(bad.err().startsWith("error: unknown quantization type 'Q3_X'"), bad::toString);
        Path notes = dir.resolve("notes.txt");
        Files.writeString(notes, "not a model");
        CliRun notGguf = CliRun.of("quantize", notes.toString(), out.toString(), "Q8_0");
        assertEquals(2, notGguf.exitCode(), notGguf::toString);
        assertTrue(notGguf.err().startsWith("error: notes.txt is not a GGUF file"), notGguf::toString);
        assertEquals(1, notGguf.err().strip().lines().count(), notGguf::toString);
        assertFalse(Files.exists(out));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "only notes.txt");
        }
    }
}
