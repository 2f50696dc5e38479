package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.generation.gguf.GgufValue;
import dev.pocketrag.generation.gguf.GgufWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizeCommandTest {

    @Test
    void prints_ids_with_the_bos_the_model_adds() {
        Path l3 = SharedData.file("reference/vocab/ggml-vocab-llama-bpe.gguf");
        // ids from ../shared/reference/vocab/extra/ggml-vocab-llama-bpe.special.out, line 1
        CliRun r = CliRun.of("tokenize", "--model", l3.toString(), "Hello world");
        assertEquals(0, r.exitCode(), r::toString);
        assertEquals("128000 9906 1917\n", r.out());
        r = CliRun.of("tokenize", "--model", l3.toString(), "--no-bos", "--", "Hello", "world");
        assertEquals("9906 1917\n", r.out(), r::toString);
    }

    @Test
    void pieces_are_printed_as_json_strings_on_a_second_line() {
        Path l3 = SharedData.file("reference/vocab/ggml-vocab-llama-bpe.gguf");
        CliRun r = CliRun.of("tokenize", "-m", l3.toString(), "--pieces", "Hello world\n");
        assertEquals(0, r.exitCode(), r::toString);
        String[] lines = r.out().split("\n");
        assertEquals(2, lines.length, r::toString);
        assertEquals(4, lines[0].split(" ").length, r::toString);
        assertEquals("\"<|begin_of_text|>\" \"Hello\" \" world\" \"\\n\"", lines[1]);
    }

    @Test
    void reproduces_the_llama_cpp_test_vectors_without_bos() throws Exception {
        Path vocab = SharedData.file("models/vocab/ggml-vocab-llama-spm.gguf");
        String inp = Files.readString(vocab.resolveSibling("ggml-vocab-llama-spm.gguf.inp"), StandardCharsets.UTF_8);
        List<String> texts = Arrays.asList(inp.split("\n__ggml_vocab_test__\n", -1)).subList(0, 46);
        List<String> expected = Files.readAllLines(vocab.resolveSibling("ggml-vocab-llama-spm.gguf.out"));
        for (int i = 0; i < texts.size(); i++) {
            CliRun r = CliRun.of("tokenize", "--model", vocab.toString(), "--no-bos", "--", texts.get(i));
            assertEquals(0, r.exitCode(), r::toString);
            assertEquals(expected.get(i).strip(), r.out().strip(), "text " + (i + 1) + ": " + texts.get(i));
        }
    }

    @Test
    void control_tokens_are_parsed_only_when_asked() {
        Path qwen = SharedData.file("reference/vocab/ggml-vocab-qwen2.gguf");
        CliRun parsed = CliRun.of("tokenize", "--model", qwen.toString(), "--parse-special", "<|im_start|>user");
        assertEquals("151644 872\n", parsed.out(), parsed::toString);
        CliRun plain = CliRun.of("tokenize", "--model", qwen.toString(), "<|im_start|>user");
        assertEquals(0, plain.exitCode(), plain::toString);
        assertFalse(plain.out().contains("151644"), plain::toString);
    }

    @Test
    void a_missing_model_is_one_line_and_exit_code_2(@TempDir Path dir) {
        Path missing = dir.resolve("nope.gguf");
        CliRun r = CliRun.of("tokenize", "--model", missing.toString(), "hi");
        assertEquals(2, r.exitCode(), r::toString);
        assertEquals("error: no such file: " + missing + "\n", r.err());
    }

    @Test
    void a_file_that_is_not_gguf_is_rejected(@TempDir Path dir) throws Exception {
        Path notes = dir.resolve("notes.txt");
        Files.writeString(notes, "just some notes, not a model\n");
        CliRun r = CliRun.of("tokenize", "--model", notes.toString(), "hi");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().startsWith("error: notes.txt"), r::toString);
    }

    @Test
    void an_unsupported_tokenizer_is_named_in_one_line(@TempDir Path dir) throws Exception {
        Path t5 = dir.resolve("t5.gguf");
        new GgufWriter()
                .put("tokenizer.ggml.model", GgufValue.ofString("t5"))
                .put("tokenizer.ggml.tokens", GgufValue.ofStrings(List.of("<pad>", "</s>", "<unk>", "\u2581hi")))
                .write(t5);
        CliRun r = CliRun.of("tokenize", "--model", t5.toString(), "hi");
        assertEquals(2, r.exitCode(), r::toString);
        assertEquals("error: t5.gguf: unsupported tokenizer model 't5' (tokenizer.ggml.model): supported are 'llama'"
                + " (SentencePiece), 'gpt2' (byte-level BPE) and 'bert' (WordPiece)\n", r.err());
    }

    @Test
    void text_is_required() {
        Path l3 = SharedData.file("reference/vocab/ggml-vocab-llama-bpe.gguf");
        CliRun r = CliRun.of("tokenize", "--model", l3.toString());
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("TEXT"), r::toString);
    }
}
