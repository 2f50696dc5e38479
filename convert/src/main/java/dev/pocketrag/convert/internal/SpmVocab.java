package dev.pocketrag.convert.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pocketrag.convert.ConvertException;
import dev.pocketrag.generation.gguf.GgufValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A SentencePiece {@code tokenizer.model} as llama.cpp's converter writes it
 * ({@code _create_vocab_sentencepiece}, and Phi-3's own variant): {@code tokenizer.ggml.model = llama},
 * {@code pre = default}, the pieces with their scores and types (UNKNOWN, CONTROL, UNUSED, BYTE as
 * SentencePiece marks them, NORMAL for the rest, USER_DEFINED pieces included), ids up to
 * {@code config.json}'s {@code vocab_size} padded with {@code [PAD<id>]} (score -10000, UNUSED), then
 * the added tokens with score -1000:
 * <ul>
 * <li>{@code added_tokens.json} ({@code {"text": id}}): USER_DEFINED; ids past {@code vocab_size} are
 *     skipped, as llama.cpp skips them;</li>
 * <li>{@code tokenizer_config.json}'s {@code added_tokens_decoder}: CONTROL when {@code special} (or,
 *     outside Phi-3, when the text looks special), else USER_DEFINED (outside Phi-3 with U+2581 written
 *     as a space);</li>
 * <li>for Phi-3 also {@code tokenizer.json}'s {@code added_tokens}, the same way.</li>
 * </ul>
 * Then the special keys ({@link VocabSpecials}, without merges).
 */
final class SpmVocab {
    private SpmVocab() {}

    /** How the added tokens are typed: llama.cpp's shared function, or its Phi-3 converter. */
    enum Flavour { SENTENCEPIECE, PHI3 }

    static LinkedHashMap<String, GgufValue> read(Path dir, JsonObject tj, JsonObject tokenizerConfig, JsonObject config,
            Flavour flavour) throws ConvertException {
        Path file = dir.resolve("tokenizer.model");
        if (!Files.isRegularFile(file)) {
            throw new ConvertException(file + ": missing (a SentencePiece vocabulary needs it)");
        }
        SpmModelProto proto = SpmModelProto.parse(VocabJson.readBytes(file), file.toString());
        int n = proto.pieces().size();
        Integer configured = VocabJson.vocabSize(config, dir);
        int size = configured == null ? n : configured;
        if (size < n) {
            throw new ConvertException(dir.resolve("config.json") + ": vocab_size " + size + " is smaller than the " + n
                    + " pieces of " + file);
        }
        VocabTokens t = new VocabTokens(size, true);
        for (int id = 0; id < n; id++) {
            SpmModelProto.Piece p = proto.pieces().get(id);
            t.tokens[id] = p.piece();
            t.scores[id] = p.score();
            t.types[id] = switch (p.type()) {
                case SpmModelProto.UNKNOWN -> VocabTokens.UNKNOWN;
                case SpmModelProto.CONTROL -> VocabTokens.CONTROL;
                case SpmModelProto.UNUSED -> VocabTokens.UNUSED;
                case SpmModelProto.BYTE -> VocabTokens.BYTE;
                default -> VocabTokens.NORMAL; // NORMAL and USER_DEFINED, as llama.cpp
            };
        }

        Path addedFile = dir.resolve("added_tokens.json");
        JsonObject addedJson = VocabJson.readObjectIfPresent(addedFile);
        if (addedJson != null) {
            for (Map.Entry<String, JsonElement> e : addedJson.entrySet()) {
                Long id = VocabJson.integerOrNull(e.getValue());
                if (id == null || id < 0) {
                    throw new ConvertException(addedFile + ": the id of " + VocabJson.quote(e.getKey())
                            + " must be a non-negative integer, not " + VocabJson.kind(e.getValue()));
                }
                if (id >= size) {
                    continue; // llama.cpp: "ignore token ...: id is out of range"
                }
                int i = (int) (long) id;
                t.tokens[i] = e.getKey();
                t.scores[i] = VocabTokens.ADDED_SCORE;
                t.types[i] = VocabTokens.USER_DEFINED;
            }
        }

        Path cfgFile = dir.resolve("tokenizer_config.json");
        JsonObject decoder = tokenizerConfig == null ? null : VocabJson.object(tokenizerConfig, "added_tokens_decoder", cfgFile);
        if (decoder != null) {
            for (Map.Entry<String, JsonElement> e : decoder.entrySet()) {
                Integer id = BpeVocab.parseId(e.getKey());
                String what = "added_tokens_decoder[" + VocabJson.quote(e.getKey()) + "]";
                if (id == null || id < 0 || id >= size) {
                    throw new ConvertException(cfgFile + ": " + what + ": the id must be an integer 0.." + (size - 1)
                            + " (vocab_size " + size + ")");
                }
                if (!(e.getValue() instanceof JsonObject d)) {
                    throw new ConvertException(cfgFile + ": " + what + " must be an object, not " + VocabJson.kind(e.getValue()));
                }
                added(t, id, VocabJson.string(d, "content", cfgFile), d, flavour, cfgFile, what);
            }
        }
        Path tjFile = dir.resolve("tokenizer.json");
        if (flavour == Flavour.PHI3 && tj != null) {
            JsonArray added = VocabJson.array(tj, "added_tokens", tjFile);
            if (added != null) {
                for (int i = 0; i < added.size(); i++) {
                    String what = "added_tokens[" + i + "]";
                    if (!(added.get(i) instanceof JsonObject a)) {
                        throw new ConvertException(tjFile + ": " + what + " must be an object, not " + VocabJson.kind(added.get(i)));
                    }
                    int id = VocabJson.tokenId(a.get("id"), size, tjFile, what + ".id");
                    added(t, id, VocabJson.string(a, "content", tjFile), a, flavour, tjFile, what);
                }
            }
        }

        t.checkUnique(file + (addedJson != null ? " + added_tokens.json" : "") + (decoder != null ? " + tokenizer_config.json" : "")
                + (flavour == Flavour.PHI3 && tj != null ? " + tokenizer.json" : ""));
        LinkedHashMap<String, GgufValue> keys = new LinkedHashMap<>();
        t.putInto(keys, "llama", "default");
        VocabSpecials.read(dir, tj, tokenizerConfig, config, size, false).putInto(keys);
        return keys;
    }

    private static void added(VocabTokens t, int id, String content, JsonObject entry, Flavour flavour, Path file,
            String what) throws ConvertException {
        if (content == null) {
            throw new ConvertException(file + ": " + what + " has no \"content\"");
        }
        boolean special = Boolean.TRUE.equals(VocabJson.boolOrNull(entry, "special"));
        if (flavour == Flavour.PHI3) {
            t.types[id] = special ? VocabTokens.CONTROL : VocabTokens.USER_DEFINED;
        } else if (special || VocabTokens.looksSpecial(content)) {
            t.types[id] = VocabTokens.CONTROL;
        } else {
            content = content.replace('\u2581', ' ');
            t.types[id] = VocabTokens.USER_DEFINED;
        }
        t.tokens[id] = content;
        t.scores[id] = VocabTokens.ADDED_SCORE;
    }
}
