package dev.pocketrag.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.sun.net.httpserver.HttpExchange;
import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.remote.OpenAiWire;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code /v1/models}, {@code /v1/chat/completions}, {@code /tokenize}, {@code /v1/embeddings}: OpenAI's
 * shapes. The chat API's JSON (requests, chunks, usage, the model entry, token counts) is
 * {@link OpenAiWire}'s, the codec the client ({@code OpenAiCompatibleChatModel}) uses too.
 */
final class OpenAiApi {
    private static final System.Logger LOG = System.getLogger(OpenAiApi.class.getName());
    static final int MAX_EMBEDDING_INPUTS = 2048;

    private final PocketragServer server;

    OpenAiApi(PocketragServer server) {
        this.server = server;
    }

    // ---- models

    void models(HttpExchange ex) throws IOException {
        List<Object> data = new ArrayList<>();
        server.notebook.chatModel().ifPresent(m -> data.add(chatModelEntry(m)));
        data.add(embedderEntry(server.notebook.embedder()));
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "list");
        o.put("data", data);
        Http.sendJson(ex, 200, o);
    }

    void model(HttpExchange ex, String id) throws IOException {
        ChatModel m = server.notebook.chatModel().orElse(null);
        if (m != null && m.name().equals(id)) {
            Http.sendJson(ex, 200, chatModelEntry(m));
        } else if (server.notebook.embedder().modelId().equals(id)) {
            Http.sendJson(ex, 200, embedderEntry(server.notebook.embedder()));
        } else {
            throw ApiError.notFound("no model '" + id + "' on this server");
        }
    }

    private JsonObject chatModelEntry(ChatModel m) {
        return OpenAiWire.modelEntry(m.name(), server.startedEpochSeconds, m.contextLength());
    }

    private Map<String, Object> embedderEntry(Embedder e) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("id", e.modelId());
        o.put("object", "model");
        o.put("created", server.startedEpochSeconds);
        o.put("owned_by", "pocketrag");
        o.put("dimensions", e.dimension());
        o.put("max_input_tokens", e.maxTokens());
        return o;
    }

    // ---- chat completions

    void chatCompletions(HttpExchange ex) throws IOException {
        JsonObject req = Http.readJsonObject(ex, server.maxBodyBytes);
        ChatModel model = server.notebook.chatModel().orElseThrow(ApiError::noModel);
        OpenAiWire.ChatRequest request = decode(() -> OpenAiWire.decodeRequest(req));
        List<ChatMessage> messages = request.messages();
        boolean stream = request.stream();
        boolean includeUsage = request.includeUsage();
        int window = model.contextLength();
        int prompt = model.countPromptTokens(messages);
        long maxTokens = request.maxTokens() > 0 ? request.maxTokens() : Math.max(0, window - prompt);
        if (maxTokens == 0 || prompt + maxTokens > window) {
            throw ApiError.badRequest(String.format(Locale.ROOT,
                    "This model's maximum context length is %d tokens. However, you requested %d tokens "
                            + "(%d in the messages, %d in the completion).", window, prompt + Math.max(1, maxTokens),
                    prompt, Math.max(1, maxTokens)), "messages", "context_length_exceeded");
        }
        GenerationParams params = request.params((int) maxTokens);

        String id = "chatcmpl-" + HexFormat.of().formatHex(randomBytes(12));
        long created = System.currentTimeMillis() / 1000;
        ChatCompletion completion;
        if (!stream) {
            // a client that leaves is noticed (see LongResponse) and its generation stops
            try (ModelGate.Slot slot = server.gate.admit();
                 LongResponse resp = new LongResponse(ex, 200, server.longAfter, server.longInterval)) {
                try {
                    slot.await(resp::clientGone);
                    completion = generate(model, messages, params, piece -> !server.closing() && !resp.clientGone());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    resp.fail(ApiError.internal("interrupted while waiting for the model"));
                    return;
                } catch (ApiError e) {
                    resp.fail(e);
                    return;
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "generation failed", e);
                    resp.fail(ApiError.internal("generation failed: " + e.getClass().getSimpleName()
                            + (e.getMessage() == null ? "" : ": " + Http.oneLine(e.getMessage()))));
                    return;
                } finally {
                    slot.close();
                }
                resp.send(OpenAiWire.completion(id, created, model.name(), completion));
            }
            return;
        }

        SseStream sse;
        ModelGate.Slot slot;
        try {
            slot = server.gate.enter();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.internal("interrupted while waiting for the model");
        }
        try {
            sse = new SseStream(ex, server.stallTimeout, server.maxPendingBytes, server.keepAlive, server::closing);
        } catch (IOException | RuntimeException e) {
            slot.close();
            throw e;
        }
        try {
            try {
                sse.send(Json.of(OpenAiWire.roleChunk(id, created, model.name())));
                completion = generate(model, messages, params,
                        piece -> sse.send(Json.of(OpenAiWire.contentChunk(id, created, model.name(), piece))));
            } finally {
                slot.close(); // the model is free before the last bytes go out
            }
            sse.send(Json.of(OpenAiWire.finalChunk(id, created, model.name(), completion)));
            if (includeUsage) {
                sse.send(Json.of(OpenAiWire.usageChunk(id, created, model.name(), completion.usage())));
            }
            sse.send("[DONE]");
        } catch (ApiError e) {
            sse.send(Json.of(Http.errorBody(e)));
            sse.send("[DONE]");
        } catch (RuntimeException e) {
            sse.send(Json.of(Http.errorBody(ApiError.internal("generation failed: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + Http.oneLine(e.getMessage()))))));
            sse.send("[DONE]");
            throw e;
        } finally {
            sse.finish();
        }
    }

    /** Runs the model; an argument error (e.g. the prompt does not fit after all) becomes a 400. */
    private static ChatCompletion generate(ChatModel model, List<ChatMessage> messages, GenerationParams params,
            dev.pocketrag.chat.TokenListener listener) {
        try {
            return model.chat(messages, params, listener);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(Http.oneLine(e.getMessage()), "messages");
        }
    }

    /** Decodes with the wire codec; a field it refuses becomes a 400 naming it. */
    static <T> T decode(java.util.function.Supplier<T> decoding) {
        try {
            return decoding.get();
        } catch (OpenAiWire.BadRequest e) {
            throw ApiError.badRequest(e.getMessage(), e.param(), e.code());
        }
    }

    // ---- tokenize

    void tokenize(HttpExchange ex) throws IOException {
        JsonObject req = Http.readJsonObject(ex, server.maxBodyBytes);
        ChatModel model = server.notebook.chatModel().orElseThrow(ApiError::noModel);
        int count;
        if (Params.present(req, "messages")) {
            count = model.countPromptTokens(decode(() -> OpenAiWire.decodeMessages(req)));
        } else {
            count = model.countTokens(Params.requiredString(req, "prompt"));
        }
        Http.sendJson(ex, 200, OpenAiWire.countAnswer(count, model.contextLength()));
    }

    // ---- embeddings

    void embeddings(HttpExchange ex) throws IOException {
        JsonObject req = Http.readJsonObject(ex, server.maxBodyBytes);
        Embedder embedder = server.notebook.embedder();
        JsonElement input = req.get("input");
        List<String> texts;
        if (input == null || input.isJsonNull()) {
            throw ApiError.badRequest("'input' is required", "input");
        } else if (input instanceof JsonPrimitive p && p.isString()) {
            texts = List.of(p.getAsString());
        } else if (input instanceof JsonArray a) {
            if (a.isEmpty()) {
                throw ApiError.badRequest("'input' must not be an empty array", "input");
            }
            if (a.size() > MAX_EMBEDDING_INPUTS) {
                throw ApiError.badRequest("'input' may have at most " + MAX_EMBEDDING_INPUTS + " items; got " + a.size(), "input");
            }
            texts = new ArrayList<>(a.size());
            for (int i = 0; i < a.size(); i++) {
                if (!(a.get(i) instanceof JsonPrimitive p && p.isString())) {
                    throw ApiError.badRequest("'input[" + i + "]' must be a string (token arrays are not supported); got "
                            + Params.show(a.get(i)), "input");
                }
                texts.add(p.getAsString());
            }
        } else {
            throw ApiError.badRequest("'input' must be a string or an array of strings; got " + Params.show(input), "input");
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i).isEmpty()) {
                throw ApiError.badRequest("'input' must not contain empty strings (item " + i + ")", "input");
            }
        }
        String format = Params.string(req, "encoding_format", "float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiError.badRequest("'encoding_format' must be float or base64; got '" + format + "'", "encoding_format");
        }
        if (Params.present(req, "dimensions")) {
            long d = Params.integer(req, "dimensions", 1, 1_000_000, 0);
            if (d != embedder.dimension()) {
                throw ApiError.badRequest("'dimensions' must be " + embedder.dimension() + " (the model's); got " + d,
                        "dimensions");
            }
        }
        List<float[]> vectors;
        long tokens = 0;
        // a few requests embed at a time (the embedder reads at most its first 16,384 characters of a text)
        try (ModelGate.Slot work = server.embedding.enter()) {
            vectors = embedder.embedAll(texts);
            for (String t : texts) {
                tokens += Math.min(embedder.countTokens(t), embedder.maxTokens());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.internal("interrupted while waiting for the embedder");
        }
        List<Object> data = new ArrayList<>(vectors.size());
        for (int i = 0; i < vectors.size(); i++) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("object", "embedding");
            o.put("index", i);
            o.put("embedding", format.equals("float") ? vectors.get(i) : base64(vectors.get(i)));
            data.add(o);
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "list");
        o.put("data", data);
        o.put("model", embedder.modelId());
        Map<String, Object> usage = new LinkedHashMap<>();
        usage.put("prompt_tokens", tokens);
        usage.put("total_tokens", tokens);
        o.put("usage", usage);
        Http.sendJson(ex, 200, o);
    }

    /** OpenAI's base64 encoding: the float32 values, little-endian. */
    static String base64(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return Base64.getEncoder().encodeToString(b.array());
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }
}
