package dev.pocketrag.desktop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class HighlighterTest {

    @Test
    void terms_drop_stop_words_and_single_letters_and_fold_case_and_accents() {
        assertEquals(List.of("clamshells", "knee"), Highlighter.terms("How many clamshells should I do for my knee?"));
        assertEquals(List.of("tomas", "allergic"), Highlighter.terms("What is Tomás allergic to? TOMAS"));
        assertEquals(List.of(), Highlighter.terms("what is it? a"));
    }

    @Test
    void words_match_equal_prefix_and_plural_forms() {
        List<String> t = Highlighter.terms("exercises clam knee");
        assertTrue(Highlighter.matches("Exercise", t), "term is the word plus 's'");
        assertTrue(Highlighter.matches("exercises", t));
        assertTrue(Highlighter.matches("Clamshells", t), "a term being typed marks the whole word");
        assertTrue(Highlighter.matches("knees", t));
        assertFalse(Highlighter.matches("kne", t), "a word shorter than 4 letters is not a stem");
        assertFalse(Highlighter.matches("exert", t));
        assertTrue(Highlighter.matches("Tomás", Highlighter.terms("tomas")));
    }

    @Test
    void html_escapes_the_text_and_wraps_only_matching_words() {
        String html = Highlighter.html("Knee <b>pain</b> & kneel, not unknee", List.of("knee"), "[", "]");
        assertEquals("[Knee] &lt;b&gt;pain&lt;/b&gt; &amp; [kneel], not unknee", html);
        assertEquals("a &quot;b&quot;", Highlighter.html("a \"b\"", List.of(), "[", "]"));
    }

    @Test
    void ranges_are_offsets_into_the_original_text() {
        String text = "São Tomé: tomé and TOMÉ";
        List<int[]> r = Highlighter.ranges(text, Highlighter.terms("tome"));
        assertEquals(3, r.size());
        for (int[] x : r) {
            assertEquals("tome", Highlighter.fold(text.substring(x[0], x[1])));
        }
    }

    @Test
    void excerpt_prefers_the_window_with_the_most_distinct_terms() {
        String filler = "lorem ipsum dolor sit amet ".repeat(12);
        String passage = "Physio: left knee. " + filler + "Clamshells: 3 x 15 each side, band above the knees. " + filler;
        String e = Highlighter.excerpt(passage, Highlighter.terms("clamshells knee"), 120);
        assertTrue(e.contains("Clamshells: 3 x 15") && e.contains("knees"), e);
        assertFalse(e.contains("Physio"), e);
    }

    @Test
    void excerpt_starts_near_the_first_match_and_stays_within_the_limit() {
        String filler = "lorem ipsum dolor sit amet ".repeat(20);
        String passage = "# Heading\n\n" + filler + "the **clamshells** are 3 x 15 each side. " + filler;
        String e = Highlighter.excerpt(passage, List.of("clamshells"), 120);
        assertTrue(e.startsWith("\u2026 "), e);
        assertTrue(e.endsWith(" \u2026"), e);
        assertTrue(e.contains("the clamshells are 3 x 15"), "emphasis marks dropped: " + e);
        assertTrue(e.length() <= 120 + 4, e.length() + ": " + e);
        assertFalse(e.contains("#"), e);

        assertEquals("short text here", Highlighter.excerpt("## short\ttext\n here", List.of(), 120),
                "short passages are kept whole, white space collapsed");
        assertThrows(IllegalArgumentException.class, () -> Highlighter.excerpt("x", List.of(), 5));
    }
}
