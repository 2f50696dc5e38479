package dev.pocketrag.retrieval.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.retrieval.Answer.Passage;
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
    void a_bold_line_that_is_a_sentence_is_a_sentence_not_a_heading() {
        String text = "**Decision: the Atlas cut-over moves from 30-31 May to the weekend of 6-7 June 2026.**\n"
                + "**Kitchen**\n- New sockets.";
        assertEquals(List.of("Decision: the Atlas cut-over moves from 30-31 May to the weekend of 6-7 June 2026.|",
                "New sockets.|Kitchen"), Extractive.sentences(text, "x").stream().map(u -> u.text() + "|" + u.context()).toList());
    }

    static Passage dated(int n, String note, String date, double similarity, String text) {
        return new Passage(n, note, "Title " + note, "", text, 0, text.length(), similarity, date);
    }

    static final Embedder WORDS = new FocusedPassagesTest.BagOfWords();

    static String answer(String question, List<Passage> passages) {
        return Extractive.answer(WORDS, question, WORDS.embedQuery(question), passages);
    }

    @Test
    void the_newer_note_leads_and_the_older_value_is_left_out_when_notes_conflict() {
        String q = "When do the renovation works start?";
        String old = "The renovation works start on Monday 4 May.";
        String moved = "Armando says the start of works moved to Monday 18 May.";
        // the older passage is the closer one: it would lead on score alone
        Passage plan = dated(1, "plan", "2026-03-22", 0.8, old + " Budget 28,050 EUR.");
        Passage meeting = dated(2, "meeting", "2026-04-28", 0.3, moved);
        assertEquals("The renovation works start on Monday 4 May. [1]",
                answer(q, List.of(plan, dated(2, "meeting", "2026-03-22", 0.3, moved))).split("(?<=\\]) ")[0],
                "notes of one date: the better score leads");
        String a = answer(q, List.of(plan, meeting));
        assertTrue(a.startsWith(moved + " [2]"), a);
        assertFalse(a.contains("4 May.") || a.contains("[1]"), "the older note's value is not repeated: " + a);
    }

    @Test
    void a_question_not_about_a_day_or_number_is_answered_by_rank_whatever_the_dates() {
        String q = "Who owns the rollback plan?";
        Passage design = dated(1, "design", "2026-02-27", 0.8, "The rollback plan owner is Priya Raman.");
        Passage status = dated(2, "status", "2026-04-29", 0.6, "The rollback plan is still owned by Priya.");
        String a = answer(q, List.of(design, status));
        assertTrue(a.startsWith("The rollback plan owner is Priya Raman. [1]"), a);
    }

    @Test
    void the_newest_notes_sentence_that_holds_a_day_leads_over_a_closer_one_without() {
        String q = "When do the renovation works start?";
        Passage plan = dated(1, "plan", "2026-03-22", 0.3, "The renovation works start on Monday 4 May.");
        String talk = "The renovation works start is what everyone asks about.";
        Passage meeting = dated(2, "meeting", "2026-04-28", 0.9, talk + " Works start: Monday 18 May.");
        String a = answer(q, List.of(plan, meeting));
        assertTrue(a.startsWith("Works start: Monday 18 May. [2]"), a);
        // the same note alone (no conflict): the closer sentence leads
        assertTrue(answer(q, List.of(meeting)).startsWith(talk), answer(q, List.of(meeting)));
    }

    @Test
    void stems_ignore_stopwords_and_match_word_forms() {
        assertEquals(Extractive.stems("renews"), Extractive.stems("When does it renew?"));
        assertEquals(1.0, Extractive.overlap(Extractive.stems("car insurance renewal"), Extractive.stems("The car insurance renews")));
    }
}
