package dev.pocketrag.generation;

import dev.pocketrag.generation.gguf.GgufFormatException;
import dev.pocketrag.generation.gguf.GgufMetadata;
import dev.pocketrag.generation.tokenizer.Tokenizer;
import dev.pocketrag.generation.tokenizer.UnsupportedTokenizerException;
import dev.pocketrag.generation.tokenizer.Vocabulary;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The tokenizer of a GGUF model, built from its {@code tokenizer.ggml.*} metadata.
 *
 * <pre>{@code
 * Tokenizer tok = Tokenizers.open(Path.of("model.gguf"));
 * int[] ids = tok.encode("Hello world", true, false);   // BOS + text, as llama.cpp
 * String text = tok.decode(ids);
 * }</pre>
 *
 * <h2>Keys read</h2>
 * <table>
 * <caption>tokenizer metadata</caption>
 * <tr><th>key</th><th>type</th><th>use</th></tr>
 * <tr><td>{@code tokenizer.ggml.model}</td><td>STRING, required</td><td>{@code llama} (SentencePiece),
 *     {@code gpt2} (byte-level BPE), {@code bert} (WordPiece); anything else:
 *     {@link UnsupportedTokenizerException}</td></tr>
 * <tr><td>{@code tokenizer.ggml.pre}</td><td>STRING</td><td>BPE pre-tokenizer; absent = {@code default}</td></tr>
 * <tr><td>{@code tokenizer.ggml.tokens}</td><td>ARRAY[STRING], required</td><td>token texts by id</td></tr>
 * <tr><td>{@code tokenizer.ggml.scores}</td><td>ARRAY[FLOAT32]</td><td>SentencePiece merge scores</td></tr>
 * <tr><td>{@code tokenizer.ggml.token_type}</td><td>ARRAY[INT32]</td><td>0..6, see
 *     {@link dev.pocketrag.generation.tokenizer.TokenType}</td></tr>
 * <tr><td>{@code tokenizer.ggml.merges}</td><td>ARRAY[STRING]</td><td>BPE merges {@code "a b"} by rank
 *     (required for {@code gpt2})</td></tr>
 * <tr><td>{@code tokenizer.ggml.{bos,eos,eot,eom,unknown,seperator,padding}_token_id}</td><td>integer</td>
 *     <td>special ids (-1 of the key's width = none)</td></tr>
 * <tr><td>{@code tokenizer.ggml.add_bos_token}, {@code add_eos_token}, {@code add_space_prefix}</td>
 *     <td>BOOL</td><td>override the model kind's defaults</td></tr>
 * <tr><td>{@code general.name}</td><td>STRING</td><td>llama.cpp strips spaces after special tokens
 *     of Phi-3 models by name</td></tr>
 * </table>
 * Types, lengths and id ranges are checked by {@link Gguf#open} (a {@link GgufFormatException} names
 * the key and its file offset). Building the tokenizer (lookup and merge tables, piece cache) takes
 * 0.1-0.5 s for a 128k-152k-token vocabulary; build it once per model and share it (it is
 * immutable and thread-safe).
 */
public final class Tokenizers {
    private static final String P = "tokenizer.ggml.";

    private Tokenizers() {}

    /**
     * Opens {@code path}, builds its tokenizer and closes the file.
     *
     * @throws IOException                   if the file cannot be read
     * @throws GgufFormatException           if it is not a valid GGUF file or lacks tokenizer keys
     * @throws UnsupportedTokenizerException if its tokenizer model or pre-tokenizer is not implemented
     */
    public static Tokenizer open(Path path) throws IOException {
        try (Gguf gguf = Gguf.open(path)) {
            return fromGguf(gguf);
        }
    }

    /** The tokenizer of an open GGUF file (see {@link #open} for the exceptions). */
    public static Tokenizer fromGguf(Gguf gguf) {
        Path name = gguf.path().getFileName();
        return build(gguf.metadata(), name == null ? gguf.path().toString() : name.toString());
    }

    /** The tokenizer described by {@code metadata} (see {@link #open} for the exceptions). */
    public static Tokenizer fromMetadata(GgufMetadata metadata) {
        return build(metadata, "metadata");
    }

    private static Tokenizer build(GgufMetadata metadata, String source) {
        Vocabulary v = vocabulary(metadata, source);
        try {
            return Tokenizer.of(v);
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(source + ": " + e.getMessage(), source, "tokenizer.ggml.*", null, -1);
        }
    }

    /**
     * The {@code tokenizer.ggml.*} keys of {@code metadata} as a {@link Vocabulary}.
     *
     * @throws GgufFormatException if {@code tokenizer.ggml.model} or {@code tokenizer.ggml.tokens} is
     *                             missing, or a key has the wrong type
     */
    public static Vocabulary vocabulary(GgufMetadata m) {
        return vocabulary(m, "metadata");
    }

    private static Vocabulary vocabulary(GgufMetadata m, String source) {
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
