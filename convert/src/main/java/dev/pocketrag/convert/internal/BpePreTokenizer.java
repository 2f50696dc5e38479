package dev.pocketrag.convert.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.pocketrag.convert.ConvertException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code tokenizer.ggml.pre} name of a byte-level BPE {@code tokenizer.json}.
 *
 * <p>llama.cpp's converter runs the Hugging Face tokenizer on a check text and looks the hash of the
 * ids up in a table of known models. Without the Hugging Face tokenizer, this class recognises the
 * {@code pre_tokenizer} itself, for the pre-tokenizers of the models pocketrag converts:
 * <table>
 * <caption>recognised pre-tokenizers</caption>
 * <tr><th>{@code pre_tokenizer}</th><th>models</th><th>name</th></tr>
 * <tr><td>Sequence [Split (Llama 3 expression, {@code \p{N}{1,3}}), ByteLevel without regex]</td>
 *     <td>Llama 3, 3.1, 3.2, DeepSeek-R1-Distill-Llama</td><td>{@code llama-bpe}</td></tr>
 * <tr><td>Sequence [Split (Qwen2 expression, single {@code \p{N}}), ByteLevel without regex]</td>
 *     <td>Qwen1.5, Qwen2, Qwen2.5, Qwen3</td><td>{@code qwen2}</td></tr>
 * <tr><td>Sequence [Digits (individual digits), ByteLevel with the GPT-2 regex]</td>
 *     <td>SmolLM, SmolLM2</td><td>{@code smollm}</td></tr>
 * <tr><td>ByteLevel with the GPT-2 regex</td><td>GPT-2 vocabularies</td><td>{@code gpt-2}</td></tr>
 * </table>
 * The Split expression must be exactly one of the two (Hugging Face's spelling with {@code (?i:...)}
 * for the contractions), with behaviour {@code Isolated} and not inverted. Anything else is a
 * {@link ConvertException} naming what was found: llama.cpp's converter has no fallback either (it
 * stops with "BPE pre-tokenizer was not recognized"). Models whose pre-tokenizer is one of these but
 * whose llama.cpp name differs only by the vocabulary hash ({@code smaug-bpe}, {@code dbrx},
 * {@code deepseek-r1-qwen}) get the name above; the engine and llama.cpp split their text the same
 * way under both names.
 */
final class BpePreTokenizer {
    /** Llama 3's Split expression, as its tokenizer.json spells it. */
    static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Qwen2's Split expression (single digits), as its tokenizer.json spells it. */
    static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private BpePreTokenizer() {}

    /** The pre-tokenizer name for {@code tokenizer.json} ({@code file}, for messages). */
    static String detect(JsonObject tokenizerJson, Path file) throws ConvertException {
        JsonElement pre = tokenizerJson.get("pre_tokenizer");
        List<JsonObject> steps = new ArrayList<>();
        if (pre instanceof JsonObject o) {
            if ("Sequence".equals(type(o)) && o.get("pretokenizers") instanceof JsonArray a) {
                for (JsonElement e : a) {
                    if (!(e instanceof JsonObject s)) {
                        throw unknown(file, "a Sequence with " + VocabJson.kind(e) + " in it");
                    }
                    steps.add(s);
                }
            } else {
                steps.add(o);
            }
        } else {
            throw unknown(file, pre == null || pre.isJsonNull() ? "none" : VocabJson.kind(pre));
        }
        if (steps.size() == 1 && isByteLevel(steps.get(0), true)) {
            return "gpt-2";
        }
        if (steps.size() == 2 && "Digits".equals(type(steps.get(0)))
                && Boolean.TRUE.equals(VocabJson.boolOrNull(steps.get(0), "individual_digits"))
                && isByteLevel(steps.get(1), true)) {
            return "smollm";
        }
        if (steps.size() == 2 && "Split".equals(type(steps.get(0))) && isByteLevel(steps.get(1), false)) {
            JsonObject split = steps.get(0);
            String regex = split.get("pattern") instanceof JsonObject p && p.get("Regex") instanceof JsonPrimitive r
                    && r.isString() ? r.getAsString() : null;
            boolean isolated = "Isolated".equals(string(split, "behavior"))
                    && !Boolean.TRUE.equals(VocabJson.boolOrNull(split, "invert"));
            if (isolated && LLAMA3.equals(regex)) {
                return "llama-bpe";
            }
            if (isolated && QWEN2.equals(regex)) {
                return "qwen2";
            }
            throw unknown(file, "Split " + (regex == null ? "without a Regex pattern" : "on the expression "
                    + VocabJson.quote(regex)) + " (behavior " + VocabJson.quote(string(split, "behavior")) + ")");
        }
        List<String> names = new ArrayList<>();
        for (JsonObject s : steps) {
            names.add(VocabJson.quote(type(s)));
        }
        throw unknown(file, "the steps " + names);
    }

    /** A ByteLevel step; {@code regex}: whether it must apply the GPT-2 expression itself (use_regex, default true). */
    private static boolean isByteLevel(JsonObject o, boolean regex) {
        if (!"ByteLevel".equals(type(o))) {
            return false;
        }
        Boolean useRegex = VocabJson.boolOrNull(o, "use_regex");
        Boolean prefix = VocabJson.boolOrNull(o, "add_prefix_space");
        return (useRegex == null || useRegex) == regex && !Boolean.TRUE.equals(prefix);
    }

    private static String type(JsonObject o) {
        return string(o, "type");
    }

    private static String string(JsonObject o, String key) {
        return o.get(key) instanceof JsonPrimitive p && p.isString() ? p.getAsString() : null;
    }

    private static ConvertException unknown(Path file, String what) {
        return new ConvertException(file + ": the pre_tokenizer (" + what + ") is not one pocketrag recognises"
                + " (llama-bpe, qwen2, smollm, gpt-2); llama.cpp's converter would stop here too"
                + " (\"BPE pre-tokenizer was not recognized\")");
    }
}
