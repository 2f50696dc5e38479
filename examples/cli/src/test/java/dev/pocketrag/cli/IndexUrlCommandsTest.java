package dev.pocketrag.cli;

import dev.pocketrag.index.TestIndexProvider;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands on a notebook whose index is at a URL ({@code --index-url}): a second Lucene index
 * at a {@code file:} URL, and {@link TestIndexProvider}'s stand-in for a cluster; {@code migrate}
 * and {@code eval beir --index-url}.
 */
class IndexUrlCommandsTest {

    static void write(Path folder, String name, String text) throws Exception {
        Files.createDirectories(folder);
        Files.writeString(folder.resolve(name), text);
    }

    static Path notes(Path tmp) throws Exception {
        Path notes = tmp.resolve("notes");
        write(notes, "dentist.md", "# Dentist\nDentist appointment on 14 March at 09:30 with Dr. Sousa.\n");
        write(notes, "kyoto.md", "# Kyoto hotel\nHotel Kanra in Kyoto, check-in from 15:00, booking reference KX-4471.\n");
        write(notes, "bread.md", "# Sourdough\nSourdough at 75% hydration: 500 g flour, 375 g water, 10 g salt.\n");
        return notes;
    }

    static List<String> ids(String json) {
        List<String> out = new ArrayList<>();
        for (JsonElement e : JsonParser.parseString(json).getAsJsonArray()) {
            JsonObject o = e.getAsJsonObject();
            out.add((o.has("note_id") ? o.get("note_id") : o.get("id")).getAsString());
        }
        return out;
    }

    @Test
    void every_notebook_command_works_on_the_index_at_the_url_and_leaves_the_notebook_folder_without_one(
            @TempDir Path tmp) throws Exception {
        String d = tmp.resolve("data").toString();
        String url = tmp.resolve("shared-index").toUri().toString();
        Path notes = notes(tmp);
        CliRun imported = CliRun.of("import", "--dir", d, "--index-url", url, "--json", notes.toString());
        assertEquals(0, imported.exitCode(), imported::toString);
        assertEquals(3, JsonParser.parseString(imported.out()).getAsJsonObject().get("added").getAsInt(), imported::toString);
        CliRun add = CliRun.of("add", "--dir", d, "--index-url", url, "--title", "Bike", "--", "The bike lock code is 4471.");
        assertEquals(0, add.exitCode(), add::toString);
        String bike = add.out().strip();

        CliRun list = CliRun.of("list", "--dir", d, "--index-url", url, "--json");
        assertEquals(4, ids(list.out()).size(), list::toString);
        CliRun search = CliRun.of("search", "--dir", d, "--index-url", url, "--json", "-k", "1", "tooth", "doctor");
        assertEquals(0, search.exitCode(), search::toString);
        assertEquals("Dentist", JsonParser.parseString(search.out()).getAsJsonArray().get(0).getAsJsonObject()
                .get("title").getAsString(), search::toString);
        CliRun ask = CliRun.of("ask", "--dir", d, "--index-url", url, "--thread", "trip", "--json",
                "What is the hotel booking reference in Kyoto?");
        assertEquals(0, ask.exitCode(), ask::toString);
        assertTrue(JsonParser.parseString(ask.out()).getAsJsonObject().get("answer").getAsString().contains("KX-4471"),
                ask::toString);
        CliRun stats = CliRun.of("stats", "--dir", d, "--index-url", url, "--json");
        JsonObject s = JsonParser.parseString(stats.out()).getAsJsonObject();
        assertEquals(4, s.get("notes").getAsInt(), stats::toString);
        assertEquals(url, s.get("index_url").getAsString(), stats::toString);
        assertTrue(CliRun.of("stats", "--dir", d, "--index-url", url).out().contains("index       " + url));
        CliRun delete = CliRun.of("delete", "--dir", d, "--index-url", url, bike);
        assertEquals(0, delete.exitCode(), delete::toString);
        CliRun export = CliRun.of("export", "--dir", d, "--index-url", url, tmp.resolve("out").toString());
        assertEquals(0, export.exitCode(), export::toString);
        try (var files = Files.list(tmp.resolve("out"))) {
            assertEquals(3, files.count());
        }
        CliRun removed = CliRun.of("watch", "--dir", d, "--index-url", url, "--remove", notes.toString());
        assertEquals(0, removed.exitCode(), removed::toString);
        assertTrue(removed.out().contains("(3 notes deleted)"), removed::toString);

        assertFalse(Files.exists(tmp.resolve("data/index")), "the notebook folder has no index of its own");
        assertTrue(Files.isRegularFile(tmp.resolve("data/threads/trip.thread")), "threads stay in the notebook folder");
        CliRun local = CliRun.of("list", "--dir", d, "--json");
        assertEquals(List.of(), ids(local.out()), "without --index-url: the folder's own (empty) notebook");
        CliRun there = CliRun.of("stats", "--dir", tmp.resolve("other").toString(), "--index-url", url, "--json");
        assertEquals(0, JsonParser.parseString(there.out()).getAsJsonObject().get("notes").getAsInt(), there::toString);
    }

    @Test
    void serve_on_an_index_url_writes_the_notes_there(@TempDir Path tmp) throws Exception {
        String shared = tmp.resolve("shared-index").toUri().toString();
        try (ServeCommandTest.Serve serve = ServeCommandTest.Serve.start("--dir", tmp.resolve("data").toString(),
                "--index-url", shared, "--port", "0")) {
            assertTrue(serve.out().toString().contains(", index at " + shared + ";"), serve.out().toString());
            HttpResponse<String> added = ServeCommandTest.HTTP.send(HttpRequest.newBuilder(serve.uri().resolve("/v1/notes"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"title\": \"Dentist\", \"text\": \"Dentist on 14 March.\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(201, added.statusCode(), added.body());
        }
        CliRun list = CliRun.of("list", "--dir", tmp.resolve("elsewhere").toString(), "--index-url", shared, "--json");
        assertEquals(1, ids(list.out()).size(), list::toString);
        assertFalse(Files.exists(tmp.resolve("data/index")));
    }

    @Test
    void an_unreachable_or_unknown_index_url_is_one_line_naming_it_and_touches_no_local_data(@TempDir Path tmp) {
        Path data = tmp.resolve("data");
        for (String cmd : new String[] {"search", "ask", "add", "import", "list", "stats", "serve", "watch", "export"}) {
            List<String> args = new ArrayList<>(List.of(cmd, "--dir", data.toString(), "--index-url",
                    "testindex://ana:s3cret@down:9200/notes"));
            args.add(switch (cmd) {
                case "import", "watch" -> tmp.toString();
                case "export" -> tmp.resolve("out").toString();
                case "list", "stats" -> "--json";
                case "serve" -> "--port=0";
                default -> "x";
            });
            CliRun r = CliRun.of(args.toArray(String[]::new));
            assertEquals(2, r.exitCode(), r::toString);
            assertEquals("error: cannot read the note index at testindex://down:9200/notes: Connection refused\n",
                    r.err(), r::toString);
            assertEquals("", r.out(), r::toString);
        }
        CliRun unknown = CliRun.of("search", "--dir", data.toString(), "--index-url", "nope://host/notes", "x");
        assertEquals(2, unknown.exitCode(), unknown::toString);
        assertTrue(unknown.err().startsWith("error: no note index can be opened at 'nope:' locations"), unknown::toString);
        assertEquals(1, unknown.err().lines().count(), unknown::toString);
        CliRun bad = CliRun.of("list", "--dir", data.toString(), "--index-url", "notes-index");
        assertEquals(2, bad.exitCode(), bad::toString);
        assertTrue(bad.err().startsWith("error: --index-url: index URL 'notes-index' has no scheme"), bad::toString);
        assertFalse(Files.exists(data), "nothing made in the notebook folder");
    }

    @Test
    void reindex_and_check_of_a_cluster_index_say_to_go_round_through_migrate(@TempDir Path tmp) throws Exception {
        String d = tmp.resolve("data").toString();
        String url = TestIndexProvider.at(tmp.resolve("cluster")).toString();
        assertEquals(0, CliRun.of("add", "--dir", d, "--index-url", url, "A note.").exitCode());
        CliRun reindex = CliRun.of("reindex", "--dir", d, "--index-url", url, "--embedder", "bge-small");
        assertEquals(2, reindex.exitCode(), reindex::toString);
        assertTrue(reindex.err().startsWith("error: re-indexing to another embedder needs the notebook's own index"),
                reindex::toString);
        assertTrue(reindex.err().contains("`pocketrag migrate --from " + url + "`"), reindex::toString);
        CliRun check = CliRun.of("check", "--dir", d, "--index-url", url);
        assertEquals(2, check.exitCode(), check::toString);
        assertTrue(check.err().startsWith("error: checking the index needs the notebook's own index"), check::toString);
    }

    @Test
    void migrate_to_and_back_gives_the_same_notes_and_search_results_and_a_rerun_copies_nothing(@TempDir Path tmp)
            throws Exception {
        String a = tmp.resolve("a").toString();
        String url = tmp.resolve("shared").toUri().toString();
        assertEquals(0, CliRun.of("import", "--dir", a, notes(tmp).toString()).exitCode());
        CliRun to = CliRun.of("migrate", "--dir", a, "--to", url, "--json");
        assertEquals(0, to.exitCode(), to::toString);
        JsonObject j = JsonParser.parseString(to.out()).getAsJsonObject();
        assertEquals("done", j.get("phase").getAsString(), to::toString);
        assertEquals(3, j.get("copied").getAsInt(), to::toString);
        assertEquals("minilm", j.getAsJsonObject("model").get("name").getAsString(), to::toString);
        CliRun again = CliRun.of("migrate", "--dir", a, "--to", url);
        assertEquals(0, again.exitCode(), again::toString);
        assertTrue(again.out().startsWith("copied 0 notes (0 chunks) from notebook " + a + " to " + url), again::toString);
        assertTrue(again.out().contains("; 3 were there already. Use it with --index-url " + url), again::toString);

        String c = tmp.resolve("c").toString();
        CliRun from = CliRun.of("migrate", "--dir", c, "--from", url, "--json");
        assertEquals(0, from.exitCode(), from::toString);
        assertEquals(3, JsonParser.parseString(from.out()).getAsJsonObject().get("copied").getAsInt(), from::toString);
        for (String q : new String[] {"tooth doctor", "bread flour", "hotel in Japan"}) {
            String local = CliRun.of("search", "--dir", a, "--json", q).out();
            String remote = CliRun.of("search", "--dir", tmp.resolve("b").toString(), "--index-url", url, "--json", q).out();
            String back = CliRun.of("search", "--dir", c, "--json", q).out();
            assertFalse(ids(local).isEmpty());
            assertEquals(ids(local), ids(remote), q);
            assertEquals(ids(local), ids(back), q);
        }
        CliRun both = CliRun.of("migrate", "--dir", a, "--to", url, "--from", url);
        assertEquals(2, both.exitCode(), both::toString);
        CliRun none = CliRun.of("migrate", "--dir", a);
        assertEquals(2, none.exitCode(), none::toString);
        CliRun badUrl = CliRun.of("migrate", "--dir", a, "--to", "shared");
        assertEquals(2, badUrl.exitCode(), badUrl::toString);
        assertTrue(badUrl.err().startsWith("error: --to: index URL 'shared' has no scheme"), badUrl::toString);
        CliRun nothing = CliRun.of("migrate", "--dir", tmp.resolve("empty").toString(), "--to", url);
        assertEquals(2, nothing.exitCode(), nothing::toString);
        assertTrue(nothing.err().contains("has no index yet: nothing to copy"), nothing::toString);
    }

    @Test
    void migrate_refuses_an_index_of_another_model_naming_both(@TempDir Path tmp) throws Exception {
        String a = tmp.resolve("a").toString();
        assertEquals(0, CliRun.of("add", "--dir", a, "A note on MiniLM.").exitCode());
        String url = tmp.resolve("bge").toUri().toString();
        assertEquals(0, CliRun.of("add", "--dir", tmp.resolve("b").toString(), "--index-url", url, "--embedder",
                "bge-small", "A note on bge.").exitCode());
        CliRun to = CliRun.of("migrate", "--dir", a, "--to", url);
        assertEquals(2, to.exitCode(), to::toString);
        assertTrue(to.err().startsWith("error: cannot copy notebook " + a + " (vectors of embedder 'minilm') into the"
                + " note index at " + url + ": it holds vectors of embedder 'bge-small'"), to::toString);
        CliRun from = CliRun.of("migrate", "--dir", a, "--from", url);
        assertEquals(2, from.exitCode(), from::toString);
        assertTrue(from.err().contains("it holds 1 notes of embedder 'minilm'"), from::toString);
    }

    static void tinyDataset(Path dir) throws Exception {
        write(dir, "corpus.jsonl", """
                {"_id": "d1", "title": "Volcanoes", "text": "Lava flows from erupting volcanoes."}
                {"_id": "d2", "title": "Gardens", "text": "Tomatoes grow well in sunny gardens."}
                {"_id": "d3", "title": "Oceans", "text": "Whales migrate across cold oceans."}
                """);
        write(dir, "queries.jsonl", """
                {"_id": "q1", "text": "which volcanoes erupt lava"}
                {"_id": "q2", "text": "growing tomatoes in a garden"}
                """);
        write(dir.resolve("qrels"), "test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq2\td3\t1\n");
    }

    @Test
    void eval_beir_on_an_index_url_gives_the_local_metrics_refuses_a_used_index_and_cleans_up(@TempDir Path tmp)
            throws Exception {
        Path ds = tmp.resolve("ds");
        tinyDataset(ds);
        CliRun local = CliRun.of("eval", "beir", ds.toString(), "--json");
        assertEquals(0, local.exitCode(), local::toString);
        Path folder = tmp.resolve("beir-index");
        CliRun atUrl = CliRun.of("eval", "beir", ds.toString(), "--json", "--index-url", folder.toUri().toString());
        assertEquals(0, atUrl.exitCode(), atUrl::toString);
        assertEquals(local.out(), atUrl.out());
        assertEquals(3, local.out().lines().count(), local::toString);
        assertFalse(Files.exists(folder), "the folder it made is deleted");

        // a cluster index: the documents are deleted at the end, the (empty) index stays
        Path cluster = tmp.resolve("cluster");
        String curl = TestIndexProvider.at(cluster).toString();
        CliRun onCluster = CliRun.of("eval", "beir", ds.toString(), "--json", "--mode", "bm25", "--index-url", curl);
        assertEquals(0, onCluster.exitCode(), onCluster::toString);
        assertEquals(local.out().lines().findFirst().orElseThrow(), onCluster.out().strip());
        CliRun stats = CliRun.of("stats", "--dir", tmp.resolve("d").toString(), "--index-url", curl, "--json");
        assertEquals(0, stats.exitCode(), stats::toString);

        // an index with notes: refused, unless --force (then the documents are left there)
        String used = tmp.resolve("used").toUri().toString();
        assertEquals(0, CliRun.of("add", "--dir", tmp.resolve("u").toString(), "--index-url", used, "Mine.").exitCode());
        CliRun refused = CliRun.of("eval", "beir", ds.toString(), "--mode", "bm25", "--index-url", used);
        assertEquals(2, refused.exitCode(), refused::toString);
        assertTrue(refused.err().startsWith("error: the note index at " + used + " holds 1 notes"), refused::toString);
        CliRun forced = CliRun.of("eval", "beir", ds.toString(), "--index-url", used, "--force");
        assertEquals(0, forced.exitCode(), forced::toString);
        assertTrue(forced.out().contains("the 3 documents are left in " + used), forced::toString);
        CliRun count = CliRun.of("stats", "--dir", tmp.resolve("u").toString(), "--index-url", used, "--json");
        assertEquals(4, JsonParser.parseString(count.out()).getAsJsonObject().get("notes").getAsInt(), count::toString);
        CliRun noUrl = CliRun.of("eval", "beir", ds.toString(), "--force");
        assertEquals(2, noUrl.exitCode(), noUrl::toString);
    }
}
