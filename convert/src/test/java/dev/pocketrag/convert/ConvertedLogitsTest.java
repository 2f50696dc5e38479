package dev.pocketrag.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.pocketrag.convert.HfCheckpoints.T;
import dev.pocketrag.generation.ForwardPass;
import dev.pocketrag.generation.Gguf;
import dev.pocketrag.generation.gguf.GgmlType;
import dev.pocketrag.generation.gguf.GgufTensorInfo;
import dev.pocketrag.generation.gguf.GgufWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The converter's key test: tiny checkpoints of every supported architecture, written by the test
 * in the Hugging Face layout with random weights (fixed, printed seed), converted to GGUF, run by the
 * engine ({@link ForwardPass}), and compared logit by logit, position by position, with
 * {@link HfReference}: a forward pass written the way transformers defines each model, on the
 * unpermuted checkpoint weights. A wrong Q/K permutation, a missing (1 + w), a swapped fused half or
 * a lost rope factor moves the logits far outside the tolerance; the engine's own f16 roundings (its
 * f16 KV cache and attention weights, as llama.cpp's) stay well inside it.
 */
class ConvertedLogitsTest {
    static final long SEED = Long.getLong("pocketrag.seed", Long.getLong("tests.seed", 20261203L));

    static {
        System.out.println("ConvertedLogitsTest seed=" + SEED + " (-Dpocketrag.seed=" + SEED + " repeats it)");
    }

    static final int HIDDEN = 64;
    static final int HEADS = 4;
    static final int KV_HEADS = 2;
    static final int FFN = 96;
    static final int LAYERS = 2;
    static final int VOCAB = 256;
    static final int POSITIONS = 12;
    /** Largest |engine - reference| allowed, relative to the largest |reference logit| (at least 1). */
    static final double TOLERANCE = 0.02;

    @TempDir
    Path tmp;

    /** A model: config and HF tensors. */
    record Model(JsonObject config, LinkedHashMap<String, T> tensors) {}

    static JsonObject baseConfig(String arch) {
        JsonObject c = new JsonObject();
        JsonArray a = new JsonArray();
        a.add(arch);
        c.add("architectures", a);
        c.addProperty("hidden_size", HIDDEN);
        c.addProperty("num_hidden_layers", LAYERS);
        c.addProperty("num_attention_heads", HEADS);
        c.addProperty("num_key_value_heads", KV_HEADS);
        c.addProperty("intermediate_size", FFN);
        c.addProperty("max_position_embeddings", 128);
        c.addProperty("rms_norm_eps", 1e-5);
        c.addProperty("vocab_size", VOCAB);
        c.addProperty("hidden_act", "silu");
        return c;
    }

    /** Random weights in the HF layout for {@code config}. */
    static Model model(JsonObject c, Random r, boolean lmHead) {
        String arch = c.getAsJsonArray("architectures").get(0).getAsString();
        int headDim = c.has("head_dim") ? c.get("head_dim").getAsInt() : HIDDEN / HEADS;
        int q = HEADS * headDim;
        int kv = KV_HEADS * headDim;
        boolean gemma = arch.startsWith("Gemma2");
        LinkedHashMap<String, T> t = new LinkedHashMap<>();
        t.put("model.embed_tokens.weight", T.random(r, gemma ? 0.12 : 1.0, VOCAB, HIDDEN));
        for (int l = 0; l < LAYERS; l++) {
            String b = "model.layers." + l + ".";
            t.put(b + "input_layernorm.weight", norm(r, HIDDEN, gemma));
            if (arch.startsWith("Phi3")) {
                t.put(b + "self_attn.qkv_proj.weight", T.random(r, 0.25, q + 2L * kv, HIDDEN));
            } else {
                t.put(b + "self_attn.q_proj.weight", T.random(r, 0.25, q, HIDDEN));
                t.put(b + "self_attn.k_proj.weight", T.random(r, 0.25, kv, HIDDEN));
                t.put(b + "self_attn.v_proj.weight", T.random(r, 0.25, kv, HIDDEN));
                if (arch.startsWith("Qwen2")) {
                    t.put(b + "self_attn.q_proj.bias", T.random(r, 0.5, q));
                    t.put(b + "self_attn.k_proj.bias", T.random(r, 0.5, kv));
                    t.put(b + "self_attn.v_proj.bias", T.random(r, 0.5, kv));
                }
            }
            if (arch.startsWith("Qwen3")) {
                t.put(b + "self_attn.q_norm.weight", norm(r, headDim, false));
                t.put(b + "self_attn.k_norm.weight", norm(r, headDim, false));
            }
            t.put(b + "self_attn.o_proj.weight", T.random(r, 0.15, HIDDEN, q));
            t.put(b + "post_attention_layernorm.weight", norm(r, HIDDEN, gemma));
            if (gemma) {
                t.put(b + "pre_feedforward_layernorm.weight", norm(r, HIDDEN, true));
                t.put(b + "post_feedforward_layernorm.weight", norm(r, HIDDEN, true));
            }
            if (arch.startsWith("Phi3")) {
                t.put(b + "mlp.gate_up_proj.weight", T.random(r, 0.2, 2L * FFN, HIDDEN));
            } else {
                t.put(b + "mlp.gate_proj.weight", T.random(r, 0.2, FFN, HIDDEN));
                t.put(b + "mlp.up_proj.weight", T.random(r, 0.2, FFN, HIDDEN));
            }
            t.put(b + "mlp.down_proj.weight", T.random(r, 0.15, HIDDEN, FFN));
        }
        t.put("model.norm.weight", norm(r, HIDDEN, gemma));
        if (lmHead) {
            t.put("lm_head.weight", T.random(r, 0.25, VOCAB, HIDDEN));
        }
        c.addProperty("tie_word_embeddings", !lmHead);
        return new Model(c, t);
    }

    /** Norm weights around 1 (Gemma: around 0, its norms multiply by 1 + w). */
    static T norm(Random r, int n, boolean gemma) {
        T t = T.random(r, 0.1, n);
        if (!gemma) {
            for (int i = 0; i < n; i++) {
                t.values()[i] += 1f;
            }
        }
        return t;
    }

    static Model llama(Random r) {
        return model(baseConfig("LlamaForCausalLM"), r, true);
    }

    static Model llama3(Random r) {
        JsonObject c = baseConfig("LlamaForCausalLM");
        c.addProperty("rope_theta", 500000.0);
        JsonObject rs = new JsonObject();
        rs.addProperty("rope_type", "llama3");
        rs.addProperty("factor", 8.0);
        rs.addProperty("low_freq_factor", 1.0);
        rs.addProperty("high_freq_factor", 4.0);
        rs.addProperty("original_max_position_embeddings", 64); // some pairs in each wavelength band
        c.add("rope_scaling", rs);
        return model(c, r, false);
    }

    /** Llama with attention biases (q and k biases permuted like their rows) and linear rope scaling. */
    static Model llamaBiasLinear(Random r) {
        JsonObject c = baseConfig("LlamaForCausalLM");
        c.addProperty("attention_bias", true);
        JsonObject rs = new JsonObject();
        rs.addProperty("type", "linear");
        rs.addProperty("factor", 4.0);
        c.add("rope_scaling", rs);
        Model m = model(c, r, true);
        int q = HEADS * (HIDDEN / HEADS);
        int kv = KV_HEADS * (HIDDEN / HEADS);
        for (int l = 0; l < LAYERS; l++) {
            String b = "model.layers." + l + ".self_attn.";
            m.tensors().put(b + "q_proj.bias", T.random(r, 0.5, q));
            m.tensors().put(b + "k_proj.bias", T.random(r, 0.5, kv));
            m.tensors().put(b + "v_proj.bias", T.random(r, 0.5, kv));
            m.tensors().put(b + "o_proj.bias", T.random(r, 0.2, HIDDEN));
        }
        return m;
    }

    static Model qwen2(Random r) {
        JsonObject c = baseConfig("Qwen2ForCausalLM");
        c.addProperty("rope_theta", 1000000.0);
        c.addProperty("rms_norm_eps", 1e-6);
        return model(c, r, false);
    }

    static Model qwen3(Random r) {
        JsonObject c = baseConfig("Qwen3ForCausalLM");
        c.addProperty("head_dim", 32); // not hidden / heads (16): key_length and value_length
        c.addProperty("rope_theta", 1000000.0);
        return model(c, r, true);
    }

    static Model phi3(Random r) {
        JsonObject c = baseConfig("Phi3ForCausalLM");
        c.addProperty("max_position_embeddings", 4096);
        c.addProperty("original_max_position_embeddings", 1024);
        c.addProperty("sliding_window", 5);
        c.addProperty("rope_theta", 10000.0);
        JsonObject rs = new JsonObject();
        rs.addProperty("type", "longrope");
        JsonArray lf = new JsonArray();
        JsonArray sf = new JsonArray();
        for (int i = 0; i < HIDDEN / HEADS / 2; i++) {
            lf.add(1 + 9 * r.nextDouble());
            sf.add(1 + 2 * r.nextDouble());
        }
        rs.add("long_factor", lf);
        rs.add("short_factor", sf);
        c.add("rope_scaling", rs);
        return model(c, r, true);
    }

    static Model gemma2(Random r) {
        JsonObject c = baseConfig("Gemma2ForCausalLM");
        c.remove("hidden_act");
        c.addProperty("hidden_activation", "gelu_pytorch_tanh");
        c.addProperty("head_dim", 32);
        c.addProperty("query_pre_attn_scalar", 32);
        c.addProperty("rms_norm_eps", 1e-6);
        c.addProperty("sliding_window", 4);
        c.addProperty("attn_logit_softcapping", 5.0); // small caps so that they matter at these scales
        c.addProperty("final_logit_softcapping", 3.0);
        return model(c, r, false);
    }

    int[] tokens(Random r) {
        int[] t = new int[POSITIONS];
        for (int i = 0; i < t.length; i++) {
            t[i] = r.nextInt(VOCAB);
        }
        return t;
    }

    static final HfConverter.VocabularyReader NO_VOCAB = (dir, config, arch) -> new LinkedHashMap<>();

    Path convert(Model m, String name, int shards, HfConverter.OutType type) throws Exception {
        Path dir = tmp.resolve(name);
        HfCheckpoints.write(dir, m.config(), m.tensors(), shards, "F32");
        Path out = tmp.resolve(name + "-" + type + ".gguf");
        HfConverter.convert(dir, out, type, false, HfConverter.Progress.NONE, NO_VOCAB);
        return out;
    }

    /** The engine's logits after each token, one position at a time. */
    static double[][] engineLogits(Path gguf, int[] tokens) throws Exception {
        try (Gguf g = Gguf.open(gguf); ForwardPass f = ForwardPass.open(g, 64, 1)) {
            double[][] out = new double[tokens.length][];
            for (int p = 0; p < tokens.length; p++) {
                float[] l = f.forward(tokens, p, p + 1, p);
                out[p] = new double[l.length];
                for (int i = 0; i < l.length; i++) {
                    out[p][i] = l[i];
                }
            }
            return out;
        }
    }

    /** max |a - b| / max(1, max |b|). */
    static double relativeError(double[][] a, double[][] b) {
        double diff = 0;
        double scale = 1;
        for (int p = 0; p < b.length; p++) {
            assertEquals(b[p].length, a[p].length, "vocabulary size");
            for (int i = 0; i < b[p].length; i++) {
                diff = Math.max(diff, Math.abs(a[p][i] - b[p][i]));
                scale = Math.max(scale, Math.abs(b[p][i]));
            }
        }
        return diff / scale;
    }

    void checkAgainstReference(String name, Model m, int shards) throws Exception {
        Random r = new Random(SEED ^ name.hashCode());
        int[] tokens = tokens(r);
        Path gguf = convert(m, name, shards, HfConverter.OutType.F32);
        double[][] ref = new HfReference(m.config(), m.tensors()).logits(tokens);
        double err = relativeError(engineLogits(gguf, tokens), ref);
        System.out.printf("%s: engine vs reference, relative max error %.2e over %d positions%n", name, err, POSITIONS);
        assertTrue(err < TOLERANCE, name + ": engine logits differ from the reference by " + err + " (seed " + SEED + ")");
    }

    @Test
    void llama_logits_match_the_reference_forward_pass() throws Exception {
        checkAgainstReference("llama", llama(new Random(SEED)), 1);
    }

    @Test
    void sharded_llama_logits_match_the_reference_forward_pass() throws Exception {
        checkAgainstReference("llama-sharded", llama(new Random(SEED + 1)), 3);
    }

    @Test
    void llama3_rope_scaling_logits_match_the_reference_forward_pass() throws Exception {
        checkAgainstReference("llama3", llama3(new Random(SEED + 2)), 1);
    }

    @Test
    void llama_with_attention_biases_and_linear_rope_scaling_matches_the_reference() throws Exception {
        checkAgainstReference("llama-bias-linear", llamaBiasLinear(new Random(SEED + 9)), 1);
    }

    @Test
    void qwen2_logits_match_the_reference_forward_pass() throws Exception {
        checkAgainstReference("qwen2", qwen2(new Random(SEED + 3)), 1);
    }

    @Test
    void qwen3_logits_match_the_reference_forward_pass() throws Exception {
        checkAgainstReference("qwen3", qwen3(new Random(SEED + 4)), 2);
    }

    @Test
    void phi3_logits_match_the_reference_forward_pass() throws Exception {
        checkAgainstReference("phi3", phi3(new Random(SEED + 5)), 1);
    }

    @Test
    void gemma2_logits_match_the_reference_forward_pass() throws Exception {
        checkAgainstReference("gemma2", gemma2(new Random(SEED + 6)), 1);
    }

    /**
     * The check above can fail: the same Llama file with the q and k rows put back in Hugging Face's
     * order (what a converter without the permutation writes) is far from the reference.
     */
    @Test
    void llama_without_the_qk_permutation_is_caught() throws Exception {
        Model m = llama(new Random(SEED));
        Random r = new Random(SEED ^ "llama".hashCode());
        int[] tokens = tokens(r);
        Path gguf = convert(m, "llama-unpermuted", 1, HfConverter.OutType.F32);
        Path broken = tmp.resolve("unpermuted.gguf");
        try (Gguf g = Gguf.open(gguf)) {
            GgufWriter w = new GgufWriter();
            for (String k : g.keys()) {
                w.put(k, g.get(k));
            }
            for (GgufTensorInfo t : g.tensors()) {
                java.util.regex.Matcher qk = java.util.regex.Pattern.compile("blk\\.(\\d+)\\.attn_([qk])\\.weight")
                        .matcher(t.name());
                if (qk.matches()) {
                    String hf = "model.layers." + qk.group(1) + ".self_attn." + qk.group(2) + "_proj.weight";
                    w.addTensor(t.name(), t.dims(), m.tensors().get(hf).values());
                } else {
                    w.addTensor(t.name(), t.type(), t.dims(), g.tensorData(t));
                }
            }
            w.write(broken);
        }
        double[][] ref = new HfReference(m.config(), m.tensors()).logits(tokens);
        double ok = relativeError(engineLogits(gguf, tokens), ref);
        double bad = relativeError(engineLogits(broken, tokens), ref);
        System.out.printf("llama: with the permutation %.2e, without %.2e%n", ok, bad);
        assertTrue(ok < TOLERANCE, "converted: " + ok);
        assertTrue(bad > 5 * TOLERANCE, "unpermuted q/k rows are not caught: error " + bad);
    }

    @Test
    void other_outtypes_give_their_types_and_logits_close_to_f32() throws Exception {
        Model m = llama(new Random(SEED + 7));
        int[] tokens = tokens(new Random(SEED + 8));
        double[][] f32 = engineLogits(convert(m, "types", 1, HfConverter.OutType.F32), tokens);
        for (HfConverter.OutType type : new HfConverter.OutType[] {HfConverter.OutType.F16, HfConverter.OutType.BF16,
                HfConverter.OutType.Q8_0}) {
            Path p = tmp.resolve("types-" + type + ".gguf");
            HfConverter.Result res = HfConverter.convert(tmp.resolve("types"), p, type, false,
                    HfConverter.Progress.NONE, NO_VOCAB);
            try (Gguf g = Gguf.open(p)) {
                assertEquals(type.fileType().id(), g.getInt("general.file_type"));
                for (GgufTensorInfo t : g.tensors()) {
                    GgmlType want = t.nDims() == 1 ? GgmlType.F32
                            : type == HfConverter.OutType.Q8_0 && t.ne(0) % 32 != 0 ? GgmlType.F16 : type.type();
                    assertEquals(want, t.type(), t.name() + " in " + type);
                }
                assertEquals(res.tensors().size(), g.tensors().size());
            }
            double err = relativeError(engineLogits(p, tokens), f32);
            System.out.printf("%s vs f32: relative max logit error %.2e%n", type, err);
            // q8_0 also quantizes the activations (as llama.cpp does) and the embedding rows
            double bound = switch (type) {
                case F16 -> 0.01;
                case BF16 -> 0.05;
                default -> 0.1;
            };
            assertTrue(err < bound, type + ": logits differ from f32's by " + err);
            assertFalse(err == 0, type + ": identical to f32, the type was not applied");
        }
        // q8_0 blocks are those llama-quantize (our Quantizer, bit-exact with ggml) makes from the f32 file
        Path requantized = tmp.resolve("types-requantized.gguf");
        dev.pocketrag.generation.Quantizer.quantize(tmp.resolve("types-F32.gguf"), requantized,
                dev.pocketrag.generation.gguf.FileType.Q8_0, dev.pocketrag.generation.Quantizer.Progress.NONE);
        int compared = 0;
        try (Gguf a = Gguf.open(tmp.resolve("types-Q8_0.gguf")); Gguf b = Gguf.open(requantized)) {
            for (GgufTensorInfo t : a.tensors()) {
                GgufTensorInfo u = b.tensor(t.name());
                if (t.type() == GgmlType.Q8_0 && u.type() == GgmlType.Q8_0) {
                    assertEquals(-1L, a.tensorData(t).mismatch(b.tensorData(u)), t.name() + ": q8_0 bytes differ");
                    compared++;
                }
            }
        }
        assertTrue(compared >= 7 * LAYERS, "only " + compared + " q8_0 tensors compared");
    }
}
