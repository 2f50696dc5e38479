package dev.pocketrag.generation.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.generation.gguf.UnsupportedTokenizerException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The algorithms on small vocabularies written in code, where every expected id is worked out by hand. */
class TokenizerTest {

    // ---------------------------------------------------------------- SentencePiece

    /** {@code <unk> <s> </s> <0x00>..<0xFF>} (ids 0..258) then the given normal pieces with scores. */
    static Vocabulary.Builder spm(Object... pieceScorePairs) {
        List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Integer> types = new ArrayList<>(List.of(2, 3, 3));
        List<Float> scores = new ArrayList<>(List.of(0f, 0f, 0f));
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format(Locale.ROOT, "<0x%02X>", b));
            types.add(6);
            scores.add(0f);
        }
        for (int i = 0; i < pieceScorePairs.length; i += 2) {
            tokens.add((String) pieceScorePairs[i]);
            types.add(1);
            scores.add(((Number) pieceScorePairs[i + 1]).floatValue());
        }
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
        }
        return Vocabulary.builder("llama", tokens).scores(s)
                .tokenTypes(types.stream().mapToInt(Integer::intValue).toArray());
    }

    static int byteToken(int b) {
        return 3 + b;
    }

    /** Ids of the normal pieces: the first one is 259. */
    static final int P0 = 259;

    @Nested
    class SentencePiece {
        // pieces: 259 "▁", 260 "a", 261 "b", 262 "c", 263 "ab", 264 "bc", 265 "▁a"
        final Tokenizer bcFirst = Tokenizer.of(spm("\u2581", -10, "a", -10, "b", -10, "c", -10,
                "ab", -2, "bc", -1, "\u2581a", -3).build());
        final Tokenizer abFirst = Tokenizer.of(spm("\u2581", -10, "a", -10, "b", -10, "c", -10,
                "ab", -0.5, "bc", -1, "\u2581a", -3).build());

        @Test
        void merges_the_highest_scoring_pair_first() {
            // "▁abc": bc (-1) beats ab (-2) and ▁a (-3); then ▁a; "abc" and "▁abc" are not tokens
            assertArrayEquals(new int[] {265, 264}, bcFirst.encode("abc", false, false));
            // with ab at -0.5: ab first, then ▁a is stale (a is gone): ▁ ab c
            assertArrayEquals(new int[] {259, 263, 262}, abFirst.encode("abc", false, false));
        }

        @Test
        void equal_scores_merge_the_leftmost_pair_first() {
            Tokenizer t = Tokenizer.of(spm("a", -5, "aa", -1).addSpacePrefix(false).build());
            assertArrayEquals(new int[] {P0 + 1, P0 + 1, P0}, t.encode("aaaaa", false, false));
        }

        @Test
        void unknown_characters_fall_back_to_their_utf8_bytes() {
            // é = C3 A9, 😀 = F0 9F 98 80
            assertArrayEquals(new int[] {259, byteToken(0xC3), byteToken(0xA9)}, bcFirst.encode("é", false, false));
            assertArrayEquals(new int[] {259, byteToken(0xF0), byteToken(0x9F), byteToken(0x98), byteToken(0x80)},
                    bcFirst.encode("😀", false, false));
        }

        @Test
        void puts_a_space_in_front_of_the_text_and_after_special_tokens() {
            assertArrayEquals(new int[] {265}, bcFirst.encode("a", false, false));
            Tokenizer noPrefix = Tokenizer.of(spm("\u2581", -10, "a", -10, "\u2581a", -3).addSpacePrefix(false).build());
            assertArrayEquals(new int[] {P0 + 1}, noPrefix.encode("a", false, false));
            // spaces are ▁: " a" -> "▁▁a"
            assertArrayEquals(new int[] {259, 265}, bcFirst.encode(" a", false, false));
            // after a special token (parsed) the next text gets its own prefix
            assertArrayEquals(new int[] {265, 2, 265}, bcFirst.encode("a</s>a", false, true));
            assertArrayEquals(new int[] {1, 2, 265}, bcFirst.encode("</s>a", true, true));
        }

        @Test
        void adds_bos_by_default_and_as_the_vocabulary_says() {
            assertTrue(bcFirst.addsBos());
            assertArrayEquals(new int[] {1, 265}, bcFirst.encode("a", true, false));
            assertArrayEquals(new int[] {1}, bcFirst.encode("", true, false));
            assertArrayEquals(new int[0], bcFirst.encode("", false, false));
            Tokenizer noBos = Tokenizer.of(spm("\u2581a", -3).addBos(false).build());
            assertArrayEquals(new int[] {P0}, noBos.encode("a", true, false));
            Tokenizer eos = Tokenizer.of(spm("\u2581a", -3).addEos(true).build());
            assertArrayEquals(new int[] {1, P0, 2}, eos.encode("a", true, false));
        }

        @Test
        void decode_inverts_encode_and_drops_the_space_prefix() {
            for (String s : List.of("abc", " abc", "a  b\tc\n", "é😀 ab", "", "   ")) {
                assertEquals(s, bcFirst.decode(bcFirst.encode(s, true, false)), VocabFiles.escape(s));
                assertEquals(s, bcFirst.decode(bcFirst.encode(s, false, false)), VocabFiles.escape(s));
            }
        }

        @Test
        void detokenize_can_remove_the_bos_and_eos_the_model_added() {
            Tokenizer eos = Tokenizer.of(spm("\u2581a", -3).addEos(true).build());
            int[] ids = eos.encode("a", true, false); // <s> ▁a </s>
            assertEquals(" a", eos.detokenize(ids, true, false), "llama.cpp keeps the space after a removed BOS");
            assertEquals(" a", eos.detokenize(ids, true, true));
            assertEquals("<s> a</s>", eos.detokenize(ids, false, true));
            assertEquals("a", eos.detokenize(new int[] {P0}, false, false), "first piece loses the prefix space");
        }

        @Test
        void pieces_render_spaces_and_bytes() {
            assertEquals(" a", bcFirst.tokenPiece(265));
            assertEquals("\u2581a", bcFirst.tokenText(265));
            assertArrayEquals(new byte[] {(byte) 0xC3}, bcFirst.pieceBytes(byteToken(0xC3), false));
            assertEquals(TokenType.BYTE, bcFirst.tokenType(byteToken(0xC3)));
            assertEquals("<s>", bcFirst.tokenPiece(1));
            assertArrayEquals(new byte[0], bcFirst.pieceBytes(1, false), "control token without special");
        }
    }

    // ---------------------------------------------------------------- byte-level BPE

    /** Byte-level BPE vocabulary over the given token strings (GPT-2 alphabet) and merges. */
    static Vocabulary.Builder bpe(String pre, List<String> tokens, List<String> merges) {
        return Vocabulary.builder("gpt2", tokens).pre(pre).merges(merges);
    }

    @Nested
    class BytePairEncoding {
        // 0 a, 1 b, 2 c, 3 Ġ (space), 4 ab, 5 bc, 6 Ġa, 7 abc, 8 xyz, 9 x, 10 y, 11 z
        final List<String> tokens = List.of("a", "b", "c", "\u0120", "ab", "bc", "\u0120a", "abc", "xyz", "x", "y", "z");

        @Test
        void merges_the_lowest_rank_first() {
            Tokenizer abFirst = Tokenizer.of(bpe("gpt-2", tokens, List.of("a b", "b c", "\u0120 a", "ab c")).build());
            assertArrayEquals(new int[] {7}, abFirst.encode("abc", false, false));
            // " abc": ab (0) first; then Ġa is stale, abc (3): Ġ abc
            assertArrayEquals(new int[] {3, 7}, abFirst.encode(" abc", false, false));
            Tokenizer bcFirst = Tokenizer.of(bpe("gpt-2", tokens, List.of("b c", "a b", "\u0120 a", "ab c")).build());
            assertArrayEquals(new int[] {0, 5}, bcFirst.encode("abc", false, false));
            assertArrayEquals(new int[] {6, 5}, bcFirst.encode(" abc", false, false));
        }

        @Test
        void llama3_takes_a_whole_word_that_is_a_token_before_merging() {
            List<String> merges = List.of("a b");
            assertArrayEquals(new int[] {8}, Tokenizer.of(bpe("llama-bpe", tokens, merges).build()).encode("xyz", false, false));
            assertArrayEquals(new int[] {9, 10, 11}, Tokenizer.of(bpe("gpt-2", tokens, merges).build()).encode("xyz", false, false));
        }

        @Test
        void words_are_cut_by_the_pre_tokenizer_before_merging() {
            Tokenizer t = Tokenizer.of(bpe("gpt-2", tokens, List.of("a b", "b c", "ab c")).build());
            // "ab c": words "ab" and " c"; Ġc is no token and has no merge: Ġ c
            assertArrayEquals(new int[] {4, 3, 2}, t.encode("ab c", false, false));
        }

        @Test
        void decodes_the_gpt2_byte_alphabet_back_to_bytes() {
            Tokenizer t = Tokenizer.of(bpe("gpt-2", tokens, List.of("a b")).build());
            assertEquals(" a", t.tokenPiece(6));
            assertEquals("\u0120a", t.tokenText(6));
            assertEquals(" abc", t.decode(new int[] {6, 1, 2}));
            assertFalse(t.addsBos(), "gpt-2 adds no BOS");
            assertTrue(Tokenizer.of(bpe("llama-bpe", tokens, List.of()).bosId(0).build()).addsBos(), "llama-bpe adds BOS");
        }
    }

    // ---------------------------------------------------------------- special tokens

    @Nested
    class SpecialTokens {
        // 0..3 a b c Ġ; 4 <|eot|> CONTROL; 5 <t> USER_DEFINED; 6 [PAD9] UNUSED; 7 <|im_end|> NORMAL in the file;
        // 8 <u> USER_DEFINED; 9 <u>b USER_DEFINED; 10..14 < | e o t; 15 > ; 16 [ P A D 9 ]
        final List<String> tokens = List.of("a", "b", "c", "\u0120", "<|eot|>", "<t>", "[PAD9]", "<|im_end|>",
                "<u>", "<u>b", "<", "|", "e", "o", "t", ">", "[", "P", "A", "D", "9", "]");
        final int[] types = {1, 1, 1, 1, 3, 4, 5, 1, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        final Tokenizer tok = Tokenizer.of(bpe("gpt-2", tokens, List.of()).tokenTypes(types).eosId(4).build());

        @Test
        void control_tokens_are_matched_only_with_parse_special() {
            assertArrayEquals(new int[] {0, 4, 1}, tok.encode("a<|eot|>b", false, true));
            int[] asText = tok.encode("a<|eot|>b", false, false);
            assertEquals(9, asText.length, Arrays.toString(asText));
            assertFalse(Arrays.stream(asText).anyMatch(i -> i == 4));
        }

        @Test
        void user_defined_tokens_are_always_matched_longest_first() {
            assertArrayEquals(new int[] {0, 5, 1}, tok.encode("a<t>b", false, false));
            assertArrayEquals(new int[] {9, 2}, tok.encode("<u>bc", false, false));
            assertArrayEquals(new int[] {8, 2}, tok.encode("<u>c", false, false));
        }

        @Test
        void unused_tokens_are_never_matched() {
            assertEquals(6, tok.encode("[PAD9]", false, true).length);
        }

        @Test
        void end_of_generation_tokens_include_eos_and_known_names() {
            assertTrue(tok.isEndOfGeneration(4), "eos");
            assertTrue(tok.isEndOfGeneration(7), "<|im_end|> by name");
            assertEquals(TokenType.CONTROL, tok.tokenType(7), "llama.cpp makes EOG tokens CONTROL");
            assertEquals(7, tok.eotId(), "<|im_end|> is the end-of-turn token");
            assertFalse(tok.isEndOfGeneration(0));
            assertFalse(tok.isEndOfGeneration(-1));
            assertFalse(tok.isEndOfGeneration(1000));
            assertArrayEquals(new int[] {4, 7}, tok.endOfGenerationIds());
        }

        @Test
        void phi3_models_drop_spaces_after_special_tokens_by_name() {
            // llama.cpp keys this on general.name containing "phi-3" or "phi3"
            Tokenizer phi = Tokenizer.of(bpe("gpt-2", tokens, List.of()).tokenTypes(types).eosId(4)
                    .modelName("Phi-3-mini-4k-instruct").build());
            assertArrayEquals(new int[] {4, 0}, phi.encode("<|eot|> \n a", false, true));
            assertArrayEquals(new int[] {4, 3, 0}, tok.encode("<|eot|> a", false, true), "others keep the space");
        }

        @Test
        void decode_skips_control_tokens_detokenize_can_render_them() {
            int[] ids = {0, 4, 5, 1};
            assertEquals("a<t>b", tok.decode(ids));
            assertEquals("a<t>b", tok.detokenize(ids, false, false));
            assertEquals("a<|eot|><t>b", tok.detokenize(ids, false, true));
        }
    }

    // ---------------------------------------------------------------- streaming

    @Nested
    class Streaming {
        final Tokenizer t = Tokenizer.of(spm("\u2581a", -3, "a", -4, "\u2581", -5).build());

        @Test
        void emits_a_multibyte_character_only_when_complete() {
            StreamingDecoder d = t.newDecoder();
            assertEquals("", d.accept(byteToken(0xF0)));
            assertTrue(d.hasPending());
            assertEquals("", d.accept(byteToken(0x9F)));
            assertEquals("", d.accept(byteToken(0x98)));
            assertEquals("😀", d.accept(byteToken(0x80)));
            assertFalse(d.hasPending());
            assertEquals(" a", d.accept(P0));
            assertEquals("", d.accept(byteToken(0xC3)));
            assertEquals("é", d.accept(byteToken(0xA9)));
            assertEquals("", d.finish());
        }

        @Test
        void broken_sequences_become_replacement_characters() {
            StreamingDecoder d = t.newDecoder();
            assertEquals("", d.accept(byteToken(0xC3)));
            assertEquals("\uFFFDa", d.accept(P0 + 1), "a lead byte followed by ASCII");
            assertEquals("", d.accept(byteToken(0xE2)));
            assertEquals("\uFFFD", d.finish(), "stream ended inside a character");
            assertEquals("a", d.accept(P0 + 1), "usable again after finish");
        }

        @Test
        void control_tokens_stream_as_nothing_unless_asked() {
            assertEquals("", t.newDecoder().accept(2));
            assertEquals("</s>", t.newDecoder(true).accept(2));
        }

        @Test
        void streaming_concatenation_equals_decode() {
            int[] ids = t.encode("a é 😀 a", false, false);
            StreamingDecoder d = t.newDecoder();
            StringBuilder b = new StringBuilder();
            for (int id : ids) {
                b.append(d.accept(id));
            }
            b.append(d.finish());
            assertEquals(" a é 😀 a", b.toString(), "the stream keeps the prefix space decode() removes");
            assertEquals("a é 😀 a", t.decode(ids));
        }
    }

    // ---------------------------------------------------------------- WordPiece

    @Test
    void wordpiece_lowercases_strips_accents_and_splits_punctuation() {
        // 0 [PAD] 1 [UNK] 2 [CLS] 3 [SEP] 4 ▁hello 5 ▁, 6 ▁world 7 ▁! 8 ▁cafe 9 ▁wor 10 ld
        List<String> tokens = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "\u2581hello", "\u2581,", "\u2581world",
                "\u2581!", "\u2581cafe", "\u2581wor", "ld");
        int[] types = {3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1};
        Tokenizer t = Tokenizer.of(Vocabulary.builder("bert", tokens).tokenTypes(types)
                .bosId(2).sepId(3).unkId(1).padId(0).build());
        assertArrayEquals(new int[] {2, 4, 5, 6, 7, 3}, t.encode("Hello, WORLD!", true, false));
        assertArrayEquals(new int[] {8}, t.encode("Café", false, false));
        assertArrayEquals(new int[] {1}, t.encode("xyz", false, false), "no cut: [UNK]");
        Tokenizer noWorld = Tokenizer.of(Vocabulary.builder("bert", tokens.subList(0, 6))
                .tokenTypes(Arrays.copyOf(types, 6)).bosId(2).sepId(3).unkId(1).build());
        assertArrayEquals(new int[] {4, 1}, noWorld.encode("hello world", false, false));
    }

    // ---------------------------------------------------------------- bad vocabularies

    @Nested
    class Rejects {
        @Test
        void unsupported_tokenizer_models() {
            var e = assertThrows(UnsupportedTokenizerException.class,
                    () -> Tokenizer.of(Vocabulary.builder("t5", List.of("a")).build()));
            assertTrue(e.getMessage().contains("unsupported tokenizer model 't5'"), e.getMessage());
        }

        @Test
        void unknown_pre_tokenizers() {
            var e = assertThrows(UnsupportedTokenizerException.class,
                    () -> Tokenizer.of(bpe("no-such-pre", List.of("a"), List.of()).build()));
            assertTrue(e.getMessage().contains("'no-such-pre'"), e.getMessage());
        }

        @Test
        void duplicate_tokens() {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> Tokenizer.of(bpe("gpt-2", List.of("a", "b", "a"), List.of()).build()));
            assertTrue(e.getMessage().contains("'a' has ids 0 and 2"), e.getMessage());
        }

        @Test
        void bpe_without_merges() {
            assertThrows(IllegalArgumentException.class, () -> Tokenizer.of(Vocabulary.builder("gpt2", List.of("a")).build()));
        }

        @Test
        void add_bos_without_a_bos_token() {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> Tokenizer.of(bpe("gpt-2", List.of("a"), List.of()).addBos(true).build()));
            assertTrue(e.getMessage().contains("bos_token_id is not set"), e.getMessage());
        }

        @Test
        void inconsistent_vocabulary_records() {
            List<String> two = List.of("a", "b");
            assertThrows(IllegalArgumentException.class, () -> Vocabulary.builder("llama", List.of()).build());
            var e = assertThrows(IllegalArgumentException.class,
                    () -> Vocabulary.builder("llama", two).scores(new float[3]).build());
            assertTrue(e.getMessage().contains("3 values for 2 tokens"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Vocabulary.builder("llama", two).tokenTypes(new int[] {1, 7}).build());
            assertTrue(e.getMessage().contains("tokenTypes[1] = 7"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Vocabulary.builder("llama", two).bosId(2).build());
            assertTrue(e.getMessage().contains("bosId = 2: must be -1 (absent) or 0..1"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Vocabulary.builder("llama", two).eosId(-2).build());
        }

        @Test
        void token_ids_outside_the_vocabulary() {
            Tokenizer t = Tokenizer.of(spm("a", -1).build());
            int n = t.vocabSize();
            var e = assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {n}));
            assertTrue(e.getMessage().contains("token id = " + n + ": must be 0.." + (n - 1)), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> t.tokenPiece(-1));
            assertThrows(IllegalArgumentException.class, () -> t.newDecoder().accept(n));
        }

        @Test
        void null_text() {
            Tokenizer t = Tokenizer.of(spm("a", -1).build());
            assertThrows(NullPointerException.class, () -> t.encode(null, false, false));
        }
    }
}
