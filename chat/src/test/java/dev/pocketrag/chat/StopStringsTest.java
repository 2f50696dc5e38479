package dev.pocketrag.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringsTest {
    @Test
    void holds_back_a_possible_beginning_and_releases_it_when_it_is_not_one() {
        StopStrings s = new StopStrings(List.of("END"));
        assertEquals("abc ", s.offer("abc E"));
        assertEquals("", s.offer("N"));
        assertEquals("ENx", s.offer("x"));
        assertFalse(s.stopped());
        assertEquals("", s.flush());
    }

    @Test
    void stops_at_a_stop_string_split_over_pieces_and_drops_it_and_the_rest() {
        StopStrings s = new StopStrings(List.of("END", "STOP"));
        assertEquals("one ", s.offer("one E"));
        assertEquals("", s.offer("ND two"));
        assertTrue(s.stopped());
        assertEquals("", s.offer("three"));
        assertEquals("", s.flush());
    }

    @Test
    void the_earliest_stop_string_wins() {
        StopStrings s = new StopStrings(List.of("bc", "ab"));
        assertEquals("x", s.offer("xabc"));
        assertTrue(s.stopped());
        assertEquals("", s.offer("more"));
        assertEquals("", s.flush());
    }

    @Test
    void without_stop_strings_everything_passes_through() {
        StopStrings s = new StopStrings(List.of());
        assertEquals("a", s.offer("a"));
        assertEquals("", s.flush());
    }

    @Test
    void flush_returns_a_held_back_tail_at_the_end() {
        StopStrings s = new StopStrings(List.of("</s>"));
        assertEquals("text", s.offer("text</"));
        assertEquals("</", s.flush());
    }
}
