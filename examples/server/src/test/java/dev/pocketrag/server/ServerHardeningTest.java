package dev.pocketrag.server;

import static dev.pocketrag.server.ServerConcurrencyTest.await;
import static dev.pocketrag.server.ServerConcurrencyTest.chat;
import static dev.pocketrag.server.ServerConcurrencyTest.postAsync;
import static dev.pocketrag.server.TestSupport.get;
import static dev.pocketrag.server.TestSupport.json;
import static dev.pocketrag.server.TestSupport.post;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.testing.ScriptedChatModel;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.index.IndexOptions;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.retrieval.Notebook;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one request must not be able to do to the others: tie up the embedder or the model queue
 * with huge or many inputs, keep the model busy after its client left, break the server with odd
 * parameters, or leave it unusable after a full disk.
 */
class ServerHardeningTest {
    @TempDir
    Path dir;

    ScriptedChatModel model;
    Notebook notebook;
    PocketragServer server;
    /** The embedder's calls block on this while it is set. */
    volatile CountDownLatch embedHold;
    final AtomicInteger embedding = new AtomicInteger();
    final AtomicInteger maxEmbedding = new AtomicInteger();
    final AtomicInteger embedCalls = new AtomicInteger();
    /** Commits of the index fail with ENOSPC's message while set. */
    final AtomicBoolean diskFull = new AtomicBoolean();

    @AfterEach
    void stop() throws IOException {
        CountDownLatch h = embedHold;
        if (h != null) {
            h.countDown();
        }
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

    /** The shared MiniLM behind a proxy that can hold its calls and counts how many run at once. */
    Embedder blockingEmbedder() {
        Embedder real = TestSupport.embedder();
        Set<String> work = Set.of("embed", "embedQuery", "embedAll", "embedWithInfo");
        InvocationHandler h = (proxy, m, args) -> {
            boolean counted = work.contains(m.getName()) && !m.getName().equals("close");
            if (counted) {
                embedCalls.incrementAndGet();
                int now = embedding.incrementAndGet();
                maxEmbedding.accumulateAndGet(now, Math::max);
            }
            try {
                CountDownLatch hold = embedHold;
                if (counted && hold != null && !hold.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("test hold never released");
                }
                if (m.getName().equals("close")) {
                    return null; // shared across tests
                }
                return m.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                if (counted) {
                    embedding.decrementAndGet();
                }
            }
        };
        return (Embedder) Proxy.newProxyInstance(Embedder.class.getClassLoader(), new Class<?>[] {Embedder.class}, h);
    }

    /** A real index whose commits fail with "No space left on device" while {@link #diskFull} is set. */
    NoteIndex fillableIndex(Embedder e) throws IOException {
        NoteIndex real = NoteIndex.open(dir.resolve("index"), IndexOptions.of(e.modelId(), e.dimension()));
        InvocationHandler h = (proxy, m, args) -> {
            if (m.getName().equals("commit") && diskFull.get()) {
                throw new IOException("No space left on device");
            }
            try {
                return m.invoke(real, args);
            } catch (InvocationTargetException ex) {
                throw ex.getCause();
            }
        };
        return (NoteIndex) Proxy.newProxyInstance(NoteIndex.class.getClassLoader(), new Class<?>[] {NoteIndex.class}, h);
    }

    void start() throws IOException {
        start(Duration.ofMillis(100));
    }

    /** @param longAfter when a non-streaming answer sends its status and starts the spaces */
    void start(Duration longAfter) throws IOException {
        model = new ScriptedChatModel("scripted", 1_000_000, "Check-in is from 15:00 [1].");
        Embedder e = blockingEmbedder();
        notebook = Notebook.builder(dir).embedder(e).index(fillableIndex(e)).chatModel(model, false).build();
        notebook.addAll(TestSupport.NOTES);
        server = PocketragServer.builder(notebook).port(0)
                .longResponses(longAfter, Duration.ofMillis(50)).start();
    }

    static String embeddings(String input) {
        JsonObject o = new JsonObject();
        o.addProperty("input", input);
        return o.toString();
    }

    // ---- item 2: bounded embedding work

    @Test
    void an_8_mib_embeddings_input_costs_what_a_long_one_does() throws Exception {
        start();
        String sentence = "pocketrag keeps notes on local disk. ";
        String huge = sentence.repeat((8 << 20) / sentence.length() - 10);
        String body = embeddings(huge);
        assertTrue(body.length() < 8 << 20 && body.length() > 8_300_000, body.length() + " bytes");
        HttpResponse<String> r = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> post(server.uri(), "/v1/embeddings", body));
        assertEquals(200, r.statusCode(), r.body());
        JsonObject o = json(r);
        assertEquals(256, o.getAsJsonObject("usage").get("prompt_tokens").getAsInt(), "the first 256 word pieces");
        JsonArray v = o.getAsJsonArray("data").get(0).getAsJsonObject().getAsJsonArray("embedding");
        float[] got = new float[v.size()];
        for (int i = 0; i < got.length; i++) {
            got[i] = v.get(i).getAsFloat();
        }
        assertArrayEquals(TestSupport.embedder().embed(sentence.repeat(50)), got, "embeds like its beginning");
    }

    @Test
    void a_few_requests_embed_at_a_time_and_a_question_never_holds_the_model_queue() throws Exception {
        start();
        embedHold = new CountDownLatch(1);
        List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            waiting.add(postAsync(server.uri(), "/v1/embeddings", embeddings("note number " + i)));
        }
        await("two requests embed", () -> embedding.get() == PocketragServer.EMBEDDING_PERMITS);
        // a question: its retrieval waits for the embedder, without a turn of the model
        waiting.add(postAsync(server.uri(), "/v1/ask", "{\"question\": \"When is check-in in Kyoto?\", \"stream\": false}"));
        await("the question waits", () -> server.admittedForModel() == 1);
        Thread.sleep(200);
        assertEquals(PocketragServer.EMBEDDING_PERMITS, maxEmbedding.get(), "never more than two embed at once");
        // the model is free for a chat while every embedding waits
        HttpResponse<String> c = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> post(server.uri(), "/v1/chat/completions", chat("hello", false, 5)));
        assertEquals(200, c.statusCode(), c.body());
        embedHold.countDown();
        for (CompletableFuture<HttpResponse<String>> f : waiting) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
        }
        assertEquals(PocketragServer.EMBEDDING_PERMITS, maxEmbedding.get());
    }

    @Test
    void questions_and_queries_are_bounded() throws Exception {
        start();
        String longQuestion = "why ".repeat(1001).strip();
        JsonObject err = ServerApiTest.assertError(post(server.uri(), "/v1/ask",
                "{\"question\": \"" + longQuestion + "\", \"stream\": false}"), 400, "question");
        assertTrue(err.get("message").getAsString().contains("at most 4000"), err.toString());
        err = ServerApiTest.assertError(get(server.uri(), "/v1/search?q=" + longQuestion.replace(' ', '+')), 400, "q");
        assertTrue(err.get("message").getAsString().contains("at most 4000"), err.toString());
        assertEquals(0, model.started.get());
    }

    // ---- item 4: retries and clients that leave

    @Test
    void a_retry_with_the_same_id_replaces_the_note() throws Exception {
        start();
        for (String text : List.of("First try: the boiler man comes Tuesday.", "Second try: the boiler man comes Tuesday.")) {
            HttpResponse<String> r = post(server.uri(), "/v1/notes", "{\"id\": \"boiler\", \"text\": \"" + text + "\"}");
            assertEquals(201, r.statusCode(), r.body());
        }
        JsonArray all = json(get(server.uri(), "/v1/notes?limit=1000")).getAsJsonArray("data");
        long boilers = 0;
        for (var n : all) {
            boilers += n.getAsJsonObject().get("id").getAsString().equals("boiler") ? 1 : 0;
        }
        assertEquals(1, boilers);
        assertEquals(TestSupport.NOTES.size() + 1, all.size());
        assertTrue(json(get(server.uri(), "/v1/notes/boiler")).toString().contains("Second try"));
    }

    /** Sends a request on a raw socket; returns the socket (the caller reads or closes it). */
    Socket send(String method, String path, String body) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(server.uri().getHost(), server.uri().getPort()), 10_000);
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = s.getOutputStream();
        out.write((method + " " + path + " HTTP/1.1\r\nHost: " + server.uri().getAuthority()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(b);
        out.flush();
        return s;
    }

    @Test
    void a_note_whose_client_left_while_it_was_embedded_is_not_added() throws Exception {
        start();
        embedHold = new CountDownLatch(1);
        int before = embedCalls.get();
        try (Socket s = send("POST", "/v1/notes", "{\"id\": \"gone\", \"text\": \"The client of this note hung up.\"}")) {
            await("the note is being embedded", () -> embedCalls.get() > before);
            InputStream in = s.getInputStream();
            assertTrue(in.read() > 0, "the status goes out while the work takes long");
        }
        Thread.sleep(500); // a few heartbeats: the second write to the closed connection fails
        embedHold.countDown();
        await("the request is over", () -> server.embedding.admitted() == 0);
        ServerApiTest.assertError(get(server.uri(), "/v1/notes/gone"), 404, null);
        // and the next request is served as usual
        assertEquals(201, post(server.uri(), "/v1/notes", "{\"id\": \"here\", \"text\": \"Still works.\"}").statusCode());
    }

    // ---- item 7: a non-streaming client that leaves, odd parameters

    @Test
    void a_non_streaming_generation_stops_when_its_client_leaves() throws Exception {
        start();
        model.endless = true;
        model.pieceDelayMillis = 5; // 100,000 pieces: over 8 minutes if nobody stops it
        try (Socket s = send("POST", "/v1/chat/completions", chat("talk forever", false, 100_000))) {
            await("the generation runs", () -> model.started.get() == 1);
            assertTrue(s.getInputStream().read() > 0, "the status goes out while the work takes long");
        }
        await("the generation is cancelled", () -> !model.calls.isEmpty());
        ChatCompletion c = model.calls.getFirst().result();
        assertEquals(ChatCompletion.FinishReason.CANCELLED, c.finishReason());
        assertTrue(c.usage().completionTokens() < 100_000);
        model.endless = false;
        HttpResponse<String> next = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> post(server.uri(), "/v1/chat/completions", chat("next", false, 50)));
        assertEquals(200, next.statusCode(), next.body());
    }

    @Test
    void a_slow_non_streaming_answer_is_still_one_json_object() throws Exception {
        start();
        model.pieceDelayMillis = 40; // about a second: the status and spaces go out first
        model.reply = "x".repeat(75);
        HttpResponse<String> r = post(server.uri(), "/v1/chat/completions", chat("slow", false, 100));
        assertEquals(200, r.statusCode());
        assertTrue(r.body().startsWith(" "), "spaces came first: '" + r.body().substring(0, 10) + "'");
        assertEquals("x".repeat(75), json(r).getAsJsonArray("choices").get(0).getAsJsonObject()
                .getAsJsonObject("message").get("content").getAsString());
        HttpResponse<String> a = post(server.uri(), "/v1/ask", "{\"question\": \"When is check-in in Kyoto?\", \"stream\": false}");
        assertEquals(200, a.statusCode(), a.body());
        assertEquals("generated", json(a).get("kind").getAsString(), a.body());
    }

    @Test
    void huge_offsets_and_too_many_tags_are_client_errors() throws Exception {
        start();
        ServerApiTest.assertError(get(server.uri(), "/v1/notes?offset=2147483647"), 400, "offset");
        String many = "tag=t".repeat(1).concat("&tag=t".repeat(1100));
        for (String path : List.of("/v1/notes?" + many, "/v1/search?q=kyoto&" + many)) {
            JsonObject err = ServerApiTest.assertError(get(server.uri(), path), 400, "tag");
            assertTrue(err.get("message").getAsString().contains("at most 100"), err.toString());
        }
        assertEquals(200, get(server.uri(), "/v1/notes?offset=5").statusCode());
    }

    // ---- item 5: a full disk

    @Test
    void a_full_disk_is_a_507_naming_the_cause_and_the_server_recovers_when_space_returns() throws Exception {
        start(Duration.ofSeconds(30)); // the status is the answer's own
        diskFull.set(true);
        HttpResponse<String> r = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> post(server.uri(), "/v1/notes", "{\"id\": \"full\", \"text\": \"No room for this one.\"}"));
        JsonObject err = ServerApiTest.assertError(r, 507, null);
        assertEquals("insufficient_storage", err.get("code").getAsString());
        assertTrue(err.get("message").getAsString().contains("No space left on device"), err.toString());
        // reads keep working
        assertEquals(200, get(server.uri(), "/v1/notes").statusCode());
        assertEquals(200, get(server.uri(), "/v1/search?q=kyoto").statusCode());
        assertEquals(200, get(server.uri(), "/v1/notes/kyoto").statusCode());
        diskFull.set(false);
        assertEquals(201, post(server.uri(), "/v1/notes", "{\"id\": \"room\", \"text\": \"There is room again.\"}")
                .statusCode());
        assertEquals(200, get(server.uri(), "/v1/notes/room").statusCode());
    }
}
