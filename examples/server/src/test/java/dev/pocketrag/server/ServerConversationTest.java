package dev.pocketrag.server;

import static dev.pocketrag.server.ServerApiTest.assertError;
import static dev.pocketrag.server.TestSupport.delete;
import static dev.pocketrag.server.TestSupport.get;
import static dev.pocketrag.server.TestSupport.json;
import static dev.pocketrag.server.TestSupport.post;
import static dev.pocketrag.server.TestSupport.postStream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.pocketrag.chat.testing.ScriptedChatModel;
import dev.pocketrag.index.Note;
import dev.pocketrag.retrieval.Notebook;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /v1/ask} with a thread or a message history, and the {@code /v1/threads} endpoints. */
class ServerConversationTest {
    static final Note ATLAS = Note.of("atlas", "Atlas cut-over",
            "The Atlas migration cut-over is planned for the weekend of 7 June. Rollback owner is Priya.");
    static final Note CHECKLIST = Note.of("release", "Release checklist",
            "Every release has a rollback owner on call and a go/no-go call.");

    @TempDir
    static Path dir;
    static Notebook notebook;
    static PocketragServer server;

    /** Extractive answers (no chat model): follow-ups are rewritten by the rules. */
    @BeforeAll
    static void start() throws Exception {
        notebook = Notebook.builder(dir.resolve("nb")).embedder(TestSupport.embedder()).build();
        notebook.addAll(TestSupport.NOTES);
        notebook.addAll(List.of(ATLAS, CHECKLIST));
        server = PocketragServer.builder(notebook).port(0).start();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        notebook.close();
    }

    static JsonObject ask(String body) throws Exception {
        HttpResponse<String> r = post(server.uri(), "/v1/ask", body);
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    static String firstCited(JsonObject answer) {
        return answer.getAsJsonArray("citations").get(0).getAsJsonObject().get("note_id").getAsString();
    }

    @Test
    void a_follow_up_in_a_thread_cites_the_atlas_note_and_the_thread_is_listed_shown_and_deleted() throws Exception {
        JsonObject first = ask("""
                {"question": "When is the Atlas cut-over?", "thread": "atlas-1", "stream": false}""");
        assertEquals("atlas", firstCited(first));
        assertEquals("When is the Atlas cut-over?", first.get("searched_for").getAsString());
        JsonObject t1 = first.getAsJsonObject("thread");
        assertEquals("atlas-1", t1.get("name").getAsString());
        assertTrue(t1.get("started").getAsBoolean(), "an unknown name starts a thread and says so: " + t1);
        assertEquals(1, t1.get("turns").getAsInt());

        JsonObject second = ask("""
                {"question": "Who owns the rollback?", "thread": "atlas-1", "stream": false}""");
        assertTrue(second.get("searched_for").getAsString().toLowerCase(Locale.ROOT).contains("atlas"),
                second.get("searched_for").getAsString());
        assertEquals("atlas", firstCited(second), second.toString());
        JsonObject t2 = second.getAsJsonObject("thread");
        assertFalse(t2.get("started").getAsBoolean(), "said once: " + t2);
        assertEquals(2, t2.get("turns").getAsInt());

        JsonArray list = json(get(server.uri(), "/v1/threads")).getAsJsonArray("data");
        JsonObject listed = null;
        for (var e : list) {
            if (e.getAsJsonObject().get("name").getAsString().equals("atlas-1")) {
                listed = e.getAsJsonObject();
            }
        }
        assertTrue(listed != null, list.toString());
        assertEquals(List.of("name", "turns", "updated", "first_question"), new ArrayList<>(listed.keySet()));
        assertEquals(2, listed.get("turns").getAsInt());
        assertEquals("When is the Atlas cut-over?", listed.get("first_question").getAsString());

        JsonObject shown = json(get(server.uri(), "/v1/threads/atlas-1"));
        JsonArray turns = shown.getAsJsonArray("turns");
        assertEquals(2, turns.size());
        JsonObject turn2 = turns.get(1).getAsJsonObject();
        assertEquals("Who owns the rollback?", turn2.get("question").getAsString());
        assertEquals(second.get("searched_for").getAsString(), turn2.get("searched_for").getAsString());
        assertEquals(second.get("answer").getAsString(), turn2.get("answer").getAsString());
        assertEquals("atlas", turn2.getAsJsonArray("cited").get(0).getAsJsonObject().get("note_id").getAsString());

        HttpResponse<String> deleted = delete(server.uri(), "/v1/threads/atlas-1");
        assertEquals(200, deleted.statusCode(), deleted.body());
        assertTrue(json(deleted).get("deleted").getAsBoolean());
        assertError(get(server.uri(), "/v1/threads/atlas-1"), 404, null);
        assertError(delete(server.uri(), "/v1/threads/atlas-1"), 404, null);
    }

    @Test
    void a_streamed_follow_up_given_as_messages_is_searched_with_the_earlier_turn_and_stores_no_thread()
            throws Exception {
        int before = json(get(server.uri(), "/v1/threads")).getAsJsonArray("data").size();
        HttpResponse<InputStream> r = postStream(server.uri(), "/v1/ask", """
                {"messages": [
                  {"role": "system", "content": "You are terse."},
                  {"role": "user", "content": "When is the Atlas cut-over?"},
                  {"role": "assistant", "content": "On the weekend of 7 June."},
                  {"role": "user", "content": "Who owns it?"}]}""");
        assertEquals(200, r.statusCode());
        List<TestSupport.Event> events = TestSupport.readEvents(r.body());
        JsonObject answer = null;
        for (TestSupport.Event e : events) {
            if (e.event().equals("answer")) {
                answer = e.json();
            }
        }
        assertTrue(answer != null, events.toString());
        String searched = answer.get("searched_for").getAsString();
        assertTrue(searched.startsWith("Who owns it?") && searched.toLowerCase(Locale.ROOT).contains("atlas"), searched);
        assertEquals("atlas", firstCited(answer), answer.toString());
        assertFalse(answer.has("thread"));
        assertEquals(before, json(get(server.uri(), "/v1/threads")).getAsJsonArray("data").size());
    }

    @Test
    void bad_threads_and_malformed_messages_are_400s_naming_the_value() throws Exception {
        JsonObject err = assertError(post(server.uri(), "/v1/ask", "{\"question\": \"x\", \"thread\": \"../etc\"}"),
                400, "thread");
        assertTrue(err.get("message").getAsString().contains("'../etc'"), err.toString());
        assertError(post(server.uri(), "/v1/ask", "{\"question\": \"x\", \"thread\": \"\"}"), 400, "thread");
        assertError(post(server.uri(), "/v1/ask", "{\"question\": \"x\", \"thread\": 7}"), 400, "thread");
        assertError(post(server.uri(), "/v1/ask", """
                {"question": "x", "messages": [{"role": "user", "content": "x"}]}"""), 400, "messages");
        assertError(post(server.uri(), "/v1/ask", """
                {"thread": "t", "messages": [{"role": "user", "content": "x"}]}"""), 400, "thread");
        err = assertError(post(server.uri(), "/v1/ask", """
                {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}"""), 400, "messages");
        assertTrue(err.get("message").getAsString().contains("messages[1]"), err.toString());
        err = assertError(post(server.uri(), "/v1/ask", """
                {"messages": [{"role": "assistant", "content": "hello"}, {"role": "user", "content": "b"}]}"""),
                400, "messages");
        assertTrue(err.get("message").getAsString().contains("messages[0]"), err.toString());
        assertError(post(server.uri(), "/v1/ask", """
                {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}"""),
                400, "messages");
        err = assertError(post(server.uri(), "/v1/ask", """
                {"messages": [{"role": "user", "content": "  "}]}"""), 400, "messages");
        assertTrue(err.get("message").getAsString().contains("messages[0].content"), err.toString());
        err = assertError(post(server.uri(), "/v1/ask", """
                {"messages": [{"role": "tool", "content": "x"}]}"""), 400, "messages");
        assertTrue(err.get("message").getAsString().contains("'tool'"), err.toString());
        assertError(post(server.uri(), "/v1/ask", "{\"messages\": []}"), 400, "messages");
        assertError(post(server.uri(), "/v1/ask", "{\"messages\": \"hi\"}"), 400, "messages");

        err = assertError(get(server.uri(), "/v1/threads/a%20b"), 400, "name");
        assertTrue(err.get("message").getAsString().contains("'a b'"), err.toString());
        assertError(get(server.uri(), "/v1/threads/no-such-thread"), 404, null);
        assertError(post(server.uri(), "/v1/threads", "{}"), 405, null);
    }

    @Test
    void a_follow_ups_rewrite_waits_in_the_model_queue_without_holding_the_embedder(@TempDir Path modelDir)
            throws Exception {
        ScriptedChatModel model = new ScriptedChatModel("scripted", 1_000_000, "The cut-over is on 7 June [1].");
        try (Notebook nb = Notebook.builder(modelDir).embedder(TestSupport.embedder()).chatModel(model, false).build();
             PocketragServer s = PocketragServer.builder(nb).port(0).start()) {
            nb.addAll(List.of(ATLAS, CHECKLIST));
            HttpResponse<String> first = post(s.uri(), "/v1/ask", """
                    {"question": "When is the Atlas cut-over?", "thread": "q1", "stream": false}""");
            assertEquals(200, first.statusCode(), first.body());
            assertEquals(1, model.calls.size(), "a first question has no rewrite");

            model.hold = new CountDownLatch(1);
            CompletableFuture<HttpResponse<String>> blocker = ServerConcurrencyTest.postAsync(s.uri(),
                    "/v1/chat/completions", ServerConcurrencyTest.chat("hold the model", false, 20));
            ServerConcurrencyTest.await("the blocker holds the model", () -> model.started.get() == 2);
            model.reply = "Atlas rollback owner";
            CompletableFuture<HttpResponse<String>> followUp = ServerConcurrencyTest.postAsync(s.uri(), "/v1/ask", """
                    {"question": "Who owns it?", "thread": "q1", "stream": false}""");
            ServerConcurrencyTest.await("the follow-up waits for the model", () -> s.waitingForModel() == 1);
            Thread.sleep(100);
            assertEquals(2, model.started.get(), "the rewrite did not reach the model before its turn");
            assertEquals(0, s.embedding.admitted(), "no embedder place is held while waiting for the model");
            // one question at a time per thread: the second would lose the first's turn
            JsonObject busy = assertError(post(s.uri(), "/v1/ask", """
                    {"question": "And the date?", "thread": "q1", "stream": false}"""), 409, "thread");
            assertTrue(busy.get("message").getAsString().contains("'q1'"), busy.toString());
            model.hold.countDown();
            assertEquals(200, blocker.get().statusCode());
            HttpResponse<String> r = followUp.get();
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("Atlas rollback owner", json(r).get("searched_for").getAsString());
            assertEquals(4, model.calls.size(), "answer, blocker, rewrite, answer");
            String rewrite = model.calls.get(2).messages().toString();
            assertTrue(rewrite.contains("Last question: Who owns it?"), rewrite);
            assertEquals(1, model.maxActive.get(), "never two model calls at once");
            assertEquals(2, nb.conversation("q1").history().size());
        }
    }
}
