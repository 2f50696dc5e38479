package dev.pocketrag.retrieval.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.retrieval.internal.FollowUps.Previous;
import dev.pocketrag.retrieval.internal.FollowUps.Reason;
import dev.pocketrag.retrieval.internal.FollowUps.Rewrite;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Hand-made two-turn dialogues for the rule-based rewrite. */
class FollowUpsTest {
    static final Previous ATLAS = new Previous("When is the Atlas cut-over?",
            "The cut-over window is Saturday 6 June from 06:00 to 14:00 [1].", List.of("Atlas cut-over runbook"),
            "Cut-over window: Saturday 6 June, 06:00-14:00. Rollback owner: Priya. Go/no-go call on Friday.");
    static final Previous INSURANCE = new Previous("When does my car insurance renew?",
            "The policy renews on 1 September [1].", List.of("Car insurance renewal"),
            "The car insurance policy renews on 1 September. Premium quoted: 412 EUR.");

    private static String lower(Rewrite r) {
        return r.query().toLowerCase(Locale.ROOT);
    }

    @Test
    void a_pronoun_carries_the_previous_topic_and_the_cited_notes_title() {
        Rewrite r = FollowUps.rewrite("How much does it cost?", INSURANCE);
        assertEquals(Reason.POINTS_BACK, r.reason(), r::toString);
        assertTrue(r.query().startsWith("How much does it cost?"), r::toString);
        assertTrue(lower(r).contains("car") && lower(r).contains("insurance"), r::toString);
        assertTrue(lower(r).contains("renew"), "the previous question's words weigh in: " + r);
    }

    @Test
    void an_elliptical_question_carries_the_previous_topic() {
        Rewrite r = FollowUps.rewrite("And the premium?", INSURANCE);
        Rewrite titled = FollowUps.rewrite("Is there a deductible?", new Previous("When does it renew?",
                "On 1 September [1].", List.of("Car insurance renewal"), "The policy renews on 1 September."));
        assertTrue(lower(titled).contains("car") && lower(titled).contains("insurance"),
                "the cited note's title weighs in: " + titled);
        assertEquals(Reason.ELLIPTICAL, r.reason(), r::toString);
        assertTrue(lower(r).contains("insurance"), r::toString);
        Rewrite why = FollowUps.rewrite("Why?", ATLAS);
        assertTrue(why.followUp() && lower(why).contains("atlas"), why::toString);
    }

    @Test
    void a_question_on_the_previous_answers_topic_carries_it_without_a_pronoun() {
        // "rollback" and "owns" (owner) are in the passage the previous answer cited
        Rewrite r = FollowUps.rewrite("Who owns the rollback?", ATLAS);
        assertEquals(Reason.SAME_TOPIC, r.reason(), r::toString);
        assertTrue(lower(r).contains("atlas") && lower(r).contains("cut-over"), r::toString);
    }

    @Test
    void a_topic_switch_carries_no_context() {
        for (String q : List.of("What hydration does the sourdough country loaf use?",
                "When is my next dentist appointment?", "What is the Wi-Fi password at home?",
                "Is it true that the Kyoto hotel check-in starts at 15:00?")) {
            Rewrite r = FollowUps.rewrite(q, ATLAS);
            assertEquals(Reason.NEW_TOPIC, r.reason(), q + " -> " + r);
            assertEquals(q, r.query(), "nothing carried: " + r);
            assertFalse(lower(r).contains("atlas"), r::toString);
        }
    }

    @Test
    void a_question_with_new_words_that_finds_nothing_on_its_own_is_a_vague_follow_up() {
        Previous vitaminD = new Previous("What were my vitamin D results in February?", "18 ng/mL, low [1].",
                List.of("Blood tests, February"), "Vitamin D: 18 ng/mL, low (ref. >30).");
        double[] asked = {0};
        Rewrite vague = FollowUps.rewrite("How much should I take each day?", vitaminD, () -> {
            asked[0]++;
            return 0.31;
        });
        assertEquals(Reason.VAGUE, vague.reason(), vague::toString);
        assertTrue(lower(vague).contains("vitamin"), vague::toString);
        Rewrite clear = FollowUps.rewrite("How many clamshells should I do for my knee?", ATLAS, () -> 0.50);
        assertEquals(Reason.NEW_TOPIC, clear.reason(), clear::toString);
        assertEquals("How many clamshells should I do for my knee?", clear.query());
        FollowUps.rewrite("Who owns the rollback?", ATLAS, () -> {
            throw new AssertionError("the similarity is asked only when the words say new topic");
        });
        assertEquals(1, asked[0]);
    }

    @Test
    void the_first_question_is_searched_as_asked() {
        Rewrite r = FollowUps.rewrite("  When is the Atlas cut-over? ", null);
        assertEquals(new Rewrite("When is the Atlas cut-over?", Reason.NO_PREVIOUS_TURN), r);
    }

    @Test
    void a_chain_of_follow_ups_keeps_the_topic_and_stays_bounded() {
        Previous p = ATLAS;
        for (int i = 0; i < 30; i++) {
            Rewrite r = FollowUps.rewrite("And what about step " + i + " of it?", p);
            assertTrue(r.followUp() && lower(r).contains("atlas"), r::toString);
            int carried = FollowUps.words(r.query()).size() - FollowUps.words("And what about step " + i + " of it?").size();
            assertTrue(carried <= FollowUps.MAX_CARRIED + 6, "carried " + carried + " words: " + r);
            p = new Previous(r.query(), "Step " + i + " is done [1].", List.of("Atlas cut-over runbook"), "Step " + i);
        }
    }
}
