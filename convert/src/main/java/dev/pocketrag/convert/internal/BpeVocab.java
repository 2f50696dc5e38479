package dev.pocketrag.convert.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.pocketrag.convert.ConvertException;
import dev.pocketrag.generation.gguf.GgufValue;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A byte-level BPE {@code tokenizer.json} as llama.cpp's converter writes it ({@code _set_vocab_gpt2}):
 * {@code tokenizer.ggml.model = gpt2}, the pre-tokenizer name ({@link BpePreTokenizer}), the tokens by
 * id ({@code model.vocab} and {@code added_tokens}) padded to {@code config.json}'s
 * {@code vocab_size} with {@code [PAD<id>]}, their types (NORMAL for the vocabulary; for added
 * tokens CONTROL when marked special or when they look special, else USER_DEFINED with U+2581
 * written as a space; UNUSED for padding), the merges and the special keys ({@link VocabSpecials}).
 */
final class BpeVocab {
    private BpeVocab() {}

    static LinkedHashMap<String, GgufValue> read(Path dir, JsonObject tj, JsonObject tokenizerConfig, JsonObject config)
            throws ConvertException {
        Path file = dir.resolve("tokenizer.json");
        JsonObject model = VocabJson.object(tj, "model", file);
        if (model == null) {
            throw new ConvertException(file + ": no \"model\" object");
        }
        String type = VocabJson.string(model, "type", file);
        if ("BPE".equals(type) && Boolean.TRUE.equals(VocabJson.boolOrNull(model, "byte_fallback"))) {
            // llama.cpp converts these without tokenizer.model only for Llama (SpmHfVocab)
            throw new ConvertException(file + ": model.type \"BPE\" with byte_fallback (a SentencePiece-style BPE) is"
                    + " converted from its tokenizer.model for this architecture; put the model's tokenizer.model in " + dir);
        }
        if (!"BPE".equals(type)) {
            throw new ConvertException(file + ": model.type " + VocabJson.quote(type)
                    + " is not a byte-level BPE tokenizer; this architecture's byte-level BPE path cannot convert it");
        }
        JsonObject vocab = VocabJson.object(model, "vocab", file);
        if (vocab == null || vocab.isEmpty()) {
            throw new ConvertException(file + ": model.vocab is missing or empty");
        }
        JsonArray added = VocabJson.array(tj, "added_tokens", file);

        // the ids' range: config.json's vocab_size, else as many as there are distinct tokens
        int size = size(vocab, added, config, dir);
        VocabTokens t = new VocabTokens(size, false);
        boolean[] known = new boolean[size];
        boolean[] isAdded = new boolean[size];
        boolean[] special = new boolean[size];
        Map<String, Integer> idOf = new HashMap<>(vocab.size() * 2);
        for (Map.Entry<String, JsonElement> e : vocab.entrySet()) {
            String token = e.getKey();
            int id = VocabJson.tokenId(e.getValue(), size, file, "model.vocab[" + VocabJson.quote(token) + "]");
            if (known[id]) {
                throw new ConvertException(file + ": id " + id + " is given to both " + VocabJson.quote(t.tokens[id])
                        + " and " + VocabJson.quote(token) + " in model.vocab");
            }
            known[id] = true;
            t.tokens[id] = token;
            idOf.put(token, id);
        }
        if (added != null) {
            for (int i = 0; i < added.size(); i++) {
                if (!(added.get(i) instanceof JsonObject a)) {
                    throw new ConvertException(file + ": added_tokens[" + i + "] must be an object, not "
                            + VocabJson.kind(added.get(i)));
                }
                String content = VocabJson.string(a, "content", file);
                if (content == null) {
                    throw new ConvertException(file + ": added_tokens[" + i + "] has no \"content\"");
                }
                int id = VocabJson.tokenId(a.get("id"), size, file, "added_tokens[" + i + "].id");
                if (known[id] && !t.tokens[id].equals(content)) {
                    throw new ConvertException(file + ": added_tokens[" + i + "] gives id " + id + " to "
                            + VocabJson.quote(content) + ", which is already " + VocabJson.quote(t.tokens[id]));
                }
                Integer other = idOf.putIfAbsent(content, id);
                if (other != null && other != id) {
                    throw new ConvertException(file + ": the token " + VocabJson.quote(content) + " has two ids, "
                            + other + " and " + id + " (added_tokens[" + i + "])");
                }
                known[id] = true;
                isAdded[id] = true;
                t.tokens[id] = content;
                special[id] = Boolean.TRUE.equals(VocabJson.boolOrNull(a, "special"));
            }
        }
        // transformers lets tokenizer_config.json's added_tokens_decoder say which added tokens are special
        JsonObject decoder = tokenizerConfig == null ? null
                : VocabJson.object(tokenizerConfig, "added_tokens_decoder", dir.resolve("tokenizer_config.json"));
        if (decoder != null) {
            for (Map.Entry<String, JsonElement> e : decoder.entrySet()) {
                Integer id = parseId(e.getKey());
                if (id != null && id < size && isAdded[id] && e.getValue() instanceof JsonObject d
                        && t.tokens[id].equals(VocabSpecials.content(d))) {
                    Boolean s = VocabJson.boolOrNull(d, "special");
                    if (s != null) {
                        special[id] = s;
                    }
                }
            }
        }
        for (int id = 0; id < size; id++) {
            if (!known[id]) {
                continue; // padding: [PAD<id>], UNUSED
            }
            if (isAdded[id]) {
                if (special[id] || VocabTokens.looksSpecial(t.tokens[id])) {
                    t.types[id] = VocabTokens.CONTROL;
                } else {
                    t.tokens[id] = t.tokens[id].replace('\u2581', ' '); // llama.cpp wants user-defined text pre-normalized
                    t.types[id] = VocabTokens.USER_DEFINED;
                }
            } else {
                t.types[id] = VocabTokens.NORMAL;
            }
        }

        t.checkUnique(file.toString());
        String pre = BpePreTokenizer.detect(tj, file);
        LinkedHashMap<String, GgufValue> keys = new LinkedHashMap<>();
        t.putInto(keys, "gpt2", pre);
        VocabSpecials specials = VocabSpecials.read(dir, tj, tokenizerConfig, config, size, true);
        if (specials.merges().isEmpty()) {
            throw new ConvertException(file + ": model.merges is missing or empty; a BPE vocabulary needs its merges");
        }
        specials.putInto(keys);
        return keys;
    }

    private static int size(JsonObject vocab, JsonArray added, JsonObject config, Path dir) throws ConvertException {
        Integer configured = VocabJson.vocabSize(config, dir);
        if (configured != null) {
            return configured;
        }
        int n = vocab.size();
        if (added != null) {
            for (JsonElement e : added) {
                if (e instanceof JsonObject a && a.get("content") instanceof JsonPrimitive c && c.isString()
                        && !vocab.has(c.getAsString())) {
                    n++;
                }
            }
        }
        return n;
    }

    static Integer parseId(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
