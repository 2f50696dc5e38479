package dev.pocketrag.server;

import static dev.pocketrag.server.TestSupport.CLIENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.chat.testing.ScriptedChatModel;
import dev.pocketrag.retrieval.Notebook;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API key. "Not on loopback" is tested by binding the wildcard address 0.0.0.0 (every
 * interface of this machine, which is what {@code --host 0.0.0.0} asks for) and sending the
 * requests to it through 127.0.0.1: the server is then not loopback-only and must check the key,
 * while the test's traffic never leaves this machine.
 */
class ApiKeyTest {
    static final String KEY = "0123456789abcdef-test-key";

    @TempDir
    Path dir;

    @Test
    void a_non_loopback_address_without_a_key_is_refused() throws Exception {
        try (Notebook nb = Notebook.builder(dir).embedder(TestSupport.embedder()).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PocketragServer.builder(nb).host("0.0.0.0").port(0).start());
            assertTrue(e.getMessage().contains("0.0.0.0") && e.getMessage().contains("API key"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> PocketragServer.builder(nb).apiKey("short"));
            assertThrows(IllegalArgumentException.class, () -> PocketragServer.builder(nb).apiKey("has a space in it 0123"));
        }
    }

    @Test
    void on_all_interfaces_every_request_needs_the_key() throws Exception {
        ScriptedChatModel model = new ScriptedChatModel("scripted", 4096, "Fine [1].");
        try (Notebook nb = TestSupport.notebook(dir, model);
             PocketragServer server = PocketragServer.builder(nb).host("0.0.0.0").port(0).apiKey(KEY).start()) {
            assertFalse(server.isLoopback());
            URI base = URI.create("http://127.0.0.1:" + server.port() + "/");
            List<HttpRequest.Builder> requests = List.of(
                    HttpRequest.newBuilder(base.resolve("/v1/models")).GET(),
                    HttpRequest.newBuilder(base.resolve("/v1/search?q=Kyoto")).GET(),
                    HttpRequest.newBuilder(base.resolve("/v1/notes")).POST(HttpRequest.BodyPublishers.ofString("{\"text\": \"x\"}")),
                    HttpRequest.newBuilder(base.resolve("/v1/notes/kyoto")).DELETE(),
                    HttpRequest.newBuilder(base.resolve("/v1/ask")).POST(HttpRequest.BodyPublishers.ofString("{\"question\": \"Kyoto?\"}")),
                    HttpRequest.newBuilder(base.resolve("/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(
                            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")),
                    HttpRequest.newBuilder(base.resolve("/v1/embeddings")).POST(HttpRequest.BodyPublishers.ofString("{\"input\": \"x\"}")),
                    HttpRequest.newBuilder(base.resolve("/v1/threads")).GET(),
                    HttpRequest.newBuilder(base.resolve("/v1/threads/t1")).GET(),
                    HttpRequest.newBuilder(base.resolve("/v1/threads/t1")).DELETE(),
                    HttpRequest.newBuilder(base.resolve("/v1/ask")).POST(HttpRequest.BodyPublishers.ofString(
                            "{\"question\": \"Kyoto?\", \"thread\": \"t1\"}")),
                    HttpRequest.newBuilder(base.resolve("/v1/no-such-endpoint")).GET());
            for (HttpRequest.Builder rb : requests) {
                HttpRequest r = rb.copy().header("Content-Type", "application/json").build();
                HttpResponse<String> none = send(r);
                ServerApiTest.assertError(none, 401, null);
                assertEquals("Bearer realm=\"pocketrag\"", none.headers().firstValue("WWW-Authenticate").orElse(""));
                HttpResponse<String> wrong = send(rb.copy().header("Content-Type", "application/json")
                        .header("Authorization", "Bearer " + KEY.substring(0, KEY.length() - 1) + "X").build());
                ServerApiTest.assertError(wrong, 401, null);
                HttpResponse<String> prefix = send(rb.copy().header("Content-Type", "application/json")
                        .header("Authorization", "Bearer " + KEY.substring(0, 10)).build());
                ServerApiTest.assertError(prefix, 401, null);
            }
            assertEquals(List.of(), nb.threads(), "no thread was started without the key");
            assertEquals(1, nb.get("kyoto").stream().count(), "the unauthorised DELETE deleted nothing");
            assertEquals(0, model.calls.size(), "no unauthorised request reached the model");

            // with the key
            assertEquals(200, send(HttpRequest.newBuilder(base.resolve("/v1/models"))
                    .header("Authorization", "Bearer " + KEY).GET().build()).statusCode());
            HttpResponse<String> chat = send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                    .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")).build());
            assertEquals(200, chat.statusCode(), chat.body());

            // the page: a browser is asked for the key (HTTP Basic, the key as password) and then sends it
            HttpResponse<String> page = send(HttpRequest.newBuilder(base.resolve("/")).GET().build());
            assertEquals(401, page.statusCode());
            assertTrue(page.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic realm=\"pocketrag\""));
            String basic = Base64.getEncoder().encodeToString(("me:" + KEY).getBytes(StandardCharsets.UTF_8));
            assertEquals(200, send(HttpRequest.newBuilder(base.resolve("/")).header("Authorization", "Basic " + basic)
                    .GET().build()).statusCode());
            assertEquals(200, send(HttpRequest.newBuilder(base.resolve("/v1/search?q=Kyoto"))
                    .header("Authorization", "Basic " + basic).GET().build()).statusCode());
            String wrongBasic = Base64.getEncoder().encodeToString("me:nope".getBytes(StandardCharsets.UTF_8));
            assertEquals(401, send(HttpRequest.newBuilder(base.resolve("/")).header("Authorization", "Basic " + wrongBasic)
                    .GET().build()).statusCode());
        }
    }

    @Test
    void a_key_given_on_loopback_is_enforced_too() throws Exception {
        try (Notebook nb = Notebook.builder(dir).embedder(TestSupport.embedder()).build();
             PocketragServer server = PocketragServer.builder(nb).port(0).apiKey(KEY).start()) {
            assertTrue(server.isLoopback());
            ServerApiTest.assertError(send(HttpRequest.newBuilder(server.uri().resolve("/v1/models")).GET().build()), 401, null);
            assertEquals(200, send(HttpRequest.newBuilder(server.uri().resolve("/v1/models"))
                    .header("Authorization", "bearer " + KEY).GET().build()).statusCode());
        }
    }

    @Test
    void the_key_check_accepts_only_the_exact_key() {
        byte[] digest = PocketragServer.sha256(KEY);
        assertTrue(PocketragServer.keyMatches(digest, "Bearer " + KEY));
        assertTrue(PocketragServer.keyMatches(digest, "  BEARER   " + KEY + "  "));
        assertTrue(PocketragServer.keyMatches(digest, "Basic " + Base64.getEncoder().encodeToString((":" + KEY).getBytes())));
        assertFalse(PocketragServer.keyMatches(digest, null));
        assertFalse(PocketragServer.keyMatches(digest, ""));
        assertFalse(PocketragServer.keyMatches(digest, "Bearer"));
        assertFalse(PocketragServer.keyMatches(digest, "Bearer "));
        assertFalse(PocketragServer.keyMatches(digest, KEY), "the scheme is required");
        assertFalse(PocketragServer.keyMatches(digest, "Bearer " + KEY + "x"));
        assertFalse(PocketragServer.keyMatches(digest, "Bearer " + KEY.toUpperCase()));
        assertFalse(PocketragServer.keyMatches(digest, "Basic " + Base64.getEncoder().encodeToString(KEY.getBytes())),
                "Basic needs user:password");
        assertFalse(PocketragServer.keyMatches(digest, "Basic !!!not-base64"));
        assertFalse(PocketragServer.keyMatches(PocketragServer.sha256(""), "Bearer "), "an empty key never matches");
    }

    @Test
    void loopback_host_names_are_recognised() {
        for (String h : List.of("localhost", "localhost:8080", "127.0.0.1", "127.0.0.1:80", "127.1.2.3:9", "[::1]:8080",
                "app.localhost:1")) {
            assertTrue(PocketragServer.isLoopbackHost(h), h);
        }
        for (String h : List.of("evil.example", "evil.example:8080", "127.0.0.1.evil.example", "128.0.0.1", "[::2]:80",
                "localhost.evil.example", "127.0.0.256")) {
            assertFalse(PocketragServer.isLoopbackHost(h), h);
        }
    }

    private static HttpResponse<String> send(HttpRequest r) throws Exception {
        return CLIENT.send(r, HttpResponse.BodyHandlers.ofString());
    }
}
