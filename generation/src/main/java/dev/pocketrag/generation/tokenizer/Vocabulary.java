package dev.pocketrag.generation.tokenizer;

import java.util.List;
import java.util.Objects;

/**
 * Everything a {@link Tokenizer} is built from: the {@code tokenizer.ggml.*} metadata of a GGUF
 * file (or an in-code vocabulary in tests). Arrays are copied in; ids are validated against the
 * token list. A special id of {@code -1} and a {@code null} flag mean "not given": the tokenizer
 * then uses llama.cpp's default for the model kind.
 *
 * @param model          {@code tokenizer.ggml.model}: {@code "llama"} (SentencePiece), {@code "gpt2"}
 *                       (byte-level BPE), {@code "bert"} (WordPiece), ...
 * @param pre            {@code tokenizer.ggml.pre}: the BPE pre-tokenizer name, or {@code null}
 * @param tokens         {@code tokenizer.ggml.tokens}: the token strings, indexed by id (not empty)
 * @param scores         {@code tokenizer.ggml.scores}: one per token, or {@code null} (all 0)
 * @param tokenTypes     {@code tokenizer.ggml.token_type}: one value 0..6 per token, or {@code null} (all NORMAL)
 * @param merges         {@code tokenizer.ggml.merges}: BPE merges {@code "left right"} by rank, or {@code null}
 * @param bosId          {@code tokenizer.ggml.bos_token_id} or -1
 * @param eosId          {@code tokenizer.ggml.eos_token_id} or -1
 * @param eotId          {@code tokenizer.ggml.eot_token_id} or -1 (found by name when absent)
 * @param eomId          {@code tokenizer.ggml.eom_token_id} or -1 (found by name when absent)
 * @param unkId          {@code tokenizer.ggml.unknown_token_id} or -1
 * @param sepId          {@code tokenizer.ggml.seperator_token_id} (sic) or -1
 * @param padId          {@code tokenizer.ggml.padding_token_id} or -1
 * @param addBos         {@code tokenizer.ggml.add_bos_token} or {@code null}
 * @param addEos         {@code tokenizer.ggml.add_eos_token} or {@code null}
 * @param addSpacePrefix {@code tokenizer.ggml.add_space_prefix} or {@code null}
 * @param modelName      {@code general.name} or {@code null} (llama.cpp keys a few token attributes on it)
 */
public record Vocabulary(
        String model,
        String pre,
        List<String> tokens,
        float[] scores,
        int[] tokenTypes,
        List<String> merges,
        int bosId,
        int eosId,
        int eotId,
        int eomId,
        int unkId,
        int sepId,
        int padId,
        Boolean addBos,
        Boolean addEos,
        Boolean addSpacePrefix,
        String modelName) {

    public Vocabulary {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokens, "tokens");
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("tokens is empty: a vocabulary needs at least one token");
        }
        tokens = List.copyOf(tokens); // also rejects null entries
        int n = tokens.size();
        if (scores != null) {
            if (scores.length != n) {
                throw new IllegalArgumentException("scores has " + scores.length + " values for " + n + " tokens");
            }
            scores = scores.clone();
        }
        if (tokenTypes != null) {
            if (tokenTypes.length != n) {
                throw new IllegalArgumentException("tokenTypes has " + tokenTypes.length + " values for " + n + " tokens");
            }
            tokenTypes = tokenTypes.clone();
            for (int i = 0; i < n; i++) {
                if (tokenTypes[i] < 0 || tokenTypes[i] > 6) {
                    throw new IllegalArgumentException("tokenTypes[" + i + "] = " + tokenTypes[i] + ": must be 0..6");
                }
            }
        }
        merges = merges == null ? null : List.copyOf(merges);
        checkId("bosId", bosId, n);
        checkId("eosId", eosId, n);
        checkId("eotId", eotId, n);
        checkId("eomId", eomId, n);
        checkId("unkId", unkId, n);
        checkId("sepId", sepId, n);
        checkId("padId", padId, n);
    }

    private static void checkId(String name, int id, int n) {
        if (id < -1 || id >= n) {
            throw new IllegalArgumentException(name + " = " + id + ": must be -1 (absent) or 0.." + (n - 1));
        }
    }

    /** A copy of the scores, or {@code null}. */
    @Override
    public float[] scores() {
        return scores == null ? null : scores.clone();
    }

    /** A copy of the token types, or {@code null}. */
    @Override
    public int[] tokenTypes() {
        return tokenTypes == null ? null : tokenTypes.clone();
    }

    /** The number of tokens. */
    public int size() {
        return tokens.size();
    }

    /** A builder with every optional field absent. */
    public static Builder builder(String model, List<String> tokens) {
        return new Builder(model, tokens);
    }

    /** Builds a {@link Vocabulary} field by field; unset ids are -1, unset flags {@code null}. */
    public static final class Builder {
        private final String model;
        private final List<String> tokens;
        private String pre;
        private float[] scores;
        private int[] tokenTypes;
        private List<String> merges;
        private int bosId = -1;
        private int eosId = -1;
        private int eotId = -1;
        private int eomId = -1;
        private int unkId = -1;
        private int sepId = -1;
        private int padId = -1;
        private Boolean addBos;
        private Boolean addEos;
        private Boolean addSpacePrefix;
        private String modelName;

        private Builder(String model, List<String> tokens) {
            this.model = model;
            this.tokens = tokens;
        }

        public Builder pre(String v) { pre = v; return this; }
        public Builder scores(float[] v) { scores = v; return this; }
        public Builder tokenTypes(int[] v) { tokenTypes = v; return this; }
        public Builder merges(List<String> v) { merges = v; return this; }
        public Builder bosId(int v) { bosId = v; return this; }
        public Builder eosId(int v) { eosId = v; return this; }
        public Builder eotId(int v) { eotId = v; return this; }
        public Builder eomId(int v) { eomId = v; return this; }
        public Builder unkId(int v) { unkId = v; return this; }
        public Builder sepId(int v) { sepId = v; return this; }
        public Builder padId(int v) { padId = v; return this; }
        public Builder addBos(Boolean v) { addBos = v; return this; }
        public Builder addEos(Boolean v) { addEos = v; return this; }
        public Builder addSpacePrefix(Boolean v) { addSpacePrefix = v; return this; }
        public Builder modelName(String v) { modelName = v; return this; }

        public Vocabulary build() {
            return new Vocabulary(model, pre, tokens, scores, tokenTypes, merges, bosId, eosId, eotId, eomId,
                    unkId, sepId, padId, addBos, addEos, addSpacePrefix, modelName);
        }
    }
}
