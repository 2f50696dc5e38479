package dev.pocketrag.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.GenerationParams;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client side of the OpenAI chat protocol, against a tiny scripted HTTP server on loopback
 * that answers the way llama-server, vLLM, Ollama or a broken server would. (The test against a
 * real pocketrag server is in examples/server: RemoteChatModelTest.)
 */
class OpenAiCompatibleChatModelTest {
    interface Script {
        void answer(HttpExchange ex) throws Exception;
    }

    HttpServer server;
    URI base;
    volatile Script models;
    volatile Script chat;
    volatile Script tokenize;
    final List<JsonObject> tokenizeRequests = new ArrayList<>();
    final List<JsonObject> requests = new ArrayList<>();
    final List<String> authorizations = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        models = ex -> send(ex, 200, "application/json", "{\"object\": \"list\", \"data\": [{\"id\": \"m1\", \"object\": \"model\"}]}");
        server.createContext("/v1/models", ex -> run(models, ex));
        tokenize = ex -> send(ex, 404, "text/plain", "no such thing");
        server.createContext("/tokenize", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            synchronized (tokenizeRequests) {
                tokenizeRequests.add(JsonParser.parseString(body).getAsJsonObject());
            }
            run(tokenize, ex);
        });
        server.createContext("/v1/chat/completions", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            synchronized (requests) {
                requests.add(JsonParser.parseString(body).getAsJsonObject());
                authorizations.add(ex.getRequestHeaders().getFirst("Authorization"));
            }
            run(chat, ex);
        });
        server.start();
        base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static void run(Script s, HttpExchange ex) {
        try {
            s.answer(ex);
        } catch (Exception e) {
            // the client went away: some tests want exactly that
        } finally {
            ex.close();
        }
    }

    static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    /** Streams {@code parts} as they are (each flushed), as text/event-stream. */
    static Script sse(String... parts) {
        return ex -> {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            for (String p : parts) {
                out.write(p.getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
            out.close();
        };
    }

    static String chunk(String content, String finish) {
        return "data: {\"id\": \"c1\", \"object\": \"chat.completion.chunk\", \"choices\": [{\"index\": 0, \"delta\": "
                + (content == null ? "{}" : "{\"content\": \"" + content + "\"}") + ", \"finish_reason\": "
                + (finish == null ? "null" : "\"" + finish + "\"") + "}]}\n\n";
    }

    OpenAiCompatibleChatModel connect() {
        return OpenAiCompatibleChatModel.builder(base).connect();
    }

    static final List<ChatMessage> MESSAGES = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hello there"));

    @Test
    void a_base_url_without_a_path_gets_v1() {
        assertEquals("http://h:1/v1", OpenAiCompatibleChatModel.normalise(URI.create("http://h:1")).toString());
        assertEquals("http://h:1/v1", OpenAiCompatibleChatModel.normalise(URI.create("http://h:1/")).toString());
        assertEquals("http://h:1/v1", OpenAiCompatibleChatModel.normalise(URI.create("http://h:1/v1/")).toString());
        assertEquals("http://h:11434/v1", OpenAiCompatibleChatModel.normalise(URI.create("http://h:11434/v1")).toString());
        assertEquals("https://h/api/openai/v1", OpenAiCompatibleChatModel.normalise(URI.create("https://h/api/openai/v1")).toString());
        for (String bad : List.of("localhost:8080", "ftp://h/v1", "http://h/v1?x=1", "/v1")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> OpenAiCompatibleChatModel.builder(URI.create(bad)));
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
    }

    @Test
    void reads_events_with_crlf_comments_multi_line_data_and_llama_server_timings() {
        chat = sse(": keep-alive\r\n\r\n",
                chunk("", null).replace("\n", "\r\n"),
                "event: whatever\ndata: {\"choices\": [{\"index\": 0,\ndata:  \"delta\": {\"content\": \"Hel\"}, \"finish_reason\": null}]}\n\n",
                chunk("lo", null),
                "data:{\"choices\": [{\"index\": 0, \"delta\": {\"content\": \" wörld 😀\"}, \"finish_reason\": null}]}\n\n",
                "data: {\"choices\": [{\"index\": 0, \"delta\": {}, \"finish_reason\": \"length\"}], "
                        + "\"timings\": {\"cache_n\": 4, \"prompt_n\": 11, \"prompt_ms\": 12.5, \"predicted_n\": 3, \"predicted_ms\": 30.0}}\n\n",
                "data: {\"choices\": [], \"usage\": {\"prompt_tokens\": 11, \"completion_tokens\": 3, \"total_tokens\": 14}}\n\n",
                "data: [DONE]\n\n");
        try (OpenAiCompatibleChatModel m = connect()) {
            List<String> pieces = new ArrayList<>();
            ChatCompletion c = m.chat(MESSAGES, GenerationParams.greedy().withMaxTokens(10), pieces::add);
            assertEquals(List.of("Hel", "lo", " wörld 😀"), pieces);
            assertEquals("Hello wörld 😀", c.text());
            assertEquals(ChatCompletion.FinishReason.LENGTH, c.finishReason());
            assertEquals(new ChatCompletion.Usage(11, 3, 4), c.usage(), "llama-server's cache_n: prompt tokens it reused");
            assertEquals(new ChatCompletion.Timings(12.5, 30.0, 11, 3), c.timings());
        }
    }

    @Test
    void without_usage_the_counts_are_the_estimate_and_the_chunks() {
        chat = sse(chunk("a", null), chunk("b", null), chunk("c", "stop"), "data: [DONE]\n\n");
        try (OpenAiCompatibleChatModel m = connect()) {
            ChatCompletion c = m.chat(MESSAGES, GenerationParams.greedy().withMaxTokens(10));
            assertEquals("abc", c.text());
            assertEquals(ChatCompletion.FinishReason.STOP, c.finishReason());
            assertEquals(new ChatCompletion.Usage(m.countPromptTokens(MESSAGES), 3), c.usage());
        }
    }

    @Test
    void a_plain_json_answer_is_read_when_the_server_does_not_stream() {
        chat = ex -> send(ex, 200, "application/json; charset=utf-8", """
                {"id": "x", "object": "chat.completion", "choices": [{"index": 0,
                  "message": {"role": "assistant", "content": "Whole answer."}, "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11,
                           "prompt_tokens_details": {"cached_tokens": 5}}}""");
        try (OpenAiCompatibleChatModel m = connect()) {
            List<String> pieces = new ArrayList<>();
            ChatCompletion c = m.chat(MESSAGES, GenerationParams.greedy().withMaxTokens(10), pieces::add);
            assertEquals("Whole answer.", c.text());
            assertEquals(List.of("Whole answer."), pieces);
            assertEquals(new ChatCompletion.Usage(9, 2, 5), c.usage(), "OpenAI's prompt_tokens_details.cached_tokens");
        }
    }

    @Test
    void the_request_carries_the_messages_and_sampling_parameters() {
        chat = sse(chunk("ok", "stop"), "data: [DONE]\n\n");
        GenerationParams p = GenerationParams.defaults().withTemperature(0.4f).withTopP(0.7f).withTopK(9).withMinP(0.03f)
                .withRepeatPenalty(1.15f, 48).withPresencePenalty(0.25f).withSeed(-2L).withMaxTokens(77)
                .withStop(List.of("</s>", "\n\n"));
        try (OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(base).apiKey("sk-local-123").connect()) {
            m.chat(MESSAGES, p);
        }
        JsonObject r = requests.getLast();
        assertEquals("m1", r.get("model").getAsString(), "the first listed model");
        assertEquals("system", r.getAsJsonArray("messages").get(0).getAsJsonObject().get("role").getAsString());
        assertEquals("Hello there", r.getAsJsonArray("messages").get(1).getAsJsonObject().get("content").getAsString());
        assertTrue(r.get("stream").getAsBoolean());
        assertTrue(r.getAsJsonObject("stream_options").get("include_usage").getAsBoolean());
        assertEquals(77, r.get("max_tokens").getAsInt());
        assertEquals(0.4f, r.get("temperature").getAsFloat());
        assertEquals(0.7f, r.get("top_p").getAsFloat());
        assertEquals(0xFFFF_FFFEL, r.get("seed").getAsLong(), "seed -2 sent as its low 32 bits");
        assertEquals("</s>", r.getAsJsonArray("stop").get(0).getAsString());
        assertEquals("\n\n", r.getAsJsonArray("stop").get(1).getAsString());
        assertEquals(0.25f, r.get("presence_penalty").getAsFloat());
        assertEquals(9, r.get("top_k").getAsInt());
        assertEquals(0.03f, r.get("min_p").getAsFloat());
        assertEquals(1.15f, r.get("repeat_penalty").getAsFloat());
        assertEquals(48, r.get("repeat_last_n").getAsInt());
        assertEquals("Bearer sk-local-123", authorizations.getLast());

        try (OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(base).samplingExtensions(false).connect()) {
            m.chat(MESSAGES, GenerationParams.greedy().withMaxTokens(5));
        }
        r = requests.getLast();
        for (String ext : List.of("top_k", "min_p", "repeat_penalty", "repeat_last_n", "presence_penalty", "stop", "seed")) {
            assertFalse(r.has(ext), ext);
        }
        assertEquals(null, authorizations.getLast());
    }

    @Test
    void http_errors_carry_the_status_and_the_servers_own_message() {
        try (OpenAiCompatibleChatModel m = connect()) {
            chat = ex -> send(ex, 500, "application/json",
                    "{\"error\": {\"message\": \"CUDA out of memory\", \"type\": \"server_error\"}}");
            RemoteModelException e = assertThrows(RemoteModelException.class, () -> m.chat(MESSAGES, GenerationParams.greedy()));
            assertEquals(500, e.status());
            assertEquals(URI.create(base + "/v1/chat/completions"), e.uri());
            assertEquals("chat server " + base + "/v1/chat/completions answered 500: CUDA out of memory", e.getMessage());

            chat = ex -> send(ex, 404, "application/json", "{\"error\": \"model \\\"llama9\\\" not found, try pulling it first\"}");
            e = assertThrows(RemoteModelException.class, () -> m.chat(MESSAGES, GenerationParams.greedy()));
            assertEquals(404, e.status());
            assertTrue(e.getMessage().endsWith("answered 404: model \"llama9\" not found, try pulling it first"), e.getMessage());

            chat = ex -> send(ex, 502, "text/html", "<html>\n<body>Bad   Gateway</body></html>");
            e = assertThrows(RemoteModelException.class, () -> m.chat(MESSAGES, GenerationParams.greedy()));
            assertTrue(e.getMessage().endsWith("answered 502: <html> <body>Bad Gateway</body></html>"), e.getMessage());
        }
    }

    @Test
    void broken_streams_are_clear_errors() {
        try (OpenAiCompatibleChatModel m = connect()) {
            chat = sse(chunk("a", null), "data: {\"error\": {\"message\": \"slot died\"}}\n\n");
            RemoteModelException e = assertThrows(RemoteModelException.class, () -> m.chat(MESSAGES, GenerationParams.greedy()));
            assertTrue(e.getMessage().endsWith("reported an error: slot died"), e.getMessage());

            chat = sse(chunk("a", null));
            e = assertThrows(RemoteModelException.class, () -> m.chat(MESSAGES, GenerationParams.greedy()));
            assertTrue(e.getMessage().contains("closed the stream before the answer was finished"), e.getMessage());

            chat = sse("data: {\"choices\": [\n\n");
            e = assertThrows(RemoteModelException.class, () -> m.chat(MESSAGES, GenerationParams.greedy()));
            assertTrue(e.getMessage().contains("not a JSON object: {\"choices\": ["), e.getMessage());
        }
    }

    @Test
    void silence_longer_than_the_idle_timeout_ends_the_call() {
        CountDownLatch release = new CountDownLatch(1);
        chat = ex -> {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            out.write(chunk("a", null).getBytes(StandardCharsets.UTF_8));
            out.flush();
            release.await(30, TimeUnit.SECONDS); // then nothing more
        };
        try (OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(base).idleTimeout(Duration.ofMillis(300)).connect()) {
            RemoteModelException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> assertThrows(RemoteModelException.class, () -> m.chat(MESSAGES, GenerationParams.greedy())));
            assertTrue(e.getMessage().contains("sent nothing for"), e.getMessage());
        } finally {
            release.countDown();
        }
    }

    @Test
    void cancelling_stops_reading_and_the_server_sees_the_connection_close() throws Exception {
        AtomicBoolean clientGone = new AtomicBoolean();
        AtomicInteger sent = new AtomicInteger();
        chat = ex -> {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            try {
                for (int i = 0; i < 4000; i++) {
                    out.write(chunk("t" + i, null).getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    sent.incrementAndGet();
                    Thread.sleep(2);
                }
            } catch (IOException e) {
                clientGone.set(true);
            }
        };
        try (OpenAiCompatibleChatModel m = connect()) {
            int[] n = {0};
            ChatCompletion c = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> m.chat(MESSAGES, GenerationParams.greedy().withMaxTokens(4000), piece -> ++n[0] < 3));
            assertEquals(ChatCompletion.FinishReason.CANCELLED, c.finishReason());
            assertEquals("t0t1t2", c.text());
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!clientGone.get() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(clientGone.get(), "the server's writes failed: the connection was closed");
        assertTrue(sent.get() < 4000);
    }

    @Test
    void connect_reads_the_window_and_copes_with_servers_without_a_model_list() {
        models = ex -> send(ex, 200, "application/json",
                "{\"data\": [{\"id\": \"llama\", \"max_model_len\": 8192}, {\"id\": \"qwen\", \"context_length\": 32768}]}");
        try (OpenAiCompatibleChatModel m = connect()) {
            assertEquals("llama", m.name());
            assertEquals(8192, m.contextLength(), "vLLM's max_model_len");
        }
        try (OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(base).model("qwen").connect()) {
            assertEquals(32768, m.contextLength(), "pocketrag's context_length");
        }
        try (OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(base).model("unlisted").connect()) {
            assertEquals("unlisted", m.name());
            assertEquals(OpenAiCompatibleChatModel.DEFAULT_CONTEXT_LENGTH, m.contextLength());
        }
        models = ex -> send(ex, 200, "application/json", "{\"data\": []}");
        RemoteModelException none = assertThrows(RemoteModelException.class, this::connect);
        assertTrue(none.getMessage().contains("lists no models"), none.getMessage());
        models = ex -> send(ex, 404, "text/plain", "not here");
        try (OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(base).model("named").contextLength(2048).connect()) {
            assertEquals(2048, m.contextLength());
        }
        RemoteModelException unnamed = assertThrows(RemoteModelException.class, this::connect);
        assertEquals(404, unnamed.status());
        models = ex -> send(ex, 200, "application/json", "[1, 2]");
        RemoteModelException odd = assertThrows(RemoteModelException.class, this::connect);
        assertTrue(odd.getMessage().contains("sent no model list"), odd.getMessage());
    }

    @Test
    void token_estimates_are_generous() {
        try (OpenAiCompatibleChatModel m = connect()) {
            assertFalse(m.exactTokenCounts());
            assertEquals(0, m.countTokens(""));
            assertEquals(2, m.countTokens("hello"), "5 bytes / 3, rounded up");
            assertEquals(4, m.countTokens("a b c d"), "at least one per word");
            assertEquals(3, m.countTokens("日本語"), "9 UTF-8 bytes");
            assertEquals(2, m.countTokens("😀"), "4 UTF-8 bytes");
            String english = "The car insurance renews on the first of June, and the premium is four hundred and twelve euros.";
            assertTrue(m.countTokens(english) >= english.length() / 4, "at least a BPE tokenizer's ~4 characters a token");
            assertEquals(OpenAiCompatibleChatModel.PER_PROMPT_TOKENS + 2 * OpenAiCompatibleChatModel.PER_MESSAGE_TOKENS
                    + m.countTokens("Be brief.") + m.countTokens("Hello there"), m.countPromptTokens(MESSAGES));
        }
    }

    @Test
    void token_counts_come_from_a_vllm_style_tokenize_endpoint() {
        // counts two tokens a character, so that they differ from any estimate
        tokenize = ex -> {
            JsonObject r = tokenizeRequests.getLast();
            int n = r.has("messages") ? 1000 + r.getAsJsonArray("messages").size()
                    : 2 * r.get("prompt").getAsString().length();
            send(ex, 200, "application/json", "{\"count\": " + n + ", \"max_model_len\": 4096}");
        };
        try (OpenAiCompatibleChatModel m = connect()) {
            assertTrue(m.exactTokenCounts());
            assertEquals(22, m.countTokens("hello world"));
            JsonObject r = tokenizeRequests.getLast();
            assertEquals("m1", r.get("model").getAsString());
            assertFalse(r.get("add_special_tokens").getAsBoolean());
            assertEquals(1002, m.countPromptTokens(MESSAGES));
            assertTrue(tokenizeRequests.getLast().get("add_generation_prompt").getAsBoolean());
            int calls = tokenizeRequests.size();
            assertEquals(22, m.countTokens("hello world"));
            assertEquals(calls, tokenizeRequests.size(), "counts are cached");
            assertEquals(0, m.countTokens(""));
        }
    }

    @Test
    void token_counts_come_from_llama_servers_tokenize_endpoint() {
        tokenize = ex -> {
            JsonObject r = tokenizeRequests.getLast();
            if (!r.has("content")) {
                send(ex, 200, "application/json", "{\"tokens\": []}"); // what llama-server says to vLLM's request
                return;
            }
            StringBuilder ids = new StringBuilder();
            for (int i = 0; i < r.get("content").getAsString().length(); i++) {
                ids.append(i == 0 ? "" : ",").append(i);
            }
            send(ex, 200, "application/json", "{\"tokens\": [" + ids + "]}");
        };
        try (OpenAiCompatibleChatModel m = connect()) {
            assertTrue(m.exactTokenCounts());
            assertEquals(11, m.countTokens("hello world"), "one id a character");
            assertEquals(OpenAiCompatibleChatModel.PER_PROMPT_TOKENS + 2 * OpenAiCompatibleChatModel.PER_MESSAGE_TOKENS
                    + "Be brief.".length() + "Hello there".length(), m.countPromptTokens(MESSAGES));
        }
    }

    @Test
    void a_server_that_cannot_count_gets_estimates_and_a_failing_count_is_an_error() {
        try (OpenAiCompatibleChatModel m = connect()) {
            assertFalse(m.exactTokenCounts(), "404 on /tokenize: estimates");
            assertEquals(4, m.countTokens("hello world"));
        }
        tokenize = ex -> send(ex, 200, "application/json", "{\"count\": 3}");
        try (OpenAiCompatibleChatModel m = connect()) {
            tokenize = ex -> send(ex, 500, "application/json", "{\"error\": {\"message\": \"tokenizer crashed\"}}");
            RemoteModelException e = assertThrows(RemoteModelException.class, () -> m.countTokens("new text"));
            assertEquals(500, e.status());
            assertTrue(e.getMessage().endsWith("when counting tokens: tokenizer crashed"), e.getMessage());
        }
    }

    @Test
    void a_prompt_over_the_window_is_refused_before_anything_is_sent() {
        try (OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(base).contextLength(50).connect()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.chat(MESSAGES, GenerationParams.greedy().withMaxTokens(45)));
            assertTrue(e.getMessage().contains("maxTokens=45") && e.getMessage().contains("50-token"), e.getMessage());
            assertTrue(requests.isEmpty());
        }
    }

    @Test
    void close_is_idempotent_and_refuses_later_calls() {
        OpenAiCompatibleChatModel m = connect();
        m.close();
        m.close();
        assertThrows(IllegalStateException.class, () -> m.chat(MESSAGES, GenerationParams.greedy()));
    }

    @Test
    void an_unreachable_server_is_a_one_line_error() throws IOException {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        URI url = URI.create("http://127.0.0.1:" + port);
        RemoteModelException e = assertThrows(RemoteModelException.class,
                () -> OpenAiCompatibleChatModel.builder(url).connect());
        assertTrue(e.getMessage().startsWith("cannot connect to chat server " + url + "/v1/models"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
