package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pocketrag.embedder.internal.OnnxEmbedder;
import dev.pocketrag.retrieval.Notebook;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The notebook commands, run in-process on a temp notebook, as a user would type them. */
class NotebookCommandsTest {

    @Test
    void add_list_search_ask_delete_stats(@TempDir Path dir) {
        String d = dir.toString();
        CliRun add = CliRun.of("add", "--dir", d, "--title", "Dentist", "--tag", "health", "--",
                "Dentist appointment on 14 March at 09:30 with Dr. Sousa.");
        assertEquals(0, add.exitCode(), add::toString);
        String id = add.out().strip();
        assertTrue(id.matches("[0-9a-f-]{36}"), id);
        assertEquals(0, CliRun.of("add", "--dir", d, "Buy oat milk, eggs and coffee beans.").exitCode());

        CliRun list = CliRun.of("list", "--dir", d, "--json");
        assertEquals(0, list.exitCode(), list::toString);
        JsonArray notes = JsonParser.parseString(list.out()).getAsJsonArray();
        assertEquals(2, notes.size());

        CliRun search = CliRun.of("search", "--dir", d, "--json", "-k", "1", "when", "is", "the", "dentist");
        assertEquals(0, search.exitCode(), search::toString);
        JsonObject hit = JsonParser.parseString(search.out()).getAsJsonArray().get(0).getAsJsonObject();
        assertEquals(id, hit.get("note_id").getAsString());
        assertEquals("Dentist", hit.get("title").getAsString());

        CliRun ask = CliRun.of("ask", "--dir", d, "--json", "When is my dentist appointment?");
        assertEquals(0, ask.exitCode(), ask::toString);
        JsonObject answer = JsonParser.parseString(ask.out()).getAsJsonObject();
        assertTrue(answer.get("answer").getAsString().contains("14 March"), ask::toString);
        JsonObject citation = answer.getAsJsonArray("citations").get(0).getAsJsonObject();
        assertEquals(id, citation.get("note_id").getAsString());
        assertEquals(1, citation.get("n").getAsInt());
        String created = null;
        for (var n : notes) {
            if (n.getAsJsonObject().get("id").getAsString().equals(id)) {
                created = n.getAsJsonObject().get("created").getAsString();
            }
        }
        String day = java.time.LocalDate.ofInstant(java.time.Instant.parse(created), java.time.ZoneOffset.UTC).toString();
        assertEquals(day, citation.get("date").getAsString(), "a citation carries its note's date: " + ask);
        assertEquals(day, answer.getAsJsonArray("passages").get(0).getAsJsonObject().get("date").getAsString());
        assertTrue(answer.has("passages") && answer.has("left_out") && answer.has("timings"), ask::toString);
        assertEquals("whole", answer.get("context").getAsString(), "extractive answers read whole chunks: " + ask);
        CliRun badContext = CliRun.of("ask", "--dir", d, "--context", "summary", "When is my dentist appointment?");
        assertEquals(2, badContext.exitCode(), badContext::toString);
        assertTrue(badContext.err().contains("--context") && badContext.err().contains("summary"), badContext::toString);

        CliRun plainAsk = CliRun.of("ask", "--dir", d, "When is my dentist appointment?");
        assertTrue(plainAsk.out().contains("Sources:") && plainAsk.out().contains("[1] Dentist · " + day + "  ("),
                plainAsk::toString);
        assertTrue(plainAsk.out().contains("--model"), "says how to enable generation: " + plainAsk);

        CliRun stats = CliRun.of("stats", "--dir", d, "--json");
        JsonObject s = JsonParser.parseString(stats.out()).getAsJsonObject();
        assertEquals(2, s.get("notes").getAsInt());
        assertTrue(s.get("model_id").getAsString().startsWith("all-minilm-l6-v2-q@sha256:"));

        assertEquals(0, CliRun.of("delete", "--dir", d, id).exitCode());
        CliRun again = CliRun.of("delete", "--dir", d, id);
        assertEquals(2, again.exitCode());
        assertEquals("error: no note with id '" + id + "'", again.err().strip());
    }

    @Test
    void commands_that_embed_nothing_never_load_the_embedding_model(@TempDir Path dir) {
        String d = dir.toString();
        CliRun add = CliRun.of("add", "--dir", d, "--title", "Plants", "Water the monstera every Sunday.");
        assertEquals(0, add.exitCode(), add::toString);
        String id = add.out().strip();
        long sessions = OnnxEmbedder.sessionsCreated();
        for (String[] args : new String[][] {
                {"stats", "--dir", d}, {"stats", "--dir", d, "--json"}, {"list", "--dir", d, "--json"},
                {"--help"}, {"search", "--help"}, {"search", "--dir", d, "--mode", "bm25", "monstera"}}) {
            CliRun r = CliRun.of(args);
            assertEquals(0, r.exitCode(), r::toString);
            assertEquals(sessions, OnnxEmbedder.sessionsCreated(), () -> String.join(" ", args) + " loaded the model");
        }
        CliRun stats = CliRun.of("stats", "--dir", d, "--json");
        assertTrue(JsonParser.parseString(stats.out()).getAsJsonObject().get("model_id").getAsString()
                .startsWith("all-minilm-l6-v2-q@sha256:"), stats::toString);
        // the hook can fail: a search by meaning loads the model, once
        CliRun search = CliRun.of("search", "--dir", d, "--json", "when do I water the plants");
        assertEquals(id, JsonParser.parseString(search.out()).getAsJsonArray().get(0).getAsJsonObject()
                .get("note_id").getAsString(), search::toString);
        assertEquals(sessions + 1, OnnxEmbedder.sessionsCreated());
        assertEquals(0, CliRun.of("delete", "--dir", d, id).exitCode());
        assertEquals(sessions + 1, OnnxEmbedder.sessionsCreated(), "delete loaded the model");
    }

    @Test
    void import_twice_embeds_nothing_the_second_time(@TempDir Path dir, @TempDir Path notes) throws Exception {
        Files.writeString(notes.resolve("a.md"), "# Porto\nWeekend in Porto: train at 08:05 from Santa Apolónia.\n");
        Files.writeString(notes.resolve("b.txt"), "Groceries\nrice, tomatoes, scotch bonnet\n");
        Files.write(notes.resolve("c.md"), new byte[] {1, 2, 0, 3});
        CliRun first = CliRun.of("import", "--dir", dir.toString(), "--json", notes.toString());
        assertEquals(0, first.exitCode(), first::toString);
        JsonObject p = JsonParser.parseString(first.out()).getAsJsonObject();
        assertEquals(2, p.get("added").getAsInt());
        assertEquals(1, p.get("skipped").getAsInt());
        CliRun second = CliRun.of("import", "--dir", dir.toString(), notes.toString());
        assertEquals(0, second.exitCode(), second::toString);
        assertTrue(second.out().contains("0 notes embedded"), second::toString);
        assertTrue(second.out().contains("2 unchanged"), second::toString);
    }

    @Test
    void import_of_a_missing_folder_is_one_line_and_exit_2(@TempDir Path dir) {
        CliRun r = CliRun.of("import", "--dir", dir.toString(), dir.resolve("nope").toString());
        assertEquals(2, r.exitCode());
        assertEquals("error: folder not found: " + dir.resolve("nope"), r.err().strip());
    }

    @Test
    void a_notebook_held_by_another_process_is_a_one_line_error_and_nothing_is_lost(@TempDir Path dir) throws Exception {
        assertEquals(0, CliRun.of("add", "--dir", dir.toString(), "kept note").exitCode());
        String id = JsonParser.parseString(CliRun.of("list", "--dir", dir.toString(), "--json").out()).getAsJsonArray()
                .get(0).getAsJsonObject().get("id").getAsString();
        try (Notebook holder = Notebook.open(dir)) {
            // delete, not add: a refused add leaves the embedding model loading on a daemon thread (harmless in
            // the CLI, whose JVM exits), and the next test in this JVM would count its session
            CliRun r = CliRun.of("delete", "--dir", dir.toString(), id);
            assertEquals(2, r.exitCode(), r::toString);
            String err = r.err().strip();
            assertFalse(err.contains("\n"), "one line: " + err);
            assertTrue(err.startsWith("error: ") && err.contains("in use by another process"), err);
            assertEquals(1, holder.stats().notes());
        }
        CliRun list = CliRun.of("list", "--dir", dir.toString(), "--json");
        assertEquals(1, JsonParser.parseString(list.out()).getAsJsonArray().size());
    }

    @Test
    void search_rejects_a_bad_k_naming_it(@TempDir Path dir) {
        CliRun r = CliRun.of("search", "--dir", dir.toString(), "-k", "0", "x");
        assertEquals(2, r.exitCode());
        assertEquals("error: -k must be in 1..1000; got 0", r.err().strip());
    }

    @Test
    void add_file_applies_the_importers_rules(@TempDir Path dir, @TempDir Path files) throws Exception {
        String d = dir.toString();
        // like /bin/ls: a header, then more than 8 KB of text-looking bytes before the first NUL
        byte[] binary = new byte[20_000];
        java.util.Arrays.fill(binary, (byte) 'x');
        binary[0] = 0x7f;
        binary[12_345] = 0;
        Files.write(files.resolve("ls"), binary);
        Files.write(files.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9});
        Files.write(files.resolve("empty.md"), new byte[0]);
        for (String[] c : new String[][] {{"ls", "binary (NUL byte at offset 12345)"},
                {"latin1.txt", "not UTF-8 text"}, {"empty.md", "empty"}}) {
            CliRun r = CliRun.of("add", "--dir", d, "--file", files.resolve(c[0]).toString());
            assertEquals(2, r.exitCode(), r::toString);
            assertEquals("error: " + files.resolve(c[0]) + " is not a text note: " + c[1], r.err().strip());
        }
        Files.writeString(files.resolve("trip.md"), "---\ntitle: Porto weekend\ntags: [travel]\n---\nTrain at 08:05.\n");
        CliRun ok = CliRun.of("add", "--dir", d, "--tag", "extra", "--file", files.resolve("trip.md").toString());
        assertEquals(0, ok.exitCode(), ok::toString);
        JsonObject n = JsonParser.parseString(CliRun.of("list", "--dir", d, "--json").out()).getAsJsonArray()
                .get(0).getAsJsonObject();
        assertEquals("Porto weekend", n.get("title").getAsString());
        assertEquals("[\"extra\",\"travel\"]", n.get("tags").toString());
        assertEquals("Train at 08:05.\n", n.get("text").getAsString());
        assertEquals(1, JsonParser.parseString(CliRun.of("list", "--dir", d, "--json").out()).getAsJsonArray().size(),
                "nothing of the refused files was added");
    }
}
