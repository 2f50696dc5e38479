package dev.pocketrag.convert.internal;

import dev.pocketrag.generation.gguf.GgufValue;
import dev.pocketrag.convert.ConvertException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.LinkedHashMap;

/**
 * The token table being written: texts, scores (SentencePiece only) and types by id, with llama.cpp's
 * padding of ids no file names ({@code [PAD<id>]}, UNUSED).
 *
 * <p>Token types are GGUF's {@code tokenizer.ggml.token_type} values (llama.cpp's
 * {@code llama_token_type}): {@link #NORMAL} 1, {@link #UNKNOWN} 2, {@link #CONTROL} 3,
 * {@link #USER_DEFINED} 4, {@link #UNUSED} 5, {@link #BYTE} 6.
 */
final class VocabTokens {
    static final int NORMAL = 1;
    static final int UNKNOWN = 2;
    static final int CONTROL = 3;
    static final int USER_DEFINED = 4;
    static final int UNUSED = 5;
    static final int BYTE = 6;

    /** The score SentencePiece padding gets ({@code _create_vocab_sentencepiece}). */
    static final float PAD_SCORE = -10000f;
    /** The score of an added token in a SentencePiece vocabulary. */
    static final float ADDED_SCORE = -1000f;

    final String[] tokens;
    final float[] scores;
    final int[] types;

    /** {@code size} padding entries; {@code withScores} for a SentencePiece table. */
    VocabTokens(int size, boolean withScores) {
        tokens = new String[size];
        types = new int[size];
        scores = withScores ? new float[size] : null;
        for (int i = 0; i < size; i++) {
            tokens[i] = pad(i);
        }
        Arrays.fill(types, UNUSED);
        if (scores != null) {
            Arrays.fill(scores, PAD_SCORE);
        }
    }

    int size() {
        return tokens.length;
    }

    /** The text llama.cpp's converter gives an id no file names. */
    static String pad(int id) {
        return "[PAD" + id + "]";
    }

    /**
     * gguf-py's {@code does_token_look_special}: added tokens some models do not mark special but
     * which are control tokens ({@code <|...|>}, {@code <｜...｜>}, {@code <unused...>}, {@code <pad>},
     * {@code <mask>}, {@code <2mass>}, {@code [@BOS@]}).
     */
    static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || (t.startsWith("<|") && t.endsWith("|>"))
                || (t.startsWith("<\uff5c") && t.endsWith("\uff5c>"))
                || (t.startsWith("<unused") && t.endsWith(">"));
    }

    /**
     * Refuses a table with one text at two ids (empty texts aside): llama.cpp would keep the last id
     * for the text, pocketrag's engine refuses to load such a vocabulary.
     *
     * @param files the files the table came from, for the message
     */
    void checkUnique(String files) throws ConvertException {
        Map<String, Integer> seen = new HashMap<>(tokens.length * 2);
        for (int id = 0; id < tokens.length; id++) {
            if (tokens[id].isEmpty()) {
                continue;
            }
            Integer first = seen.putIfAbsent(tokens[id], id);
            if (first != null) {
                throw new ConvertException(files + ": the token " + VocabJson.quote(tokens[id]) + " is given ids " + first
                        + " and " + id + "; a vocabulary needs each token once");
            }
        }
    }

    /** Writes {@code tokenizer.ggml.model}, {@code pre}, {@code tokens}, {@code scores}, {@code token_type}. */
    void putInto(LinkedHashMap<String, GgufValue> keys, String model, String pre) {
        keys.put("tokenizer.ggml.model", GgufValue.ofString(model));
        keys.put("tokenizer.ggml.pre", GgufValue.ofString(pre));
        keys.put("tokenizer.ggml.tokens", GgufValue.ofStrings(Arrays.asList(tokens)));
        if (scores != null) {
            keys.put("tokenizer.ggml.scores", GgufValue.ofFloat32s(scores));
        }
        keys.put("tokenizer.ggml.token_type", GgufValue.ofInt32s(types));
    }
}
