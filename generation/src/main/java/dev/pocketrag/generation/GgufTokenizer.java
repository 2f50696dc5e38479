package dev.pocketrag.generation;

import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.generation.chat.ChatTemplate;
import dev.pocketrag.generation.tokenizer.Tokenizer;
import java.util.List;
import java.util.Objects;

/**
 * The tokenizer of a GGUF model and its chat template, as llama.cpp reads them: what callers
 * outside the engine need of them (token ids, text, special ids, prompt tokens). Made by
 * {@link Tokenizers} or {@link GgufChatModel#tokenizer()}; immutable and thread-safe.
 *
 * <pre>{@code
 * GgufTokenizer tok = Tokenizers.open(Path.of("model.gguf"));
 * int[] ids = tok.encode("Hello world", true, false);   // BOS + text, as llama_tokenize
 * String text = tok.decode(ids);
 * }</pre>
 */
public final class GgufTokenizer {
    private final Tokenizer tokenizer;
    private final ChatTemplate template;

    GgufTokenizer(Tokenizer tokenizer, ChatTemplate template) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.template = Objects.requireNonNull(template, "template");
    }

    /**
     * The token ids of {@code text}, as llama.cpp's {@code llama_tokenize(vocab, text, addSpecial,
     * parseSpecial)}.
     *
     * @param addSpecial   add the BOS (and EOS) tokens the model asks for
     * @param parseSpecial recognise control tokens written in the text (e.g. {@code <|im_start|>});
     *                     otherwise they stay text
     */
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        return tokenizer.encode(text, addSpecial, parseSpecial);
    }

    /** The number of tokens of {@code text} on its own (no BOS, special-token text stays text). */
    public int countTokens(String text) {
        return tokenizer.countTokens(Objects.requireNonNull(text, "text"));
    }

    /**
     * The token ids of {@code messages} in the model's chat template with the assistant header last
     * (BOS included when the model adds one): the template's markers as special tokens, the
     * messages' text as text. The same ids {@link GgufChatModel#promptTokens} gives for this model.
     */
    public int[] promptTokens(List<ChatMessage> messages) {
        Objects.requireNonNull(messages, "messages");
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("messages must not be empty");
        }
        ChatTemplate.Prompt p = template.prompt(messages, true);
        return tokenizer.encodePrompt(p.text(), true, p.content());
    }

    /**
     * The text of {@code ids}: the inverse of {@link #encode} for text without special tokens
     * (control tokens render as nothing, invalid UTF-8 as U+FFFD).
     */
    public String decode(int[] ids) {
        return tokenizer.decode(ids);
    }

    /** The text of token {@code id} as a user would see it ({@code " Hello"}, {@code "<|im_end|>"}). */
    public String piece(int id) {
        return tokenizer.tokenPiece(id);
    }

    /** Number of tokens in the vocabulary. */
    public int vocabSize() {
        return tokenizer.vocabSize();
    }

    /** The beginning-of-sequence id, or -1. */
    public int bosId() {
        return tokenizer.bosId();
    }

    /** The end-of-sequence id, or -1. */
    public int eosId() {
        return tokenizer.eosId();
    }

    /** Whether {@link #encode} with {@code addSpecial} puts a BOS first. */
    public boolean addsBos() {
        return tokenizer.addsBos();
    }

    /** The chat template's name as llama.cpp calls it ({@code chatml}, {@code llama3} ...), "(fallback)" if guessed. */
    public String chatTemplate() {
        return template.toString();
    }

    @Override
    public String toString() {
        return tokenizer.toString();
    }
}
