package dev.pocketrag.generation;

import dev.pocketrag.generation.chat.ChatTemplate;
import dev.pocketrag.generation.gguf.GgufFile;
import dev.pocketrag.generation.gguf.GgufFormatException;
import dev.pocketrag.generation.gguf.UnsupportedTokenizerException;
import dev.pocketrag.generation.tokenizer.GgufVocabulary;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The tokenizer of a GGUF model, built from its {@code tokenizer.ggml.*} metadata.
 *
 * <pre>{@code
 * GgufTokenizer tok = Tokenizers.open(Path.of("model.gguf"));
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
 *     {@code TokenType}</td></tr>
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

    private Tokenizers() {}

    /**
     * Opens {@code path}, builds its tokenizer and closes the file.
     *
     * @throws IOException                   if the file cannot be read
     * @throws GgufFormatException           if it is not a valid GGUF file or lacks tokenizer keys
     * @throws UnsupportedTokenizerException if its tokenizer model or pre-tokenizer is not implemented
     */
    public static GgufTokenizer open(Path path) throws IOException {
        try (Gguf gguf = Gguf.open(path)) {
            return fromGguf(gguf);
        }
    }

    /** The tokenizer (and chat template) of an open GGUF file (see {@link #open} for the exceptions). */
    public static GgufTokenizer fromGguf(Gguf gguf) {
        GgufFile f = gguf.file();
        return new GgufTokenizer(GgufVocabulary.tokenizer(f.metadata(), f.source()),
                ChatTemplate.detect(f.metadata().getString("tokenizer.chat_template", null)));
    }
}
