package dev.pocketrag.convert.internal;

import static dev.pocketrag.convert.internal.HfFolder.added;
import static dev.pocketrag.convert.internal.HfFolder.array;
import static dev.pocketrag.convert.internal.HfFolder.obj;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.pocketrag.convert.ConvertException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The malformed-input table: each case writes a valid folder, breaks one thing, and must get one
 * {@link ConvertException} whose message names the file and the bad value (the listed fragments),
 * with no raw control character from the files in it. Then seeded truncations and byte flips of a
 * valid {@code tokenizer.model} (seed printed; rerun with {@code -Dpocketrag.seed=N}): each must
 * parse or fail with a {@link ConvertException}, never another exception.
 */
class MalformedVocabTest {
    static final long SEED = Long.getLong("pocketrag.seed", 20261203L);

    @TempDir
    Path root;

    /** One broken folder: what to do to a fresh one, the architecture, what the message must contain. */
    record Case(String name, String arch, Setup setup, String... fragments) {}

    @FunctionalInterface
    interface Setup {
        void apply(Path dir) throws IOException;
    }

    // ---- valid bases ----

    static JsonObject bpeJson() {
        JsonObject model = obj("type", "BPE", "byte_fallback", false, "vocab", obj("a", 0, "b", 1, "ab", 2));
        model.add("merges", array(new JsonPrimitive("a b")));
        JsonObject tj = obj("version", "1.0");
        tj.add("added_tokens", array(added(3, "<|eot|>", true)));
        tj.add("pre_tokenizer", HfVocabularyTest.qwen2PreTokenizer());
        tj.add("model", model);
        return tj;
    }

    static void bpe(Path dir) throws IOException {
        HfFolder.json(dir.resolve("tokenizer.json"), bpeJson());
    }

    static void bpe(Path dir, java.util.function.Consumer<JsonObject> change) throws IOException {
        JsonObject tj = bpeJson();
        change.accept(tj);
        HfFolder.json(dir.resolve("tokenizer.json"), tj);
    }

    static JsonObject model(JsonObject tj) {
        return tj.getAsJsonObject("model");
    }

    static final List<HfFolder.Piece> PIECES = List.of(new HfFolder.Piece("<unk>", 0, 2), new HfFolder.Piece("<s>", 0, 3),
            new HfFolder.Piece("</s>", 0, 3), new HfFolder.Piece("\u2581hello", -1.25f, 1));

    static void spm(Path dir, byte[] model) throws IOException {
        Files.write(dir.resolve("tokenizer.model"), model);
    }

    /** A ModelProto holding one piece message made of {@code pieceFields}. */
    static byte[] onePiece(HfFolder.Proto pieceFields) {
        return new HfFolder.Proto().bytes(1, pieceFields.toByteArray()).toByteArray();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        // ---- tokenizer.model (protobuf) ----
        c.add(new Case("piece length past the end", "llama",
                d -> spm(d, Arrays.copyOf(HfFolder.spmModel(PIECES), 7)), "tokenizer.model", "length", "runs past the end"));
        c.add(new Case("varint longer than ten bytes", "llama",
                d -> spm(d, new HfFolder.Proto().key(4, 0).raw(new byte[] {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1}).toByteArray()),
                "tokenizer.model", "varint at byte 1", "longer than"));
        c.add(new Case("varint cut by the end of the file", "llama",
                d -> spm(d, new HfFolder.Proto().key(4, 0).raw((byte) 0x80, (byte) 0x80).toByteArray()),
                "tokenizer.model", "varint at byte 1", "runs past the end"));
        c.add(new Case("group wire type", "llama",
                d -> spm(d, new HfFolder.Proto().key(7, 3).toByteArray()), "tokenizer.model", "wire type 3", "field 7"));
        c.add(new Case("field number 0", "llama",
                d -> spm(d, new HfFolder.Proto().raw((byte) 0x02, (byte) 0x00).toByteArray()), "tokenizer.model",
                "bad field number 0 at byte 0"));
        c.add(new Case("pieces field that is not a message", "llama",
                d -> spm(d, new HfFolder.Proto().varint(1, 5).toByteArray()), "tokenizer.model", "field 1", "wire type 0"));
        c.add(new Case("piece type out of range", "llama",
                d -> spm(d, onePiece(new HfFolder.Proto().bytes(1, utf8("x")).varint(3, 7))), "tokenizer.model",
                "piece 0 has type 7"));
        c.add(new Case("piece without text", "llama",
                d -> spm(d, onePiece(new HfFolder.Proto().fixed32(2, 0))), "tokenizer.model", "piece 0", "has no text"));
        c.add(new Case("piece that is not UTF-8", "llama",
                d -> spm(d, onePiece(new HfFolder.Proto().bytes(1, new byte[] {'a', (byte) 0xC3}))), "tokenizer.model",
                "piece 0", "not valid UTF-8"));
        c.add(new Case("duplicate pieces", "phi3",
                d -> spm(d, HfFolder.spmModel(List.of(new HfFolder.Piece("a", 0, 1), new HfFolder.Piece("b", 0, 1),
                        new HfFolder.Piece("a", 0, 1)))), "tokenizer.model", "pieces 0 and 2", "\"a\""));
        c.add(new Case("score cut short", "llama",
                d -> spm(d, onePiece(new HfFolder.Proto().bytes(1, utf8("x")).key(2, 5).raw((byte) 1, (byte) 2))),
                "tokenizer.model", "4-byte value", "runs past the end"));
        c.add(new Case("empty tokenizer.model", "gemma2", d -> spm(d, new byte[0]), "tokenizer.model", "no pieces"));
        c.add(new Case("more pieces than vocab_size", "llama", d -> {
            spm(d, HfFolder.spmModel(PIECES));
            HfFolder.json(d.resolve("config.json"), obj("vocab_size", 2));
        }, "config.json", "vocab_size 2", "4 pieces"));
        c.add(new Case("phi3 without tokenizer.model", "phi3", MalformedVocabTest::bpe, "tokenizer.model", "missing"));
        c.add(new Case("added_tokens_decoder id out of range", "gemma2", d -> {
            spm(d, HfFolder.spmModel(PIECES));
            HfFolder.json(d.resolve("tokenizer_config.json"), obj("added_tokens_decoder", obj("99", obj("content", "<x>"))));
        }, "tokenizer_config.json", "added_tokens_decoder[\"99\"]", "0..3"));
        c.add(new Case("added_tokens.json negative id", "llama", d -> {
            spm(d, HfFolder.spmModel(PIECES));
            HfFolder.json(d.resolve("added_tokens.json"), obj("<x>", -4));
        }, "added_tokens.json", "\"<x>\"", "the number \"-4\""));
        c.add(new Case("phi3 added token id out of range", "phi3", d -> {
            spm(d, HfFolder.spmModel(PIECES));
            HfFolder.json(d.resolve("tokenizer.json"), obj("added_tokens", array(added(4, "<|end|>", true))));
        }, "tokenizer.json", "added_tokens[0].id = 4", "out of range"));
        c.add(new Case("added token repeating a piece", "llama", d -> {
            spm(d, HfFolder.spmModel(PIECES));
            HfFolder.json(d.resolve("config.json"), obj("vocab_size", 5));
            HfFolder.json(d.resolve("added_tokens.json"), obj("<s>", 4));
        }, "tokenizer.model + added_tokens.json", "the token \"<s>\" is given ids 1 and 4"));
        c.add(new Case("byte-fallback BPE with a gap before an added token", "llama", d -> bpe(d, tj -> {
            model(tj).addProperty("byte_fallback", true);
            tj.add("decoder", obj("type", "Sequence"));
            tj.getAsJsonArray("added_tokens").add(added(5, "<x>", false));
        }), "tokenizer.json", "added token id 5 leaves a gap after id 3"));
        // ---- JSON files ----
        c.add(new Case("truncated tokenizer.json", "qwen2", d -> {
            HfFolder.json(d.resolve("tokenizer.json"), bpeJson());
            byte[] b = Files.readAllBytes(d.resolve("tokenizer.json"));
            Files.write(d.resolve("tokenizer.json"), Arrays.copyOf(b, b.length / 2));
        }, "tokenizer.json", "not valid JSON"));
        c.add(new Case("tokenizer.json not UTF-8", "qwen2",
                d -> Files.write(d.resolve("tokenizer.json"), new byte[] {'{', (byte) 0xFF, '}'}), "tokenizer.json", "UTF-8"));
        c.add(new Case("tokenizer.json an array", "qwen2",
                d -> Files.writeString(d.resolve("tokenizer.json"), "[1, 2]"), "tokenizer.json", "an array"));
        c.add(new Case("bad tokenizer_config.json", "qwen2", d -> {
            bpe(d);
            Files.writeString(d.resolve("tokenizer_config.json"), "{\"eos_token\": }");
        }, "tokenizer_config.json", "not valid JSON"));
        c.add(new Case("no tokenizer files", "qwen3", d -> { }, "neither tokenizer.model nor tokenizer.json", "qwen3"));
        c.add(new Case("unknown architecture", "gpt\u001b[2J", MalformedVocabTest::bpe, "architecture", "\\u001b[2J"));
        c.add(new Case("vocab id out of range", "qwen2", d -> {
            bpe(d);
            HfFolder.json(d.resolve("config.json"), obj("vocab_size", 2));
        }, "tokenizer.json", "= 2 is out of range", "vocab_size 2"));
        c.add(new Case("vocab id not an integer", "qwen2", d -> bpe(d, tj -> model(tj).getAsJsonObject("vocab").addProperty("b", 1.5)),
                "tokenizer.json", "model.vocab[\"b\"]", "the number \"1.5\""));
        c.add(new Case("vocab id a string", "qwen2", d -> bpe(d, tj -> model(tj).getAsJsonObject("vocab").addProperty("b", "1")),
                "tokenizer.json", "model.vocab[\"b\"]", "the string \"1\""));
        c.add(new Case("two tokens with one id", "qwen2", d -> bpe(d, tj -> model(tj).getAsJsonObject("vocab").addProperty("c", 1)),
                "tokenizer.json", "id 1 is given to both", "\"b\"", "\"c\""));
        c.add(new Case("added token on a vocab id", "qwen2", d -> bpe(d, tj -> tj.getAsJsonArray("added_tokens").add(added(0, "<x>", true))),
                "tokenizer.json", "added_tokens[1]", "id 0", "already \"a\""));
        c.add(new Case("one token with two ids", "qwen2", d -> {
            bpe(d, tj -> tj.getAsJsonArray("added_tokens").add(added(4, "ab", false)));
            HfFolder.json(d.resolve("config.json"), obj("vocab_size", 5));
        },
                "tokenizer.json", "\"ab\" has two ids, 2 and 4"));
        c.add(new Case("added token without content", "qwen2",
                d -> bpe(d, tj -> tj.getAsJsonArray("added_tokens").add(obj("id", 4))), "tokenizer.json", "added_tokens[1]", "content"));
        c.add(new Case("Unigram model", "qwen2", d -> bpe(d, tj -> model(tj).addProperty("type", "Unigram\u0007")),
                "tokenizer.json", "model.type \"Unigram\\u0007\""));
        c.add(new Case("byte-fallback BPE without tokenizer.model", "qwen2",
                d -> bpe(d, tj -> model(tj).addProperty("byte_fallback", true)), "tokenizer.json", "byte_fallback", "tokenizer.model"));
        c.add(new Case("no merges", "qwen2", d -> bpe(d, tj -> model(tj).add("merges", new JsonArray())),
                "tokenizer.json", "model.merges is missing or empty"));
        c.add(new Case("merge without a space", "qwen2", d -> bpe(d, tj -> model(tj).add("merges", array(new JsonPrimitive("ab")))),
                "tokenizer.json", "model.merges[0] = \"ab\"", "one space"));
        c.add(new Case("merge pair of three", "qwen2", d -> bpe(d, tj -> model(tj).add("merges", array(
                array(new JsonPrimitive("a"), new JsonPrimitive("b")),
                array(new JsonPrimitive("a"), new JsonPrimitive("b"), new JsonPrimitive("c"))))),
                "tokenizer.json", "model.merges[1]", "pair of two strings"));
        c.add(new Case("merges of mixed forms", "qwen2", d -> bpe(d, tj -> model(tj).add("merges", array(
                new JsonPrimitive("a b"), array(new JsonPrimitive("a"), new JsonPrimitive("b"))))),
                "tokenizer.json", "model.merges[1]", "an array"));
        c.add(new Case("unknown pre-tokenizer expression", "qwen2", d -> bpe(d, tj -> tj.add("pre_tokenizer",
                obj("type", "Sequence", "pretokenizers", array(obj("type", "Split", "pattern", obj("Regex", "\\w+\n"),
                        "behavior", "Isolated"), obj("type", "ByteLevel", "use_regex", false))))),
                "tokenizer.json", "pre_tokenizer", "\"\\\\w+\\n\"", "not recognized"));
        c.add(new Case("no pre-tokenizer", "qwen2", d -> bpe(d, tj -> tj.remove("pre_tokenizer")),
                "tokenizer.json", "pre_tokenizer (none)"));
        c.add(new Case("Metaspace pre-tokenizer", "qwen2", d -> bpe(d, tj -> tj.add("pre_tokenizer", obj("type", "Metaspace"))),
                "tokenizer.json", "[\"Metaspace\"]"));
        c.add(new Case("negative special id", "qwen2", d -> {
            bpe(d);
            HfFolder.json(d.resolve("config.json"), obj("eos_token_id", -1));
        }, "config.json", "eos_token_id", "negative id -1"));
        c.add(new Case("vocab_size not an integer", "qwen2", d -> {
            bpe(d);
            HfFolder.json(d.resolve("config.json"), obj("vocab_size", "big"));
        }, "config.json", "vocab_size", "the string \"big\""));
        return c;
    }

    @TestFactory
    Stream<DynamicTest> each_malformed_folder_gets_one_error_naming_the_file_and_value() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Path d = Files.createDirectories(root.resolve(c.name().replaceAll("[^a-z0-9]", "_")));
            c.setup().apply(d);
            Path cfgFile = d.resolve("config.json");
            JsonObject config = Files.exists(cfgFile) ? VocabJson.readObject(cfgFile) : new JsonObject();
            ConvertException e = assertThrows(ConvertException.class, () -> HfVocabulary.read(d, config, c.arch()));
            String m = e.getMessage();
            for (String f : c.fragments()) {
                assertTrue(m.contains(f), "message should contain " + f + ": " + m);
            }
            assertFalse(m.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7F), "raw control character in: " + m);
            System.out.println(c.name() + ": " + m.substring(m.indexOf(d.toString()) >= 0 ? d.toString().length() + 1 : 0));
        }));
    }

    @Test
    void truncated_or_flipped_tokenizer_models_parse_or_fail_with_a_convert_exception() {
        System.out.println("MalformedVocabTest seed=" + SEED + " (rerun with -Dpocketrag.seed=" + SEED + ")");
        Random r = new Random(SEED);
        List<HfFolder.Piece> pieces = new ArrayList<>(PIECES);
        for (int i = 0; i < 40; i++) {
            pieces.add(new HfFolder.Piece("p" + i + "\u00e9".repeat(r.nextInt(3)), -r.nextFloat() * 100, 1 + r.nextInt(6)));
        }
        byte[] valid = HfFolder.spmModel(pieces);
        int parsed = 0;
        int refused = 0;
        for (int i = 0; i < 2000; i++) {
            byte[] b = i % 2 == 0 ? Arrays.copyOf(valid, r.nextInt(valid.length)) : valid.clone();
            if (i % 2 == 1) {
                for (int f = 1 + r.nextInt(4); f > 0; f--) {
                    b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                }
            }
            try {
                SpmModelProto.parse(b, "case" + i);
                parsed++;
            } catch (ConvertException e) {
                refused++;
            } catch (RuntimeException e) {
                fail("case " + i + " (seed " + SEED + ") threw " + e);
            }
        }
        System.out.println("tokenizer.model mutations: " + parsed + " parsed, " + refused + " refused");
        assertTrue(refused > 0 && parsed > 0, "both outcomes occur: " + parsed + " parsed, " + refused + " refused");
    }
}
