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

/** {@code /v1/models}, {@code /v1/chat/completions}, {@code /v1/embeddings}: OpenAI's shapes. */
final class OpenAiApi {
    private static final System.Logger LOG = System.getLogger(OpenAiApi.class.getName());
    static final int MAX_STOP_STRINGS = 16;
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

    private Map<String, Object> chatModelEntry(ChatModel m) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("id", m.name());
        o.put("object", "model");
        o.put("created", server.startedEpochSeconds);
        o.put("owned_by", "pocketrag");
        o.put("context_length", m.contextLength());
        return o;
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
        List<ChatMessage> messages = messages(req);
        boolean stream = Params.bool(req, "stream", false);
        boolean includeUsage = false;
        if (Params.present(req, "stream_options")) {
            if (!(req.get("stream_options") instanceof JsonObject so)) {
                throw ApiError.badRequest("'stream_options' must be an object", "stream_options");
            }
            includeUsage = Params.bool(so, "include_usage", false);
        }
        unsupported(req);
        int window = model.contextLength();
        int prompt = model.countPromptTokens(messages);
        long maxTokens;
        if (Params.present(req, "max_completion_tokens")) {
            maxTokens = Params.integer(req, "max_completion_tokens", 1, 1_000_000, 0);
        } else {
            maxTokens = Params.integer(req, "max_tokens", 1, 1_000_000, Math.max(0, window - prompt));
        }
        if (maxTokens == 0 || prompt + maxTokens > window) {
            throw ApiError.badRequest(String.format(Locale.ROOT,
                    "This model's maximum context length is %d tokens. However, you requested %d tokens "
                            + "(%d in the messages, %d in the completion).", window, prompt + Math.max(1, maxTokens),
                    prompt, Math.max(1, maxTokens)), "messages", "context_length_exceeded");
        }
        GenerationParams params = params(req, (int) maxTokens);

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
                resp.send(completionBody(id, created, model, completion));
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
                Map<String, Object> role = new LinkedHashMap<>();
                role.put("role", "assistant");
                role.put("content", "");
                sse.send(Http.GSON.toJson(chunk(id, created, model.name(), role, null)));
                completion = generate(model, messages, params, piece -> {
                    Map<String, Object> delta = new LinkedHashMap<>();
                    delta.put("content", piece);
                    return sse.send(Http.GSON.toJson(chunk(id, created, model.name(), delta, null)));
                });
            } finally {
                slot.close(); // the model is free before the last bytes go out
            }
            Map<String, Object> last = chunk(id, created, model.name(), Map.of(), completion.finishReason().wireName());
            last.put("timings", timings(completion));
            sse.send(Http.GSON.toJson(last));
            if (includeUsage) {
                Map<String, Object> u = chunkHead(id, created, model.name());
                u.put("choices", List.of());
                u.put("usage", usage(completion.usage()));
                sse.send(Http.GSON.toJson(u));
            }
            sse.send("[DONE]");
        } catch (ApiError e) {
            sse.send(Http.GSON.toJson(Http.errorBody(e)));
            sse.send("[DONE]");
        } catch (RuntimeException e) {
            sse.send(Http.GSON.toJson(Http.errorBody(ApiError.internal("generation failed: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + Http.oneLine(e.getMessage()))))));
            sse.send("[DONE]");
            throw e;
        } finally {
            sse.finish();
        }
    }

    private static Map<String, Object> completionBody(String id, long created, ChatModel model, ChatCompletion completion) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("id", id);
        o.put("object", "chat.completion");
        o.put("created", created);
        o.put("model", model.name());
        Map<String, Object> msg = new LinkedHashMap<>();
        msg.put("role", "assistant");
        msg.put("content", completion.text());
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("message", msg);
        choice.put("finish_reason", completion.finishReason().wireName());
        o.put("choices", List.of(choice));
        o.put("usage", usage(completion.usage()));
        o.put("timings", timings(completion));
        return o;
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

    private static Map<String, Object> chunkHead(String id, long created, String model) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("id", id);
        o.put("object", "chat.completion.chunk");
        o.put("created", created);
        o.put("model", model);
        return o;
    }

    private static Map<String, Object> chunk(String id, long created, String model, Map<String, Object> delta,
            String finishReason) {
        Map<String, Object> o = chunkHead(id, created, model);
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("delta", delta);
        choice.put("finish_reason", finishReason);
        o.put("choices", List.of(choice));
        return o;
    }

    private static Map<String, Object> usage(ChatCompletion.Usage u) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("prompt_tokens", u.promptTokens());
        o.put("completion_tokens", u.completionTokens());
        o.put("total_tokens", u.totalTokens());
        o.put("prompt_tokens_details", Map.of("cached_tokens", u.cachedPromptTokens()));
        return o;
    }

    /** llama-server's timings object ({@code cache_n}: prompt tokens reused from the KV cache). */
    private static Map<String, Object> timings(ChatCompletion c) {
        ChatCompletion.Timings t = c.timings();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("cache_n", c.usage().cachedPromptTokens());
        o.put("prompt_n", t.promptTokens());
        o.put("prompt_ms", t.promptMillis());
        o.put("predicted_n", t.generatedTokens());
        o.put("predicted_ms", t.generationMillis());
        return o;
    }

    static List<ChatMessage> messages(JsonObject req) {
        JsonElement e = req.get("messages");
        if (e == null || e.isJsonNull()) {
            throw ApiError.badRequest("'messages' is required", "messages");
        }
        if (!(e instanceof JsonArray a) || a.isEmpty()) {
            throw ApiError.badRequest("'messages' must be a non-empty array of {\"role\", \"content\"}", "messages");
        }
        List<ChatMessage> out = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            String where = "messages[" + i + "]";
            if (!(a.get(i) instanceof JsonObject m)) {
                throw ApiError.badRequest("'" + where + "' must be an object {\"role\", \"content\"}", "messages");
            }
            String role = Params.string(m, "role", null);
            if (role == null) {
                throw ApiError.badRequest("'" + where + ".role' is required", "messages");
            }
            ChatMessage.Role r = switch (role) {
                case "system", "developer" -> ChatMessage.Role.SYSTEM;
                case "user" -> ChatMessage.Role.USER;
                case "assistant" -> ChatMessage.Role.ASSISTANT;
                default -> throw ApiError.badRequest("'" + where + ".role' must be system, developer, user or assistant; got '"
                        + role + "'", "messages");
            };
            out.add(new ChatMessage(r, content(m.get("content"), where, r)));
        }
        return out;
    }

    private static String content(JsonElement c, String where, ChatMessage.Role role) {
        if (c == null || c.isJsonNull()) {
            if (role == ChatMessage.Role.ASSISTANT) {
                return "";
            }
            throw ApiError.badRequest("'" + where + ".content' is required", "messages");
        }
        if (c instanceof JsonPrimitive p && p.isString()) {
            return p.getAsString();
        }
        if (c instanceof JsonArray parts) {
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < parts.size(); j++) {
                if (!(parts.get(j) instanceof JsonObject part)
                        || !"text".equals(Params.string(part, "type", null))
                        || !(part.get("text") instanceof JsonPrimitive t && t.isString())) {
                    throw ApiError.badRequest("'" + where + ".content[" + j + "]' must be {\"type\": \"text\", \"text\": \"...\"}"
                            + " (only text is supported)", "messages");
                }
                sb.append(t.getAsString());
            }
            return sb.toString();
        }
        throw ApiError.badRequest("'" + where + ".content' must be a string or an array of text parts; got "
                + Params.show(c), "messages");
    }

    /** Parameters we cannot honour are refused rather than silently ignored. */
    private static void unsupported(JsonObject req) {
        if (Params.integer(req, "n", 1, 1, 1) != 1) {
            throw ApiError.badRequest("'n' must be 1", "n");
        }
        if (Params.number(req, "frequency_penalty", 0, 0, 0) != 0) {
            throw ApiError.badRequest("'frequency_penalty' is not supported (use presence_penalty or repeat_penalty)",
                    "frequency_penalty");
        }
        if (Params.bool(req, "logprobs", false)) {
            throw ApiError.badRequest("'logprobs' is not supported", "logprobs");
        }
        if (req.get("tools") instanceof JsonArray tools && !tools.isEmpty()) {
            throw ApiError.badRequest("'tools' are not supported", "tools");
        }
        if (req.get("response_format") instanceof JsonObject rf
                && !"text".equals(Params.string(rf, "type", "text"))) {
            throw ApiError.badRequest("'response_format' other than text is not supported", "response_format");
        }
    }

    static GenerationParams params(JsonObject req, int maxTokens) {
        GenerationParams p = GenerationParams.defaults().withMaxTokens(maxTokens);
        p = p.withTemperature((float) Params.number(req, "temperature", 0, 2, p.temperature()));
        double topP = Params.number(req, "top_p", 0, 1, p.topP());
        if (topP == 0) {
            throw ApiError.badRequest("'top_p' must be in (0, 1]; got 0", "top_p");
        }
        p = p.withTopP((float) topP);
        p = p.withTopK((int) Params.integer(req, "top_k", 0, 1_000_000, p.topK()));
        p = p.withMinP((float) Params.number(req, "min_p", 0, 1, p.minP()));
        p = p.withPresencePenalty((float) Params.number(req, "presence_penalty", -2, 2, p.presencePenalty()));
        p = p.withRepeatPenalty((float) Params.number(req, "repeat_penalty", 0.01, 10, p.repeatPenalty()),
                (int) Params.integer(req, "repeat_last_n", 0, 65536, p.repeatLastN()));
        if (Params.present(req, "seed")) {
            // -1 (llama.cpp's default seed, GenerationParams.DEFAULT_SEED): the model's own generator
            p = p.withSeed(Params.integer(req, "seed", Long.MIN_VALUE, Long.MAX_VALUE, GenerationParams.DEFAULT_SEED));
        }
        List<String> stop = Params.stringOrList(req, "stop", MAX_STOP_STRINGS);
        for (int i = 0; i < stop.size(); i++) {
            if (stop.get(i).isEmpty()) {
                throw ApiError.badRequest("'stop' strings must not be empty (item " + i + ")", "stop");
            }
        }
        return p.withStop(stop);
    }

    // ---- tokenize

    void tokenize(HttpExchange ex) throws IOException {
        JsonObject req = Http.readJsonObject(ex, server.maxBodyBytes);
        ChatModel model = server.notebook.chatModel().orElseThrow(ApiError::noModel);
        int count;
        if (Params.present(req, "messages")) {
            count = model.countPromptTokens(messages(req));
        } else {
            count = model.countTokens(Params.requiredString(req, "prompt"));
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("count", count);
        o.put("max_model_len", model.contextLength());
        Http.sendJson(ex, 200, o);
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
