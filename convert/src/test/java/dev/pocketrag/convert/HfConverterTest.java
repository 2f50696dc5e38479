package dev.pocketrag.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.pocketrag.convert.ConvertedLogitsTest.Model;
import dev.pocketrag.convert.HfCheckpoints.T;
import dev.pocketrag.generation.Gguf;
import dev.pocketrag.generation.GgufTokenizer;
import dev.pocketrag.generation.Tokenizers;
import dev.pocketrag.generation.gguf.GgmlType;
import dev.pocketrag.generation.gguf.GgufValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the converter writes (metadata keys the engine and llama.cpp read, tensor names and types)
 * and how it fails (one clear error, nothing left at the output path).
 */
class HfConverterTest {
    static final long SEED = ConvertedLogitsTest.SEED;

    @TempDir
    Path tmp;

    Path write(String name, Model m) {
        Path dir = tmp.resolve(name);
        HfCheckpoints.write(dir, m.config(), m.tensors(), 1, "F32");
        return dir;
    }

    HfConverter.Result convert(Path dir, Path out) throws IOException {
        return HfConverter.convert(dir, out, HfConverter.OutType.F16, false, HfConverter.Progress.NONE,
                ConvertedLogitsTest.NO_VOCAB);
    }

    @Test
    void writes_the_llama_keys_llama_cpp_writes() throws Exception {
        Path out = tmp.resolve("llama.gguf");
        convert(write("TinyLlama-test", ConvertedLogitsTest.llama(new Random(SEED))), out);
        try (Gguf g = Gguf.open(out)) {
            assertEquals("llama", g.getString("general.architecture"));
            assertEquals("TinyLlama-test", g.getString("general.name"));
            assertEquals(2, g.getInt("llama.block_count"));
            assertEquals(128, g.getInt("llama.context_length"));
            assertEquals(64, g.getInt("llama.embedding_length"));
            assertEquals(96, g.getInt("llama.feed_forward_length"));
            assertEquals(4, g.getInt("llama.attention.head_count"));
            assertEquals(2, g.getInt("llama.attention.head_count_kv"));
            assertEquals(16, g.getInt("llama.rope.dimension_count"));
            assertEquals(256, g.getInt("llama.vocab_size"));
            assertEquals(1e-5f, g.getFloat("llama.attention.layer_norm_rms_epsilon"));
            assertEquals(1, g.getInt("general.file_type"));
            assertEquals(2, g.getInt("general.quantization_version"));
            assertFalse(g.has("llama.attention.key_length"), "no head_dim in config.json: none written");
            assertTrue(g.hasTensor("output.weight"));
            assertEquals(GgmlType.F16, g.tensor("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.F32, g.tensor("blk.1.ffn_norm.weight").type());
            assertArrayEquals(new long[] {64, 32}, g.tensor("blk.0.attn_k.weight").dims());
            assertArrayEquals(new long[] {96, 64}, g.tensor("blk.0.ffn_down.weight").dims());
        }
    }

    @Test
    void llama3_rope_scaling_becomes_rope_freqs_and_tied_embeddings_no_output() throws Exception {
        Path out = tmp.resolve("llama3.gguf");
        convert(write("llama3", ConvertedLogitsTest.llama3(new Random(SEED))), out);
        try (Gguf g = Gguf.open(out)) {
            assertEquals(500000f, g.getFloat("llama.rope.freq_base"));
            assertFalse(g.hasTensor("output.weight"));
            float[] f = floats(g, "rope_freqs.weight");
            assertEquals(8, f.length);
            // wavelengths 2 pi 500000^(2i/16): short ones kept (1), long ones scaled by the factor (8)
            assertEquals(1f, f[0]);
            assertEquals(8f, f[7]);
            for (float x : f) {
                assertTrue(x >= 1f && x <= 8f, "factor " + x);
            }
        }
    }

    static float[] floats(Gguf g, String name) {
        var t = g.tensor(name);
        var s = g.tensorData(t);
        float[] f = new float[(int) t.elementCount()];
        for (int i = 0; i < f.length; i++) {
            f[i] = s.get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN),
                    4L * i);
        }
        return f;
    }

    @Test
    void writes_qwen3_head_size_phi3_rope_factors_and_gemma2_caps() throws Exception {
        Path q = tmp.resolve("qwen3.gguf");
        convert(write("qwen3", ConvertedLogitsTest.qwen3(new Random(SEED))), q);
        try (Gguf g = Gguf.open(q)) {
            assertEquals(32, g.getInt("qwen3.attention.key_length"));
            assertEquals(32, g.getInt("qwen3.attention.value_length"));
            assertEquals(1e6f, g.getFloat("qwen3.rope.freq_base"));
            assertArrayEquals(new long[] {32}, g.tensor("blk.0.attn_q_norm.weight").dims());
            assertArrayEquals(new long[] {64, 128}, g.tensor("blk.0.attn_q.weight").dims());
        }
        Path p = tmp.resolve("phi3.gguf");
        convert(write("phi3", ConvertedLogitsTest.phi3(new Random(SEED))), p);
        try (Gguf g = Gguf.open(p)) {
            assertEquals(5, g.getInt("phi3.attention.sliding_window"));
            assertEquals(1024, g.getInt("phi3.rope.scaling.original_context_length"));
            assertEquals(4096, g.getInt("phi3.context_length"));
            assertEquals((float) Math.sqrt(1 + Math.log(4) / Math.log(1024)), g.getFloat("phi3.rope.scaling.attn_factor"),
                    1e-6f);
            assertEquals(GgmlType.F32, g.tensor("rope_factors_long.weight").type());
            assertArrayEquals(new long[] {8}, g.tensor("rope_factors_short.weight").dims());
            assertArrayEquals(new long[] {64, 128}, g.tensor("blk.0.attn_qkv.weight").dims());
            assertArrayEquals(new long[] {64, 192}, g.tensor("blk.1.ffn_up.weight").dims());
            assertFalse(g.hasTensor("blk.0.ffn_gate.weight"));
        }
        Path gm = tmp.resolve("gemma2.gguf");
        Model gemma = ConvertedLogitsTest.gemma2(new Random(SEED));
        gemma.tensors().put("lm_head.weight", gemma.tensors().get("model.embed_tokens.weight")); // as saved by some tools
        convert(write("gemma2", gemma), gm);
        try (Gguf g = Gguf.open(gm)) {
            assertEquals(5f, g.getFloat("gemma2.attn_logit_softcapping"));
            assertEquals(3f, g.getFloat("gemma2.final_logit_softcapping"));
            assertEquals(4, g.getInt("gemma2.attention.sliding_window"));
            assertEquals(32, g.getInt("gemma2.attention.key_length"));
            assertFalse(g.hasTensor("output.weight"), "gemma2 ties its output to the embeddings");
            float[] norm = floats(g, "blk.0.post_ffw_norm.weight");
            float[] hf = gemma.tensors().get("model.layers.0.post_feedforward_layernorm.weight").values();
            for (int i = 0; i < norm.length; i++) {
                assertEquals(1f + hf[i], norm[i], "llama.cpp stores gemma norms as 1 + w");
            }
        }
    }

    @Test
    void rejects_an_unsupported_architecture_naming_it() {
        Model m = ConvertedLogitsTest.llama(new Random(SEED));
        JsonArray a = new JsonArray();
        a.add("MistralForCausalLM");
        m.config().add("architectures", a);
        Path dir = write("mistral", m);
        ConvertException e = assertThrows(ConvertException.class, () -> convert(dir, tmp.resolve("m.gguf")));
        assertTrue(e.getMessage().contains("'MistralForCausalLM' is not supported")
                && e.getMessage().contains("Qwen3ForCausalLM"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("m.gguf")));
    }

    @Test
    void rejects_a_missing_tensor_naming_it() {
        Model m = ConvertedLogitsTest.qwen2(new Random(SEED));
        m.tensors().remove("model.layers.1.mlp.up_proj.weight");
        Path dir = write("missing", m);
        ConvertException e = assertThrows(ConvertException.class, () -> convert(dir, tmp.resolve("m.gguf")));
        assertTrue(e.getMessage().contains("blk.1.ffn_up.weight")
                && e.getMessage().contains("model.layers.1.mlp.up_proj.weight"), e.getMessage());
    }

    @Test
    void rejects_a_tensor_whose_shape_disagrees_with_the_config() {
        Model m = ConvertedLogitsTest.llama(new Random(SEED));
        m.tensors().put("model.layers.0.self_attn.k_proj.weight", T.random(new Random(1), 0.1, 64, 64));
        Path dir = write("shape", m);
        ConvertException e = assertThrows(ConvertException.class, () -> convert(dir, tmp.resolve("m.gguf")));
        assertTrue(e.getMessage().contains("model.layers.0.self_attn.k_proj.weight")
                && e.getMessage().contains("[32, 64]"), e.getMessage());
    }

    @Test
    void rejects_an_unknown_tensor_and_bad_config_values() {
        Model m = ConvertedLogitsTest.llama(new Random(SEED));
        m.tensors().put("model.layers.0.mlp.experts.0.weight", T.random(new Random(1), 0.1, 4, 4));
        Path dir = write("unknown", m);
        ConvertException e = assertThrows(ConvertException.class, () -> convert(dir, tmp.resolve("m.gguf")));
        assertTrue(e.getMessage().contains("'model.layers.0.mlp.experts.0.weight' has no GGUF name"), e.getMessage());

        Model bad = ConvertedLogitsTest.llama(new Random(SEED));
        bad.config().addProperty("num_key_value_heads", 3);
        Path d2 = write("kv3", bad);
        e = assertThrows(ConvertException.class, () -> convert(d2, tmp.resolve("m.gguf")));
        assertTrue(e.getMessage().contains("num_key_value_heads 3"), e.getMessage());

        Model text = ConvertedLogitsTest.llama(new Random(SEED));
        text.config().addProperty("hidden_size", "sixty-four");
        Path d3 = write("text", text);
        e = assertThrows(ConvertException.class, () -> convert(d3, tmp.resolve("m.gguf")));
        assertTrue(e.getMessage().contains("'hidden_size' must be a number, is \"sixty-four\""), e.getMessage());

        Model yarn = ConvertedLogitsTest.qwen2(new Random(SEED));
        JsonObject rs = new JsonObject();
        rs.addProperty("type", "yarn");
        rs.addProperty("factor", 4.0);
        yarn.config().add("rope_scaling", rs);
        Path d4 = write("yarn", yarn);
        e = assertThrows(ConvertException.class, () -> convert(d4, tmp.resolve("m.gguf")));
        assertTrue(e.getMessage().contains("rope_scaling type 'yarn' is not supported"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("m.gguf")));
    }

    @Test
    void rejects_a_folder_without_config_json() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("empty"));
        ConvertException e = assertThrows(ConvertException.class, () -> convert(dir, tmp.resolve("m.gguf")));
        assertTrue(e.getMessage().contains("config.json is missing"), e.getMessage());
    }

    @Test
    void keeps_an_existing_output_unless_told_to_overwrite() throws Exception {
        Path dir = write("llama", ConvertedLogitsTest.llama(new Random(SEED)));
        Path out = tmp.resolve("exists.gguf");
        Files.writeString(out, "precious");
        assertThrows(FileAlreadyExistsException.class, () -> convert(dir, out));
        assertEquals("precious", Files.readString(out));
        HfConverter.convert(dir, out, HfConverter.OutType.F32, true, HfConverter.Progress.NONE,
                ConvertedLogitsTest.NO_VOCAB);
        try (Gguf g = Gguf.open(out)) {
            assertEquals(0, g.getInt("general.file_type"));
        }
    }

    @Test
    void a_failure_while_writing_leaves_no_file_behind() throws Exception {
        Path dir = write("llama", ConvertedLogitsTest.llama(new Random(SEED)));
        Path out = tmp.resolve("half.gguf");
        RuntimeException boom = assertThrows(RuntimeException.class, () -> HfConverter.convert(dir, out,
                HfConverter.OutType.Q8_0, false, (i, n, name, done, total) -> {
                    if (i == 7) {
                        throw new UncheckedIOException(new IOException("disk full at tensor " + name));
                    }
                }, ConvertedLogitsTest.NO_VOCAB));
        assertTrue(boom.getMessage().contains("disk full"), boom.getMessage());
        try (Stream<Path> s = Files.list(tmp)) {
            List<String> left = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("half")).toList();
            assertEquals(List.of(), left, "files left after a failed conversion");
        }
    }

    @Test
    void reports_progress_for_every_tensor_in_order() throws Exception {
        Path dir = write("llama", ConvertedLogitsTest.llama(new Random(SEED)));
        List<String> seen = new java.util.ArrayList<>();
        long[] last = {-1, 0};
        HfConverter.Result r = HfConverter.convert(dir, tmp.resolve("p.gguf"), HfConverter.OutType.F16, false,
                (i, n, name, done, total) -> {
                    assertEquals(seen.size(), i);
                    assertTrue(done > last[0] && done < total, done + " of " + total);
                    last[0] = done;
                    seen.add(name);
                }, ConvertedLogitsTest.NO_VOCAB);
        assertEquals(r.tensors().stream().map(t -> t.name()).toList(), seen);
    }

    /**
     * Streaming: converting a checkpoint with an 8 MB embedding (as floats) allocates less than half
     * of it on the heap (a few rows at a time, the header).
     */
    @Test
    void converts_without_holding_a_tensor_on_the_heap() throws Exception {
        JsonObject c = ConvertedLogitsTest.baseConfig("LlamaForCausalLM");
        c.addProperty("vocab_size", 32768);
        LinkedHashMap<String, T> t = ConvertedLogitsTest.model(c, new Random(SEED), false).tensors();
        t.put("model.embed_tokens.weight", T.random(new Random(SEED), 0.5, 32768, ConvertedLogitsTest.HIDDEN));
        Path dir = tmp.resolve("big");
        HfCheckpoints.write(dir, c, t, 1, "BF16");
        t.clear();
        boolean warm = false;
        for (HfConverter.OutType type : List.of(HfConverter.OutType.F16, HfConverter.OutType.F32, HfConverter.OutType.F16,
                HfConverter.OutType.BF16, HfConverter.OutType.Q8_0)) {
            Files.deleteIfExists(tmp.resolve("big-" + type + ".gguf"));
            var bean = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long before = bean.getCurrentThreadAllocatedBytes();
            HfConverter.convert(dir, tmp.resolve("big-" + type + ".gguf"), type, false, HfConverter.Progress.NONE,
                    ConvertedLogitsTest.NO_VOCAB);
            long allocated = bean.getCurrentThreadAllocatedBytes() - before;
            long embedding = 32768L * ConvertedLogitsTest.HIDDEN * 4;
            System.out.printf("%s: %d bytes allocated on the heap (the embedding is %d as floats)%n", type, allocated,
                    embedding);
            if (!warm) { // the first conversion loads and compiles the code
                warm = true;
                continue;
            }
            assertTrue(allocated < embedding / 8, type + ": allocated " + allocated + " bytes on the heap");
        }
    }

    /** The vocabulary step's keys are written as given and checked against the embedding rows. */
    @Test
    void writes_the_tokenizer_keys_of_a_real_vocabulary() throws Exception {
        Path vocab = Path.of(System.getProperty("pocketrag.shared", "../shared"), "models/vocab/ggml-vocab-llama-spm.gguf");
        Assumptions.assumeTrue(Files.isRegularFile(vocab), "no " + vocab + ": skipping the real-vocabulary test");
        LinkedHashMap<String, GgufValue> keys = new LinkedHashMap<>();
        int n;
        try (Gguf v = Gguf.open(vocab)) {
            for (String k : v.keys()) {
                if (k.startsWith("tokenizer.")) {
                    keys.put(k, v.get(k));
                }
            }
            n = v.getArrayLength("tokenizer.ggml.tokens");
        }
        JsonObject c = ConvertedLogitsTest.baseConfig("LlamaForCausalLM");
        c.addProperty("vocab_size", n);
        LinkedHashMap<String, T> t = ConvertedLogitsTest.model(c, new Random(SEED), false).tensors();
        t.put("model.embed_tokens.weight", T.random(new Random(SEED), 0.5, n, ConvertedLogitsTest.HIDDEN));
        Path dir = tmp.resolve("spm");
        HfCheckpoints.write(dir, c, t, 1, "F32");
        Path out = tmp.resolve("spm.gguf");
        HfConverter.convert(dir, out, HfConverter.OutType.F16, false, HfConverter.Progress.NONE, (d, cfg, arch) -> {
            assertEquals("llama", arch);
            return keys;
        });
        GgufTokenizer ours = Tokenizers.open(out);
        GgufTokenizer theirs = Tokenizers.open(vocab);
        for (String s : List.of("Hello world", " the café's naïve résumé", "1234 + 5678 = 6912\n\tok")) {
            assertArrayEquals(theirs.encode(s, true, false), ours.encode(s, true, false), s);
        }
        // a tokenizer whose size is not the embedding's is refused
        LinkedHashMap<String, GgufValue> small = new LinkedHashMap<>(keys);
        small.put("tokenizer.ggml.tokens", GgufValue.ofStrings(List.of("a", "b")));
        ConvertException e = assertThrows(ConvertException.class, () -> HfConverter.convert(dir,
                tmp.resolve("small.gguf"), HfConverter.OutType.F16, false, HfConverter.Progress.NONE,
                (d, cfg, arch) -> small));
        assertTrue(e.getMessage().contains("2 tokens") && e.getMessage().contains(n + " rows"), e.getMessage());
    }
}
