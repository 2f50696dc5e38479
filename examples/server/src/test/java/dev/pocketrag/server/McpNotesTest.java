package dev.pocketrag.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code note://} URIs: any note id fits in one (one path segment), and comes back unchanged. */
class McpNotesTest {
    @Test
    void every_note_id_round_trips_through_its_uri() {
        for (String id : List.of("kyoto", "2f1c-uuid-like_id.v2~", "notes/travel/kyoto trip.md", "Ünïcødé ✓ 日本",
                "100%", "%41", "{id}", "a?b#c&d=e", "back\\slash", "x".repeat(512))) {
            String uri = McpNotes.uri(id);
            assertTrue(uri.startsWith("note://"), uri);
            assertTrue(uri.substring(7).matches("[A-Za-z0-9._~%-]+"), "one segment of unreserved characters: " + uri);
            URI.create(uri); // a valid URI
            assertEquals(Optional.of(id), McpNotes.idOf(uri), uri);
        }
        assertEquals("note://notes%2Ftravel%2Fkyoto%20trip.md", McpNotes.uri("notes/travel/kyoto trip.md"),
                "RFC 3986 percent-encoding, upper-case hex");
    }

    @Test
    void what_is_no_note_uri_names_no_note() {
        for (String bad : List.of("note://", "http://kyoto", "note:kyoto", "note://a/b", "note://%4", "note://%zz",
                "note://caf\u00e9")) {
            assertEquals(Optional.empty(), McpNotes.idOf(bad), bad);
        }
        assertEquals(Optional.empty(), McpNotes.idOf(null));
    }
}
