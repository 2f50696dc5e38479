package dev.pocketrag.convert.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.pocketrag.convert.ConvertException;
import dev.pocketrag.generation.gguf.GgufValue;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The keys gguf-py's {@code SpecialVocab} adds after the token list: BPE merges, special token ids,
 * {@code add_bos_token} / {@code add_eos_token} / {@code add_sep_token} and the chat template, found
 * where llama.cpp's converter finds them:
 * <ol>
 * <li>{@code tokenizer.json}: {@code model.merges} (the {@code "a b"} strings, or the {@code [a, b]}
 *     pairs of newer files, joined with a space after a space inside a token is written as U+0120),
 *     {@code added_tokens} (to turn token texts into ids) and {@code post_processor} (a
 *     {@code TemplateProcessing} whose single-sequence template starts with the BOS token sets
 *     {@code add_bos}; one that ends with a special token sets {@code add_eos}, making that token
 *     the EOS and the configured EOS the EOT, as llama.cpp does; {@code RobertaProcessing} sets
 *     {@code add_bos}, {@code add_eos} and {@code add_sep});</li>
 * <li>{@code tokenizer_config.json} (only if present): {@code add_<t>_token} booleans (they win over
 *     the post-processor), {@code <t>_token} (a string or {@code {"content": ...}}) looked up among
 *     {@code tokenizer.json}'s added tokens, and {@code chat_template}, else {@code
 *     chat_template.jinja} (with {@code additional_chat_templates/*.jinja} as named templates), else
 *     {@code chat_template.json};</li>
 * <li>{@code config.json}: {@code <t>_token_id} integers (or in {@code text_config}), for the types
 *     not found above (lists, as Llama 3.1's {@code eos_token_id}, are ignored).</li>
 * </ol>
 * Types {@code t}: bos, eos, unk, sep, pad, cls, mask. The first id found for a type is kept; an id
 * at or past the end of the vocabulary is skipped (llama.cpp's SentencePiece path does the same; its
 * BPE path would write it and its loader would ignore it); a negative one is an error. llama.cpp
 * does not read {@code generation_config.json} for any tokenizer key, so neither does this.
 */
final class VocabSpecials {
    private static final String P = "tokenizer.ggml.";
    /** Special token type to the GGUF key of its id. */
    private static final Map<String, String> ID_KEYS = Map.of("bos", "bos_token_id", "eos", "eos_token_id",
            "unk", "unknown_token_id", "sep", "seperator_token_id", "pad", "padding_token_id",
            "cls", "cls_token_id", "mask", "mask_token_id", "eot", "eot_token_id", "eom", "eom_token_id");
    /** The {@code add_<t>_token} flags gguf-py writes (others are skipped there too). */
    private static final List<String> ADD_KEYS = List.of("bos", "eos", "sep");

    /** A named chat template of a list. */
    record NamedTemplate(String name, String template) {}

    private final Path dir;
    private final int nVocab;
    private final List<String> types = new ArrayList<>(List.of("bos", "eos", "unk", "sep", "pad", "cls", "mask"));
    private List<String> merges = List.of();
    private final LinkedHashMap<String, Integer> ids = new LinkedHashMap<>();
    private final LinkedHashMap<String, Boolean> add = new LinkedHashMap<>();
    /** A String, a List of NamedTemplate, or null. */
    private Object chatTemplate;

    private VocabSpecials(Path dir, int nVocab) {
        this.dir = dir;
        this.nVocab = nVocab;
    }

    /**
     * Reads the special keys.
     *
     * @param tokenizerJson   {@code tokenizer.json} parsed, or null if the folder has none
     * @param tokenizerConfig {@code tokenizer_config.json} parsed, or null if the folder has none
     * @param config          {@code config.json} parsed
     * @param nVocab          the number of tokens written
     * @param loadMerges      read {@code model.merges} (BPE)
     */
    static VocabSpecials read(Path dir, JsonObject tokenizerJson, JsonObject tokenizerConfig, JsonObject config,
            int nVocab, boolean loadMerges) throws ConvertException {
        VocabSpecials s = new VocabSpecials(dir, nVocab);
        s.fromTokenizerFiles(tokenizerJson, tokenizerConfig, loadMerges);
        s.fromConfig(config);
        return s;
    }

    /** The merges read (empty if none or not asked for). */
    List<String> merges() {
        return merges;
    }

    /** The special ids by type ({@code bos}, {@code eos} ...), in the order they are written. */
    Map<String, Integer> ids() {
        return ids;
    }

    /** Adds merges, ids, add flags and the chat template to {@code keys}, in gguf-py's order. */
    void putInto(LinkedHashMap<String, GgufValue> keys) {
        if (!merges.isEmpty()) {
            keys.put(P + "merges", GgufValue.ofStrings(merges));
        }
        ids.forEach((t, id) -> keys.put(P + ID_KEYS.get(t), GgufValue.ofUint32(id)));
        add.forEach((t, v) -> {
            if (ADD_KEYS.contains(t)) {
                keys.put(P + "add_" + t + "_token", GgufValue.ofBool(v));
            }
        });
        if (chatTemplate instanceof String s) {
            keys.put("tokenizer.chat_template", GgufValue.ofString(s));
        } else if (chatTemplate instanceof List<?> list) {
            String def = null;
            List<String> names = new ArrayList<>();
            for (Object o : list) {
                NamedTemplate t = (NamedTemplate) o;
                if (t.name().equals("default")) {
                    def = t.template();
                } else if (!names.contains(t.name())) {
                    names.add(t.name());
                    keys.put("tokenizer.chat_template." + t.name(), GgufValue.ofString(t.template()));
                }
            }
            if (!names.isEmpty()) {
                keys.put("tokenizer.chat_templates", GgufValue.ofStrings(names));
            }
            if (def != null) {
                keys.put("tokenizer.chat_template", GgufValue.ofString(def));
            }
        }
    }

    // ---- tokenizer.json and tokenizer_config.json ----

    private void fromTokenizerFiles(JsonObject tj, JsonObject cfg, boolean loadMerges) throws ConvertException {
        Path tjFile = dir.resolve("tokenizer.json");
        Path cfgFile = dir.resolve("tokenizer_config.json");
        JsonArray added = null;
        if (tj != null) {
            if (loadMerges) {
                merges = merges(VocabJson.object(tj, "model", tjFile), tjFile);
            }
            added = VocabJson.array(tj, "added_tokens", tjFile);
        }
        Map<String, String> entries = new HashMap<>(); // type -> token text, as tokenizer_config (possibly rewritten) says
        if (cfg != null) {
            for (String t : types) {
                String c = content(cfg.get(t + "_token"));
                if (c != null) {
                    entries.put(t, c);
                }
            }
        }
        if (tj != null) {
            postProcessor(tj, cfg != null, entries, tjFile);
        }
        if (cfg == null) {
            return;
        }
        chatTemplate(cfg, cfgFile);
        for (String t : types) {
            Boolean a = VocabJson.boolOrNull(cfg, "add_" + t + "_token");
            if (a != null) {
                add.put(t, a);
            }
            String c = entries.get(t);
            if (c == null || added == null) {
                continue;
            }
            for (JsonElement e : added) {
                if (e instanceof JsonObject o && o.get("content") instanceof JsonPrimitive p && p.isString()
                        && p.getAsString().equals(c)) {
                    set(t, o.get("id"), tjFile, "added token " + VocabJson.quote(c));
                    break;
                }
            }
        }
    }

    /** gguf-py's reading of {@code post_processor}: which special tokens the HF tokenizer adds itself. */
    private void postProcessor(JsonObject tj, boolean haveConfig, Map<String, String> entries, Path file)
            throws ConvertException {
        if (entries.get("bos") == null && entries.get("cls") != null && haveConfig) {
            entries.put("bos", entries.get("cls"));
        }
        if (entries.get("eos") == null && entries.get("sep") != null && haveConfig) {
            entries.put("eos", entries.get("sep"));
        }
        JsonObject post = VocabJson.object(tj, "post_processor", file);
        if (post == null) {
            return;
        }
        List<JsonObject> processors = new ArrayList<>();
        JsonArray list = VocabJson.array(post, "processors", file);
        if (list == null) {
            processors.add(post);
        } else {
            for (JsonElement e : list) {
                if (e instanceof JsonObject o) {
                    processors.add(o);
                }
            }
        }
        for (JsonObject p : processors) {
            String type = p.get("type") instanceof JsonPrimitive t && t.isString() ? t.getAsString() : "";
            if (type.equals("RobertaProcessing")) {
                add.put("bos", true);
                add.put("eos", true);
                add.put("sep", true);
            } else if (type.equals("TemplateProcessing") && p.get("single") instanceof JsonArray single
                    && single.size() > 1) {
                String bos = entries.get("bos");
                String cls = entries.get("cls");
                String first = specialTokenId(single.get(0));
                if (first != null) {
                    if (!haveConfig) {
                        bos = first;
                    }
                    add.put("bos", first.equals(bos) || first.equals(cls));
                }
                String last = specialTokenId(single.get(single.size() - 1));
                if (last != null) {
                    String eos = entries.get("eos");
                    if (haveConfig && !last.equals(eos)) {
                        // the template ends with another token than the configured EOS: that token ends
                        // generation as EOS, the configured one becomes EOT (else EOM), as gguf-py does
                        for (String extra : List.of("eot", "eom")) {
                            if (!types.contains(extra)) {
                                types.add(extra);
                                if (eos != null) {
                                    entries.put(extra, eos);
                                }
                                break;
                            }
                        }
                        entries.put("eos", last);
                        eos = last;
                    }
                    add.put("eos", haveConfig ? last.equals(eos) : true);
                }
            }
        }
    }

    private static String specialTokenId(JsonElement e) {
        if (e instanceof JsonObject o && o.get("SpecialToken") instanceof JsonObject s
                && s.get("id") instanceof JsonPrimitive p && p.isString() && !p.getAsString().isEmpty()) {
            return p.getAsString();
        }
        return null;
    }

    /** A tokenizer_config token entry: a string or an AddedToken object's {@code content}. */
    static String content(JsonElement e) {
        if (e instanceof JsonPrimitive p && p.isString()) {
            return p.getAsString();
        }
        if (e instanceof JsonObject o && o.get("content") instanceof JsonPrimitive p && p.isString()) {
            return p.getAsString();
        }
        return null;
    }

    private void chatTemplate(JsonObject cfg, Path cfgFile) throws ConvertException {
        Object alt = null;
        Path jinja = dir.resolve("chat_template.jinja");
        Path json = dir.resolve("chat_template.json");
        if (Files.isRegularFile(jinja)) {
            String text = text(jinja);
            List<NamedTemplate> more = new ArrayList<>();
            Path extra = dir.resolve("additional_chat_templates");
            if (Files.isDirectory(extra)) {
                List<Path> files = new ArrayList<>();
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(extra, "*.jinja")) {
                    ds.forEach(files::add);
                } catch (IOException e) {
                    throw new ConvertException(extra + ": cannot be listed (" + e.getClass().getSimpleName() + ")", e);
                }
                files.sort(null);
                for (Path f : files) {
                    String n = f.getFileName().toString();
                    more.add(new NamedTemplate(sanitize(n.substring(0, n.length() - ".jinja".length())), text(f)));
                }
            }
            if (more.isEmpty()) {
                alt = text;
            } else {
                more.addFirst(new NamedTemplate("default", text));
                alt = more;
            }
        } else if (Files.isRegularFile(json)) {
            JsonElement t = VocabJson.readObject(json).get("chat_template");
            alt = templateValue(t, json);
        }
        chatTemplate = cfg.has("chat_template") ? templateValue(cfg.get("chat_template"), cfgFile) : alt;
    }

    /** A chat_template value: a string, a list of {@code {"name", "template"}}, or anything else ignored. */
    private static Object templateValue(JsonElement t, Path file) {
        if (t instanceof JsonPrimitive p && p.isString()) {
            return p.getAsString();
        }
        if (t instanceof JsonArray a) {
            List<NamedTemplate> list = new ArrayList<>();
            for (JsonElement e : a) {
                if (e instanceof JsonObject o && o.get("template") instanceof JsonPrimitive p && p.isString()) {
                    String name = o.get("name") instanceof JsonPrimitive n && n.isString() ? sanitize(n.getAsString()) : "";
                    if (!name.isEmpty()) {
                        list.add(new NamedTemplate(name, p.getAsString()));
                    }
                }
            }
            return list;
        }
        return null; // gguf-py warns and ignores a template of another type
    }

    /** gguf-py keeps ASCII letters and digits of a template name and writes {@code _} for the rest. */
    private static String sanitize(String name) {
        StringBuilder b = new StringBuilder(name.length());
        name.chars().forEach(c -> b.append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                ? (char) c : '_'));
        return b.toString();
    }

    private static String text(Path file) throws ConvertException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(VocabJson.readBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new ConvertException(file + ": not valid UTF-8", e);
        }
    }

    // ---- merges ----

    /** {@code model.merges} in the {@code "a b"} form. */
    static List<String> merges(JsonObject model, Path file) throws ConvertException {
        JsonArray a = VocabJson.array(model, "merges", file);
        if (a == null || a.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>(a.size());
        boolean pairs = a.get(0).isJsonArray();
        for (int i = 0; i < a.size(); i++) {
            JsonElement e = a.get(i);
            if (pairs) {
                if (!(e instanceof JsonArray p) || p.size() != 2 || !isString(p.get(0)) || !isString(p.get(1))) {
                    throw new ConvertException(file + ": model.merges[" + i + "] must be a pair of two strings like"
                            + " model.merges[0], not " + VocabJson.kind(e));
                }
                String left = p.get(0).getAsString();
                String right = p.get(1).getAsString();
                if (left.isEmpty() || right.isEmpty()) {
                    throw new ConvertException(file + ": model.merges[" + i + "] has an empty token");
                }
                out.add(left.replace(' ', '\u0120') + " " + right.replace(' ', '\u0120'));
            } else {
                if (!isString(e)) {
                    throw new ConvertException(file + ": model.merges[" + i + "] must be a string \"a b\" like"
                            + " model.merges[0], not " + VocabJson.kind(e));
                }
                String m = e.getAsString();
                int sp = m.indexOf(' ');
                if (sp <= 0 || sp == m.length() - 1 || m.indexOf(' ', sp + 1) >= 0) {
                    throw new ConvertException(file + ": model.merges[" + i + "] = " + VocabJson.quote(m)
                            + " is not two tokens separated by one space");
                }
                out.add(m);
            }
        }
        return out;
    }

    private static boolean isString(JsonElement e) {
        return e instanceof JsonPrimitive p && p.isString();
    }

    // ---- config.json ----

    private void fromConfig(JsonObject config) throws ConvertException {
        if (config == null) {
            return;
        }
        JsonObject text = config.get("text_config") instanceof JsonObject o ? o : null;
        for (String t : types) {
            JsonElement e = config.get(t + "_token_id");
            if ((e == null || e.isJsonNull()) && text != null) {
                e = text.get(t + "_token_id");
            }
            set(t, e, dir.resolve("config.json"), t + "_token_id");
        }
    }

    /** gguf-py's {@code _set_special_token}: integers only, first one wins, past the vocabulary skipped. */
    private void set(String type, JsonElement e, Path file, String what) throws ConvertException {
        Long id = e == null ? null : VocabJson.integerOrNull(e);
        if (id == null) {
            return;
        }
        if (id < 0) {
            throw new ConvertException(file + ": " + what + " gives the " + type + " token the negative id " + id);
        }
        if (id < nVocab) {
            ids.putIfAbsent(type, (int) (long) id);
        }
    }
}
