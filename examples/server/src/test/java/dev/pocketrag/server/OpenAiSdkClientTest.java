package dev.pocketrag.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.generation.GgufChatModel;
import dev.pocketrag.retrieval.Notebook;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI-compatible API as the official {@code openai} npm package sees it
 * ({@code clients-test/openai-client.mjs}): models, chat completions plain and streamed with
 * stories260K, embeddings, and each error as the SDK's own typed error. One server for the class,
 * with an API key and a queue of 0 (one request uses the model, the next is refused: 429). What
 * the SDK got is checked against the engine and the embedder called in-process.
 */
class OpenAiSdkClientTest {
    private static final String KEY = "test-key-0123456789abcdef";
    private static Path dir;
    private static GgufChatModel engine;
    private static Notebook nb;
    private static PocketragServer server;
    private static JsonObject report;

    @BeforeAll
    static void runTheClient() throws Exception {
        Path gguf = Stories260KRemoteTest.stories();
        Path clients = NodeClients.folder();
        dir = Files.createTempDirectory("openai-sdk");
        engine = GgufChatModel.load(gguf, GgufChatModel.Options.defaults().withContextLength(512).withThreads(1)
                .withSeed(1));
        nb = Notebook.builder(dir).embedder(TestSupport.embedder()).chatModel(engine, false).build();
        server = PocketragServer.builder(nb).port(0).apiKey(KEY).queueCapacity(0).start();
        report = NodeClients.run(clients, Duration.ofSeconds(120), Map.of(), "openai-client.mjs",
                server.uri().resolve("/v1").toString(), KEY);
        System.out.println("openai SDK report: " + report);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (nb != null) {
            nb.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void the_sdk_lists_the_chat_model_and_the_embedder() {
        List<String> ids = new ArrayList<>();
        for (JsonElement m : report.getAsJsonArray("models")) {
            ids.add(m.getAsJsonObject().get("id").getAsString());
            assertEquals("model", m.getAsJsonObject().get("object").getAsString());
        }
        assertEquals(List.of(engine.name(), nb.embedder().modelId()), ids);
    }

    @Test
    void plain_and_streamed_completions_are_what_the_engine_writes_in_process() {
        GenerationParams greedy = GenerationParams.greedy().withMaxTokens(24).withSeed(7);
        ChatCompletion local = engine.chat(List.of(ChatMessage.user("Once upon a time, a little girl")), greedy);
        JsonObject chat = report.getAsJsonObject("chat");
        assertEquals("chat.completion", chat.get("object").getAsString());
        assertEquals("assistant", chat.get("role").getAsString());
        assertEquals(local.text(), chat.get("content").getAsString(), "temperature 0 over the SDK = greedy in-process");
        assertEquals(local.usage().completionTokens(), chat.getAsJsonObject("usage").get("completion_tokens").getAsInt());

        JsonObject stream = report.getAsJsonObject("stream");
        assertEquals(local.text(), stream.get("content").getAsString(), "the streamed deltas make the same text");
        assertTrue(stream.get("chunks").getAsInt() > 2, "streamed in pieces: " + stream);
        assertEquals(chat.get("finish_reason").getAsString(), stream.get("finish_reason").getAsString());
        assertEquals(local.usage().completionTokens(), stream.getAsJsonObject("usage").get("completion_tokens").getAsInt(),
                "stream_options.include_usage gives the usage chunk");
    }

    @Test
    void embeddings_are_the_notebook_embedders_vectors_as_float_and_base64() {
        JsonObject e = report.getAsJsonObject("embeddings");
        assertEquals(2, e.get("count").getAsInt());
        for (JsonElement d : e.getAsJsonArray("dims")) {
            assertEquals(nb.embedder().dimension(), d.getAsInt());
        }
        for (JsonElement n : e.getAsJsonArray("norms")) {
            assertEquals(1.0, n.getAsDouble(), 1e-3, "unit vectors");
        }
        float[] expected = nb.embedder().embed("The car insurance renews in March.");
        JsonArray first = e.getAsJsonArray("first");
        JsonArray floats = e.getAsJsonArray("float_first");
        for (int i = 0; i < 4; i++) {
            // without encoding_format the SDK asks for base64 (little-endian float32) and decodes it itself
            assertEquals(expected[i], first.get(i).getAsDouble(), 0.0, "component " + i + ", decoded from base64 by the SDK");
            assertEquals(expected[i], floats.get(i).getAsDouble(), 1e-6, "component " + i + " as a JSON number");
        }
    }

    @Test
    void errors_reach_the_sdk_as_its_typed_errors() {
        JsonObject bad = report.getAsJsonObject("bad_request");
        assertEquals("BadRequestError", bad.get("class").getAsString(), bad.toString());
        assertEquals(400, bad.get("status").getAsInt());
        assertEquals("temperature", bad.get("param").getAsString(), "the bad parameter is named: " + bad);

        JsonObject auth = report.getAsJsonObject("unauthorized");
        assertEquals("AuthenticationError", auth.get("class").getAsString(), auth.toString());
        assertEquals(401, auth.get("status").getAsInt());

        JsonObject missing = report.getAsJsonObject("not_found");
        assertEquals("NotFoundError", missing.get("class").getAsString(), missing.toString());
        assertEquals(404, missing.get("status").getAsInt());
        assertTrue(missing.get("message").getAsString().contains("no-such-model"), missing.toString());
    }

    @Test
    void a_full_queue_is_the_sdks_rate_limit_error() {
        JsonObject r = report.getAsJsonObject("rate_limit");
        for (JsonElement e : r.getAsJsonArray("refused")) {
            JsonObject o = e.getAsJsonObject();
            assertEquals("RateLimitError", o.get("class").getAsString(), "while a stream holds the model: " + r);
            assertEquals(429, o.get("status").getAsInt());
            assertTrue(o.get("message").getAsString().contains("busy"), o.toString());
        }
        assertTrue(r.get("after").getAsString().equals("length") || r.get("after").getAsString().equals("stop"),
                "the model serves the next request once free: " + r);
    }
}
