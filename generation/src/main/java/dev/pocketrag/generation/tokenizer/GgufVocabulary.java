package dev.pocketrag.generation.tokenizer;

import dev.pocketrag.generation.gguf.GgufFormatException;
import dev.pocketrag.generation.gguf.GgufMetadata;
import dev.pocketrag.generation.gguf.UnsupportedTokenizerException;

/**
 * Builds a {@link Tokenizer} from the {@code tokenizer.ggml.*} keys of a GGUF file's metadata (the
 * keys and their use are listed on {@code dev.pocketrag.generation.Tokenizers}, the facade).
 */
public final class GgufVocabulary {
    private static final String P = "tokenizer.ggml.";

    private GgufVocabulary() {}

    /**
     * The tokenizer described by the {@code tokenizer.ggml.*} keys of {@code metadata}.
     *
     * @param source the file name, for error messages
     * @throws GgufFormatException           if a key is missing or has the wrong type
     * @throws UnsupportedTokenizerException if the tokenizer model or pre-tokenizer is not implemented
     */
    public static Tokenizer tokenizer(GgufMetadata metadata, String source) {
        Vocabulary v = vocabulary(metadata, source);
        try {
            return Tokenizer.of(v);
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(source + ": " + e.getMessage(), source, "tokenizer.ggml.*", null, -1);
        }
    }

    /** The {@code tokenizer.ggml.*} keys of {@code metadata} as a {@link Vocabulary}. */
    static Vocabulary vocabulary(GgufMetadata m, String source) {
        String model = m.getString(P + "model");
        var tokens = m.getStringList(P + "tokens");
        Vocabulary.Builder b = Vocabulary.builder(model, tokens)
                .pre(m.getString(P + "pre", null))
                .scores(m.has(P + "scores") ? m.getFloatArray(P + "scores") : null)
                .tokenTypes(m.has(P + "token_type") ? m.getIntArray(P + "token_type") : null)
                .merges(m.has(P + "merges") ? m.getStringList(P + "merges") : null)
                .bosId(m.getTokenId(P + "bos_token_id").orElse(-1))
                .eosId(m.getTokenId(P + "eos_token_id").orElse(-1))
                .eotId(m.getTokenId(P + "eot_token_id").orElse(-1))
                .eomId(m.getTokenId(P + "eom_token_id").orElse(-1))
                .unkId(m.getTokenId(P + "unknown_token_id").orElse(-1))
                .sepId(m.getTokenId(P + "seperator_token_id").orElse(-1))
                .padId(m.getTokenId(P + "padding_token_id").orElse(-1))
                .addBos(m.has(P + "add_bos_token") ? m.getBool(P + "add_bos_token") : null)
                .addEos(m.has(P + "add_eos_token") ? m.getBool(P + "add_eos_token") : null)
                .addSpacePrefix(m.has(P + "add_space_prefix") ? m.getBool(P + "add_space_prefix") : null)
                .modelName(m.getString("general.name", null));
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(source + ": " + e.getMessage(), source, "tokenizer.ggml.*", null, -1);
        }
    }
}
