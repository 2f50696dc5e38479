package dev.pocketrag.cli;

import dev.pocketrag.server.NodeClients;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.retrieval.Notebook;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code pocketrag mcp} as the official MCP TypeScript SDK's {@code Client} sees it: the client
 * spawns {@code java -cp ... dev.pocketrag.cli.Main mcp --dir DIR} and speaks MCP on its stdin and
 * stdout ({@code clients-test/mcp-client.mjs}). Twice: once while this JVM holds the notebook
 * (reads work without the lock; add_note is a tool error naming the holder), once while nothing
 * does (add_note writes, and the next search finds the note).
 */
class McpStdioClientTest {
    private static final String QUERY = "sourdough bread recipe";
    private static final String QUESTION = "When does the car insurance renew?";
    private static Path dir;
    private static JsonObject whileHeld;
    private static JsonObject free;

    @BeforeAll
    static void runTheClientTwice() throws Exception {
        Path clients = NodeClients.folder();
        dir = Files.createTempDirectory("mcp-stdio");
        Instant t = Instant.parse("2026-03-01T10:00:00Z");
        try (Notebook nb = Notebook.open(dir)) {
            nb.addAll(List.of(
                    new Note("car", "Car insurance", "The car insurance renews on 1 June with Allianz, policy AZ-77120.",
                            List.of("money"), "", t, t),
                    new Note("bread", "Sourdough bread", "Sourdough: 500 g flour, 350 g water, 100 g starter, 10 g salt.",
                            List.of("recipes"), "", t, t),
                    new Note("kyoto", "Kyoto trip", "Hotel Gion Ryokan in Kyoto, booking KY-48213, check-in 3 April.",
                            List.of("travel"), "", t, t)));
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> args = new ArrayList<>(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), "dev.pocketrag.cli.Main", "mcp", "--dir", dir.toString()));
        Map<String, String> env = Map.of("MCP_QUERY", QUERY, "MCP_QUESTION", QUESTION,
                "POCKETRAG_CONFIG", dir.resolve("no-config.properties").toString(), "POCKETRAG_MODEL", "");
        String argsJson = new com.google.gson.Gson().toJson(args);
        try (Notebook held = Notebook.open(dir)) {
            held.describeHolder("McpStdioClientTest, holding the notebook");
            whileHeld = NodeClients.run(clients, Duration.ofSeconds(120), env, "mcp-client.mjs", "stdio", java, argsJson);
        }
        System.out.println("MCP SDK report (stdio, notebook held): " + whileHeld);
        free = NodeClients.run(clients, Duration.ofSeconds(120), env, "mcp-client.mjs", "stdio", java, argsJson);
        System.out.println("MCP SDK report (stdio): " + free);
    }

    @Test
    void the_client_initializes_over_stdio_and_lists_the_tools() {
        assertEquals("pocketrag", free.getAsJsonObject("server").get("name").getAsString());
        List<String> names = new ArrayList<>();
        for (JsonElement e : free.getAsJsonArray("tools")) {
            names.add(e.getAsJsonObject().get("name").getAsString());
        }
        assertEquals(List.of("search_notes", "ask_notes", "add_note", "get_note", "list_notes"), names);
    }

    @Test
    void reads_work_while_another_process_holds_the_notebook() {
        JsonArray results = whileHeld.getAsJsonObject("search").getAsJsonObject("json").getAsJsonArray("results");
        assertEquals("bread", results.get(0).getAsJsonObject().get("note_id").getAsString(), whileHeld.toString());
        JsonObject ask = whileHeld.getAsJsonObject("ask").getAsJsonObject("json");
        assertTrue(ask.get("answer").getAsString().contains("1 June"), ask.toString());
        JsonObject cited = ask.getAsJsonArray("citations").get(0).getAsJsonObject();
        assertEquals("note://car", cited.get("uri").getAsString());
        assertEquals("2026-03-01", cited.get("date").getAsString(), "the note's date, as ask --json gives it");
        assertEquals("Sourdough: 500 g flour, 350 g water, 100 g starter, 10 g salt.",
                whileHeld.getAsJsonArray("read").get(0).getAsJsonObject().get("text").getAsString(), "note://bread read");
        assertEquals(3, whileHeld.getAsJsonArray("resources").size());
    }

    @Test
    void add_note_while_the_notebook_is_held_is_a_tool_error_naming_the_holder() throws Exception {
        JsonObject add = whileHeld.getAsJsonObject("add");
        assertTrue(add.get("isError").getAsBoolean(), add.toString());
        assertTrue(add.get("text").getAsString().contains("McpStdioClientTest, holding the notebook"), add.toString());
    }

    @Test
    void add_note_writes_when_the_notebook_is_free_and_holds_it_only_while_writing() throws Exception {
        JsonObject add = free.getAsJsonObject("add");
        assertFalse(add.get("isError").getAsBoolean(), add.toString());
        String id = add.getAsJsonObject("json").get("id").getAsString();
        assertEquals(id, free.getAsJsonObject("search_added").getAsJsonObject("json").getAsJsonArray("results").get(0)
                .getAsJsonObject().get("note_id").getAsString(), "the next search finds it");
        // the mcp process has exited; the note is in the notebook, and nothing holds it (a writer opens)
        try (Notebook nb = Notebook.open(dir)) {
            Note n = nb.get(id).orElseThrow();
            assertEquals("Bike lock code", n.title());
            assertEquals(4, nb.list(SearchFilter.NONE, 0, 10).size());
        }
        assertEquals(2, turns(whileHeld, 1), "a thread continues within the process (held notebook or not)");
        assertEquals(4, turns(free, 1), "... and is stored in the notebook like ask --thread: the next process goes on");
        assertTrue(Files.isRegularFile(dir.resolve("threads").resolve("mcp-test.thread")));
    }

    private static int turns(JsonObject report, int i) {
        return report.getAsJsonArray("ask_thread").get(i).getAsJsonObject().getAsJsonObject("json").getAsJsonObject("thread")
                .get("turns").getAsInt();
    }

    @Test
    void errors_name_the_bad_value_over_stdio_too() {
        assertTrue(free.getAsJsonObject("search_bad_k").get("text").getAsString().contains("got 500"));
        assertTrue(free.getAsJsonObject("get_missing").get("text").getAsString().contains("'no-such-note'"));
        assertEquals(-32002, free.getAsJsonObject("read_missing").get("code").getAsInt());
    }
}
