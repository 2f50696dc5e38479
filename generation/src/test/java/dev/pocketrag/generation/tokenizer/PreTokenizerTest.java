package dev.pocketrag.generation.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The pre-tokenizers: hand-worked splits, and the hand-written scanners (GPT-2, Llama 3, DeepSeek
 * letters) against the same expressions run by {@code java.util.regex} on random text.
 */
class PreTokenizerTest {

    /** Letters (Latin, accented, CJK, Greek), digits (ASCII, Arabic-Indic, Roman numeral), spaces of
     * several kinds, contraction material, punctuation, symbols, a mark, a format char, an
     * unassigned code point and an emoji. */
    private static final int[] ALPHABET = {
        'a', 'Z', 'é', 'ß', '中', 'Ω', 'K', '5', '0', 0x663, 0x216B, ' ', ' ', ' ', '\t', '\n', '\r', 0xA0, 0x3000,
        0x2028, '\'', 's', 't', 'r', 'e', 'v', 'l', 'm', 'd', 'S', 'T', 'L', '!', '~', '.', '$', '€', 0x1F600,
        0x301, 0x200B, 0x378, '<', '|', '_', '-', '\u00B5', 0x1E900,
    };

    private static String words(PreTokenizer p, String s) {
        int[] cps = Unicode.codePoints(s, 0, s.length());
        IntList pieces = p.split(cps);
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < pieces.size(); i++) {
            out.add(new String(cps, start, pieces.get(i)));
            start += pieces.get(i);
        }
        return String.join("|", out);
    }

    @Test
    void llama3_splits_contractions_words_numbers_in_threes_and_newlines() {
        PreTokenizer p = new PreTokenizer(PreTokenizer.Type.LLAMA3);
        assertEquals("I|'M| fine|,| it|'s", words(p, "I'M fine, it's"));
        // a tab may lead a word; "\s+(?!\S)" leaves the last space to the next word
        assertEquals("Hello| world|\n\n|  |\tx", words(p, "Hello world\n\n  \tx"));
        assertEquals("123|456|7| |12", words(p, "1234567 12"));
        assertEquals(" ?!\n", words(p, " ?!\n"), "punctuation takes the newlines after it");
    }

    @Test
    void gpt2_keeps_the_last_space_for_the_next_word() {
        PreTokenizer p = new PreTokenizer(PreTokenizer.Type.GPT2);
        assertEquals("Hello|  | world| 123|!!!", words(p, "Hello   world 123!!!"));
        assertEquals("I|'ll| go|'", words(p, "I'll go'"));
        assertEquals("it|'|S", words(p, "it'S"), "GPT-2's contractions are lower case only");
    }

    @Test
    void qwen2_splits_every_digit_and_collapses_categories() {
        PreTokenizer p = new PreTokenizer(PreTokenizer.Type.QWEN2);
        assertEquals("1|2|3| abc|\u2019s", words(p, "123 abc\u2019s"));
        assertEquals("x|~~", words(p, "x~~"));
    }

    @Test
    void deepseek_coder_splits_newlines_letters_punctuation_and_digits() {
        PreTokenizer p = new PreTokenizer(PreTokenizer.Type.DEEPSEEK_CODER);
        assertEquals("a| b|\n|.,|1|2| |中文", words(p, "a b\n.,12 中文"));
    }

    /** Random strings over {@link #ALPHABET}; reproducible from the printed seed. */
    private static List<String> randomTexts(long seed, int count) {
        Random r = new Random(seed);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder b = new StringBuilder();
            int n = r.nextInt(40);
            for (int j = 0; j < n; j++) {
                b.appendCodePoint(ALPHABET[r.nextInt(ALPHABET.length)]);
            }
            texts.add(b.toString());
        }
        return texts;
    }

    private static void assertScannerMatchesRegex(PreTokenizer.Type type) {
        long seed = Long.getLong("tokenizer.seed", System.nanoTime());
        System.out.println(type + " scanner vs regex: seed " + seed + " (rerun with -Dtokenizer.seed=" + seed + ")");
        PreTokenizer scanner = new PreTokenizer(type.expressions, true);
        PreTokenizer regex = new PreTokenizer(type.expressions, false);
        for (String t : randomTexts(seed, 5000)) {
            int[] cps = Unicode.codePoints(t, 0, t.length());
            assertArrayEquals(regex.split(cps).toArray(), scanner.split(cps).toArray(),
                    type + ", seed " + seed + ": " + VocabFiles.escape(t));
        }
    }

    @Test
    void gpt2_scanner_equals_its_regex() {
        assertScannerMatchesRegex(PreTokenizer.Type.GPT2);
    }

    @Test
    void llama3_scanner_equals_its_regex() {
        assertScannerMatchesRegex(PreTokenizer.Type.LLAMA3);
    }

    @Test
    void deepseek_letter_scanner_equals_its_regex() {
        assertScannerMatchesRegex(PreTokenizer.Type.DEEPSEEK_LLM);
    }

    @Test
    void collapsing_turns_categories_into_classes_over_placeholder_chars() {
        assertEquals("[\\x{D2}A-Za-z]+", PreTokenizer.collapse("\\p{L}+"));
        assertEquals("[^\\s\\x{D2}A-Za-z\\x{D1}0-9]", PreTokenizer.collapse("[^\\s\\p{L}\\p{N}]"));
        assertEquals("\\s+\\z", PreTokenizer.collapse("\\s+$"));
    }
}
