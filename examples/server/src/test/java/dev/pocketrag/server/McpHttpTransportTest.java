package dev.pocketrag.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pocketrag.retrieval.Notebook;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /mcp} at the level of HTTP, as the MCP spec (streamable HTTP, 2025-06-18) words it: the
 * session id from {@code initialize} on every later message, 400 without it, 404 for an unknown or
 * ended one, 405 for GET (no server stream), 202 for notifications, a JSON or an event-stream
 * response as {@code Accept} says; and the server's own rules: another origin refused, read-only
 * without {@code add_note}, no {@code /mcp} when turned off.
 */
class McpHttpTransportTest {
    private static final String INIT = """
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
             "capabilities": {}, "clientInfo": {"name": "raw-http", "version": "1"}}}""";

    private static HttpResponse<String> send(URI mcp, String method, String body, String session, String accept,
            String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(mcp).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .header("Content-Type", "application/json");
        if (accept != null) {
            b.header("Accept", accept);
        }
        if (session != null) {
            b.header("Mcp-Session-Id", session);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return TestSupport.CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static final String BOTH = "application/json, text/event-stream";

    private static String initialize(URI mcp) throws Exception {
        HttpResponse<String> r = send(mcp, "POST", INIT, null, BOTH);
        assertEquals(200, r.statusCode(), r.body());
        JsonObject o = JsonParser.parseString(r.body()).getAsJsonObject();
        assertEquals("pocketrag", o.getAsJsonObject("result").getAsJsonObject("serverInfo").get("name").getAsString());
        String session = r.headers().firstValue("Mcp-Session-Id").orElseThrow(() -> new AssertionError("no session id"));
        assertEquals(202, send(mcp, "POST", "{\"jsonrpc\": \"2.0\", \"method\": \"notifications/initialized\"}", session,
                BOTH).statusCode(), "a notification: 202, no body");
        return session;
    }

    /** The {@code data:} of the events of an event-stream body. */
    private static List<JsonObject> events(String body) {
        List<JsonObject> out = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("data: ")) {
                out.add(JsonParser.parseString(line.substring(6)).getAsJsonObject());
            }
        }
        return out;
    }

    private static List<String> toolNames(JsonObject response) {
        List<String> names = new ArrayList<>();
        for (JsonElement t : response.getAsJsonObject("result").getAsJsonArray("tools")) {
            names.add(t.getAsJsonObject().get("name").getAsString());
        }
        return names;
    }

    @Test
    void sessions_follow_the_streamable_http_rules(@TempDir Path dir) throws Exception {
        try (Notebook nb = TestSupport.notebook(dir, null);
             PocketragServer server = PocketragServer.builder(nb).port(0).start()) {
            URI mcp = server.uri().resolve("/mcp");
            String session = initialize(mcp);
            String list = "{\"jsonrpc\": \"2.0\", \"id\": 2, \"method\": \"tools/list\"}";

            HttpResponse<String> sse = send(mcp, "POST", list, session, BOTH);
            assertEquals(200, sse.statusCode());
            assertTrue(sse.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
            List<JsonObject> ev = events(sse.body());
            assertEquals(1, ev.size(), sse.body());
            assertEquals(2, ev.get(0).get("id").getAsInt());
            assertTrue(toolNames(ev.get(0)).contains("add_note"));

            HttpResponse<String> json = send(mcp, "POST", list, session, "application/json");
            assertEquals(200, json.statusCode());
            assertTrue(json.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
            assertEquals(toolNames(ev.get(0)), toolNames(JsonParser.parseString(json.body()).getAsJsonObject()),
                    "without text/event-stream in Accept the response comes as JSON");

            HttpResponse<String> noSession = send(mcp, "POST", list, null, BOTH);
            assertEquals(400, noSession.statusCode());
            assertTrue(noSession.body().contains("Mcp-Session-Id") || noSession.body().contains("mcp-session-id"),
                    noSession.body());
            assertEquals(404, send(mcp, "POST", list, "no-such-session", BOTH).statusCode());

            HttpResponse<String> get = send(mcp, "GET", null, session, "text/event-stream");
            assertEquals(405, get.statusCode());
            assertEquals("POST, DELETE", get.headers().firstValue("Allow").orElse(""));

            HttpResponse<String> garbage = send(mcp, "POST", "{not json", session, BOTH);
            assertEquals(400, garbage.statusCode());
            assertEquals(-32700, JsonParser.parseString(garbage.body()).getAsJsonObject().getAsJsonObject("error")
                    .get("code").getAsInt(), "a JSON-RPC parse error: " + garbage.body());

            HttpResponse<String> foreign = send(mcp, "POST", list, session, BOTH, "Origin", "http://evil.example");
            assertEquals(403, foreign.statusCode(), "a page of another site cannot drive the tools");

            assertEquals(200, send(mcp, "DELETE", null, session, null).statusCode());
            assertEquals(404, send(mcp, "POST", list, session, BOTH).statusCode(), "an ended session is gone");
            assertEquals(404, send(mcp, "DELETE", null, session, null).statusCode());
        }
    }

    @Test
    void a_read_only_server_offers_no_add_note_and_mcp_can_be_turned_off(@TempDir Path dir) throws Exception {
        try (Notebook nb = TestSupport.notebook(dir, null)) {
            try (PocketragServer server = PocketragServer.builder(nb).port(0).mcp(true, true).start()) {
                URI mcp = server.uri().resolve("/mcp");
                String session = initialize(mcp);
                HttpResponse<String> r = send(mcp, "POST", "{\"jsonrpc\": \"2.0\", \"id\": 2, \"method\": \"tools/list\"}",
                        session, "application/json");
                List<String> names = toolNames(JsonParser.parseString(r.body()).getAsJsonObject());
                assertEquals(List.of("search_notes", "ask_notes", "get_note", "list_notes"), names);
                HttpResponse<String> call = send(mcp, "POST", """
                        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "add_note",
                         "arguments": {"text": "sneaky"}}}""", session, "application/json");
                JsonObject o = JsonParser.parseString(call.body()).getAsJsonObject();
                assertNotNull(o.get("error"), "no such tool: " + call.body());
                assertFalse(call.body().contains("\"result\""), call.body());
                assertEquals(TestSupport.NOTES.size(), nb.stats().notes(), "nothing was added");
            }
            try (PocketragServer server = PocketragServer.builder(nb).port(0).mcp(false, false).start()) {
                assertEquals(404, send(server.uri().resolve("/mcp"), "POST", INIT, null, BOTH).statusCode());
            }
        }
    }
}
