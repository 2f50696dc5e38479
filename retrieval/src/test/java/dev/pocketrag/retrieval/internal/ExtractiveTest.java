package dev.pocketrag.retrieval.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExtractiveTest {
    static List<String> texts(List<Extractive.Unit> units) {
        return units.stream().map(Extractive.Unit::text).toList();
    }

    @Test
    void sentences_drop_markup_headings_the_title_and_table_headers() {
        String text = "# Dentist\n**Next appointment: 14 March at 09:30 with Dr. Sousa.** Bring the X-rays.\n\n"
                + "| Contractor | Price |\n|---|---|\n| Obras Silva | 18,400 EUR |\n- [x] booked by phone\n";
        assertEquals(List.of("Next appointment: 14 March at 09:30 with Dr. Sousa.", "Bring the X-rays.",
                "Obras Silva; 18,400 EUR", "booked by phone"), texts(Extractive.sentences(text, "Dentist")));
    }

    @Test
    void a_bold_line_or_a_short_line_with_a_colon_is_the_context_of_what_follows() {
        String text = "**Tomás**\n- Shellfish: throat swelling.\nRunning rules:\n- No hills yet.\n## Next steps\nCall Rui.";
        List<Extractive.Unit> u = Extractive.sentences(text, "x");
        assertEquals(List.of("Shellfish: throat swelling.|Tomás", "No hills yet.|Running rules", "Call Rui.|Next steps"),
                u.stream().map(x -> x.text() + "|" + x.context()).toList());
        assertEquals("Tomás: Shellfish: throat swelling.", u.get(0).embeddingText());
        // each heading keeps the span of its line
        assertEquals(List.of("**Tomás**", "Running rules:", "## Next steps"),
                u.stream().map(x -> text.substring(x.contextStart(), x.contextEnd())).toList());
    }

    @Test
    void each_sentence_keeps_its_span_in_the_text_as_written() {
        String text = "# Dentist\r\n  **Next appointment: 14 March at 09:30 with Dr. Sousa.** Bring the `X-rays`.\n"
                + "| Obras Silva | 18,400 EUR |\n1. Call the clinic.";
        List<Extractive.Unit> u = Extractive.sentences(text, "Dentist");
        assertEquals(List.of("Next appointment: 14 March at 09:30 with Dr. Sousa.", "Bring the `X-rays`.",
                "| Obras Silva | 18,400 EUR |", "Call the clinic."),
                u.stream().map(x -> text.substring(x.start(), x.end())).toList());
        assertEquals(-1, u.get(0).contextStart(), "the note's own heading is no context");
    }

    @Test
    void stems_ignore_stopwords_and_match_word_forms() {
        assertEquals(Extractive.stems("renews"), Extractive.stems("When does it renew?"));
        assertEquals(1.0, Extractive.overlap(Extractive.stems("car insurance renewal"), Extractive.stems("The car insurance renews")));
    }
}
