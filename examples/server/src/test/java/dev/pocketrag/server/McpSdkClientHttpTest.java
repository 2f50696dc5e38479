package dev.pocketrag.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.SearchOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code serve}'s {@code /mcp} as the official MCP TypeScript SDK's {@code Client} sees it over
 * streamable HTTP ({@code clients-test/mcp-client.mjs}): initialize, the tools, search, ask (also in
 * a thread), bad arguments as tool errors naming the value, the notes as resources, add_note; and
 * a client without the server's API key refused. One server for the class (sample notes, no chat
 * model: extractive answers); what the client got is checked against the notebook called
 * in-process.
 */
class McpSdkClientHttpTest {
    private static final String KEY = "mcp-key-0123456789abcdef";
    private static final String QUERY = "hotel booking in Kyoto";
    private static final String QUESTION = "When does the car insurance renew?";
    private static Path dir;
    private static Notebook nb;
    private static PocketragServer server;
    private static JsonObject report;
    private static JsonObject refused;
    /** The notes before the client added one. */
    private static Set<String> notesBefore;
    /** What the notebook itself gave, before the client added a note. */
    private static List<dev.pocketrag.index.SearchHit> expectedHits;
    private static String expectedAnswer;

    @BeforeAll
    static void runTheClient() throws Exception {
        Path clients = NodeClients.folder();
        dir = Files.createTempDirectory("mcp-http");
        nb = TestSupport.notebook(dir, null);
        notesBefore = ids(nb.list(SearchFilter.NONE, 0, 100));
        expectedHits = nb.search(QUERY, SearchOptions.defaults().withK(3));
        expectedAnswer = nb.ask(QUESTION).text();
        server = PocketragServer.builder(nb).port(0).apiKey(KEY).start();
        String url = server.uri().resolve("/mcp").toString();
        report = NodeClients.run(clients, Duration.ofSeconds(120), Map.of("MCP_QUERY", QUERY, "MCP_QUESTION", QUESTION),
                "mcp-client.mjs", "http", url, KEY);
        System.out.println("MCP SDK report (HTTP): " + report);
        refused = NodeClients.run(clients, Duration.ofSeconds(60), Map.of(), "mcp-client.mjs", "refused", url);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (nb != null) {
            nb.close();
        }
    }

    private static Set<String> ids(List<Note> notes) {
        Set<String> s = new TreeSet<>();
        notes.forEach(n -> s.add(n.id()));
        return s;
    }

    @Test
    void the_client_initializes_and_lists_the_five_tools() {
        assertEquals("pocketrag", report.getAsJsonObject("server").get("name").getAsString());
        assertTrue(report.get("instructions").getAsString().contains("note://"), "the instructions say how to cite");
        List<String> names = new ArrayList<>();
        for (JsonElement t : report.getAsJsonArray("tools")) {
            names.add(t.getAsJsonObject().get("name").getAsString());
        }
        assertEquals(List.of("search_notes", "ask_notes", "add_note", "get_note", "list_notes"), names);
        JsonObject add = report.getAsJsonArray("tools").get(2).getAsJsonObject();
        assertFalse(add.get("readOnly").getAsBoolean(), "add_note writes");
        assertEquals("text", add.getAsJsonArray("required").get(0).getAsString());
    }

    @Test
    void search_notes_gives_the_notebooks_hits_with_ids_uris_and_passages() throws Exception {
        JsonObject search = report.getAsJsonObject("search");
        assertFalse(search.get("isError").getAsBoolean(), search.toString());
        var expected = expectedHits;
        var results = search.getAsJsonObject("json").getAsJsonArray("results");
        assertEquals(expected.size(), results.size());
        for (int i = 0; i < results.size(); i++) {
            JsonObject r = results.get(i).getAsJsonObject();
            assertEquals(expected.get(i).noteId(), r.get("note_id").getAsString(), "rank " + (i + 1));
            assertEquals("note://" + expected.get(i).noteId(), r.get("uri").getAsString());
            assertEquals(expected.get(i).title(), r.get("title").getAsString());
            assertEquals(expected.get(i).chunkText(), r.get("passage").getAsString());
        }
        assertEquals("kyoto", results.get(0).getAsJsonObject().get("note_id").getAsString());
        assertEquals(search.get("json"), search.get("structured"), "the text is the structured content as JSON");
    }

    @Test
    void ask_notes_answers_with_citations_as_ask_json_does_and_threads_continue() throws Exception {
        JsonObject ask = report.getAsJsonObject("ask").getAsJsonObject("json");
        assertEquals(expectedAnswer, ask.get("answer").getAsString(), "the notebook's own answer");
        JsonObject c = ask.getAsJsonArray("citations").get(0).getAsJsonObject();
        assertEquals("car", c.get("note_id").getAsString());
        assertEquals("note://car", c.get("uri").getAsString());
        assertEquals("Car insurance", c.get("title").getAsString());
        assertTrue(c.has("date") && c.has("source") && c.has("passage"), c.toString());

        JsonObject first = report.getAsJsonArray("ask_thread").get(0).getAsJsonObject().getAsJsonObject("json");
        JsonObject second = report.getAsJsonArray("ask_thread").get(1).getAsJsonObject().getAsJsonObject("json");
        assertEquals("mcp-test", first.getAsJsonObject("thread").get("name").getAsString());
        assertTrue(first.getAsJsonObject("thread").get("started").getAsBoolean());
        assertEquals(2, second.getAsJsonObject("thread").get("turns").getAsInt(), "the follow-up is the thread's second turn");
        assertFalse(second.get("searched_for").getAsString().equals("And who is it with?"),
                "the follow-up was searched for with the thread's context: " + second.get("searched_for"));
        assertTrue(nb.threads().stream().anyMatch(t -> t.name().equals("mcp-test") && t.turns() == 2),
                "stored in the notebook like ask --thread");
    }

    @Test
    void bad_arguments_are_tool_errors_naming_the_value() {
        assertToolError("search_empty", "'query' is empty");
        assertToolError("search_bad_k", "'k' must be an integer in 1..50; got 500");
        assertToolError("ask_bad_thread", "no spaces allowed");
        assertToolError("get_missing", "no note with id 'no-such-note'");
    }

    private static void assertToolError(String name, String text) {
        JsonObject r = report.getAsJsonObject(name);
        assertTrue(r.get("isError").getAsBoolean(), name + ": " + r);
        assertTrue(r.get("text").getAsString().contains(text), name + ": " + r);
    }

    @Test
    void the_notes_are_resources_the_client_lists_and_reads() throws Exception {
        Set<String> listed = new TreeSet<>();
        for (JsonElement r : report.getAsJsonArray("resources")) {
            listed.add(r.getAsJsonObject().get("uri").getAsString());
            assertEquals("text/markdown", r.getAsJsonObject().get("mimeType").getAsString());
        }
        Set<String> expected = new TreeSet<>();
        notesBefore.forEach(id -> expected.add("note://" + id));
        assertEquals(expected, listed);
        assertEquals("note://{id}", report.getAsJsonArray("templates").get(0).getAsString());

        JsonObject read = report.getAsJsonArray("read").get(0).getAsJsonObject();
        assertEquals("note://kyoto", read.get("uri").getAsString());
        assertEquals(nb.get("kyoto").orElseThrow().body(), read.get("text").getAsString());
        assertEquals("Kyoto trip", read.getAsJsonObject("meta").get("title").getAsString());

        JsonObject missing = report.getAsJsonObject("read_missing");
        assertEquals(-32002, missing.get("code").getAsInt(), "resource not found: " + missing);
        assertTrue(missing.get("message").getAsString().contains("note://no-such-note"), missing.toString());

        JsonObject list = report.getAsJsonObject("list").getAsJsonObject("json");
        assertEquals(notesBefore.size(), list.getAsJsonArray("notes").size(), "list_notes ran before add_note");
    }

    @Test
    void add_note_writes_a_note_the_next_search_finds() throws Exception {
        JsonObject added = report.getAsJsonObject("add").getAsJsonObject("json");
        String id = added.get("id").getAsString();
        assertEquals("note://" + id, added.get("uri").getAsString());
        Note stored = nb.get(id).orElseThrow(() -> new AssertionError("the note is in the notebook"));
        assertEquals("Bike lock code", stored.title());
        assertEquals(List.of("bike"), stored.tags());
        assertEquals(id, report.getAsJsonObject("search_added").getAsJsonObject("json").getAsJsonArray("results").get(0)
                .getAsJsonObject().get("note_id").getAsString());
        assertEquals("The bike lock code is 4-7-1-9.",
                report.getAsJsonObject("get_added").getAsJsonObject("json").get("text").getAsString());
    }

    @Test
    void a_client_without_the_api_key_is_refused() {
        assertTrue(refused.get("refused").getAsBoolean(), refused.toString());
        JsonObject e = refused.getAsJsonObject("error");
        assertNotNull(e);
        assertEquals(401, e.get("code").getAsInt(), e.toString());
        assertTrue(e.get("message").getAsString().contains("API key"), e.toString());
    }
}
