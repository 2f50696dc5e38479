package dev.pocketrag.desktop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.pocketrag.index.Note;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.SearchOptions;
import dev.pocketrag.retrieval.Settings;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The desktop app on a notebook whose index is at a URL: {@code index-url=} of the config file the CLI shares. */
class IndexUrlSessionTest {

    private static final NotebookSession.Listener QUIET = new NotebookSession.Listener() {
        @Override
        public void busy(Path directory, int attempt, Duration retryIn) {}

        @Override
        public void available(Path directory) {}
    };

    @Test
    void the_app_reads_index_url_from_the_config_file_and_keeps_its_notes_there(@TempDir Path tmp) throws Exception {
        Path shared = tmp.resolve("shared-index");
        Path cfg = tmp.resolve("config.properties");
        Files.writeString(cfg, "index-url=" + shared.toUri() + "\n");
        AppOptions options = AppOptions.resolve(Settings.load(Map.of(), cfg), tmp.resolve("data"), null, 0);
        assertEquals(shared.toUri(), options.indexUrl());
        assertNull(AppOptions.resolve(Settings.load(Map.of(), tmp.resolve("none")), tmp.resolve("data"), null, 0)
                .indexUrl());

        try (NotebookSession s = new NotebookSession(options.directory(), options.indexUrl(), options.embedders(),
                options.embedder(), Duration.ofMillis(100), Duration.ofMinutes(5), QUIET)) {
            s.call(nb -> nb.add(Note.of("dentist", "Dentist", "Dentist appointment on 14 March at 09:30.")));
            assertEquals("dentist", s.call(nb -> nb.search("tooth doctor", SearchOptions.defaults())).get(0).noteId());
        }
        assertFalse(Files.exists(tmp.resolve("data/index")), "no index in the notebook folder");
        try (Notebook nb = Notebook.builder(tmp.resolve("elsewhere")).indexUrl(URI.create(shared.toUri().toString()))
                .readOnly().build()) {
            assertEquals(1, nb.stats().notes());
        }
    }
}
