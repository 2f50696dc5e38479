package dev.pocketrag.generation.gguf;

import java.util.List;

/**
 * Checks the well-known metadata keys of a model file beyond what the container format requires,
 * so that tokenizer and model code can rely on them: {@code Gguf.open} runs it on every file.
 *
 * <p>Checked when present (absent keys are not an error here; the model loader decides what it needs):
 * <ul>
 * <li>{@code tokenizer.ggml.tokens}: ARRAY[STRING], at least one token;
 *     {@code tokenizer.ggml.scores}: ARRAY[FLOAT32}; {@code tokenizer.ggml.token_type}: ARRAY[INT32] with
 *     values 0..6 (llama_token_type); both exactly as long as the token list (and only with one);
 *     {@code tokenizer.ggml.merges}, {@code tokenizer.ggml.added_tokens}: ARRAY[STRING];
 *     {@code tokenizer.ggml.model}, {@code .pre}, {@code tokenizer.chat_template}: STRING;
 *     {@code tokenizer.ggml.add_bos_token} and the other {@code add_*} / {@code remove_*} flags: BOOL.</li>
 * <li>special token ids ({@code tokenizer.ggml.bos_token_id}, eos, unknown, separator, padding, cls, mask,
 *     eot, eom, prefix/suffix/middle, fim_*): a scalar integer in {@code [0, n_vocab)} (n_vocab = the
 *     number of tokens; without a token list the ids cannot be checked and are rejected), or -1 in its
 *     type's width (UINT32 0xFFFFFFFF as written by llama.cpp for LLAMA_TOKEN_NULL, e.g. the padding id
 *     of stories260K), which means "no such token": read ids with {@link GgufMetadata#getTokenId}.</li>
 * <li>{@code general.architecture}: STRING; then for that {@code <arch>}: {@code block_count} 1..512
 *     (llama.cpp's LLAMA_MAX_LAYERS); {@code attention.head_count} and {@code attention.head_count_kv}
 *     1..16384 as scalars, or per-layer arrays of {@code block_count} values 0..16384, with
 *     kv heads &lt;= heads and heads a multiple of kv heads; {@code embedding_length} 1..2^20;
 *     {@code feed_forward_length} 0..2^24 (scalar or per-layer); {@code context_length} 1..2^30;
 *     {@code attention.key_length}, {@code attention.value_length}, {@code rope.dimension_count} 1..65536;
 *     {@code expert_count} 0..4096 and {@code expert_used_count} &lt;= expert_count.</li>
 * </ul>
 */
public final class ModelMetadataValidator {
    public static final int MAX_BLOCK_COUNT = 512;
    public static final int MAX_HEADS = 16384;
    /** Largest llama_token_type value (LLAMA_TOKEN_TYPE_BYTE). */
    public static final int MAX_TOKEN_TYPE = 6;

    /** The special-token id keys, without the {@code tokenizer.ggml.} prefix. */
    public static final List<String> SPECIAL_TOKEN_KEYS = List.of(
            "bos_token_id", "eos_token_id", "unknown_token_id", "separator_token_id", "padding_token_id",
            "cls_token_id", "mask_token_id", "eot_token_id", "eom_token_id", "prefix_token_id",
            "suffix_token_id", "middle_token_id", "fim_pre_token_id", "fim_suf_token_id", "fim_mid_token_id",
            "fim_pad_token_id", "fim_rep_token_id", "fim_sep_token_id");

    private static final List<String> BOOL_KEYS = List.of(
            "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token", "tokenizer.ggml.add_sep_token",
            "tokenizer.ggml.add_space_prefix", "tokenizer.ggml.remove_extra_whitespaces");

    private final GgufMetadata m;
    private final String source;

    private ModelMetadataValidator(GgufMetadata m, String source) {
        this.m = m;
        this.source = source;
    }

    /**
     * Validates the known keys of {@code metadata}.
     *
     * @throws GgufFormatException naming the first offending key, its value and file offset
     */
    public static void validate(GgufMetadata metadata, String source) {
        ModelMetadataValidator v = new ModelMetadataValidator(metadata, source);
        v.tokenizer();
        v.architecture();
    }

    private void tokenizer() {
        for (String k : List.of("tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.chat_template")) {
            requireType(k, GgufValueType.STRING, null);
        }
        for (String k : BOOL_KEYS) {
            requireType(k, GgufValueType.BOOL, null);
        }
        requireType("tokenizer.ggml.merges", GgufValueType.ARRAY, GgufValueType.STRING);
        requireType("tokenizer.ggml.added_tokens", GgufValueType.ARRAY, GgufValueType.STRING);
        String tokensKey = "tokenizer.ggml.tokens";
        long nVocab = -1;
        if (m.has(tokensKey)) {
            requireType(tokensKey, GgufValueType.ARRAY, GgufValueType.STRING);
            nVocab = m.get(tokensKey).length();
            if (nVocab == 0) {
                throw err(tokensKey, "0 tokens", "the vocabulary is empty");
            }
        }
        for (String k : List.of("tokenizer.ggml.scores", "tokenizer.ggml.token_type")) {
            if (!m.has(k)) {
                continue;
            }
            requireType(k, GgufValueType.ARRAY,
                    k.endsWith("scores") ? GgufValueType.FLOAT32 : GgufValueType.INT32);
            int n = m.get(k).length();
            if (nVocab < 0) {
                throw err(k, n + " elements", "present without " + tokensKey);
            }
            if (n != nVocab) {
                throw err(k, n + " elements", "length differs from the " + nVocab + " entries of " + tokensKey);
            }
        }
        if (m.has("tokenizer.ggml.token_type")) {
            int[] types = (int[]) m.get("tokenizer.ggml.token_type").value();
            for (int i = 0; i < types.length; i++) {
                if (types[i] < 0 || types[i] > MAX_TOKEN_TYPE) {
                    throw err("tokenizer.ggml.token_type", "[" + i + "] = " + types[i],
                            "token type must be 0.." + MAX_TOKEN_TYPE);
                }
            }
        }
        for (String s : SPECIAL_TOKEN_KEYS) {
            String k = "tokenizer.ggml." + s;
            if (!m.has(k)) {
                continue;
            }
            GgufValue v = m.get(k);
            if (v.isArray() || !v.type().isInteger()) {
                throw err(k, v.describeType(), "must be an integer token id");
            }
            long id = GgufMetadata.toLong(v.type(), v.value());
            if (GgufMetadata.isNoToken(v.type(), id)) {
                continue; // LLAMA_TOKEN_NULL: "no such token" (e.g. padding in stories260K)
            }
            String shown = v.type() == GgufValueType.UINT64 ? Long.toUnsignedString(id) : Long.toString(id);
            if (nVocab < 0) {
                throw err(k, shown, "special token id without " + tokensKey);
            }
            if (id < 0 || id >= nVocab) {
                throw err(k, shown, "special token id outside the vocabulary [0, " + nVocab + ")");
            }
        }
    }

    private void architecture() {
        if (!m.has("general.architecture")) {
            return;
        }
        requireType("general.architecture", GgufValueType.STRING, null);
        String arch = m.getString("general.architecture");
        if (arch.isEmpty()) {
            throw err("general.architecture", "\"\"", "empty architecture name");
        }
        String p = arch + ".";
        long blocks = -1;
        if (m.has(p + "block_count")) {
            blocks = scalar(p + "block_count", 1, MAX_BLOCK_COUNT);
        }
        long[] heads = perLayer(p + "attention.head_count", MAX_HEADS, blocks);
        long[] kv = perLayer(p + "attention.head_count_kv", MAX_HEADS, blocks);
        if (heads != null && kv != null) {
            for (int i = 0; i < Math.max(heads.length, kv.length); i++) {
                long h = heads[Math.min(i, heads.length - 1)];
                long k = kv[Math.min(i, kv.length - 1)];
                if (k > h || (k > 0 && h % k != 0)) {
                    throw err(p + "attention.head_count_kv", k + (kv.length > 1 ? " (layer " + i + ")" : ""),
                            "must divide the number of heads " + h);
                }
            }
        }
        scalarIfPresent(p + "embedding_length", 1, 1 << 20);
        perLayer(p + "feed_forward_length", 1 << 24, blocks);
        scalarIfPresent(p + "context_length", 1, 1 << 30);
        scalarIfPresent(p + "attention.key_length", 1, 65536);
        scalarIfPresent(p + "attention.value_length", 1, 65536);
        scalarIfPresent(p + "rope.dimension_count", 1, 65536);
        long experts = m.has(p + "expert_count") ? scalar(p + "expert_count", 0, 4096) : 0;
        if (m.has(p + "expert_used_count")) {
            scalar(p + "expert_used_count", 0, experts);
        }
    }

    /** A scalar integer, or a per-layer integer array (of block_count elements) ; null if absent. */
    private long[] perLayer(String key, long max, long blocks) {
        if (!m.has(key)) {
            return null;
        }
        GgufValue v = m.get(key);
        if (!v.isArray()) {
            return new long[] {scalar(key, key.endsWith("feed_forward_length") ? 0 : 1, max)};
        }
        if (!v.elementType().isInteger()) {
            throw err(key, v.describeType(), "must be an integer or an integer array");
        }
        int n = v.length();
        if (blocks >= 0 && n != blocks) {
            throw err(key, n + " elements", "per-layer array length differs from block_count " + blocks);
        }
        if (n == 0) {
            throw err(key, "0 elements", "empty per-layer array");
        }
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = GgufMetadata.elementAsLong(v.elementType(), v.value(), i);
            if (out[i] < 0 || out[i] > max || (v.elementType() == GgufValueType.UINT64 && out[i] < 0)) {
                throw err(key, "[" + i + "] = " + out[i], "must be 0.." + max);
            }
        }
        return out;
    }

    private void scalarIfPresent(String key, long min, long max) {
        if (m.has(key)) {
            scalar(key, min, max);
        }
    }

    private long scalar(String key, long min, long max) {
        GgufValue v = m.get(key);
        if (v.isArray() || !v.type().isInteger()) {
            throw err(key, v.describeType(), "must be an integer");
        }
        long x = GgufMetadata.toLong(v.type(), v.value());
        if (x < min || x > max || (v.type() == GgufValueType.UINT64 && x < 0)) {
            throw err(key, v.type() == GgufValueType.UINT64 ? Long.toUnsignedString(x) : Long.toString(x),
                    "absurd value, must be " + min + ".." + max);
        }
        return x;
    }

    private void requireType(String key, GgufValueType type, GgufValueType elementType) {
        if (!m.has(key)) {
            return;
        }
        GgufValue v = m.get(key);
        if (v.type() != type || v.elementType() != elementType) {
            String want = type == GgufValueType.ARRAY ? "ARRAY[" + elementType + "]" : type.name();
            throw err(key, v.describeType(), "must be " + want);
        }
    }

    private GgufFormatException err(String key, String value, String problem) {
        return new GgufFormatException(source, "key '" + key + "'", value, m.offsetOf(key), problem);
    }
}
