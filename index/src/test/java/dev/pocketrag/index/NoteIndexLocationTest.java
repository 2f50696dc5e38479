package dev.pocketrag.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link NoteIndex#open(URI, IndexOptions)}: which index a location names. */
class NoteIndexLocationTest {

    private static final IndexOptions OPTIONS = IndexOptions.of("test-model", 4);

    @Test
    void a_file_uri_is_the_local_lucene_index_in_that_folder(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("idx");
        try (NoteIndex index = NoteIndex.open(dir.toUri(), OPTIONS)) {
            index.put(Note.of("n1", "Title", "Some text."), List.of(new Chunk(0, 0, 10, "Some text.", "Some text.")),
                    List.of(new float[] {1, 0, 0, 0}));
            assertEquals(dir.toUri(), index.location());
        }
        assertTrue(Files.isDirectory(dir));
        assertEquals("test-model", NoteIndex.recorded(dir.toUri()).orElseThrow().modelId());
    }

    @Test
    void another_scheme_goes_to_the_provider_that_accepts_it(@TempDir Path tmp) throws Exception {
        try (NoteIndex index = NoteIndex.open(TestIndexProvider.at(tmp.resolve("c")), OPTIONS)) {
            assertEquals(tmp.resolve("c"), index.path());
        }
        assertTrue(NoteIndex.recorded(TestIndexProvider.at(tmp.resolve("c"))).isPresent());
    }

    @Test
    void a_scheme_no_provider_accepts_is_refused_naming_it_without_the_password() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NoteIndex.open(URI.create("elastic://ana:s3cret@search:9200/notes"), OPTIONS));
        assertTrue(e.getMessage().contains("'elastic:'"), e.getMessage());
        assertTrue(e.getMessage().contains("search:9200/notes"), e.getMessage());
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
    }
}
