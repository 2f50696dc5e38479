package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pocketrag convert}: its error paths (one line, exit 2, no file left) and refusing to
 * overwrite without --force. (Whole conversions with a vocabulary, the logits, and every
 * architecture are tested in the convert module; the tokenizer keys come with the vocabulary step.)
 */
class ConvertCommandTest {
    @TempDir
    Path dir;

    /** A one-layer Llama folder whose tensors are all present (values zero). */
    Path llamaFolder(String arch) throws Exception {
        Path hf = Files.createDirectories(dir.resolve("hf"));
        Files.writeString(hf.resolve("config.json"), "{\"architectures\":[\"" + arch + "\"],\"hidden_size\":32,"
                + "\"num_hidden_layers\":1,\"num_attention_heads\":2,\"num_key_value_heads\":1,"
                + "\"intermediate_size\":64,\"max_position_embeddings\":64,\"rms_norm_eps\":1e-5,\"vocab_size\":16}");
        Map<String, long[]> t = new LinkedHashMap<>();
        t.put("model.embed_tokens.weight", new long[] {16, 32});
        t.put("model.layers.0.input_layernorm.weight", new long[] {32});
        t.put("model.layers.0.self_attn.q_proj.weight", new long[] {32, 32});
        t.put("model.layers.0.self_attn.k_proj.weight", new long[] {16, 32});
        t.put("model.layers.0.self_attn.v_proj.weight", new long[] {16, 32});
        t.put("model.layers.0.self_attn.o_proj.weight", new long[] {32, 32});
        t.put("model.layers.0.post_attention_layernorm.weight", new long[] {32});
        t.put("model.layers.0.mlp.gate_proj.weight", new long[] {64, 32});
        t.put("model.layers.0.mlp.up_proj.weight", new long[] {64, 32});
        t.put("model.layers.0.mlp.down_proj.weight", new long[] {32, 64});
        t.put("model.norm.weight", new long[] {32});
        StringBuilder h = new StringBuilder("{");
        long off = 0;
        for (var e : t.entrySet()) {
            long n = 1;
            for (long d : e.getValue()) {
                n *= d;
            }
            h.append(h.length() > 1 ? "," : "").append('"').append(e.getKey()).append("\":{\"dtype\":\"F16\",\"shape\":")
                    .append(java.util.Arrays.toString(e.getValue()).replace(" ", "")).append(",\"data_offsets\":[")
                    .append(off).append(',').append(off + 2 * n).append("]}");
            off += 2 * n;
        }
        byte[] header = h.append('}').toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate((int) (8 + header.length + off)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        Files.write(hf.resolve("model.safetensors"), b.array());
        return hf;
    }

    @Test
    void errors_are_one_line_and_leave_no_file() throws Exception {
        Path out = dir.resolve("never.gguf");
        CliRun badType = CliRun.of("convert", dir.toString(), out.toString(), "--outtype", "q4_k");
        assertEquals(2, badType.exitCode(), badType::toString);
        assertTrue(badType.err().startsWith("error: unknown output type 'q4_k'; allowed: f16, bf16, f32, q8_0"),
                badType::toString);

        CliRun missing = CliRun.of("convert", dir.resolve("nope").toString(), out.toString());
        assertEquals(2, missing.exitCode(), missing::toString);
        assertTrue(missing.err().startsWith("error: no such file"), missing::toString);

        CliRun noConfig = CliRun.of("convert", dir.toString(), out.toString());
        assertEquals(2, noConfig.exitCode(), noConfig::toString);
        assertTrue(noConfig.err().contains("config.json is missing"), noConfig::toString);

        Path hf = llamaFolder("GPT2LMHeadModel");
        CliRun arch = CliRun.of("convert", hf.toString(), out.toString());
        assertEquals(2, arch.exitCode(), arch::toString);
        assertTrue(arch.err().startsWith("error: config.json: architecture 'GPT2LMHeadModel' is not supported"),
                arch::toString);
        assertEquals(1, arch.err().strip().lines().count(), arch::toString);
        assertFalse(Files.exists(out));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "only the model folder: no temporary file left");
        }
    }

    @Test
    void refuses_to_overwrite_without_force() throws Exception {
        Path hf = llamaFolder("LlamaForCausalLM");
        Path out = dir.resolve("model.gguf");
        Files.writeString(out, "keep me");
        CliRun r = CliRun.of("convert", hf.toString(), out.toString());
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("exists; pass --force to overwrite it"), r::toString);
        assertEquals("keep me", Files.readString(out));
    }

    @Test
    void the_vocabulary_step_is_required() throws Exception {
        // no tokenizer files: the conversion stops at the vocabulary step with one line and no output
        Path hf = llamaFolder("LlamaForCausalLM");
        Path out = dir.resolve("model.gguf");
        CliRun r = CliRun.of("convert", hf.toString(), out.toString(), "--outtype", "q8_0", "--force");
        assertEquals(2, r.exitCode(), r::toString);
        assertEquals(1, r.err().strip().lines().count(), r::toString);
        assertFalse(Files.exists(out));
    }
}
