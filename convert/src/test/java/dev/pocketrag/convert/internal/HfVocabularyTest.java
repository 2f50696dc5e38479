package dev.pocketrag.convert.internal;

import static dev.pocketrag.convert.internal.HfFolder.added;
import static dev.pocketrag.convert.internal.HfFolder.array;
import static dev.pocketrag.convert.internal.HfFolder.obj;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.pocketrag.generation.gguf.GgufValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small hand-made folders, one llama.cpp converter rule each. The expected values are worked out by
 * hand from llama.cpp's convert_hf_to_gguf.py and gguf-py's vocab.py / gguf_writer.py (the rule is
 * named in each test), not taken from this converter's output.
 */
class HfVocabularyTest {
    @TempDir
    Path dir;

    static JsonObject qwen2PreTokenizer() {
        return obj("type", "Sequence", "pretokenizers", array(
                obj("type", "Split", "pattern", obj("Regex", BpePreTokenizer.QWEN2), "behavior", "Isolated", "invert", false),
                obj("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", false, "use_regex", false)));
    }

    /** A byte-level BPE tokenizer.json: vocab a b ab Ġ, the given merges and added tokens. */
    static JsonObject bpeJson(JsonArray merges, JsonArray addedTokens, JsonObject pre, JsonObject post) {
        JsonObject model = obj("type", "BPE", "byte_fallback", false, "vocab", obj("a", 0, "b", 1, "ab", 2, "\u0120", 3));
        model.add("merges", merges);
        JsonObject tj = obj("version", "1.0");
        tj.add("added_tokens", addedTokens);
        tj.add("pre_tokenizer", pre);
        if (post != null) {
            tj.add("post_processor", post);
        }
        tj.add("decoder", obj("type", "ByteLevel"));
        tj.add("model", model);
        return tj;
    }

    static String[] strings(GgufValue v) {
        return (String[]) v.value();
    }

    static int[] ints(GgufValue v) {
        return (int[]) v.value();
    }

    @Test
    void bpe_pads_to_vocab_size_and_types_added_tokens_as_get_vocab_base_does() throws Exception {
        JsonArray addedTokens = array(added(4, "<|im_start|>", false), added(5, "\u2581tool", false),
                added(6, "<think>", true));
        HfFolder.json(dir.resolve("tokenizer.json"), bpeJson(array(new JsonPrimitive("a b")), addedTokens,
                qwen2PreTokenizer(), null));
        JsonObject config = obj("vocab_size", 9);

        LinkedHashMap<String, GgufValue> k = HfVocabulary.read(dir, config, "qwen3");
        assertEquals(List.of("tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
                "tokenizer.ggml.token_type", "tokenizer.ggml.merges"), List.copyOf(k.keySet()), "keys in gguf-py's order");
        assertEquals(GgufValue.ofString("gpt2"), k.get("tokenizer.ggml.model"));
        assertEquals(GgufValue.ofString("qwen2"), k.get("tokenizer.ggml.pre"));
        // <|im_start|> is not marked special but looks special: CONTROL; "▁tool" is user-defined text with
        // U+2581 pre-normalized to a space; <think> is special: CONTROL; ids 7, 8 are padding
        assertArrayEquals(new String[] {"a", "b", "ab", "\u0120", "<|im_start|>", " tool", "<think>", "[PAD7]", "[PAD8]"},
                strings(k.get("tokenizer.ggml.tokens")));
        assertArrayEquals(new int[] {1, 1, 1, 1, 3, 4, 3, 5, 5}, ints(k.get("tokenizer.ggml.token_type")));
        assertArrayEquals(new String[] {"a b"}, strings(k.get("tokenizer.ggml.merges")));
    }

    @Test
    void merge_pairs_become_strings_with_spaces_inside_tokens_written_as_u0120() throws Exception {
        JsonArray merges = array(array(new JsonPrimitive("a"), new JsonPrimitive("b")),
                array(new JsonPrimitive("x y"), new JsonPrimitive("z")));
        HfFolder.json(dir.resolve("tokenizer.json"), bpeJson(merges, new JsonArray(), qwen2PreTokenizer(), null));
        LinkedHashMap<String, GgufValue> k = HfVocabulary.read(dir, obj(), "qwen2");
        assertArrayEquals(new String[] {"a b", "x\u0120y z"}, strings(k.get("tokenizer.ggml.merges")));
        assertEquals(4, strings(k.get("tokenizer.ggml.tokens")).length, "no vocab_size: as many ids as tokens");
    }

    @Test
    void special_ids_come_from_tokenizer_config_first_then_config_json() throws Exception {
        JsonArray addedTokens = array(added(4, "<|endoftext|>", true), added(5, "<|im_end|>", true));
        HfFolder.json(dir.resolve("tokenizer.json"), bpeJson(array(new JsonPrimitive("a b")), addedTokens,
                qwen2PreTokenizer(), null));
        HfFolder.json(dir.resolve("tokenizer_config.json"), obj("eos_token", "<|im_end|>",
                "pad_token", obj("content", "<|endoftext|>", "special", true), "add_bos_token", false,
                "add_eos_token", false, "add_unk_token", true, "chat_template", "T"));
        // config.json's eos (4) loses to tokenizer_config's; its bos is used; a list and a string are ignored;
        // an id past the vocabulary is skipped
        JsonObject config = obj("vocab_size", 6, "bos_token_id", 4, "eos_token_id", 4, "unk_token_id", List.of(1),
                "sep_token_id", "2", "cls_token_id", 6);
        LinkedHashMap<String, GgufValue> k = HfVocabulary.read(dir, config, "qwen2");
        assertEquals(GgufValue.ofUint32(5), k.get("tokenizer.ggml.eos_token_id"));
        assertEquals(GgufValue.ofUint32(4), k.get("tokenizer.ggml.padding_token_id"));
        assertEquals(GgufValue.ofUint32(4), k.get("tokenizer.ggml.bos_token_id"));
        assertFalse(k.containsKey("tokenizer.ggml.unknown_token_id"));
        assertFalse(k.containsKey("tokenizer.ggml.seperator_token_id"));
        assertFalse(k.containsKey("tokenizer.ggml.cls_token_id"));
        assertEquals(GgufValue.ofBool(false), k.get("tokenizer.ggml.add_bos_token"));
        assertEquals(GgufValue.ofBool(false), k.get("tokenizer.ggml.add_eos_token"));
        assertFalse(k.containsKey("tokenizer.ggml.add_unk_token"), "gguf-py has no add_unk_token key");
        assertEquals(GgufValue.ofString("T"), k.get("tokenizer.chat_template"));
    }

    @Test
    void template_processing_ending_in_another_token_makes_it_eos_and_the_configured_eos_eot() throws Exception {
        JsonArray addedTokens = array(added(4, "<|endoftext|>", true), added(5, "<|im_end|>", true));
        JsonObject post = obj("type", "TemplateProcessing", "single", array(obj("Sequence", obj("id", "A", "type_id", 0)),
                obj("SpecialToken", obj("id", "<|endoftext|>", "type_id", 0))));
        HfFolder.json(dir.resolve("tokenizer.json"), bpeJson(array(new JsonPrimitive("a b")), addedTokens,
                qwen2PreTokenizer(), post));
        HfFolder.json(dir.resolve("tokenizer_config.json"), obj("eos_token", "<|im_end|>"));
        LinkedHashMap<String, GgufValue> k = HfVocabulary.read(dir, obj(), "qwen2");
        assertEquals(GgufValue.ofUint32(4), k.get("tokenizer.ggml.eos_token_id"));
        assertEquals(GgufValue.ofUint32(5), k.get("tokenizer.ggml.eot_token_id"));
        assertEquals(GgufValue.ofBool(true), k.get("tokenizer.ggml.add_eos_token"));
        assertFalse(k.containsKey("tokenizer.ggml.add_bos_token"), "the template does not start with a special token");
    }

    @Test
    void tokenizer_config_add_bos_token_wins_over_the_post_processor() throws Exception {
        JsonArray addedTokens = array(added(4, "<s>", true));
        JsonObject post = obj("type", "TemplateProcessing", "single", array(obj("SpecialToken", obj("id", "<s>")),
                obj("Sequence", obj("id", "A"))));
        HfFolder.json(dir.resolve("tokenizer.json"), bpeJson(array(new JsonPrimitive("a b")), addedTokens,
                qwen2PreTokenizer(), post));
        HfFolder.json(dir.resolve("tokenizer_config.json"), obj("bos_token", "<s>"));
        assertEquals(GgufValue.ofBool(true), HfVocabulary.read(dir, obj(), "qwen2").get("tokenizer.ggml.add_bos_token"));
        HfFolder.json(dir.resolve("tokenizer_config.json"), obj("bos_token", "<s>", "add_bos_token", false));
        assertEquals(GgufValue.ofBool(false), HfVocabulary.read(dir, obj(), "qwen2").get("tokenizer.ggml.add_bos_token"));
    }

    @Test
    void a_list_of_chat_templates_gives_the_default_and_the_named_ones() throws Exception {
        HfFolder.json(dir.resolve("tokenizer.json"), bpeJson(array(new JsonPrimitive("a b")), new JsonArray(),
                qwen2PreTokenizer(), null));
        HfFolder.json(dir.resolve("tokenizer_config.json"), obj("chat_template", List.of(
                obj("name", "default", "template", "D"), obj("name", "tool use", "template", "T"),
                obj("name", "rag", "template", "R"))));
        LinkedHashMap<String, GgufValue> k = HfVocabulary.read(dir, obj(), "qwen2");
        assertEquals(GgufValue.ofString("D"), k.get("tokenizer.chat_template"));
        assertEquals(GgufValue.ofString("T"), k.get("tokenizer.chat_template.tool_use"), "name sanitized as gguf-py does");
        assertEquals(GgufValue.ofString("R"), k.get("tokenizer.chat_template.rag"));
        assertArrayEquals(new String[] {"tool_use", "rag"}, strings(k.get("tokenizer.chat_templates")));
    }

    @Test
    void chat_template_jinja_is_used_when_tokenizer_config_has_no_template() throws Exception {
        HfFolder.json(dir.resolve("tokenizer.json"), bpeJson(array(new JsonPrimitive("a b")), new JsonArray(),
                qwen2PreTokenizer(), null));
        HfFolder.json(dir.resolve("tokenizer_config.json"), obj("eos_token", "x"));
        Files.writeString(dir.resolve("chat_template.jinja"), "{{ messages }}\n");
        assertEquals(GgufValue.ofString("{{ messages }}\n"),
                HfVocabulary.read(dir, obj(), "qwen2").get("tokenizer.chat_template"));
        HfFolder.json(dir.resolve("tokenizer_config.json"), obj("chat_template", "C"));
        assertEquals(GgufValue.ofString("C"), HfVocabulary.read(dir, obj(), "qwen2").get("tokenizer.chat_template"),
                "tokenizer_config's template wins");
    }

    @Test
    void gemma2_sentencepiece_types_pads_and_writes_add_space_prefix_false() throws Exception {
        List<HfFolder.Piece> pieces = List.of(new HfFolder.Piece("<pad>", 0, 3), new HfFolder.Piece("<eos>", 0, 3),
                new HfFolder.Piece("<bos>", 0, 3), new HfFolder.Piece("<unk>", 0, 2), new HfFolder.Piece("<0x00>", 0, 6),
                new HfFolder.Piece("\u2581a", -1.5f, 1), new HfFolder.Piece("<mask>", 0, 4), new HfFolder.Piece("zz", 0, 5));
        Files.write(dir.resolve("tokenizer.model"), HfFolder.spmModel(pieces));
        JsonObject decoder = obj("8", obj("content", "<unused0>", "special", false),
                "9", obj("content", "my\u2581word", "special", false), "5", obj("content", "\u2581a", "special", true));
        HfFolder.json(dir.resolve("tokenizer_config.json"), obj("added_tokens_decoder", decoder, "bos_token", "<bos>",
                "add_bos_token", true, "add_eos_token", false));
        JsonObject config = obj("vocab_size", 11, "bos_token_id", 2, "eos_token_id", 1, "pad_token_id", 0);

        LinkedHashMap<String, GgufValue> k = HfVocabulary.read(dir, config, "gemma2");
        assertEquals(GgufValue.ofString("llama"), k.get("tokenizer.ggml.model"));
        assertEquals(GgufValue.ofString("default"), k.get("tokenizer.ggml.pre"));
        // USER_DEFINED pieces are NORMAL (llama.cpp checks only unknown/control/unused/byte); the decoder's
        // entries get score -1000: <unused0> looks special, "my▁word" is user text with a space, "▁a" special
        assertArrayEquals(new String[] {"<pad>", "<eos>", "<bos>", "<unk>", "<0x00>", "\u2581a", "<mask>", "zz",
                "<unused0>", "my word", "[PAD10]"}, strings(k.get("tokenizer.ggml.tokens")));
        assertArrayEquals(new int[] {3, 3, 3, 2, 6, 3, 1, 5, 3, 4, 5}, ints(k.get("tokenizer.ggml.token_type")));
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, -1000, 0, 0, -1000, -1000, -10000},
                (float[]) k.get("tokenizer.ggml.scores").value());
        // no tokenizer.json: tokenizer_config's names cannot be looked up, so config.json's ids are used
        assertEquals(GgufValue.ofUint32(2), k.get("tokenizer.ggml.bos_token_id"));
        assertEquals(GgufValue.ofUint32(1), k.get("tokenizer.ggml.eos_token_id"));
        assertEquals(GgufValue.ofUint32(0), k.get("tokenizer.ggml.padding_token_id"));
        assertEquals(GgufValue.ofBool(true), k.get("tokenizer.ggml.add_bos_token"));
        assertEquals(GgufValue.ofBool(false), k.get("tokenizer.ggml.add_space_prefix"));
        assertEquals("tokenizer.ggml.add_space_prefix", List.copyOf(k.keySet()).getLast(), "written after SpecialVocab");
    }

    @Test
    void sentencepiece_added_tokens_json_is_user_defined_and_ids_past_vocab_size_are_skipped() throws Exception {
        Files.write(dir.resolve("tokenizer.model"), HfFolder.spmModel(List.of(new HfFolder.Piece("<unk>", 0, 2),
                new HfFolder.Piece("\u2581x", -1, 1))));
        HfFolder.json(dir.resolve("added_tokens.json"), obj("<tool>", 2, "<late>", 3));
        LinkedHashMap<String, GgufValue> k = HfVocabulary.read(dir, obj("vocab_size", 3), "llama");
        assertArrayEquals(new String[] {"<unk>", "\u2581x", "<tool>"}, strings(k.get("tokenizer.ggml.tokens")));
        assertArrayEquals(new int[] {2, 1, 4}, ints(k.get("tokenizer.ggml.token_type")));
    }

    @Test
    void llama_reads_add_prefix_space_and_a_49152_token_vocabulary_adds_no_bos() throws Exception {
        Files.write(dir.resolve("tokenizer.model"), HfFolder.spmModel(List.of(new HfFolder.Piece("<unk>", 0, 2))));
        HfFolder.json(dir.resolve("tokenizer_config.json"), obj("add_prefix_space", false, "add_bos_token", true));
        LinkedHashMap<String, GgufValue> k = HfVocabulary.read(dir, obj("vocab_size", 49152), "llama");
        assertEquals(GgufValue.ofBool(false), k.get("tokenizer.ggml.add_space_prefix"));
        assertEquals(GgufValue.ofBool(false), k.get("tokenizer.ggml.add_bos_token"));
        assertEquals(49152, k.get("tokenizer.ggml.tokens").length());
    }

    @Test
    void recognises_the_smollm_and_gpt2_pre_tokenizers() throws Exception {
        JsonObject smollm = obj("type", "Sequence", "pretokenizers", array(obj("type", "Digits", "individual_digits", true),
                obj("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true, "use_regex", true)));
        HfFolder.json(dir.resolve("tokenizer.json"), bpeJson(array(new JsonPrimitive("a b")), new JsonArray(), smollm, null));
        assertEquals(GgufValue.ofString("smollm"), HfVocabulary.read(dir, obj(), "llama").get("tokenizer.ggml.pre"));
        JsonObject gpt2 = obj("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true);
        HfFolder.json(dir.resolve("tokenizer.json"), bpeJson(array(new JsonPrimitive("a b")), new JsonArray(), gpt2, null));
        assertEquals(GgufValue.ofString("gpt-2"), HfVocabulary.read(dir, obj(), "llama").get("tokenizer.ggml.pre"));
    }

    @Test
    void llama_byte_fallback_tokenizer_json_is_written_as_llama_hf_vocab_does() throws Exception {
        JsonObject model = obj("type", "BPE", "byte_fallback", true, "vocab",
                obj("<unk>", 0, "<s>", 1, "</s>", 2, "<0x0A>", 3, "\u2581a", 4));
        model.add("merges", array(new JsonPrimitive("\u2581 a")));
        JsonObject tj = obj("version", "1.0", "decoder", obj("type", "Sequence"));
        tj.add("added_tokens", array(added(0, "<unk>", true), added(1, "<s>", true), added(2, "</s>", true),
                added(5, "<|im_end|>", true), added(6, "<tool>", false)));
        tj.add("model", model);
        HfFolder.json(dir.resolve("tokenizer.json"), tj);
        HfFolder.json(dir.resolve("tokenizer_config.json"), obj("bos_token", "<s>", "eos_token", "<|im_end|>",
                "unk_token", "<unk>", "add_bos_token", true));
        LinkedHashMap<String, GgufValue> k = HfVocabulary.read(dir, obj("vocab_size", 32), "llama");
        assertEquals(GgufValue.ofString("llama"), k.get("tokenizer.ggml.model"));
        assertEquals(GgufValue.ofString("default"), k.get("tokenizer.ggml.pre"));
        // no padding to vocab_size; special tokens CONTROL (even <unk>), </s> is not special here: NORMAL;
        // <0x0A> BYTE; an added token past the vocabulary that is not special: USER_DEFINED; scores all -1000
        assertArrayEquals(new String[] {"<unk>", "<s>", "</s>", "<0x0A>", "\u2581a", "<|im_end|>", "<tool>"},
                strings(k.get("tokenizer.ggml.tokens")));
        assertArrayEquals(new int[] {3, 3, 1, 6, 1, 3, 4}, ints(k.get("tokenizer.ggml.token_type")));
        float[] scores = new float[7];
        java.util.Arrays.fill(scores, -1000f);
        assertArrayEquals(scores, (float[]) k.get("tokenizer.ggml.scores").value());
        assertFalse(k.containsKey("tokenizer.ggml.merges"));
        assertEquals(GgufValue.ofUint32(1), k.get("tokenizer.ggml.bos_token_id"));
        assertEquals(GgufValue.ofUint32(5), k.get("tokenizer.ggml.eos_token_id"));
        assertEquals(GgufValue.ofUint32(0), k.get("tokenizer.ggml.unknown_token_id"));
    }
}
