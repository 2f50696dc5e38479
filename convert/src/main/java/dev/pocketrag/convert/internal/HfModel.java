package dev.pocketrag.convert.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.pocketrag.convert.ConvertException;
import dev.pocketrag.generation.gguf.GgufValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a Hugging Face model becomes in GGUF: the {@code <arch>.*} metadata from {@code config.json}
 * and the tensor list (GGUF name, shape, how the values are transformed), following the rules of
 * llama.cpp's {@code convert_hf_to_gguf.py} for the architectures the engine runs.
 *
 * <table>
 * <caption>Tensor names (HF prefix {@code model.layers.N.} = GGUF {@code blk.N.})</caption>
 * <tr><th>Hugging Face</th><th>GGUF</th><th>notes</th></tr>
 * <tr><td>model.embed_tokens.weight</td><td>token_embd.weight</td><td></td></tr>
 * <tr><td>model.norm.weight</td><td>output_norm.weight</td><td>gemma2: + 1</td></tr>
 * <tr><td>lm_head.weight</td><td>output.weight</td><td>absent (tied embeddings): not written; gemma2: never written</td></tr>
 * <tr><td>input_layernorm.weight</td><td>attn_norm.weight</td><td>gemma2: + 1</td></tr>
 * <tr><td>self_attn.q_proj/k_proj/v_proj.weight (.bias)</td><td>attn_q/attn_k/attn_v.weight (.bias)</td>
 *     <td>llama: q and k rows permuted (below)</td></tr>
 * <tr><td>self_attn.qkv_proj.weight</td><td>attn_qkv.weight</td><td>phi3: [q; k; v] rows</td></tr>
 * <tr><td>self_attn.o_proj.weight</td><td>attn_output.weight</td><td></td></tr>
 * <tr><td>self_attn.q_norm/k_norm.weight</td><td>attn_q_norm/attn_k_norm.weight</td><td>qwen3</td></tr>
 * <tr><td>post_attention_layernorm.weight</td><td>ffn_norm.weight</td><td>gemma2: post_attention_norm.weight, + 1</td></tr>
 * <tr><td>pre_feedforward_layernorm.weight</td><td>ffn_norm.weight</td><td>gemma2, + 1</td></tr>
 * <tr><td>post_feedforward_layernorm.weight</td><td>post_ffw_norm.weight</td><td>gemma2, + 1</td></tr>
 * <tr><td>mlp.gate_proj/up_proj/down_proj.weight</td><td>ffn_gate/ffn_up/ffn_down.weight</td><td></td></tr>
 * <tr><td>mlp.gate_up_proj.weight</td><td>ffn_up.weight</td><td>phi3: [gate; up] rows</td></tr>
 * <tr><td>self_attn.rotary_emb.inv_freq</td><td>(dropped)</td><td>recomputed from the config</td></tr>
 * <tr><td>(computed)</td><td>rope_freqs.weight</td><td>llama with rope_scaling type llama3</td></tr>
 * <tr><td>(computed)</td><td>rope_factors_long/short.weight</td><td>phi3 with rope_scaling longrope</td></tr>
 * </table>
 * GGUF dimensions are the torch shape reversed ({@code [out, in]} becomes {@code ne = [in, out]}).
 *
 * <p>Llama's permutation: Hugging Face's Llama checkpoints rotate the two halves of each head
 * (rotate-half), llama.cpp's {@code llama} graph rotates adjacent pairs; within each head of
 * {@code d} rows, GGUF row {@code 2i + j} is HF row {@code j * d/2 + i} (i &lt; d/2, j in {0, 1}). The
 * other architectures run rotate-half (NEOX) in llama.cpp too and are not permuted.
 */
public final class HfModel {

    /** The supported {@code architectures[0]} values and their GGUF names. */
    public enum Arch {
        LLAMA("LlamaForCausalLM", "llama"),
        QWEN2("Qwen2ForCausalLM", "qwen2"),
        QWEN3("Qwen3ForCausalLM", "qwen3"),
        PHI3("Phi3ForCausalLM", "phi3"),
        GEMMA2("Gemma2ForCausalLM", "gemma2");

        final String hfName;
        final String ggufName;

        Arch(String hfName, String ggufName) {
            this.hfName = hfName;
            this.ggufName = ggufName;
        }

        /** The {@code general.architecture} value. */
        public String ggufName() {
            return ggufName;
        }

        static String supported() {
            return String.join(", ", Arrays.stream(values()).map(a -> a.hfName).toList());
        }
    }

    /** How a tensor's values are changed on the way. */
    public enum Transform {
        /** As they are. */
        NONE,
        /** Llama's q rows, permuted per query head. */
        PERMUTE_Q,
        /** Llama's k rows, permuted per key/value head. */
        PERMUTE_K,
        /** Gemma's norm weights: llama.cpp stores 1 + w (Gemma's RMSNorm multiplies by 1 + w). */
        ADD_ONE
    }

    /**
     * One tensor of the output.
     *
     * @param name      GGUF name
     * @param hfName    the checkpoint tensor it comes from, or null for a computed one
     * @param dims      GGUF ne[0..n-1]
     * @param transform what happens to the values
     * @param computed  the values of a computed tensor, else null
     */
    public record OutTensor(String name, String hfName, long[] dims, Transform transform, float[] computed) {
        public OutTensor {
            dims = dims.clone();
        }

        @Override
        public long[] dims() {
            return dims.clone();
        }

        /** Elements. */
        public long elementCount() {
            long n = 1;
            for (long d : dims) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        /** Whether llama.cpp keeps it F32 whatever the output type: 1-D, a norm, or not a weight (biases). */
        public boolean staysF32() {
            return dims.length <= 1 || name.endsWith("_norm.weight") || !name.endsWith(".weight");
        }
    }

    private final Arch arch;
    private final LinkedHashMap<String, GgufValue> metadata;
    private final List<OutTensor> tensors;
    private final int heads;
    private final int kvHeads;
    private final int vocabRows;

    private HfModel(Arch arch, LinkedHashMap<String, GgufValue> metadata, List<OutTensor> tensors, int heads,
                    int kvHeads, int vocabRows) {
        this.arch = arch;
        this.metadata = metadata;
        this.tensors = tensors;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.vocabRows = vocabRows;
    }

    public Arch arch() {
        return arch;
    }

    /** The {@code <arch>.*} keys (without general.* and tokenizer.*), in the order to write them. */
    public LinkedHashMap<String, GgufValue> metadata() {
        return metadata;
    }

    /** The output tensors, in checkpoint order, computed ones last. */
    public List<OutTensor> tensors() {
        return tensors;
    }

    /** Rows of the embedding matrix (the vocabulary size the engine will use). */
    public int vocabRows() {
        return vocabRows;
    }

    /** The architecture named by {@code config}, checked before anything else is read. */
    public static Arch archOf(JsonObject config) throws ConvertException {
        JsonElement a = config.get("architectures");
        if (a == null || !a.isJsonArray() || a.getAsJsonArray().isEmpty()
                || !a.getAsJsonArray().get(0).isJsonPrimitive()) {
            throw new ConvertException("config.json: no \"architectures\" list; supported: " + Arch.supported());
        }
        String name = a.getAsJsonArray().get(0).getAsString();
        for (Arch x : Arch.values()) {
            if (x.hfName.equals(name)) {
                return x;
            }
        }
        throw new ConvertException("config.json: architecture '" + name + "' is not supported; supported: "
                + Arch.supported());
    }

    /**
     * Plans the conversion of the checkpoint {@code ckpt} described by {@code config}.
     *
     * @throws ConvertException naming the config key or tensor that cannot be converted
     */
    public static HfModel plan(JsonObject config, Checkpoint ckpt) throws ConvertException {
        Arch arch = archOf(config);
        Config c = new Config(config);
        String p = arch.ggufName + ".";
        int hidden = c.positiveInt("hidden_size");
        int layers = c.positiveInt("num_hidden_layers");
        int heads = c.positiveInt("num_attention_heads");
        int kvHeads = c.has("num_key_value_heads") ? c.positiveInt("num_key_value_heads") : heads;
        int ffn = c.positiveInt("intermediate_size");
        int ctx = c.positiveInt("max_position_embeddings");
        double eps = c.positiveDouble("rms_norm_eps");
        if (heads % kvHeads != 0) {
            throw new ConvertException("config.json: num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        boolean explicitHeadDim = c.has("head_dim") && !config.get("head_dim").isJsonNull();
        if (!explicitHeadDim && hidden % heads != 0) {
            throw new ConvertException("config.json: hidden_size " + hidden + " is not a multiple of num_attention_heads "
                    + heads + " and there is no head_dim");
        }
        int headDim = explicitHeadDim ? c.positiveInt("head_dim") : hidden / heads;
        if (arch == Arch.GEMMA2 && !explicitHeadDim) {
            explicitHeadDim = true; // llama.cpp always writes gemma2's key/value length
        }
        String act = c.string(c.has("hidden_activation") ? "hidden_activation" : "hidden_act", null);
        String wantAct = arch == Arch.GEMMA2 ? "gelu_pytorch_tanh" : "silu";
        if (act != null && !act.equals(wantAct)) {
            throw new ConvertException("config.json: activation '" + act + "' is not supported for "
                    + arch.hfName + "; expected " + wantAct);
        }
        if (c.bool("use_sliding_window", false) && (arch == Arch.QWEN2 || arch == Arch.QWEN3)) {
            throw new ConvertException("config.json: use_sliding_window=true is not supported for " + arch.hfName);
        }
        if (c.bool("mlp_bias", false)) {
            throw new ConvertException("config.json: mlp_bias=true is not supported (the engine has no feed-forward biases)");
        }

        LinkedHashMap<String, GgufValue> md = new LinkedHashMap<>();
        md.put(p + "block_count", GgufValue.ofUint32(layers));
        md.put(p + "context_length", GgufValue.ofUint32(ctx));
        md.put(p + "embedding_length", GgufValue.ofUint32(hidden));
        md.put(p + "feed_forward_length", GgufValue.ofUint32(ffn));
        md.put(p + "attention.head_count", GgufValue.ofUint32(heads));
        md.put(p + "attention.head_count_kv", GgufValue.ofUint32(kvHeads));
        double theta = c.has("rope_theta") ? c.positiveDouble("rope_theta") : 10000.0;
        if (c.has("rope_theta") || arch == Arch.PHI3) {
            md.put(p + "rope.freq_base", GgufValue.ofFloat32((float) theta));
        }
        md.put(p + "attention.layer_norm_rms_epsilon", GgufValue.ofFloat32((float) eps));
        if (explicitHeadDim) {
            md.put(p + "attention.key_length", GgufValue.ofUint32(headDim));
            md.put(p + "attention.value_length", GgufValue.ofUint32(headDim));
        }
        int ropeDim = headDim;
        List<OutTensor> extra = new ArrayList<>();
        JsonObject scaling = c.object("rope_scaling");
        String scalingType = scaling == null ? null
                : new Config(scaling).string(scaling.has("rope_type") ? "rope_type" : "type", null);
        switch (arch) {
            case LLAMA -> {
                if (c.has("vocab_size")) {
                    md.put(p + "vocab_size", GgufValue.ofUint32(c.positiveInt("vocab_size")));
                }
                md.put(p + "rope.dimension_count", GgufValue.ofUint32(ropeDim));
                if (scalingType != null && !scalingType.equals("default")) {
                    Config s = new Config(scaling, "config.json rope_scaling");
                    switch (scalingType) {
                        case "linear" -> {
                            md.put(p + "rope.scaling.type", GgufValue.ofString("linear"));
                            md.put(p + "rope.scaling.factor", GgufValue.ofFloat32((float) s.positiveDouble("factor")));
                        }
                        case "llama3" -> extra.add(new OutTensor("rope_freqs.weight", null, new long[] {ropeDim / 2},
                                Transform.NONE, llama3RopeFactors(s, theta, ropeDim)));
                        default -> throw new ConvertException("config.json: rope_scaling type '" + scalingType
                                + "' is not supported for " + arch.hfName + "; supported: linear, llama3");
                    }
                }
            }
            case QWEN2, QWEN3, GEMMA2 -> {
                if (scalingType != null && !scalingType.equals("default")) {
                    throw new ConvertException("config.json: rope_scaling type '" + scalingType
                            + "' is not supported for " + arch.hfName);
                }
                if (arch == Arch.GEMMA2) {
                    gemma2(c, md, p, hidden, heads, headDim, layers);
                }
            }
            case PHI3 -> {
                double partial = c.has("partial_rotary_factor") ? c.positiveDouble("partial_rotary_factor") : 1.0;
                ropeDim = (int) (partial * hidden / heads);
                if (ropeDim < 2 || ropeDim % 2 != 0 || ropeDim > headDim) {
                    throw new ConvertException("config.json: partial_rotary_factor " + partial
                            + " gives " + ropeDim + " rotated dimensions; must be even and at most " + headDim);
                }
                int orig = c.has("original_max_position_embeddings") ? c.positiveInt("original_max_position_embeddings") : ctx;
                md.put(p + "rope.scaling.original_context_length", GgufValue.ofUint32(orig));
                md.put(p + "rope.dimension_count", GgufValue.ofUint32(ropeDim));
                md.put(p + "attention.sliding_window", GgufValue.ofUint32(c.has("sliding_window")
                        && !config.get("sliding_window").isJsonNull() ? c.positiveInt("sliding_window") : 0));
                if (scalingType != null && !scalingType.equals("default")) {
                    if (!scalingType.equals("longrope") && !scalingType.equals("su")) {
                        throw new ConvertException("config.json: rope_scaling type '" + scalingType
                                + "' is not supported for " + arch.hfName + "; supported: longrope");
                    }
                    Config s = new Config(scaling, "config.json rope_scaling");
                    float[] longF = s.floats("long_factor", ropeDim / 2);
                    float[] shortF = s.floats("short_factor", ropeDim / 2);
                    double scale = (double) ctx / orig;
                    double attn = scale <= 1 ? 1.0 : Math.sqrt(1 + Math.log(scale) / Math.log(orig));
                    md.put(p + "rope.scaling.attn_factor", GgufValue.ofFloat32((float) attn));
                    extra.add(new OutTensor("rope_factors_long.weight", null, new long[] {ropeDim / 2}, Transform.NONE,
                            longF));
                    extra.add(new OutTensor("rope_factors_short.weight", null, new long[] {ropeDim / 2},
                            Transform.NONE, shortF));
                }
            }
        }

        // ---- tensors
        int qDim = heads * headDim;
        int kDim = kvHeads * headDim;
        Map<String, long[]> expected = expectedShapes(arch, layers, hidden, qDim, kDim, ffn, headDim);
        List<OutTensor> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        int vocabRows = -1;
        long outputRows = -1;
        for (Checkpoint.Entry e : ckpt.entries().values()) {
            String hf = e.tensor().name();
            String g = ggufName(arch, hf);
            if (g == null) {
                if (hf.endsWith("rotary_emb.inv_freq") || (arch == Arch.GEMMA2 && hf.equals("lm_head.weight"))) {
                    continue;
                }
                throw new ConvertException("tensor '" + hf + "' has no GGUF name for " + arch.hfName
                        + " (an unexpected tensor; is config.json's architecture right?)");
            }
            long[] shape = e.tensor().shape();
            long[] dims = new long[shape.length];
            for (int i = 0; i < shape.length; i++) {
                dims[i] = shape[shape.length - 1 - i];
            }
            if (g.equals("token_embd.weight")) {
                if (dims.length != 2 || dims[0] != hidden || dims[1] > Integer.MAX_VALUE - 8 || dims[1] < 1) {
                    throw new ConvertException("tensor '" + hf + "' has shape " + Arrays.toString(shape)
                            + "; expected [vocab, " + hidden + "]");
                }
                vocabRows = (int) dims[1];
            }
            long[] want = expected.get(g);
            if (g.equals("token_embd.weight") || g.equals("output.weight")) {
                want = new long[] {hidden, dims.length == 2 ? dims[1] : -1}; // rows: checked below
                if (g.equals("output.weight")) {
                    outputRows = dims.length == 2 ? dims[1] : -1;
                }
            }
            if (want == null) {
                // biases: one value per row of their matrix
                String w = g.replace(".bias", ".weight");
                long[] m = expected.get(w);
                if (!g.endsWith(".bias") || m == null || !(arch == Arch.QWEN2 || (arch == Arch.LLAMA
                        && c.bool("attention_bias", false))) || g.contains("ffn_")) {
                    throw new ConvertException("tensor '" + hf + "' (" + g + ") is not used by the engine for "
                            + arch.hfName);
                }
                want = new long[] {m[1]};
            }
            if (!Arrays.equals(dims, want)) {
                throw new ConvertException("tensor '" + hf + "' has shape " + Arrays.toString(shape) + "; expected "
                        + Arrays.toString(reverse(want)) + " from config.json");
            }
            if (!seen.add(g)) {
                throw new ConvertException("two tensors map to '" + g + "' (the second is '" + hf + "')");
            }
            Transform t = Transform.NONE;
            if (arch == Arch.LLAMA && g.matches("blk\\.\\d+\\.attn_q\\.(weight|bias)")) {
                t = Transform.PERMUTE_Q;
            } else if (arch == Arch.LLAMA && g.matches("blk\\.\\d+\\.attn_k\\.(weight|bias)")) {
                t = Transform.PERMUTE_K;
            } else if (arch == Arch.GEMMA2 && g.endsWith("norm.weight")) {
                t = Transform.ADD_ONE;
            }
            out.add(new OutTensor(g, hf, dims, t, null));
        }
        if (vocabRows < 0) {
            throw new ConvertException("the checkpoint has no tensor 'model.embed_tokens.weight' (token_embd.weight)");
        }
        if (outputRows >= 0 && outputRows != vocabRows) {
            throw new ConvertException("tensor 'lm_head.weight' has " + outputRows + " rows, model.embed_tokens.weight "
                    + vocabRows);
        }
        for (String g : expected.keySet()) {
            if (!seen.contains(g)) {
                throw new ConvertException("the checkpoint has no tensor for '" + g + "' (" + hfNameOf(arch, g) + ")");
            }
        }
        if (c.has("vocab_size") && c.positiveInt("vocab_size") != vocabRows) {
            throw new ConvertException("config.json: vocab_size " + c.positiveInt("vocab_size")
                    + " differs from the " + vocabRows + " rows of model.embed_tokens.weight");
        }
        if (arch == Arch.LLAMA && headDim % 2 != 0) {
            throw new ConvertException("config.json: head size " + headDim + " is odd; rotary embedding needs it even");
        }
        out.addAll(extra);
        return new HfModel(arch, md, List.copyOf(out), heads, kvHeads, vocabRows);
    }

    private static void gemma2(Config c, LinkedHashMap<String, GgufValue> md, String p, int hidden, int heads,
                               int headDim, int layers) throws ConvertException {
        // absent: Gemma 2's defaults (50, 30); null: no cap, which GGUF says with 0
        for (String cap : List.of("attn_logit_softcapping", "final_logit_softcapping")) {
            boolean none = c.json.has(cap) && c.json.get(cap).isJsonNull();
            double v = none ? 0 : c.doubleOr(cap, cap.startsWith("attn") ? 50.0 : 30.0);
            md.put(p + cap, GgufValue.ofFloat32((float) v));
        }
        if (c.has("sliding_window") && !c.json.get("sliding_window").isJsonNull()) {
            md.put(p + "attention.sliding_window", GgufValue.ofUint32(c.positiveInt("sliding_window")));
        }
        // llama.cpp (and the engine) scale the scores by 1/sqrt(head_dim), or by 1/sqrt(hidden/heads) for
        // the 46-layer 27B; GGUF has no key for query_pre_attn_scalar, so any other value cannot be kept
        if (c.has("query_pre_attn_scalar")) {
            double q = c.positiveDouble("query_pre_attn_scalar");
            double used = layers == 46 ? (double) (hidden / heads) : headDim;
            if (q != used) {
                throw new ConvertException("config.json: query_pre_attn_scalar " + q + " cannot be kept: GGUF gemma2 "
                        + "models scale attention by 1/sqrt(" + used + ")");
            }
        }
    }

    /** The shapes (GGUF order) of every tensor the engine needs but the embeddings and output (vocabulary rows). */
    private static Map<String, long[]> expectedShapes(Arch arch, int layers, int hidden, int qDim, int kDim, int ffn,
                                                      int headDim) {
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("output_norm.weight", new long[] {hidden});
        for (int i = 0; i < layers; i++) {
            String b = "blk." + i + ".";
            m.put(b + "attn_norm.weight", new long[] {hidden});
            if (arch == Arch.PHI3) {
                m.put(b + "attn_qkv.weight", new long[] {hidden, qDim + 2L * kDim});
            } else {
                m.put(b + "attn_q.weight", new long[] {hidden, qDim});
                m.put(b + "attn_k.weight", new long[] {hidden, kDim});
                m.put(b + "attn_v.weight", new long[] {hidden, kDim});
            }
            m.put(b + "attn_output.weight", new long[] {qDim, hidden});
            if (arch == Arch.QWEN3) {
                m.put(b + "attn_q_norm.weight", new long[] {headDim});
                m.put(b + "attn_k_norm.weight", new long[] {headDim});
            }
            m.put(b + "ffn_norm.weight", new long[] {hidden});
            if (arch == Arch.GEMMA2) {
                m.put(b + "post_attention_norm.weight", new long[] {hidden});
                m.put(b + "post_ffw_norm.weight", new long[] {hidden});
            }
            if (arch == Arch.PHI3) {
                m.put(b + "ffn_up.weight", new long[] {hidden, 2L * ffn});
            } else {
                m.put(b + "ffn_gate.weight", new long[] {hidden, ffn});
                m.put(b + "ffn_up.weight", new long[] {hidden, ffn});
            }
            m.put(b + "ffn_down.weight", new long[] {ffn, hidden});
        }
        return m;
    }

    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");

    /** The GGUF name of HF tensor {@code hf} for {@code arch}, or null. */
    static String ggufName(Arch arch, String hf) {
        switch (hf) {
            case "model.embed_tokens.weight" -> {
                return "token_embd.weight";
            }
            case "model.norm.weight" -> {
                return "output_norm.weight";
            }
            case "lm_head.weight" -> {
                return arch == Arch.GEMMA2 ? null : "output.weight";
            }
            default -> { }
        }
        Matcher m = LAYER.matcher(hf);
        if (!m.matches() || m.group(1).length() > 4) {
            return null;
        }
        String b = "blk." + Integer.parseInt(m.group(1)) + ".";
        String rest = m.group(2);
        String g = switch (rest) {
            case "input_layernorm.weight" -> "attn_norm.weight";
            case "self_attn.q_proj.weight" -> "attn_q.weight";
            case "self_attn.k_proj.weight" -> "attn_k.weight";
            case "self_attn.v_proj.weight" -> "attn_v.weight";
            case "self_attn.q_proj.bias" -> "attn_q.bias";
            case "self_attn.k_proj.bias" -> "attn_k.bias";
            case "self_attn.v_proj.bias" -> "attn_v.bias";
            case "self_attn.o_proj.weight" -> "attn_output.weight";
            case "self_attn.o_proj.bias" -> "attn_output.bias";
            case "self_attn.qkv_proj.weight" -> arch == Arch.PHI3 ? "attn_qkv.weight" : null;
            case "self_attn.q_norm.weight" -> arch == Arch.QWEN3 ? "attn_q_norm.weight" : null;
            case "self_attn.k_norm.weight" -> arch == Arch.QWEN3 ? "attn_k_norm.weight" : null;
            case "post_attention_layernorm.weight" -> arch == Arch.GEMMA2 ? "post_attention_norm.weight"
                    : "ffn_norm.weight";
            case "pre_feedforward_layernorm.weight" -> arch == Arch.GEMMA2 ? "ffn_norm.weight" : null;
            case "post_feedforward_layernorm.weight" -> arch == Arch.GEMMA2 ? "post_ffw_norm.weight" : null;
            case "mlp.gate_proj.weight" -> arch == Arch.PHI3 ? null : "ffn_gate.weight";
            case "mlp.up_proj.weight" -> arch == Arch.PHI3 ? null : "ffn_up.weight";
            case "mlp.gate_up_proj.weight" -> arch == Arch.PHI3 ? "ffn_up.weight" : null;
            case "mlp.down_proj.weight" -> "ffn_down.weight";
            default -> null;
        };
        return g == null ? null : b + g;
    }

    /** The HF name of a GGUF tensor, for error messages. */
    private static String hfNameOf(Arch arch, String g) {
        if (g.equals("token_embd.weight")) {
            return "model.embed_tokens.weight";
        }
        if (g.equals("output_norm.weight")) {
            return "model.norm.weight";
        }
        Matcher m = Pattern.compile("blk\\.(\\d+)\\.(.+)").matcher(g);
        if (m.matches()) {
            for (String rest : List.of("input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
                    "self_attn.v_proj.weight", "self_attn.o_proj.weight", "self_attn.qkv_proj.weight",
                    "self_attn.q_norm.weight", "self_attn.k_norm.weight", "post_attention_layernorm.weight",
                    "pre_feedforward_layernorm.weight", "post_feedforward_layernorm.weight", "mlp.gate_proj.weight",
                    "mlp.up_proj.weight", "mlp.gate_up_proj.weight", "mlp.down_proj.weight")) {
                String hf = "model.layers." + m.group(1) + "." + rest;
                if (g.equals(ggufName(arch, hf))) {
                    return hf;
                }
            }
        }
        return "?";
    }

    /**
     * Llama 3.1's rope scaling as a factor per rotated pair (llama.cpp's {@code rope_freqs.weight};
     * the engine divides pair i's frequency by it): 1 for short wavelengths, {@code factor} for long
     * ones, and between them the smooth mix Meta's code uses.
     */
    static float[] llama3RopeFactors(Config s, double theta, int ropeDim) throws ConvertException {
        double factor = s.positiveDouble("factor");
        double low = s.doubleOr("low_freq_factor", 1.0);
        double high = s.doubleOr("high_freq_factor", 4.0);
        double old = s.has("original_max_position_embeddings") ? s.positiveInt("original_max_position_embeddings") : 8192;
        if (!(high > low)) {
            throw new ConvertException("config.json rope_scaling: high_freq_factor " + high
                    + " must be greater than low_freq_factor " + low);
        }
        double lowWavelen = old / low;
        double highWavelen = old / high;
        float[] f = new float[ropeDim / 2];
        for (int i = 0; i < f.length; i++) {
            double freq = 1.0 / Math.pow(theta, (2.0 * i) / ropeDim);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) {
                f[i] = 1f;
            } else if (wavelen > lowWavelen) {
                f[i] = (float) factor;
            } else {
                double smooth = (old / wavelen - low) / (high - low);
                f[i] = (float) (1.0 / ((1 - smooth) / factor + smooth));
            }
        }
        return f;
    }

    /**
     * Applies {@code t.transform()} to {@code v} (the HF values in torch order; changed in place or
     * replaced) and returns the values in GGUF order.
     */
    public float[] transform(OutTensor t, float[] v) {
        return switch (t.transform()) {
            case NONE -> v;
            case ADD_ONE -> {
                for (int i = 0; i < v.length; i++) {
                    v[i] += 1f;
                }
                yield v;
            }
            case PERMUTE_Q -> permuteRotary(v, heads, t.dims().length == 1 ? 1 : (int) t.dims()[0]);
            case PERMUTE_K -> permuteRotary(v, kvHeads, t.dims().length == 1 ? 1 : (int) t.dims()[0]);
        };
    }

    /**
     * The checkpoint row that output row {@code row} of {@code t} comes from (a 2-D tensor's rows
     * are {@code dims[0]} values each): itself, or for Llama's q and k its rotate-half row.
     */
    public long sourceRow(OutTensor t, long row) {
        int n = switch (t.transform()) {
            case PERMUTE_Q -> heads;
            case PERMUTE_K -> kvHeads;
            default -> 0;
        };
        if (n == 0) {
            return row;
        }
        long rows = t.dims()[1];
        long d = rows / n;
        long half = d / 2;
        long h = row / d;
        long within = row % d; // = 2i + j
        return h * d + (within % 2) * half + within / 2;
    }

    /**
     * Reorders the rows of {@code w} ({@code rows x cols}, row-major) from rotate-half to adjacent
     * pairs, head by head: within a head of {@code d} rows, output row {@code 2i + j} = input row
     * {@code j * d/2 + i}.
     */
    static float[] permuteRotary(float[] w, int nHeads, int cols) {
        int rows = w.length / cols;
        int d = rows / nHeads;
        int half = d / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < nHeads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    int dst = h * d + 2 * i + j;
                    int src = h * d + j * half + i;
                    System.arraycopy(w, src * cols, out, dst * cols, cols);
                }
            }
        }
        return out;
    }

    private static long[] reverse(long[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[a.length - 1 - i];
        }
        return r;
    }

    /** Typed access to config.json values, errors naming the key and the value. */
    static final class Config {
        final JsonObject json;
        final String what;

        Config(JsonObject json) {
            this(json, "config.json");
        }

        Config(JsonObject json, String what) {
            this.json = json;
            this.what = what;
        }

        boolean has(String key) {
            return json.has(key) && !json.get(key).isJsonNull();
        }

        private JsonPrimitive number(String key) throws ConvertException {
            JsonElement e = json.get(key);
            if (e == null || e.isJsonNull()) {
                throw new ConvertException(what + ": '" + key + "' is missing");
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw new ConvertException(what + ": '" + key + "' must be a number, is " + abbreviate(e));
            }
            return e.getAsJsonPrimitive();
        }

        int positiveInt(String key) throws ConvertException {
            JsonPrimitive n = number(key);
            double d = n.getAsDouble();
            if (d != Math.rint(d) || d < 1 || d > (1 << 30)) {
                throw new ConvertException(what + ": '" + key + "' = " + n + " must be an integer in [1, 2^30]");
            }
            return (int) d;
        }

        double positiveDouble(String key) throws ConvertException {
            JsonPrimitive n = number(key);
            double d = n.getAsDouble();
            if (!(d > 0) || !Double.isFinite(d)) {
                throw new ConvertException(what + ": '" + key + "' = " + n + " must be a positive number");
            }
            return d;
        }

        double doubleOr(String key, double def) throws ConvertException {
            return has(key) ? positiveDouble(key) : def;
        }

        String string(String key, String def) throws ConvertException {
            if (!has(key)) {
                return def;
            }
            JsonElement e = json.get(key);
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw new ConvertException(what + ": '" + key + "' must be a string, is " + abbreviate(e));
            }
            return e.getAsString().toLowerCase(Locale.ROOT);
        }

        boolean bool(String key, boolean def) throws ConvertException {
            if (!has(key)) {
                return def;
            }
            JsonElement e = json.get(key);
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
                throw new ConvertException(what + ": '" + key + "' must be true or false, is " + abbreviate(e));
            }
            return e.getAsBoolean();
        }

        JsonObject object(String key) throws ConvertException {
            if (!has(key)) {
                return null;
            }
            JsonElement e = json.get(key);
            if (!e.isJsonObject()) {
                throw new ConvertException(what + ": '" + key + "' must be an object, is " + abbreviate(e));
            }
            return e.getAsJsonObject();
        }

        float[] floats(String key, int n) throws ConvertException {
            JsonElement e = json.get(key);
            if (e == null || !e.isJsonArray()) {
                throw new ConvertException(what + ": '" + key + "' must be an array of " + n + " numbers");
            }
            JsonArray a = e.getAsJsonArray();
            if (a.size() != n) {
                throw new ConvertException(what + ": '" + key + "' has " + a.size() + " values, expected " + n
                        + " (half the rotated dimensions)");
            }
            float[] f = new float[n];
            for (int i = 0; i < n; i++) {
                JsonElement x = a.get(i);
                if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber() || !(x.getAsDouble() > 0)) {
                    throw new ConvertException(what + ": '" + key + "'[" + i + "] = " + abbreviate(x)
                            + " must be a positive number");
                }
                f[i] = x.getAsFloat();
            }
            return f;
        }

        private static String abbreviate(JsonElement e) {
            String s = e.toString();
            return s.length() <= 60 ? s : s.substring(0, 60) + "...";
        }
    }
}
