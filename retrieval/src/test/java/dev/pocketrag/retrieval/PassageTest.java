package dev.pocketrag.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class PassageTest {
    @Test
    void a_passages_date_is_an_iso_day_or_empty_and_a_bad_one_is_named() {
        assertEquals("", new Answer.Passage(1, "n", "t", "", "x", 0, 1, 0.5).date());
        assertEquals("2026-04-29", new Answer.Passage(1, "n", "t", "", "x", 0, 1, 0.5, "2026-04-29").date());
        var e = assertThrows(IllegalArgumentException.class,
                () -> new Answer.Passage(1, "n", "t", "", "x", 0, 1, 0.5, "29 April 2026"));
        assertTrue(e.getMessage().contains("'29 April 2026'"), e.getMessage());
    }

    @Test
    void the_day_of_an_instant_is_taken_in_utc() {
        assertEquals("2026-04-29", Answer.Passage.day(Instant.parse("2026-04-29T23:59:59Z")));
        assertEquals("2026-04-30", Answer.Passage.day(Instant.parse("2026-04-30T00:00:00Z")));
        assertEquals("", Answer.Passage.day(Instant.parse("+10000-01-01T00:00:00Z")), "no four-digit year");
    }
}
