package dev.pocketrag.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.SearchOptions;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pocketrag mcp} on a notebook whose index is at a URL (a second Lucene index at a {@code
 * file:} URL): it reads and writes there, and its resource list sees what other writers of that
 * index change, an edit included (the count of notes alone would not).
 */
class LocalAccessIndexUrlTest {

    @Test
    void reads_and_writes_the_index_at_the_url_and_sees_an_edit_by_another_writer(@TempDir Path tmp) throws Exception {
        URI url = tmp.resolve("shared").toUri();
        try (Embedder e = Embedders.miniLm()) {
            try (Notebook other = Notebook.builder(tmp.resolve("other-machine")).indexUrl(url).embedder(e).build()) {
                other.add(Note.of("dentist", "Dentist", "Dentist appointment on 14 March at 09:30."));
                other.add(Note.of("kyoto", "Kyoto hotel", "Hotel Kanra in Kyoto, booking reference KX-4471."));
            }
            LocalAccess access = new LocalAccess(tmp.resolve("mcp"), url, e, null);
            assertEquals(2, access.count());
            assertEquals("dentist", access.search("tooth doctor", SearchOptions.defaults()).get(0).noteId());
            String before = McpNotes.state(access);
            assertEquals(before, McpNotes.state(access), "nothing changed: the same state");
            try (Notebook other = Notebook.builder(tmp.resolve("other-machine")).indexUrl(url).embedder(e).build()) {
                Note d = other.get("dentist").orElseThrow();
                other.update(new Note(d.id(), "Dentist (moved)", d.body() + " Moved to 16 March.", d.tags(), d.source(),
                        d.created(), Instant.now()));
            }
            assertEquals(2, access.count(), "an edit keeps the count");
            assertNotEquals(before, McpNotes.state(access), "but not the state the resource list follows");
            assertEquals("Dentist (moved)", access.list(SearchFilter.NONE, 0, 1).get(0).title());
            access.add(Note.of("bike", "Bike", "The bike lock code is 4471."));
            assertEquals(3, access.count());
            assertFalse(Files.exists(tmp.resolve("mcp/index")), "no index in the mcp notebook folder");
        }
    }
}
