package dev.pocketrag.generation.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Against libllama's own outputs in ../shared/reference/outputs (one JSON file per model and
 * prompt): the prompt's tokens with {@code add_special=true, parse_special=false} (BOS exactly when
 * the model adds one), the bytes of every prompt and generated piece
 * ({@code llama_token_to_piece(special=true)}), {@code llama_detokenize} of the 48 generated tokens
 * (random-weight models generate arbitrary tokens: byte pieces, control tokens, spaces before
 * punctuation) with and without {@code unparse_special}, and {@code llama_vocab_is_eog}.
 */
class ReferenceOutputsTest {
    private static final HexFormat HEX = HexFormat.of();

    static Stream<Path> outputs() throws IOException {
        Path dir = VocabFiles.shared().resolve("reference/outputs");
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList().stream();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> read(Path json) throws IOException {
        return (Map<String, Object>) MiniJson.parse(Files.readString(json, StandardCharsets.UTF_8));
    }

    private static Tokenizer tokenizerOf(Map<String, Object> ref) {
        Path shared = VocabFiles.shared();
        String file = (String) ref.get("model_file");
        Path p = shared.resolve("reference/models").resolve(file);
        if (!Files.exists(p)) {
            p = shared.resolve("models").resolve(file);
        }
        return VocabFiles.tokenizer(p);
    }

    private static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(o -> ((Number) o).intValue()).toArray();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("outputs")
    @SuppressWarnings("unchecked")
    void prompt_tokens_match_llama_tokenize_with_add_special(Path json) throws IOException {
        Map<String, Object> ref = read(json);
        Tokenizer tok = tokenizerOf(ref);
        Map<String, Object> call = (Map<String, Object>) ref.get("tokenizer");
        assertEquals(call.get("model_add_bos"), tok.addsBos(), "add_bos");
        assertEquals(((Number) call.get("bos_id")).intValue(), tok.bosId(), "bos id");
        assertEquals(((Number) call.get("eos_id")).intValue(), tok.eosId(), "eos id");
        int[] got = tok.encode((String) ref.get("prompt"), (Boolean) call.get("add_special"),
                (Boolean) call.get("parse_special"));
        assertArrayEquals(ints(ref.get("prompt_tokens")), got, "prompt tokens");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("outputs")
    @SuppressWarnings("unchecked")
    void pieces_match_llama_token_to_piece(Path json) throws IOException {
        Map<String, Object> ref = read(json);
        Tokenizer tok = tokenizerOf(ref);
        Map<String, Object> gen = (Map<String, Object>) ref.get("generated");
        int[][] ids = {ints(ref.get("prompt_tokens")), ints(gen.get("tokens"))};
        List<String>[] hex = new List[] {(List<String>) ref.get("prompt_pieces_hex"), (List<String>) gen.get("pieces_hex")};
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < ids[k].length; i++) {
                int id = ids[k][i];
                assertEquals(hex[k].get(i), HEX.formatHex(tok.pieceBytes(id, true)), "piece of token " + id);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("outputs")
    @SuppressWarnings("unchecked")
    void generated_text_matches_llama_detokenize(Path json) throws IOException {
        Map<String, Object> ref = read(json);
        Tokenizer tok = tokenizerOf(ref);
        Map<String, Object> gen = (Map<String, Object>) ref.get("generated");
        int[] ids = ints(gen.get("tokens"));
        assertEquals(gen.get("text_hex"), HEX.formatHex(tok.detokenizeBytes(ids, false, false)), "text bytes");
        assertEquals(gen.get("text"), tok.detokenize(ids, false, false), "text");
        assertEquals(gen.get("text_unparse_special"), tok.detokenize(ids, false, true), "text, unparse_special");
        List<Boolean> eog = (List<Boolean>) gen.get("is_eog");
        for (int i = 0; i < ids.length; i++) {
            assertEquals(eog.get(i), tok.isEndOfGeneration(ids[i]), "is_eog of token " + ids[i]);
        }
    }
}
