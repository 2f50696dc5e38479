package dev.pocketrag.generation.model;

import dev.pocketrag.generation.gguf.GgufFile;
import dev.pocketrag.generation.gguf.GgufFormatException;
import dev.pocketrag.generation.gguf.GgufTensorInfo;
import dev.pocketrag.generation.gguf.GgufValue;
import dev.pocketrag.generation.gguf.UnsupportedModelException;
import java.util.Locale;
import java.util.Optional;

/**
 * The hyper-parameters of a model, read from its GGUF metadata as llama.cpp reads them.
 *
 * <table>
 * <caption>Keys read ({@code <a>} = {@code general.architecture})</caption>
 * <tr><th>key</th><th>use (default when absent)</th></tr>
 * <tr><td>{@code <a>.embedding_length}, {@code .block_count}, {@code .feed_forward_length},
 *     {@code .attention.head_count}</td><td>required scalars</td></tr>
 * <tr><td>{@code <a>.attention.head_count_kv}</td><td>GQA/MQA key/value heads (= heads)</td></tr>
 * <tr><td>{@code <a>.attention.key_length}, {@code .value_length}</td><td>head size (embedding / heads)</td></tr>
 * <tr><td>{@code <a>.context_length}</td><td>training context (required)</td></tr>
 * <tr><td>{@code <a>.attention.layer_norm_rms_epsilon}</td><td>RMSNorm epsilon (1e-5)</td></tr>
 * <tr><td>{@code <a>.rope.freq_base}</td><td>RoPE theta (10000)</td></tr>
 * <tr><td>{@code <a>.rope.dimension_count}</td><td>rotated dimensions per head (head size)</td></tr>
 * <tr><td>{@code <a>.rope.scaling.type}</td><td>{@code none}, {@code linear}, {@code yarn} or
 *     {@code longrope} (linear)</td></tr>
 * <tr><td>{@code <a>.rope.scaling.factor} (or {@code .rope.scale_linear})</td><td>context scale
 *     factor; the rotation frequencies are divided by it (1)</td></tr>
 * <tr><td>{@code <a>.rope.scaling.attn_factor}</td><td>multiplies cos/sin (LongRoPE's attention
 *     factor) (1)</td></tr>
 * <tr><td>{@code <a>.rope.scaling.original_context_length}</td><td>YaRN and the LongRoPE long/short
 *     switch (the training context)</td></tr>
 * <tr><td>{@code <a>.attention.sliding_window}</td><td>phi3 (all layers) and gemma2 (even layers):
 *     attend to the last N positions only (none)</td></tr>
 * <tr><td>{@code gemma2.attn_logit_softcapping}, {@code gemma2.final_logit_softcapping}</td><td>soft caps
 *     {@code c * tanh(x / c)} of attention scores and logits (50, 30)</td></tr>
 * </table>
 * The vocabulary size is {@code ne[1]} of {@code token_embd.weight}.
 *
 * @param architecture   the forward pass variant
 * @param name           {@code general.name}, or the architecture name
 * @param layers         transformer blocks
 * @param dim            embedding size
 * @param heads          query heads
 * @param kvHeads        key/value heads (heads is a multiple)
 * @param headDim        size of a query/key head
 * @param headDimV       size of a value head
 * @param ffnDim         feed-forward hidden size
 * @param vocabSize      rows of the embedding matrix
 * @param contextTrain   the context length the model was trained for
 * @param rmsEps         RMSNorm epsilon
 * @param ropeTheta      RoPE base frequency
 * @param ropeDim        rotated dimensions per head (even, at most headDim)
 * @param ropeFreqScale  1 / rope scaling factor
 * @param ropeAttnFactor multiplier of cos and sin
 * @param ropeExtFactor  YaRN extrapolation mix (1 for yarn, else 0)
 * @param ropeOrigContext original context for YaRN and LongRoPE
 * @param slidingWindow  attention window in positions, 0 = unlimited
 * @param swaEvenLayers  the window applies to even layers only (gemma2), else to all
 * @param attnSoftcap    attention score soft cap, 0 = none
 * @param finalSoftcap   logit soft cap, 0 = none
 * @param queryScale     scale of the attention scores (applied to q for phi3 and gemma2, as llama.cpp does)
 */
public record ModelConfig(
        Architecture architecture,
        String name,
        int layers,
        int dim,
        int heads,
        int kvHeads,
        int headDim,
        int headDimV,
        int ffnDim,
        int vocabSize,
        int contextTrain,
        float rmsEps,
        float ropeTheta,
        int ropeDim,
        float ropeFreqScale,
        float ropeAttnFactor,
        float ropeExtFactor,
        int ropeOrigContext,
        int slidingWindow,
        boolean swaEvenLayers,
        float attnSoftcap,
        float finalSoftcap,
        float queryScale) {

    public ModelConfig {
        if (layers < 1 || dim < 1 || heads < 1 || kvHeads < 1 || headDim < 2 || headDimV < 1 || ffnDim < 1
                || vocabSize < 1 || contextTrain < 1) {
            throw new IllegalArgumentException("model dimensions must be positive: " + describe(layers, dim, heads,
                    kvHeads, headDim, ffnDim, vocabSize));
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " is not a multiple of kvHeads " + kvHeads);
        }
        if (ropeDim < 2 || ropeDim > headDim || ropeDim % 2 != 0) {
            throw new IllegalArgumentException("ropeDim " + ropeDim + " must be even and in 2.." + headDim);
        }
        if (!(rmsEps > 0) || !(ropeTheta > 0) || !(ropeFreqScale > 0) || !Float.isFinite(ropeAttnFactor)) {
            throw new IllegalArgumentException("rmsEps " + rmsEps + ", ropeTheta " + ropeTheta + ", ropeFreqScale "
                    + ropeFreqScale + " must be > 0, ropeAttnFactor " + ropeAttnFactor + " finite");
        }
        if (slidingWindow < 0) {
            throw new IllegalArgumentException("slidingWindow must be >= 0; slidingWindow=" + slidingWindow);
        }
        if (!(attnSoftcap >= 0) || !(finalSoftcap >= 0) || !(queryScale > 0)) {
            throw new IllegalArgumentException("attnSoftcap " + attnSoftcap + " and finalSoftcap " + finalSoftcap
                    + " must be >= 0, queryScale " + queryScale + " > 0");
        }
    }

    /** Query size: heads x headDim. */
    public int qDim() {
        return heads * headDim;
    }

    /** Key size: kvHeads x headDim. */
    public int kDim() {
        return kvHeads * headDim;
    }

    /** Value size: kvHeads x headDimV. */
    public int vDim() {
        return kvHeads * headDimV;
    }

    /** The attention window of layer {@code l} in positions, 0 = unlimited. */
    public int window(int l) {
        return swaEvenLayers && l % 2 != 0 ? 0 : slidingWindow;
    }

    /**
     * The configuration of the model in {@code gguf}.
     *
     * @throws UnsupportedModelException if the architecture or a feature is not implemented
     * @throws GgufFormatException       if a required key is missing or malformed
     */
    public static ModelConfig from(GgufFile gguf) {
        String source = gguf.path().getFileName() == null ? gguf.path().toString() : gguf.path().getFileName().toString();
        String archName = Optional.ofNullable(gguf.metadata().getString("general.architecture", null)).orElseThrow(() -> new GgufFormatException(source,
                "key 'general.architecture'", "(absent)", -1, "required key is missing"));
        Architecture arch = Architecture.byGgufName(archName).orElseThrow(() -> new UnsupportedModelException(
                source + ": architecture '" + archName + "' is not supported; supported: " + Architecture.supportedNames()));
        String p = archName + ".";
        int dim = scalar(gguf, p + "embedding_length", source);
        int layers = scalar(gguf, p + "block_count", source);
        int heads = scalar(gguf, p + "attention.head_count", source);
        int kvHeads = gguf.metadata().has(p + "attention.head_count_kv") ? scalar(gguf, p + "attention.head_count_kv", source) : heads;
        int ffn = scalar(gguf, p + "feed_forward_length", source);
        int ctx = scalar(gguf, p + "context_length", source);
        if (heads == 0 || kvHeads == 0) {
            throw new UnsupportedModelException(source + ": layers without attention heads are not supported");
        }
        int headDim = gguf.metadata().getInt(p + "attention.key_length", dim / heads);
        int headDimV = gguf.metadata().getInt(p + "attention.value_length", dim / heads);
        if (headDim != headDimV) {
            throw new UnsupportedModelException(source + ": key head size " + headDim + " != value head size "
                    + headDimV + " is not supported");
        }
        float eps = gguf.metadata().getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f);
        float theta = gguf.metadata().getFloat(p + "rope.freq_base", 10000f);
        int ropeDim = gguf.metadata().getInt(p + "rope.dimension_count", headDim);
        String scalingType = gguf.metadata().getString(p + "rope.scaling.type", "linear").toLowerCase(Locale.ROOT);
        float factor = gguf.metadata().has(p + "rope.scaling.factor") ? gguf.metadata().getFloat(p + "rope.scaling.factor")
                : gguf.metadata().getFloat(p + "rope.scale_linear", 0f);
        float freqScale = factor == 0f ? 1f : 1f / factor;
        float extFactor = 0f;
        switch (scalingType) {
            case "none" -> freqScale = 1f;
            case "linear", "longrope", "su" -> { }
            case "yarn" -> extFactor = 1f;
            default -> throw new UnsupportedModelException(source + ": rope scaling type '" + scalingType
                    + "' is not supported; supported: none, linear, yarn, longrope");
        }
        float attnFactor = gguf.metadata().getFloat(p + "rope.scaling.attn_factor", 1f);
        int origCtx = gguf.metadata().getInt(p + "rope.scaling.original_context_length", ctx);
        int window = gguf.metadata().getInt(p + "attention.sliding_window", 0);
        if (arch != Architecture.PHI3 && arch != Architecture.GEMMA2) {
            window = 0; // llama.cpp uses the window only for the architectures that need it
        }
        float attnSoftcap = 0;
        float finalSoftcap = 0;
        float queryScale = 1.0f / (float) Math.sqrt(headDim);
        if (arch == Architecture.GEMMA2) {
            attnSoftcap = gguf.metadata().getFloat(p + "attn_logit_softcapping", 50f);
            finalSoftcap = gguf.metadata().getFloat(p + "final_logit_softcapping", 30f);
            if (layers == 46) { // llama.cpp: Gemma 2 27B scales by the embedding per head
                queryScale = 1.0f / (float) Math.sqrt((float) (dim / heads));
            }
        }
        GgufTensorInfo emb = gguf.findTensor("token_embd.weight").orElseThrow(() -> new GgufFormatException(source,
                "tensor 'token_embd.weight'", "(absent)", -1, "required tensor is missing"));
        if (emb.ne(1) > Integer.MAX_VALUE) {
            throw new GgufFormatException(source, "tensor 'token_embd.weight'", emb.toString(), -1, "too many rows");
        }
        String name = gguf.metadata().getString("general.name", archName);
        try {
            return new ModelConfig(arch, name, layers, dim, heads, kvHeads, headDim, headDimV, ffn, (int) emb.ne(1), ctx,
                    eps, theta, ropeDim, freqScale, attnFactor, extFactor, origCtx, window,
                    arch == Architecture.GEMMA2, attnSoftcap, finalSoftcap, queryScale);
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(source + ": " + e.getMessage(), source, p + "*", null, -1);
        }
    }

    private static int scalar(GgufFile gguf, String key, String source) {
        GgufValue v = gguf.metadata().get(key);
        if (v.isArray()) {
            throw new UnsupportedModelException(source + ": per-layer values of '" + key + "' are not supported");
        }
        return gguf.metadata().getInt(key);
    }

    private static String describe(int layers, int dim, int heads, int kvHeads, int headDim, int ffnDim, int vocab) {
        return "layers=" + layers + ", dim=" + dim + ", heads=" + heads + ", kvHeads=" + kvHeads + ", headDim="
                + headDim + ", ffnDim=" + ffnDim + ", vocab=" + vocab;
    }

    @Override
    public String toString() {
        return architecture.ggufName() + " '" + name + "': " + describe(layers, dim, heads, kvHeads, headDim, ffnDim,
                vocabSize) + ", ctx=" + contextTrain + ", theta=" + ropeTheta + ", eps=" + rmsEps;
    }
}
