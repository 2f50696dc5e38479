package dev.pocketrag.convert.internal;

import static dev.pocketrag.convert.internal.HfFolder.added;
import static dev.pocketrag.convert.internal.HfFolder.array;
import static dev.pocketrag.convert.internal.HfFolder.obj;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.pocketrag.generation.Gguf;
import dev.pocketrag.generation.GgufTokenizer;
import dev.pocketrag.generation.Tokenizers;
import dev.pocketrag.generation.gguf.GgufValue;
import dev.pocketrag.generation.gguf.GgufWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real vocabularies, round trip: the tokenizer keys of llama.cpp-made GGUF files in ../shared are
 * turned back into the Hugging Face files they came from (tokenizer.json, tokenizer_config.json,
 * config.json, a tokenizer.model protobuf), {@link HfVocabulary#read} converts those, and
 * <ol>
 * <li>the keys must equal the original file's {@code tokenizer.*} keys, value type and all;</li>
 * <li>a tokenizer built by the engine from the converted keys must reproduce llama.cpp's
 *     {@code .inp}/{@code .out} token ids beside the original file (and for BPE, the check text of
 *     llama.cpp's converter must hash to the value its table lists for the detected pre-tokenizer).</li>
 * </ol>
 * The GGUF files, the test vectors and the hashes are llama.cpp's (see ../shared/reference/README.md
 * for how the two BPE vocabularies were made); only the folder layout is built here.
 */
class ReferenceVocabularyTest {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    @TempDir
    Path dir;

    record Reference(Map<String, GgufValue> all, Map<String, GgufValue> tokenizer) {
        List<String> tokens() {
            return tokenizer.get("tokenizer.ggml.tokens").asStringList();
        }

        int[] types() {
            return (int[]) tokenizer.get("tokenizer.ggml.token_type").value();
        }

        float[] scores() {
            return (float[]) tokenizer.get("tokenizer.ggml.scores").value();
        }
    }

    static Reference reference(Path gguf) throws IOException {
        try (Gguf g = Gguf.open(gguf)) {
            Map<String, GgufValue> all = new LinkedHashMap<>();
            Map<String, GgufValue> tok = new LinkedHashMap<>();
            for (String k : g.keys()) {
                all.put(k, g.get(k));
                if (k.startsWith("tokenizer.")) {
                    tok.put(k, g.get(k));
                }
            }
            return new Reference(all, tok);
        }
    }

    // ---- byte-level BPE ----

    @Test
    void converts_llama3_tokenizer_json_to_llama_cpps_llama_bpe_keys() throws Exception {
        Path ref = HfFolder.shared().resolve("reference/vocab/ggml-vocab-llama-bpe.gguf");
        Reference r = reference(ref);
        List<String> tokens = r.tokens();
        int nBase = 128000;
        JsonArray added = new JsonArray();
        for (int id = nBase; id < tokens.size(); id++) {
            added.add(added(id, tokens.get(id), true));
        }
        // Llama 3's post-processor prepends <|begin_of_text|>: that, not tokenizer_config, says add_bos
        JsonObject post = obj("type", "Sequence", "processors", array(
                obj("type", "ByteLevel", "add_prefix_space", true, "trim_offsets", false, "use_regex", true),
                obj("type", "TemplateProcessing",
                        "single", array(obj("SpecialToken", obj("id", "<|begin_of_text|>", "type_id", 0)),
                                obj("Sequence", obj("id", "A", "type_id", 0))),
                        "pair", array(obj("SpecialToken", obj("id", "<|begin_of_text|>", "type_id", 0)),
                                obj("Sequence", obj("id", "A", "type_id", 0)),
                                obj("SpecialToken", obj("id", "<|begin_of_text|>", "type_id", 1)),
                                obj("Sequence", obj("id", "B", "type_id", 1))))));
        JsonObject pre = obj("type", "Sequence", "pretokenizers", array(
                obj("type", "Split", "pattern", obj("Regex", BpePreTokenizer.LLAMA3), "behavior", "Isolated", "invert", false),
                obj("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true, "use_regex", false)));
        writeBpe(tokens.subList(0, nBase), r.tokenizer().get("tokenizer.ggml.merges").asStringList(), true, added, pre, post);
        String template = "{{- bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
                + "{{ m['content'] | trim }}<|eot_id|>{% endfor %}";
        HfFolder.json(dir.resolve("tokenizer_config.json"), obj("bos_token", "<|begin_of_text|>",
                "eos_token", "<|eot_id|>", "clean_up_tokenization_spaces", true, "chat_template", template,
                "model_max_length", 131072, "tokenizer_class", "PreTrainedTokenizerFast"));
        JsonObject config = obj("architectures", List.of("LlamaForCausalLM"), "vocab_size", tokens.size(),
                "bos_token_id", 128000, "eos_token_id", List.of(128001, 128008, 128009));
        HfFolder.json(dir.resolve("config.json"), config);

        long t0 = System.nanoTime();
        LinkedHashMap<String, GgufValue> keys = HfVocabulary.read(dir, config, "llama");
        System.out.printf("%s: HfVocabulary.read took %d ms%n", ref.getFileName(), (System.nanoTime() - t0) / 1_000_000);
        assertSameKeys(r.tokenizer(), keys, Map.of("tokenizer.chat_template", GgufValue.ofString(template)));
        GgufTokenizer tok = tokenizer(r, keys);
        assertReproduces(tok, ref, true);
        assertCheckTextHash(tok, new int[] {128000}, "0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5");
    }

    @Test
    void converts_qwen2_tokenizer_json_to_llama_cpps_qwen2_keys() throws Exception {
        Path ref = HfFolder.shared().resolve("reference/vocab/ggml-vocab-qwen2.gguf");
        Reference r = reference(ref);
        List<String> tokens = r.tokens();
        int nBase = 151643;
        JsonArray added = new JsonArray();
        for (int id = nBase; id < 151646; id++) {
            added.add(added(id, tokens.get(id), true));
        }
        for (int id = 151646; id < tokens.size(); id++) {
            assertEquals("[PAD" + id + "]", tokens.get(id), "the reference pads past id 151645");
        }
        JsonObject pre = obj("type", "Sequence", "pretokenizers", array(
                obj("type", "Split", "pattern", obj("Regex", BpePreTokenizer.QWEN2), "behavior", "Isolated", "invert", false),
                obj("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", false, "use_regex", false)));
        JsonObject post = obj("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", false, "use_regex", false);
        writeBpe(tokens.subList(0, nBase), r.tokenizer().get("tokenizer.ggml.merges").asStringList(), false, added, pre, post);
        JsonObject decoder = new JsonObject();
        for (int id = nBase; id < 151646; id++) {
            decoder.add(Integer.toString(id), obj("content", tokens.get(id), "special", true));
        }
        JsonObject cfg = obj("add_bos_token", false, "add_prefix_space", false, "added_tokens_decoder", decoder,
                "eos_token", "<|im_end|>", "pad_token", "<|endoftext|>", "errors", "replace",
                "tokenizer_class", "Qwen2Tokenizer");
        cfg.add("bos_token", null);
        cfg.add("unk_token", null);
        HfFolder.json(dir.resolve("tokenizer_config.json"), cfg);
        JsonObject config = obj("architectures", List.of("Qwen2ForCausalLM"), "vocab_size", tokens.size(),
                "bos_token_id", 151643, "eos_token_id", 151645);
        HfFolder.json(dir.resolve("config.json"), config);

        long t0 = System.nanoTime();
        LinkedHashMap<String, GgufValue> keys = HfVocabulary.read(dir, config, "qwen2");
        System.out.printf("%s: HfVocabulary.read took %d ms%n", ref.getFileName(), (System.nanoTime() - t0) / 1_000_000);
        assertSameKeys(r.tokenizer(), keys, Map.of());
        GgufTokenizer tok = tokenizer(r, keys);
        assertReproduces(tok, ref, true);
        assertCheckTextHash(tok, new int[0], "e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea");
    }

    private void writeBpe(List<String> vocab, List<String> merges, boolean pairForm, JsonArray added, JsonObject pre,
            JsonObject post) throws IOException {
        JsonObject v = new JsonObject();
        for (int i = 0; i < vocab.size(); i++) {
            v.addProperty(vocab.get(i), i);
        }
        JsonArray m = new JsonArray();
        for (String s : merges) {
            if (pairForm) {
                int sp = s.indexOf(' ');
                m.add(array(new JsonPrimitive(s.substring(0, sp)), new JsonPrimitive(s.substring(sp + 1))));
            } else {
                m.add(s);
            }
        }
        JsonObject model = obj("type", "BPE", "fuse_unk", false, "byte_fallback", false, "ignore_merges", true);
        model.add("dropout", null);
        model.add("unk_token", null);
        model.add("vocab", v);
        model.add("merges", m);
        JsonObject tj = obj("version", "1.0");
        tj.add("truncation", null);
        tj.add("added_tokens", added);
        tj.add("normalizer", null);
        tj.add("pre_tokenizer", pre);
        tj.add("post_processor", post);
        tj.add("decoder", obj("type", "ByteLevel", "add_prefix_space", true, "trim_offsets", true, "use_regex", true));
        tj.add("model", model);
        HfFolder.json(dir.resolve("tokenizer.json"), tj);
    }

    // ---- SentencePiece ----

    @Test
    void converts_llama2_tokenizer_model_to_llama_cpps_llama_spm_keys() throws Exception {
        Path ref = HfFolder.shared().resolve("models/vocab/ggml-vocab-llama-spm.gguf");
        Reference r = reference(ref);
        List<String> tokens = r.tokens();
        List<HfFolder.Piece> pieces = new ArrayList<>();
        for (int id = 0; id < tokens.size(); id++) {
            pieces.add(new HfFolder.Piece(tokens.get(id), r.scores()[id], r.types()[id])); // GGUF types 1,2,3,6 = SentencePiece's
        }
        Files.write(dir.resolve("tokenizer.model"), HfFolder.spmModel(pieces));
        JsonArray added = array(added(0, "<unk>", true), added(1, "<s>", true), added(2, "</s>", true));
        HfFolder.json(dir.resolve("tokenizer.json"), obj("version", "1.0", "added_tokens", added,
                "model", obj("type", "BPE", "byte_fallback", true, "vocab", obj(), "merges", List.of())));
        JsonObject cfg = obj("add_bos_token", true, "add_eos_token", false, "bos_token", "<s>", "eos_token", "</s>",
                "unk_token", obj("__type", "AddedToken", "content", "<unk>", "lstrip", false), "legacy", false);
        cfg.add("pad_token", null);
        HfFolder.json(dir.resolve("tokenizer_config.json"), cfg);
        JsonObject config = obj("architectures", List.of("LlamaForCausalLM"), "vocab_size", 32000,
                "bos_token_id", 1, "eos_token_id", 2, "pad_token_id", 0);

        long t0 = System.nanoTime();
        LinkedHashMap<String, GgufValue> keys = HfVocabulary.read(dir, config, "llama");
        System.out.printf("%s: HfVocabulary.read took %d ms%n", ref.getFileName(), (System.nanoTime() - t0) / 1_000_000);
        // llama.cpp's file has no padding id: config.json's pad_token_id came later in Llama 2's history,
        // so it is left out here; everything else must match
        keys.remove("tokenizer.ggml.padding_token_id");
        assertSameKeys(r.tokenizer(), keys, Map.of());
        assertReproduces(tokenizer(r, keys), ref, false);
    }

    @Test
    void converts_phi3_tokenizer_model_and_added_tokens_to_llama_cpps_phi3_keys() throws Exception {
        Path ref = HfFolder.shared().resolve("models/vocab/ggml-vocab-phi-3.gguf");
        Reference r = reference(ref);
        List<String> tokens = r.tokens();
        int nPieces = 32000;
        List<HfFolder.Piece> pieces = new ArrayList<>();
        int[] spmTypesOfFirst = {2, 3, 3}; // <unk>, <s>, </s> in the SentencePiece model; tokenizer.json retypes them
        for (int id = 0; id < nPieces; id++) {
            pieces.add(id < 3 ? new HfFolder.Piece(tokens.get(id), 0f, spmTypesOfFirst[id])
                    : new HfFolder.Piece(tokens.get(id), r.scores()[id], r.types()[id]));
        }
        Files.write(dir.resolve("tokenizer.model"), HfFolder.spmModel(pieces));
        JsonArray added = new JsonArray();
        for (int id = 0; id < tokens.size(); id++) {
            int type = r.types()[id];
            if ((type == 3 || type == 4) && r.scores()[id] == -1000f) {
                added.add(added(id, tokens.get(id), type == 3)); // Phi-3 marks </s> not special
            }
        }
        assertEquals(14, added.size(), "added tokens of the reference: <unk> <s> </s> and 32000..32010");
        HfFolder.json(dir.resolve("tokenizer.json"), obj("version", "1.0", "added_tokens", added,
                "model", obj("type", "BPE", "byte_fallback", true, "vocab", obj(), "merges", List.of())));
        String template = r.tokenizer().get("tokenizer.chat_template").value().toString();
        HfFolder.json(dir.resolve("tokenizer_config.json"), obj("add_bos_token", true, "add_eos_token", false,
                "bos_token", "<s>", "eos_token", "<|endoftext|>", "pad_token", "<|endoftext|>", "unk_token", "<unk>",
                "chat_template", template, "legacy", false));
        JsonObject config = obj("architectures", List.of("Phi3ForCausalLM"), "vocab_size", tokens.size(),
                "bos_token_id", 1, "eos_token_id", 32000, "pad_token_id", 32000);

        long t0 = System.nanoTime();
        LinkedHashMap<String, GgufValue> keys = HfVocabulary.read(dir, config, "phi3");
        System.out.printf("%s: HfVocabulary.read took %d ms%n", ref.getFileName(), (System.nanoTime() - t0) / 1_000_000);
        // the reference was made by an older converter that typed padding UNKNOWN (2); the converter
        // of today types it UNUSED (5), and so does this one: compare the rest exactly
        int[] types = (int[]) keys.get("tokenizer.ggml.token_type").value();
        int[] expected = r.types().clone();
        for (int id = 32011; id < tokens.size(); id++) {
            assertEquals(2, expected[id], "reference padding type at " + id);
            assertEquals(5, types[id], "converted padding type at " + id);
            expected[id] = 5;
        }
        Map<String, GgufValue> want = new LinkedHashMap<>(r.tokenizer());
        want.put("tokenizer.ggml.token_type", GgufValue.ofInt32s(expected));
        assertSameKeys(want, keys, Map.of());
        assertReproduces(tokenizer(r, keys), ref, false);
    }

    // ---- checks ----

    /** Every key of {@code reference} equal in {@code keys} (type and value), and no other keys but {@code extra}. */
    static void assertSameKeys(Map<String, GgufValue> reference, Map<String, GgufValue> keys, Map<String, GgufValue> extra) {
        Set<String> want = new TreeSet<>(reference.keySet());
        want.addAll(extra.keySet());
        assertEquals(want, new TreeSet<>(keys.keySet()), "key set");
        for (var e : reference.entrySet()) {
            GgufValue got = keys.get(e.getKey());
            if (!e.getValue().equals(got)) {
                fail(e.getKey() + ": expected " + e.getValue() + " but got " + got + firstDifference(e.getValue(), got));
            }
        }
        extra.forEach((k, v) -> assertEquals(v, keys.get(k), k));
    }

    private static String firstDifference(GgufValue a, GgufValue b) {
        if (b == null || !a.isArray() || !b.isArray() || a.elementType() != b.elementType()) {
            return "";
        }
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            Object x = java.lang.reflect.Array.get(a.value(), i);
            Object y = java.lang.reflect.Array.get(b.value(), i);
            if (!x.equals(y)) {
                return "; first difference at " + i + ": " + x + " vs " + y;
            }
        }
        return "; lengths " + a.length() + " vs " + b.length();
    }

    /** The engine's tokenizer of a vocab-only GGUF: the reference's other keys plus the converted ones. */
    private GgufTokenizer tokenizer(Reference r, Map<String, GgufValue> keys) throws IOException {
        GgufWriter w = new GgufWriter();
        r.all().forEach((k, v) -> {
            if (!k.startsWith("tokenizer.")) {
                w.put(k, v);
            }
        });
        keys.forEach(w::put);
        Path out = dir.resolve("converted-vocab.gguf");
        w.write(out);
        return Tokenizers.open(out);
    }

    /**
     * llama.cpp's ids for the texts beside {@code gguf} (and its {@code extra/} special-token set when
     * {@code extras}): the plain sets with {@code add_special=false, parse_special=false}, the special
     * set with both true (BOS and control tokens).
     */
    private static void assertReproduces(GgufTokenizer tok, Path gguf, boolean extras) throws IOException {
        String base = gguf.getFileName().toString();
        List<Path[]> sets = new ArrayList<>();
        sets.add(new Path[] {gguf.resolveSibling(base + ".inp"), gguf.resolveSibling(base + ".out")});
        String stem = base.substring(0, base.length() - ".gguf".length());
        if (extras) {
            for (String s : List.of("special")) { // the .stress sets: generation's TestVectorsTest
                sets.add(new Path[] {gguf.resolveSibling("extra/" + stem + "." + s + ".inp"),
                        gguf.resolveSibling("extra/" + stem + "." + s + ".out")});
            }
        }
        int checked = 0;
        for (Path[] set : sets) {
            assertTrue(Files.isRegularFile(set[0]), "test vectors " + set[0]);
            boolean special = set[0].getFileName().toString().contains(".special.");
            String all = Files.readString(set[0], StandardCharsets.UTF_8);
            List<String> texts = new ArrayList<>(Arrays.asList(all.split(SEPARATOR, -1)));
            if (texts.getLast().isEmpty()) {
                texts.removeLast();
            }
            List<String> lines = Files.readAllLines(set[1], StandardCharsets.UTF_8);
            assertEquals(lines.size(), texts.size(), set[0] + ": texts vs lines of .out");
            for (int i = 0; i < texts.size(); i++) {
                String line = lines.get(i).strip();
                int[] want = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" +")).mapToInt(Integer::parseInt).toArray();
                int[] got = tok.encode(texts.get(i), special, special);
                assertArrayEquals(want, got, set[0].getFileName() + " line " + (i + 1));
                checked++;
            }
        }
        System.out.println(gguf.getFileName() + ": " + checked + " texts tokenized as llama.cpp does");
    }

    /**
     * llama.cpp's converter names a BPE pre-tokenizer by sha256 of Python's {@code str(ids)} of its
     * check text as the Hugging Face tokenizer encodes it (BOS included when the tokenizer adds one).
     */
    private static void assertCheckTextHash(GgufTokenizer tok, int[] prefix, String hash)
            throws IOException, NoSuchAlgorithmException {
        String chk;
        try (InputStream in = ReferenceVocabularyTest.class.getResourceAsStream("chktxt.txt")) {
            chk = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        int[] ids = tok.encode(chk, false, false);
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < prefix.length + ids.length; i++) {
            s.append(i == 0 ? "" : ", ").append(i < prefix.length ? prefix[i] : ids[i - prefix.length]);
        }
        s.append(']');
        byte[] d = MessageDigest.getInstance("SHA-256").digest(s.toString().getBytes(StandardCharsets.UTF_8));
        assertEquals(hash, HexFormat.of().formatHex(d), "check text hash of " + s);
    }
}
