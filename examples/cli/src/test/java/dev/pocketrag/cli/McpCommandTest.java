package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pocketrag mcp} as a process, spoken to line by line as the MCP stdio transport says (one
 * JSON-RPC message a line): everything on stdout is a protocol message, a line that is none is
 * answered with a parse error and the rest still served, requests sent at once are all answered
 * (in order), the process ends by itself when stdin closes (after answering what it read), and a
 * notebook that does not exist yet is an empty one (no error, nothing created by reading).
 */
class McpCommandTest {
    private static final int BURST = 100;

    @Test
    void stdout_carries_only_protocol_messages_and_the_server_ends_with_stdin(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("new-notebook");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
                "-cp", System.getProperty("java.class.path"), "dev.pocketrag.cli.Main", "mcp", "--dir", dir.toString(),
                "--read-only")
                .redirectError(tmp.resolve("stderr.txt").toFile()).redirectOutput(tmp.resolve("stdout.txt").toFile());
        pb.environment().put("POCKETRAG_CONFIG", tmp.resolve("none.properties").toString());
        pb.environment().remove("POCKETRAG_MODEL");
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            String messages = String.join("\n",
                    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                            + "\"capabilities\":{},\"clientInfo\":{\"name\":\"lines\",\"version\":\"1\"}}}",
                    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
                    "", // a blank line, then one that is no JSON: the SDK's transport would stop reading at either
                    "{not json",
                    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}",
                    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"search_notes\","
                            + "\"arguments\":{\"query\":\"anything\"}}}",
                    "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"list_notes\","
                            + "\"arguments\":{\"limit\":0}}}") + "\n";
            in.write(messages.getBytes(StandardCharsets.UTF_8));
            // many requests at once, as a client may send them (the SDK's stdio transport once lost responses
            // that were sent at the same moment, and then every later one)
            StringBuilder more = new StringBuilder();
            for (int id = 5; id < 5 + BURST; id++) {
                more.append("{\"jsonrpc\":\"2.0\",\"id\":").append(id)
                        .append(",\"method\":\"tools/call\",\"params\":{\"name\":\"get_note\",\"arguments\":{\"id\":\"n")
                        .append(id).append("\"}}}\n");
            }
            in.write(more.toString().getBytes(StandardCharsets.UTF_8));
        }
        boolean ended = p.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly().waitFor();
        }
        String stdout = Files.readString(tmp.resolve("stdout.txt"), StandardCharsets.UTF_8);
        String stderr = Files.readString(tmp.resolve("stderr.txt"));
        assertTrue(ended, "the server ends when its stdin closes; stdout:\n" + stdout + "\nstderr:\n" + stderr);
        assertEquals(0, p.exitValue(), stderr);

        List<JsonObject> responses = new ArrayList<>();
        List<JsonObject> parseErrors = new ArrayList<>();
        for (String line : stdout.split("\n", -1)) {
            if (line.isEmpty()) {
                continue;
            }
            JsonObject o = JsonParser.parseString(line).getAsJsonObject(); // anything else on stdout fails here
            assertEquals("2.0", o.get("jsonrpc").getAsString(), line);
            if (o.get("id").isJsonNull()) {
                parseErrors.add(o);
            } else {
                responses.add(o);
            }
        }
        assertEquals(4 + BURST, responses.size(), "one response per request: " + stdout + "\nstderr:\n" + stderr);
        assertEquals(1, parseErrors.size(), "the line that is no JSON is answered: " + parseErrors);
        assertEquals(-32700, parseErrors.get(0).getAsJsonObject("error").get("code").getAsInt());
        List<Integer> order = responses.stream().map(o -> o.get("id").getAsInt()).toList();
        List<Integer> sorted = order.stream().sorted().toList();
        // one request at a time, in the order read: the SDK's stdio transport (2.0.1) loses responses sent at the
        // same moment from two threads, and then stops answering at all
        assertEquals(sorted, order, "answered one at a time, in order");
        responses.sort(Comparator.comparingInt(o -> o.get("id").getAsInt()));
        assertEquals(4, responses.get(1).getAsJsonObject("result").getAsJsonArray("tools").size(), "--read-only: no add_note");
        JsonObject search = responses.get(2).getAsJsonObject("result");
        assertTrue(search.getAsJsonObject("structuredContent").getAsJsonArray("results").isEmpty(), search.toString());
        JsonObject list = responses.get(3).getAsJsonObject("result");
        assertTrue(list.get("isError").getAsBoolean());
        assertEquals("'limit' must be an integer in 1..200; got 0",
                list.getAsJsonArray("content").get(0).getAsJsonObject().get("text").getAsString());
        for (int i = 4; i < responses.size(); i++) {
            JsonObject r = responses.get(i).getAsJsonObject("result");
            assertEquals("no note with id 'n" + (i + 1) + "'",
                    r.getAsJsonArray("content").get(0).getAsJsonObject().get("text").getAsString());
        }
        assertTrue(stderr.contains("pocketrag mcp: notebook " + dir), "what it serves goes to stderr: " + stderr);
        assertTrue(!Files.exists(dir), "reading made no notebook");
    }
}
