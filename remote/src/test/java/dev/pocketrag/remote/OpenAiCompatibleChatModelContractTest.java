package dev.pocketrag.remote;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.testing.ChatModelContract;
import dev.pocketrag.chat.testing.ScriptedChatModel;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The remote client obeys the ChatModel contract, over real HTTP: a small OpenAI-compatible server on
 * loopback (the JDK's HttpServer) decodes each request with {@link OpenAiWire}, runs a
 * {@link ScriptedChatModel} with the decoded messages and parameters, and streams its answer as
 * server-sent events encoded with {@link OpenAiWire}; it counts tokens ({@code /tokenize}) with the
 * scripted model. A client that goes away has its generation cancelled, as in {@code pocketrag serve}.
 */
class OpenAiCompatibleChatModelContractTest extends ChatModelContract {
    static HttpServer server;
    static ScriptedChatModel scripted;

    @BeforeAll
    static void start() throws IOException {
        scripted = new ScriptedChatModel("scripted-remote", 2048,
                "Once upon a time there was a cat called Tom. He liked milk and naps in the sun.");
        scripted.pieceChars = 2;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/models", ex -> {
            JsonObject list = new JsonObject();
            JsonArray data = new JsonArray();
            data.add(OpenAiWire.modelEntry(scripted.name(), 0, scripted.contextLength()));
            list.add("data", data);
            send(ex, 200, "application/json", list.toString());
        });
        server.createContext("/tokenize", ex -> {
            JsonObject req = OpenAiWire.parseObject(body(ex));
            int count = req.has("messages") ? scripted.countPromptTokens(OpenAiWire.decodeMessages(req))
                    : scripted.countTokens(req.get("prompt").getAsString());
            send(ex, 200, "application/json", OpenAiWire.countAnswer(count, scripted.contextLength()).toString());
        });
        server.createContext("/v1/chat/completions", OpenAiCompatibleChatModelContractTest::chat);
        server.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    static String body(HttpExchange ex) throws IOException {
        return new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    }

    static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    static void chat(HttpExchange ex) throws IOException {
        OpenAiWire.ChatRequest req;
        try {
            req = OpenAiWire.decodeRequest(OpenAiWire.parseObject(body(ex)));
        } catch (OpenAiWire.BadRequest e) {
            send(ex, 400, "application/json",
                    OpenAiWire.error(e.getMessage(), "invalid_request_error", e.param(), e.code()).toString());
            return;
        }
        assertTrue(req.stream(), "the client streams");
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            String id = "chatcmpl-test";
            event(out, OpenAiWire.roleChunk(id, 0, scripted.name()).toString());
            ChatCompletion c = scripted.chat(req.messages(), req.params(req.maxTokens()), piece -> {
                try {
                    event(out, OpenAiWire.contentChunk(id, 0, scripted.name(), piece).toString());
                    return true;
                } catch (IOException gone) {
                    return false; // the client closed the connection: cancel
                }
            });
            event(out, OpenAiWire.finalChunk(id, 0, scripted.name(), c).toString());
            if (req.includeUsage()) {
                event(out, OpenAiWire.usageChunk(id, 0, scripted.name(), c.usage()).toString());
            }
            event(out, "[DONE]");
        } catch (IOException gone) {
            // the client left
        }
    }

    static void event(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    protected ChatModel open() {
        OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(
                URI.create("http://127.0.0.1:" + server.getAddress().getPort())).connect();
        assertTrue(m.exactTokenCounts(), "the test server counts tokens");
        return m;
    }
}
