package dev.pocketrag.server;

import static dev.pocketrag.server.TestSupport.CLIENT;
import static dev.pocketrag.server.TestSupport.json;
import static dev.pocketrag.server.TestSupport.post;
import static dev.pocketrag.server.TestSupport.postStream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.testing.ScriptedChatModel;
import dev.pocketrag.retrieval.Notebook;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The model queue, cancellation on disconnect and stall, and shutdown, through real HTTP clients. */
class ServerConcurrencyTest {
    static final String REPLY = "Check-in is from 15:00 [1].";

    @TempDir
    Path dir;

    ScriptedChatModel model;
    Notebook notebook;
    PocketragServer server;

    PocketragServer start(int queue, Duration stall, long maxPending) throws IOException {
        model = new ScriptedChatModel("scripted", 1_000_000, REPLY);
        notebook = TestSupport.notebook(dir, model);
        server = PocketragServer.builder(notebook).port(0).queueCapacity(queue).stallLimits(stall, maxPending).start();
        return server;
    }

    @AfterEach
    void stop() throws IOException {
        if (model != null && model.hold != null) {
            model.hold.countDown();
        }
        if (server != null) {
            server.close();
        }
        if (notebook != null) {
            notebook.close();
        }
    }

    static String chat(String user, boolean stream, int maxTokens) {
        return "{\"messages\": [{\"role\": \"user\", \"content\": \"" + user + "\"}], \"stream\": " + stream
                + ", \"max_tokens\": " + maxTokens + "}";
    }

    static CompletableFuture<HttpResponse<String>> postAsync(URI base, String path, String json) {
        return CLIENT.sendAsync(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(120))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void requests_use_the_model_one_at_a_time_in_arrival_order() throws Exception {
        start(8, Duration.ofSeconds(30), 1 << 20);
        model.hold = new CountDownLatch(1);
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        responses.add(postAsync(server.uri(), "/v1/chat/completions", chat("req-0", false, 20)));
        await("the first request holds the model", () -> model.started.get() == 1);
        for (int i = 1; i <= 5; i++) {
            // alternate streaming and plain requests: both wait in the same queue
            responses.add(postAsync(server.uri(), "/v1/chat/completions", chat("req-" + i, i % 2 == 0, 20)));
            int queued = i;
            await(queued + " requests waiting", () -> server.waitingForModel() == queued);
        }
        assertEquals(1, model.started.get(), "nobody else entered the model while it was held");
        model.hold.countDown();
        for (CompletableFuture<HttpResponse<String>> f : responses) {
            assertEquals(200, f.get().statusCode(), f.get().body());
        }
        assertEquals(List.of("req-0", "req-1", "req-2", "req-3", "req-4", "req-5"), model.firstUserMessages,
                "served in arrival order");
        assertEquals(1, model.maxActive.get(), "never two generations at once");
    }

    @Test
    void a_full_queue_answers_429_at_once_and_the_others_complete() throws Exception {
        start(1, Duration.ofSeconds(30), 1 << 20);
        model.hold = new CountDownLatch(1);
        CompletableFuture<HttpResponse<String>> a = postAsync(server.uri(), "/v1/chat/completions", chat("a", false, 5));
        await("a holds the model", () -> model.started.get() == 1);
        CompletableFuture<HttpResponse<String>> b = postAsync(server.uri(), "/v1/chat/completions", chat("b", false, 5));
        await("b waits", () -> server.waitingForModel() == 1);
        for (String path : List.of("/v1/chat/completions", "/v1/ask")) {
            String body = path.equals("/v1/ask") ? "{\"question\": \"When is check-in in Kyoto?\"}" : chat("c", true, 5);
            HttpResponse<String> c = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> post(server.uri(), path, body));
            JsonObject err = ServerApiTest.assertError(c, 429, null);
            assertEquals("queue_full", err.get("code").getAsString());
        }
        // endpoints that do not use the chat model are not queued
        assertEquals(200, TestSupport.get(server.uri(), "/v1/search?q=Kyoto").statusCode());
        model.hold.countDown();
        assertEquals(200, a.get().statusCode());
        assertEquals(200, b.get().statusCode());
        assertEquals(List.of("a", "b"), model.firstUserMessages);
    }

    @Test
    void concurrent_streams_never_interleave() throws Exception {
        start(8, Duration.ofSeconds(30), 1 << 20);
        model.pieceDelayMillis = 2;
        model.pieceChars = 1;
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            responses.add(postAsync(server.uri(), "/v1/chat/completions", chat("s" + i, true, 100)));
        }
        for (CompletableFuture<HttpResponse<String>> f : responses) {
            HttpResponse<String> r = f.get();
            assertEquals(200, r.statusCode());
            StringBuilder text = new StringBuilder();
            for (TestSupport.Event e : TestSupport.readEvents(
                    new java.io.ByteArrayInputStream(r.body().getBytes(StandardCharsets.UTF_8)))) {
                if (e.data().equals("[DONE]")) {
                    continue;
                }
                JsonObject delta = e.json().getAsJsonArray("choices").isEmpty() ? new JsonObject()
                        : e.json().getAsJsonArray("choices").get(0).getAsJsonObject().getAsJsonObject("delta");
                if (delta.has("content")) {
                    text.append(delta.get("content").getAsString());
                }
            }
            assertEquals(REPLY, text.toString());
        }
        assertEquals(6, model.calls.size());
        assertEquals(1, model.maxActive.get(), "never two generations at once");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/chat/completions", "/v1/ask"})
    void a_client_that_disconnects_mid_stream_frees_the_model_for_the_next_request(String path) throws Exception {
        start(8, Duration.ofSeconds(30), 1 << 20);
        model.endless = true; // would write for minutes unless cancelled
        model.pieceDelayMillis = 5;
        String body = path.equals("/v1/ask")
                ? "{\"question\": \"What is the booking reference for the hotel in Kyoto?\", \"max_tokens\": 100000}"
                : chat("talk forever", true, 100_000);
        HttpResponse<InputStream> r = postStream(server.uri(), path, body);
        assertEquals(200, r.statusCode());
        TestSupport.EventReader events = new TestSupport.EventReader(
                new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8)));
        for (int i = 0; i < 5; i++) {
            events.next();
        }
        r.body().close(); // the client goes away mid-stream

        await("the generation is cancelled", () -> !model.calls.isEmpty());
        ChatCompletion first = model.calls.getFirst().result();
        assertEquals(ChatCompletion.FinishReason.CANCELLED, first.finishReason());
        assertTrue(first.usage().completionTokens() < 100_000);

        model.endless = false;
        model.pieceDelayMillis = 0;
        HttpResponse<String> next = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> post(server.uri(), "/v1/chat/completions", chat("next", false, 50)));
        assertEquals(200, next.statusCode(), next.body());
        assertEquals(REPLY, json(next).getAsJsonArray("choices").get(0).getAsJsonObject()
                .getAsJsonObject("message").get("content").getAsString());
    }

    @Test
    void a_client_that_stops_reading_is_cancelled_once_it_stalls_and_the_model_is_freed() throws Exception {
        start(8, Duration.ofMillis(500), 64 * 1024);
        model.endless = true;
        model.pieceChars = 4096; // 4 KiB a piece: the socket buffers fill quickly
        model.reply = "x".repeat(4096);
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(new InetSocketAddress(server.uri().getHost(), server.uri().getPort()), 10_000);
            byte[] body = chat("never read", true, 500_000).getBytes(StandardCharsets.UTF_8);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: " + server.uri().getAuthority()
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            // ... and never read the answer
            await("the stalled generation is cancelled", () -> !model.calls.isEmpty());
            ChatCompletion stalled = model.calls.getFirst().result();
            assertEquals(ChatCompletion.FinishReason.CANCELLED, stalled.finishReason());
            assertTrue(stalled.usage().completionTokens() < 500_000);
            System.out.printf("stalled client: generation cancelled after %d pieces of 4 KiB%n",
                    stalled.usage().completionTokens());

            model.endless = false;
            model.pieceChars = 3;
            model.reply = REPLY;
            // the stalled client is still connected; the model serves the next request anyway
            HttpResponse<String> next = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> post(server.uri(), "/v1/chat/completions", chat("next", false, 50)));
            assertEquals(200, next.statusCode(), next.body());
        }
    }

    @Test
    void requests_still_waiting_when_the_server_closes_never_reach_the_model() throws Exception {
        start(8, Duration.ofSeconds(30), 1 << 20);
        model.hold = new CountDownLatch(1);
        CompletableFuture<HttpResponse<String>> a = postAsync(server.uri(), "/v1/chat/completions", chat("a", true, 50));
        await("a holds the model", () -> model.started.get() == 1);
        CompletableFuture<HttpResponse<String>> b = postAsync(server.uri(), "/v1/chat/completions", chat("b", false, 50));
        await("b waits", () -> server.waitingForModel() == 1);
        CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
        await("the server is closing", server::closing);
        model.hold.countDown();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> closing.get());
        assertEquals(1, model.started.get(), "b never started generating");
        assertEquals(ChatCompletion.FinishReason.CANCELLED, model.calls.getFirst().result().finishReason());
        a.handle((r, e) -> null).get();
        b.handle((r, e) -> null).get();
    }

    @Test
    void closing_the_server_cancels_a_generation_in_flight() throws Exception {
        start(8, Duration.ofSeconds(30), 1 << 20);
        model.endless = true;
        model.pieceDelayMillis = 5;
        HttpResponse<InputStream> r = postStream(server.uri(), "/v1/chat/completions", chat("forever", true, 100_000));
        assertEquals(200, r.statusCode());
        new TestSupport.EventReader(new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))).next();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> server.close());
        assertEquals(ChatCompletion.FinishReason.CANCELLED, model.calls.getFirst().result().finishReason());
        assertEquals(0, model.active.get(), "the model is free once close() returns");
        r.body().close();
    }
}
