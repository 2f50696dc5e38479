package dev.pocketrag.generation.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pocketrag.generation.Tokenizers;
import dev.pocketrag.generation.gguf.GgufFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Behaviour on the real vocabularies of ../shared beyond the llama.cpp test vectors. */
class SharedVocabTest {

    static Path vocab(String name) {
        Path shared = VocabFiles.shared();
        Path p = shared.resolve("models/vocab").resolve(name);
        return Files.exists(p) ? p : shared.resolve("reference/vocab").resolve(name);
    }

    /** The texts of the common .inp file plus the stress set of the vocabulary, if it has one. */
    static List<String> texts(String vocabName) throws IOException {
        List<String> texts = new ArrayList<>(VocabFiles.inputs(vocab("ggml-vocab-gpt-2.gguf.inp")));
        String stem = vocabName.replace(".gguf", "");
        Path stress = VocabFiles.shared().resolve("reference/vocab/extra/" + stem + ".stress.inp");
        if (Files.exists(stress)) {
            texts.addAll(VocabFiles.inputs(stress));
        }
        return texts;
    }

    /**
     * Vocabularies where decode(encode(x)) == x holds for every text: byte-level BPE is lossless, and
     * SentencePiece with byte fallback is too. (WordPiece lower-cases and drops accents: not here.)
     */
    static Stream<String> lossless() {
        return Stream.of("ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf", "ggml-vocab-baichuan.gguf",
                "ggml-vocab-gpt-2.gguf", "ggml-vocab-gpt-neox.gguf", "ggml-vocab-mpt.gguf", "ggml-vocab-falcon.gguf",
                "ggml-vocab-starcoder.gguf", "ggml-vocab-refact.gguf", "ggml-vocab-deepseek-coder.gguf",
                "ggml-vocab-deepseek-llm.gguf", "ggml-vocab-llama-bpe.gguf", "ggml-vocab-qwen2.gguf");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lossless")
    void decode_inverts_encode(String name) throws IOException {
        Tokenizer tok = VocabFiles.tokenizer(vocab(name));
        List<String> texts = texts(name);
        for (boolean addSpecial : new boolean[] {false, true}) {
            for (String t : texts) {
                String back = tok.decode(tok.encode(t, addSpecial, false));
                if (!back.equals(t)) {
                    fail(name + " (addSpecial=" + addSpecial + "): " + VocabFiles.escape(t) + " came back as "
                            + VocabFiles.escape(back));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lossless")
    void streaming_decode_equals_decode_and_never_splits_a_character(String name) throws IOException {
        Tokenizer tok = VocabFiles.tokenizer(vocab(name));
        for (String t : texts(name)) {
            int[] ids = tok.encode(t, false, false);
            StreamingDecoder d = tok.newDecoder();
            StringBuilder b = new StringBuilder();
            for (int id : ids) {
                String part = d.accept(id);
                assertFalse(!part.isEmpty() && Character.isHighSurrogate(part.charAt(part.length() - 1)),
                        "half a surrogate pair");
                assertFalse(part.contains("\uFFFD") && !t.contains("\uFFFD"), "replacement char for " + VocabFiles.escape(t));
                b.append(part);
            }
            b.append(d.finish());
            String expected = tok.decode(ids);
            // decode() removes SentencePiece's prefix space; the stream keeps every byte
            String streamed = tok.addsSpacePrefix() && b.length() > 0 && b.charAt(0) == ' ' ? b.substring(1) : b.toString();
            assertEquals(expected, streamed, name + ": " + VocabFiles.escape(t));
        }
    }

    @Test
    void loads_the_files_without_test_vectors() {
        Tokenizer baichuan = VocabFiles.tokenizer(vocab("ggml-vocab-baichuan.gguf"));
        assertEquals(Tokenizer.Kind.SPM, baichuan.kind());
        assertEquals(64000, baichuan.vocabSize());
        assertEquals(1, baichuan.bosId());
        assertEquals(2, baichuan.eosId());
        assertTrue(baichuan.addsBos());
        assertEquals(1, baichuan.encode("Hello world", true, false)[0]);

        Tokenizer neox = VocabFiles.tokenizer(vocab("ggml-vocab-gpt-neox.gguf"));
        assertEquals(Tokenizer.Kind.BPE, neox.kind());
        assertEquals("default", neox.preTokenizer(), "no tokenizer.ggml.pre: llama.cpp's default");
        assertEquals(50432, neox.vocabSize());
        assertEquals(0, neox.bosId());
        assertFalse(neox.addsBos());
        assertEquals("Hello world", neox.decode(neox.encode("Hello world")));
    }

    @Test
    void end_of_generation_sets_follow_llama_cpp() {
        Tokenizer l3 = VocabFiles.tokenizer(vocab("ggml-vocab-llama-bpe.gguf"));
        assertEquals(128009, l3.eosId());
        assertEquals(128009, l3.eotId());
        assertArrayEquals(new int[] {128001, 128009}, l3.endOfGenerationIds(), "<|end_of_text|> by name, <|eot_id|>");
        assertFalse(l3.isEndOfGeneration(128000));

        Tokenizer qwen = VocabFiles.tokenizer(vocab("ggml-vocab-qwen2.gguf"));
        assertArrayEquals(new int[] {151643, 151645}, qwen.endOfGenerationIds(), "<|endoftext|>, <|im_end|>");
        assertEquals(151643, qwen.padId());
        assertEquals(TokenType.UNUSED, qwen.tokenType(151700));

        Tokenizer phi3 = VocabFiles.tokenizer(vocab("ggml-vocab-phi-3.gguf"));
        assertTrue(phi3.isEndOfGeneration(32000), "<|endoftext|> (eos)");
        assertTrue(phi3.isEndOfGeneration(32007), "<|end|>");
        assertEquals(32007, phi3.eotId());

        Tokenizer gpt2 = VocabFiles.tokenizer(vocab("ggml-vocab-gpt-2.gguf"));
        assertArrayEquals(new int[] {50256}, gpt2.endOfGenerationIds());
    }

    @Test
    void chat_markup_is_parsed_only_when_asked() {
        Tokenizer qwen = VocabFiles.tokenizer(vocab("ggml-vocab-qwen2.gguf"));
        String prompt = "<|im_start|>user\nHi<|im_end|>";
        int[] parsed = qwen.encode(prompt, true, true);
        assertEquals(151644, parsed[0]);
        assertEquals(151645, parsed[parsed.length - 1]);
        int[] plain = qwen.encode(prompt, true, false);
        assertFalse(Arrays.stream(plain).anyMatch(id -> id >= 151643), Arrays.toString(plain));
        assertEquals(prompt, qwen.decode(plain));
        assertEquals("user\nHi", qwen.decode(parsed), "control tokens render as nothing");
        assertEquals(prompt, qwen.detokenize(parsed, false, true));
    }

    @Test
    void a_long_prompt_is_counted_like_its_encoding() throws IOException {
        Tokenizer l3 = VocabFiles.tokenizer(vocab("ggml-vocab-llama-bpe.gguf"));
        String text = String.join("\n", VocabFiles.inputs(VocabFiles.shared()
                .resolve("reference/vocab/extra/ggml-vocab-llama-bpe.stress.inp")).subList(0, 40));
        int[] ids = l3.encode(text, false, false);
        assertTrue(ids.length > 4000, "a prompt of a few thousand tokens: " + ids.length);
        assertEquals(ids.length, l3.countTokens(text));
        assertEquals(text, l3.decode(ids));
    }

    @Test
    void concurrent_encoding_equals_sequential_encoding() throws Exception {
        Tokenizer qwen = VocabFiles.tokenizer(vocab("ggml-vocab-qwen2.gguf"));
        List<String> texts = texts("ggml-vocab-qwen2.gguf");
        List<int[]> expected = texts.stream().map(t -> qwen.encode(t, true, true)).toList();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            List<java.util.concurrent.Future<Boolean>> results = new ArrayList<>();
            for (int k = 0; k < 8; k++) {
                int offset = k * 97;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < texts.size(); i++) {
                        int j = (i + offset) % texts.size();
                        if (!Arrays.equals(expected.get(j), qwen.encode(texts.get(j), true, true))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (var f : results) {
                assertTrue(f.get());
            }
        }
    }

    @Test
    void files_without_a_tokenizer_are_rejected_with_the_key_named() {
        Path quant = VocabFiles.shared().resolve("reference/quants/quant-Q8_0.gguf");
        var e = assertThrows(GgufFormatException.class, () -> Tokenizers.open(quant));
        assertTrue(e.getMessage().contains("tokenizer.ggml.model"), e.getMessage());
    }
}
