package dev.pocketrag.convert.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pocketrag.convert.ConvertException;
import dev.pocketrag.generation.gguf.GgufValue;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A SentencePiece-style BPE {@code tokenizer.json} (model BPE with {@code byte_fallback}, a
 * {@code Sequence} decoder) of a Llama model without {@code tokenizer.model}, as llama.cpp's
 * converter writes it ({@code LlamaHfVocab}): {@code tokenizer.ggml.model = llama}, {@code pre =
 * default}, the {@code model.vocab} tokens by id (which must be 0..n-1 without gaps), then the added
 * tokens past them in id order (which must follow on without gaps); every score -1000 (llama.cpp
 * has no scores for these files); types BYTE for {@code <0xXX>}, CONTROL for the special tokens of
 * {@code tokenizer_config.json} / {@code special_tokens_map.json} (bos, eos, unk, sep, pad, cls,
 * mask and {@code additional_special_tokens}), USER_DEFINED for other added tokens past the
 * vocabulary, NORMAL for the rest. No padding to {@code vocab_size}: llama.cpp writes none here.
 * Then the special keys ({@link VocabSpecials}, without merges).
 *
 * <p>Beware what llama.cpp does with the result: with equal scores its SentencePiece tokenizer merges
 * pieces left to right rather than by the BPE merge ranks, so its (and the engine's) token ids can
 * differ from the Hugging Face tokenizer's on long words. The converter reproduces llama.cpp's file.
 */
final class SpmHfVocab {
    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x[0-9A-Fa-f]{2}>");
    private static final String[] SPECIAL_KEYS = {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token",
            "cls_token", "mask_token"};

    private SpmHfVocab() {}

    /** Whether llama.cpp would take this path for {@code tokenizer.json}: BPE, byte fallback, a Sequence decoder. */
    static boolean applies(JsonObject tj) {
        if (!(tj.get("model") instanceof JsonObject model) || !(tj.get("decoder") instanceof JsonObject decoder)) {
            return false;
        }
        return "BPE".equals(str(model.get("type"))) && Boolean.TRUE.equals(VocabJson.boolOrNull(model, "byte_fallback"))
                && "Sequence".equals(str(decoder.get("type")));
    }

    private static String str(JsonElement e) {
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() ? e.getAsString() : null;
    }

    static LinkedHashMap<String, GgufValue> read(Path dir, JsonObject tj, JsonObject tokenizerConfig, JsonObject config)
            throws ConvertException {
        Path file = dir.resolve("tokenizer.json");
        JsonObject vocab = VocabJson.object(VocabJson.object(tj, "model", file), "vocab", file);
        if (vocab == null || vocab.isEmpty()) {
            throw new ConvertException(file + ": model.vocab is missing or empty");
        }
        int base = vocab.size();
        String[] texts = new String[base];
        Map<String, Integer> idOf = new HashMap<>(base * 2);
        for (Map.Entry<String, JsonElement> e : vocab.entrySet()) {
            int id = VocabJson.tokenId(e.getValue(), base, file, "model.vocab[" + VocabJson.quote(e.getKey()) + "]");
            if (texts[id] != null) {
                throw new ConvertException(file + ": id " + id + " is given to both " + VocabJson.quote(texts[id]) + " and "
                        + VocabJson.quote(e.getKey()) + " in model.vocab");
            }
            texts[id] = e.getKey();
            idOf.put(e.getKey(), id);
        }
        // added tokens past the vocabulary, by id; those inside it keep the vocabulary's text
        TreeMap<Integer, String> added = new TreeMap<>();
        JsonArray list = VocabJson.array(tj, "added_tokens", file);
        if (list != null) {
            for (int i = 0; i < list.size(); i++) {
                if (!(list.get(i) instanceof JsonObject a)) {
                    throw new ConvertException(file + ": added_tokens[" + i + "] must be an object, not "
                            + VocabJson.kind(list.get(i)));
                }
                String content = VocabJson.string(a, "content", file);
                if (content == null) {
                    throw new ConvertException(file + ": added_tokens[" + i + "] has no \"content\"");
                }
                int id = VocabJson.tokenId(a.get("id"), Integer.MAX_VALUE - 8, file, "added_tokens[" + i + "].id");
                if (id >= base) {
                    if (added.put(id, content) != null) {
                        throw new ConvertException(file + ": added_tokens[" + i + "] repeats id " + id);
                    }
                }
                idOf.putIfAbsent(content, id);
            }
        }
        int expect = base;
        for (int id : added.keySet()) {
            if (id != expect) {
                throw new ConvertException(file + ": added token id " + id + " leaves a gap after id " + (expect - 1)
                        + " (llama.cpp writes added tokens one after the other)");
            }
            expect++;
        }

        Set<Integer> specialIds = specialIds(dir, tokenizerConfig, idOf);
        int n = base + added.size();
        VocabTokens t = new VocabTokens(n, true);
        Arrays.fill(t.scores, VocabTokens.ADDED_SCORE);
        for (int id = 0; id < n; id++) {
            String text = id < base ? texts[id] : added.get(id);
            t.tokens[id] = text;
            if (id < base) {
                t.types[id] = BYTE_TOKEN.matcher(text).matches() ? VocabTokens.BYTE
                        : specialIds.contains(id) ? VocabTokens.CONTROL : VocabTokens.NORMAL;
            } else {
                t.types[id] = specialIds.contains(idOf.get(text)) ? VocabTokens.CONTROL : VocabTokens.USER_DEFINED;
            }
        }
        t.checkUnique(file.toString());
        LinkedHashMap<String, GgufValue> keys = new LinkedHashMap<>();
        t.putInto(keys, "llama", "default");
        VocabSpecials.read(dir, tj, tokenizerConfig, config, n, false).putInto(keys);
        return keys;
    }

    /** The ids of transformers' {@code all_special_tokens}: the named special tokens and the additional ones. */
    private static Set<Integer> specialIds(Path dir, JsonObject tokenizerConfig, Map<String, Integer> idOf)
            throws ConvertException {
        Set<Integer> ids = new HashSet<>();
        JsonObject map = VocabJson.readObjectIfPresent(dir.resolve("special_tokens_map.json"));
        for (JsonObject source : new JsonObject[] {map, tokenizerConfig}) {
            if (source == null) {
                continue;
            }
            for (String k : SPECIAL_KEYS) {
                add(ids, idOf, VocabSpecials.content(source.get(k)));
            }
            if (source.get("additional_special_tokens") instanceof JsonArray extra) {
                for (JsonElement e : extra) {
                    add(ids, idOf, VocabSpecials.content(e));
                }
            }
        }
        return ids;
    }

    private static void add(Set<Integer> ids, Map<String, Integer> idOf, String text) {
        Integer id = text == null ? null : idOf.get(text);
        if (id != null) {
            ids.add(id);
        }
    }
}
