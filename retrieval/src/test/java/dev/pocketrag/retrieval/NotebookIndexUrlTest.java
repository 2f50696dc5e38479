package dev.pocketrag.retrieval;

import dev.pocketrag.index.TestIndexProvider;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.RecordedModel;
import dev.pocketrag.index.SearchFilter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A notebook whose index is at a URL ({@link Notebook.Builder#indexUrl}): a {@code file:} URL of a
 * second Lucene index, and {@link TestIndexProvider}'s stand-in for a cluster (opened through the
 * provider SPI, as a cluster's index is).
 */
class NotebookIndexUrlTest {
    static Embedder embedder;

    @BeforeAll
    static void load() {
        embedder = Embedders.miniLm();
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    @Test
    void keeps_notes_in_the_index_at_the_url_and_threads_in_the_notebook_folder(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        Path shared = tmp.resolve("shared-index");
        URI url = shared.toUri();
        try (Notebook nb = Notebook.builder(data).indexUrl(url).embedder(embedder).build()) {
            nb.addAll(NotebookTest.NOTES);
            assertEquals("dentist", nb.search("when do I see the tooth doctor", SearchOptions.defaults()).get(0).noteId());
            try (Conversation c = nb.conversation("trip")) {
                Answer a = c.ask("Which hotel in Kyoto, and what is the booking reference?");
                assertEquals("kyoto", a.citations().get(0).passage().noteId());
            }
            assertEquals(shared.toAbsolutePath(), Path.of(nb.indexLocation()).toAbsolutePath());
            assertEquals(Optional.of(url), nb.indexUrl());
        }
        assertFalse(Files.exists(data.resolve("index")), "the notebook folder's own index is not made");
        assertTrue(Files.isDirectory(data.resolve("threads")), "threads stay in the notebook folder");
        assertEquals(Optional.of(new RecordedModel(embedder.modelId(), embedder.dimension(), embedder.recipe())),
                NoteIndex.recorded(shared));
        // opened again, read-only, without naming the embedder: the index at the URL says which
        try (Notebook nb = Notebook.builder(data).indexUrl(url).readOnly().build()) {
            assertEquals(4, nb.stats().notes());
            assertEquals(embedder.modelId(), nb.embedder().modelId());
            assertEquals(1, nb.threads().size());
        }
        assertEquals(Optional.of(Notebook.filled(NoteIndex.recorded(shared).orElseThrow())),
                Notebook.recordedModel(data, url));
        assertEquals(Optional.empty(), Notebook.recordedModel(data, null));
    }

    @Test
    void imports_deletes_watches_and_exports_through_a_cluster_url(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        URI url = TestIndexProvider.at(tmp.resolve("cluster"));
        Path folder = Files.createDirectories(tmp.resolve("notes"));
        Files.writeString(folder.resolve("boiler.md"), "# Boiler\nThe boiler service is due in October; call Ivo.\n");
        Files.writeString(folder.resolve("bike.md"), "# Bike\nThe bike lock code is 4471.\n");
        try (Notebook nb = Notebook.builder(data).indexUrl(url).embedder(embedder).build()) {
            ImportProgress p = nb.importFolder(folder, ImportListener.NONE);
            assertEquals(2, p.added());
            Files.delete(folder.resolve("bike.md"));
            p = nb.importFolder(folder, ImportListener.NONE);
            assertEquals(1, p.deleted());
            assertEquals(List.of("Boiler"), nb.list(SearchFilter.NONE, 0, 10).stream().map(Note::title).toList());
            ExportSummary e = nb.export(tmp.resolve("out"));
            assertEquals(1, e.notes());
        }
        FolderWatcher.reopening(data, url, embedder).use(nb -> nb.add(NotebookTest.NOTES.get(0)));
        try (NoteIndex idx = NoteIndex.openReadOnly(tmp.resolve("cluster"),
                dev.pocketrag.index.IndexOptions.of(Notebook.model(embedder)))) {
            assertEquals(2, idx.stats().notes());
            assertTrue(idx.get("dentist").isPresent());
        }
        assertFalse(Files.exists(data.resolve("index")));
    }

    @Test
    void reindex_check_and_repair_of_a_cluster_index_are_refused_naming_migrate(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        URI url = TestIndexProvider.at(tmp.resolve("cluster"));
        try (Notebook nb = Notebook.builder(data).indexUrl(url).embedder(embedder).build()) {
            nb.add(NotebookTest.NOTES.get(0));
            IndexNotLocalException e = assertThrows(IndexNotLocalException.class,
                    () -> nb.reindex(embedder, ReindexListener.NONE));
            assertTrue(e.getMessage().startsWith("re-indexing to another embedder needs the notebook's own index"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("`pocketrag migrate --from " + url + "`"), e.getMessage());
            assertEquals(url, e.location());
            assertEquals(Optional.empty(), nb.unfinishedReindex());
            assertEquals(1, nb.stats().notes(), "still usable");
        }
        IndexNotLocalException c = assertThrows(IndexNotLocalException.class,
                () -> Notebook.builder(data).indexUrl(url).check());
        assertTrue(c.getMessage().startsWith("checking the index needs"), c.getMessage());
        Path backup = tmp.resolve("backup");
        assertThrows(IndexNotLocalException.class, () -> Notebook.builder(data).indexUrl(url).repair(backup));
        assertFalse(Files.exists(backup));
        // a file: URL is a local folder: it can be checked
        Path local = tmp.resolve("local-index");
        try (Notebook nb = Notebook.builder(data).indexUrl(local.toUri()).embedder(embedder).build()) {
            nb.add(NotebookTest.NOTES.get(1));
        }
        assertTrue(Notebook.builder(data).indexUrl(local.toUri()).check().healthy());
    }

    @Test
    void an_unreachable_index_url_is_one_typed_error_naming_it_without_its_password_and_touches_nothing(
            @TempDir Path tmp) {
        Path data = tmp.resolve("data");
        RemoteIndexException e = assertThrows(RemoteIndexException.class,
                () -> Notebook.builder(data).indexUrl(TestIndexProvider.unreachable()).embedder(embedder).build());
        assertEquals("cannot read the note index at testindex://down:9200/notes: Connection refused", e.getMessage());
        assertEquals(URI.create("testindex://down:9200/notes"), e.location());
        assertFalse(Files.exists(data), "nothing made in the notebook folder");
        IllegalArgumentException scheme = assertThrows(IllegalArgumentException.class,
                () -> Notebook.builder(data).indexUrl(URI.create("nope://host/x")).embedder(embedder).build());
        assertTrue(scheme.getMessage().contains("'nope:'"), scheme.getMessage());
        IllegalArgumentException relative = assertThrows(IllegalArgumentException.class,
                () -> Notebook.builder(data).indexUrl(URI.create("notes-index")));
        assertTrue(relative.getMessage().startsWith("index URL 'notes-index' has no scheme"), relative.getMessage());
        assertFalse(Files.exists(data));
    }

    @Test
    void a_read_only_notebook_on_a_cluster_url_refuses_writes(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        URI url = TestIndexProvider.at(tmp.resolve("cluster"));
        try (Notebook nb = Notebook.builder(data).indexUrl(url).embedder(embedder).build()) {
            nb.add(NotebookTest.NOTES.get(0));
        }
        try (Notebook nb = Notebook.builder(data).indexUrl(url).readOnly().build()) {
            assertEquals(1, nb.stats().notes());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> nb.add(NotebookTest.NOTES.get(1)));
            assertTrue(e.getMessage().contains("is open read-only"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> nb.delete("dentist"));
            assertThrows(IllegalStateException.class, () -> nb.importFolder(tmp, ImportListener.NONE));
            assertEquals(1, nb.stats().notes());
        }
    }

    @Test
    void reading_a_cluster_url_with_no_index_yet_creates_nothing_and_says_how_to_make_one(@TempDir Path tmp)
            throws Exception {
        Path cluster = tmp.resolve("cluster");
        URI url = TestIndexProvider.at(cluster);
        RemoteIndexException e = assertThrows(RemoteIndexException.class,
                () -> Notebook.builder(tmp.resolve("data")).indexUrl(url).embedder(embedder).readOnly().build());
        assertTrue(e.getMessage().startsWith("no note index at " + url + " yet"), e.getMessage());
        assertTrue(e.getMessage().contains("pocketrag import --index-url"), e.getMessage());
        assertFalse(Files.exists(cluster), "nothing made at the URL by a read");
    }

    @Test
    void another_embedder_for_an_index_at_a_url_is_refused_naming_the_url_and_the_way_round(@TempDir Path tmp)
            throws Exception {
        URI url = tmp.resolve("shared").toUri();
        try (Notebook nb = Notebook.builder(tmp.resolve("a")).indexUrl(url).embedder(embedder).build()) {
            nb.add(NotebookTest.NOTES.get(0));
        }
        EmbedderMismatchException e = assertThrows(EmbedderMismatchException.class,
                () -> Notebook.builder(tmp.resolve("b")).indexUrl(url).embedder("bge-small").build());
        assertTrue(e.getMessage().startsWith("the note index at " + url + " holds vectors of embedder 'minilm', not of"
                + " embedder 'bge-small'"), e.getMessage());
        assertTrue(e.getMessage().contains("pocketrag migrate --from " + url), e.getMessage());
        assertEquals(Optional.of("minilm"), e.recordedName());
    }

    @Test
    void the_index_url_comes_from_the_flag_then_the_environment_then_the_config_file(@TempDir Path tmp)
            throws Exception {
        Path cfg = tmp.resolve("c.properties");
        Files.writeString(cfg, "index-url=https://search.example:9200/notes\n");
        Map<String, String> env = new HashMap<>();
        assertEquals(Optional.of(URI.create("https://search.example:9200/notes")), Settings.load(env, cfg).indexUrl(null));
        env.put("POCKETRAG_INDEX_URL", "file:/srv/index");
        assertEquals(Optional.of(URI.create("file:/srv/index")), Settings.load(env, cfg).indexUrl(null));
        assertEquals(Optional.of(URI.create("http://flag:9200/x")), Settings.load(env, cfg).indexUrl("http://flag:9200/x"));
        assertEquals(Optional.empty(), Settings.load(Map.of(), tmp.resolve("missing")).indexUrl(null));
    }

    @Test
    void a_bad_index_url_is_refused_naming_it_and_where_it_came_from(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("c.properties");
        Files.writeString(cfg, "index-url=search host\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Settings.load(Map.of(), cfg).indexUrl(null));
        assertTrue(e.getMessage().startsWith("config file " + cfg + ": index-url: 'search host' is not a URL"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Settings.load(Map.of(), cfg).indexUrl("notes"));
        assertTrue(e.getMessage().startsWith("--index-url: index URL 'notes' has no scheme"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Settings.load(Map.of(), cfg).indexUrl("file:notes"));
        assertTrue(e.getMessage().startsWith("--index-url: index URL 'file:notes' is not a local folder"),
                e.getMessage());
    }
}
