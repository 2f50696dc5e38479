package dev.pocketrag.remote;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.GenerationParams;
import java.io.Serial;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * The OpenAI chat API on the wire, both ways, written once: the client
 * ({@link OpenAiCompatibleChatModel}) encodes requests and decodes answers with it, the server
 * ({@code pocketrag serve}) decodes requests and encodes answers with it, so the two cannot drift
 * apart. JSON through gson; every method is a pure function of its arguments.
 *
 * <h2>Shapes</h2>
 * <ul>
 *   <li>Request ({@code POST /v1/chat/completions}): {@code {"model", "messages": [{"role",
 *       "content"}], "stream", "stream_options": {"include_usage"}, "max_tokens" (or
 *       "max_completion_tokens"), "temperature", "top_p", "seed"?, "stop"? (a string or a list),
 *       "presence_penalty"?}} and llama.cpp's {@code "top_k", "min_p", "repeat_penalty",
 *       "repeat_last_n"} ({@link #encodeRequest}, {@link #decodeRequest}). A role is {@code system}
 *       ({@code developer} is read as system), {@code user} or {@code assistant}; content is a
 *       string or a list of {@code {"type": "text", "text"}} parts.</li>
 *   <li>Answer: a {@code chat.completion} object, or server-sent events of
 *       {@code chat.completion.chunk} objects: {@code choices[0].delta.content} pieces, a last chunk
 *       with {@code finish_reason} ({@code stop}, {@code length}, {@code cancelled}) and llama-server's
 *       {@code timings} ({@code cache_n}, {@code prompt_n}, {@code prompt_ms}, {@code predicted_n},
 *       {@code predicted_ms}), then (with {@code include_usage}) one with {@code usage}
 *       ({@code prompt_tokens}, {@code completion_tokens}, {@code total_tokens},
 *       {@code prompt_tokens_details.cached_tokens}), then {@code data: [DONE]}
 *       ({@link #chunk}, {@link #finalChunk}, {@link #usageChunk}, {@link #completion};
 *       {@link #decodeChunk} reads every one of them, and a whole {@code chat.completion}).</li>
 *   <li>Errors: {@code {"error": {"message", "type", "param", "code"}}} ({@link #error});
 *       {@link #errorMessage} also reads Ollama's {@code {"error": "..."}} and vLLM's
 *       {@code {"detail"}}.</li>
 *   <li>Models: {@code {"object": "list", "data": [{"id", "object": "model", "created", "owned_by",
 *       "context_length"}]}}; the context window is also read from vLLM's {@code max_model_len} and
 *       {@code max_context_length} ({@link #modelEntry}, {@link #decodeModels}).</li>
 *   <li>Token counts (vLLM's {@code POST /tokenize}, which pocketrag serves too):
 *       {@code {"model", "prompt", "add_special_tokens": false}} or {@code {"model", "messages",
 *       "add_generation_prompt": true}} answer {@code {"count", "max_model_len"}}
 *       ({@link #tokenizeText}, {@link #tokenizeMessages}, {@link #countAnswer}).</li>
 * </ul>
 *
 * <p>Decoding a request that breaks these rules throws {@link BadRequest}, naming the field and
 * the value; decoding an answer that is not a JSON object throws {@link IllegalArgumentException}.
 */
public final class OpenAiWire {
    /** The most stop strings a request may carry. */
    public static final int MAX_STOP_STRINGS = 16;

    private OpenAiWire() {}

    /**
     * A request field breaks the API's rules: the message names the field and the value
     * ({@link #param()}), and {@link #code()} is OpenAI's error code ({@code invalid_value}).
     */
    public static final class BadRequest extends IllegalArgumentException {
        @Serial
        private static final long serialVersionUID = 1L;

        private final String param;
        private final String code;

        public BadRequest(String message, String param) {
            super(message);
            this.param = param;
            this.code = "invalid_value";
        }

        /** The request field at fault (OpenAI's {@code param}). */
        public String param() {
            return param;
        }

        /** OpenAI's error {@code code}. */
        public String code() {
            return code;
        }
    }

    // ---- requests

    /**
     * A decoded chat request.
     *
     * @param model the model asked for (null if not given)
     * @param messages the conversation, never empty
     * @param stream whether the answer is to be streamed as server-sent events
     * @param includeUsage whether a stream ends with a usage chunk ({@code stream_options.include_usage})
     * @param maxTokens {@code max_completion_tokens}, else {@code max_tokens}, 1..1,000,000; 0 if not given
     *     (the server then fills the context window)
     * @param sampling the sampling parameters (their {@code maxTokens} is {@code maxTokens}, or 1 if not
     *     given: use {@link #params(int)})
     */
    public record ChatRequest(String model, List<ChatMessage> messages, boolean stream, boolean includeUsage,
            int maxTokens, GenerationParams sampling) {
        public ChatRequest {
            messages = List.copyOf(messages);
            if (messages.isEmpty()) {
                throw new IllegalArgumentException("messages is empty");
            }
            if (maxTokens < 0 || maxTokens > 1_000_000) {
                throw new IllegalArgumentException("maxTokens must be in 0..1000000 (0 = not given); maxTokens=" + maxTokens);
            }
        }

        /** The sampling parameters with {@code maxTokens} tokens at most. */
        public GenerationParams params(int maxTokens) {
            return sampling.withMaxTokens(maxTokens);
        }
    }

    /**
     * The request the client sends: streamed, with usage; the seed as its low 32 bits (llama.cpp's
     * seeds are unsigned 32-bit) and none for {@link GenerationParams#DEFAULT_SEED}; with
     * {@code extensions}, llama.cpp's {@code top_k}, {@code min_p} and (when not 1) {@code
     * repeat_penalty}, {@code repeat_last_n}, which OpenAI's own service rejects.
     */
    public static JsonObject encodeRequest(String model, List<ChatMessage> messages, GenerationParams p,
            boolean extensions) {
        JsonObject o = new JsonObject();
        o.addProperty("model", model);
        o.add("messages", encodeMessages(messages));
        o.addProperty("stream", true);
        JsonObject so = new JsonObject();
        so.addProperty("include_usage", true);
        o.add("stream_options", so);
        o.addProperty("max_tokens", p.maxTokens());
        o.addProperty("temperature", p.temperature());
        o.addProperty("top_p", p.topP());
        if (p.seed() != GenerationParams.DEFAULT_SEED) {
            o.addProperty("seed", p.seed() & 0xFFFF_FFFFL);
        }
        if (!p.stop().isEmpty()) {
            JsonArray stop = new JsonArray();
            p.stop().forEach(stop::add);
            o.add("stop", stop);
        }
        if (p.presencePenalty() != 0f) {
            o.addProperty("presence_penalty", p.presencePenalty());
        }
        if (extensions) {
            o.addProperty("top_k", p.topK());
            o.addProperty("min_p", p.minP());
            if (p.repeatPenalty() != 1f) {
                o.addProperty("repeat_penalty", p.repeatPenalty());
                o.addProperty("repeat_last_n", p.repeatLastN());
            }
        }
        return o;
    }

    /** {@code [{"role", "content"}, ...]}. */
    public static JsonArray encodeMessages(List<ChatMessage> messages) {
        JsonArray ms = new JsonArray();
        for (ChatMessage m : messages) {
            JsonObject jm = new JsonObject();
            jm.addProperty("role", m.role().wireName());
            jm.addProperty("content", m.content());
            ms.add(jm);
        }
        return ms;
    }

    /**
     * Decodes a chat request; parameters it cannot honour ({@code n} other than 1,
     * {@code frequency_penalty}, {@code logprobs}, {@code tools}, a non-text {@code response_format})
     * are refused rather than silently ignored.
     *
     * @throws BadRequest naming the first field at fault
     */
    public static ChatRequest decodeRequest(JsonObject req) {
        List<ChatMessage> messages = decodeMessages(req);
        boolean stream = bool(req, "stream", false);
        boolean includeUsage = false;
        if (present(req, "stream_options")) {
            if (!(req.get("stream_options") instanceof JsonObject so)) {
                throw new BadRequest("'stream_options' must be an object", "stream_options");
            }
            includeUsage = bool(so, "include_usage", false);
        }
        unsupported(req);
        long maxTokens;
        if (present(req, "max_completion_tokens")) {
            maxTokens = integer(req, "max_completion_tokens", 1, 1_000_000, 0);
        } else {
            maxTokens = integer(req, "max_tokens", 1, 1_000_000, 0);
        }
        GenerationParams sampling = decodeSampling(req, (int) Math.max(1, maxTokens));
        return new ChatRequest(string(req, "model", null), messages, stream, includeUsage, (int) maxTokens, sampling);
    }

    /**
     * The {@code messages} of a request.
     *
     * @throws BadRequest if absent, empty, or a message is malformed
     */
    public static List<ChatMessage> decodeMessages(JsonObject req) {
        JsonElement e = req.get("messages");
        if (e == null || e.isJsonNull()) {
            throw new BadRequest("'messages' is required", "messages");
        }
        if (!(e instanceof JsonArray a) || a.isEmpty()) {
            throw new BadRequest("'messages' must be a non-empty array of {\"role\", \"content\"}", "messages");
        }
        List<ChatMessage> out = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            String where = "messages[" + i + "]";
            if (!(a.get(i) instanceof JsonObject m)) {
                throw new BadRequest("'" + where + "' must be an object {\"role\", \"content\"}", "messages");
            }
            String role = string(m, "role", null);
            if (role == null) {
                throw new BadRequest("'" + where + ".role' is required", "messages");
            }
            ChatMessage.Role r = switch (role) {
                case "system", "developer" -> ChatMessage.Role.SYSTEM;
                case "user" -> ChatMessage.Role.USER;
                case "assistant" -> ChatMessage.Role.ASSISTANT;
                default -> throw new BadRequest("'" + where + ".role' must be system, developer, user or assistant; got '"
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
            throw new BadRequest("'" + where + ".content' is required", "messages");
        }
        if (c instanceof JsonPrimitive p && p.isString()) {
            return p.getAsString();
        }
        if (c instanceof JsonArray parts) {
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < parts.size(); j++) {
                if (!(parts.get(j) instanceof JsonObject part)
                        || !"text".equals(string(part, "type", null))
                        || !(part.get("text") instanceof JsonPrimitive t && t.isString())) {
                    throw new BadRequest("'" + where + ".content[" + j + "]' must be {\"type\": \"text\", \"text\": \"...\"}"
                            + " (only text is supported)", "messages");
                }
                sb.append(t.getAsString());
            }
            return sb.toString();
        }
        throw new BadRequest("'" + where + ".content' must be a string or an array of text parts; got "
                + show(c), "messages");
    }

    /** Parameters we cannot honour are refused rather than silently ignored. */
    private static void unsupported(JsonObject req) {
        if (integer(req, "n", 1, 1, 1) != 1) {
            throw new BadRequest("'n' must be 1", "n");
        }
        if (number(req, "frequency_penalty", 0, 0, 0) != 0) {
            throw new BadRequest("'frequency_penalty' is not supported (use presence_penalty or repeat_penalty)",
                    "frequency_penalty");
        }
        if (bool(req, "logprobs", false)) {
            throw new BadRequest("'logprobs' is not supported", "logprobs");
        }
        if (req.get("tools") instanceof JsonArray tools && !tools.isEmpty()) {
            throw new BadRequest("'tools' are not supported", "tools");
        }
        if (req.get("response_format") instanceof JsonObject rf
                && !"text".equals(string(rf, "type", "text"))) {
            throw new BadRequest("'response_format' other than text is not supported", "response_format");
        }
    }

    /** The sampling fields of a request (defaults: {@link GenerationParams#defaults()}), with {@code maxTokens}. */
    private static GenerationParams decodeSampling(JsonObject req, int maxTokens) {
        GenerationParams p = GenerationParams.defaults().withMaxTokens(maxTokens);
        p = p.withTemperature((float) number(req, "temperature", 0, 2, p.temperature()));
        double topP = number(req, "top_p", 0, 1, p.topP());
        if (topP == 0) {
            throw new BadRequest("'top_p' must be in (0, 1]; got 0", "top_p");
        }
        p = p.withTopP((float) topP);
        p = p.withTopK((int) integer(req, "top_k", 0, 1_000_000, p.topK()));
        p = p.withMinP((float) number(req, "min_p", 0, 1, p.minP()));
        p = p.withPresencePenalty((float) number(req, "presence_penalty", -2, 2, p.presencePenalty()));
        p = p.withRepeatPenalty((float) number(req, "repeat_penalty", 0.01, 10, p.repeatPenalty()),
                (int) integer(req, "repeat_last_n", 0, 65536, p.repeatLastN()));
        if (present(req, "seed")) {
            // -1 (llama.cpp's default seed, GenerationParams.DEFAULT_SEED): the model's own generator
            p = p.withSeed(integer(req, "seed", Long.MIN_VALUE, Long.MAX_VALUE, GenerationParams.DEFAULT_SEED));
        }
        List<String> stop = stringOrList(req, "stop", MAX_STOP_STRINGS);
        for (int i = 0; i < stop.size(); i++) {
            if (stop.get(i).isEmpty()) {
                throw new BadRequest("'stop' strings must not be empty (item " + i + ")", "stop");
            }
        }
        return p.withStop(stop);
    }

    // ---- answers (server side: encode)

    /** The first chunk of a stream: {@code {"role": "assistant", "content": ""}}. */
    public static JsonObject roleChunk(String id, long created, String model) {
        JsonObject delta = new JsonObject();
        delta.addProperty("role", "assistant");
        delta.addProperty("content", "");
        return chunk(id, created, model, delta, null);
    }

    /** A chunk with one piece of the answer. */
    public static JsonObject contentChunk(String id, long created, String model, String piece) {
        JsonObject delta = new JsonObject();
        delta.addProperty("content", piece);
        return chunk(id, created, model, delta, null);
    }

    /** The last chunk of the answer: an empty delta, the finish reason and llama-server's timings. */
    public static JsonObject finalChunk(String id, long created, String model, ChatCompletion c) {
        JsonObject o = chunk(id, created, model, new JsonObject(), c.finishReason().wireName());
        o.add("timings", timings(c));
        return o;
    }

    /** The chunk after the last one when usage was asked for: no choices, {@code usage}. */
    public static JsonObject usageChunk(String id, long created, String model, ChatCompletion.Usage u) {
        JsonObject o = chunkHead(id, created, model);
        o.add("choices", new JsonArray());
        o.add("usage", usage(u));
        return o;
    }

    /** A whole (not streamed) {@code chat.completion}. */
    public static JsonObject completion(String id, long created, String model, ChatCompletion c) {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("object", "chat.completion");
        o.addProperty("created", created);
        o.addProperty("model", model);
        JsonObject msg = new JsonObject();
        msg.addProperty("role", "assistant");
        msg.addProperty("content", c.text());
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        choice.add("message", msg);
        choice.addProperty("finish_reason", c.finishReason().wireName());
        JsonArray choices = new JsonArray();
        choices.add(choice);
        o.add("choices", choices);
        o.add("usage", usage(c.usage()));
        o.add("timings", timings(c));
        return o;
    }

    private static JsonObject chunkHead(String id, long created, String model) {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("object", "chat.completion.chunk");
        o.addProperty("created", created);
        o.addProperty("model", model);
        return o;
    }

    private static JsonObject chunk(String id, long created, String model, JsonObject delta, String finishReason) {
        JsonObject o = chunkHead(id, created, model);
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        choice.add("delta", delta);
        choice.add("finish_reason", finishReason == null ? JsonNull.INSTANCE : new JsonPrimitive(finishReason));
        JsonArray choices = new JsonArray();
        choices.add(choice);
        o.add("choices", choices);
        return o;
    }

    /** {@code {"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details": {"cached_tokens"}}}. */
    public static JsonObject usage(ChatCompletion.Usage u) {
        JsonObject o = new JsonObject();
        o.addProperty("prompt_tokens", u.promptTokens());
        o.addProperty("completion_tokens", u.completionTokens());
        o.addProperty("total_tokens", u.totalTokens());
        JsonObject details = new JsonObject();
        details.addProperty("cached_tokens", u.cachedPromptTokens());
        o.add("prompt_tokens_details", details);
        return o;
    }

    /** llama-server's timings object ({@code cache_n}: prompt tokens reused from the KV cache). */
    public static JsonObject timings(ChatCompletion c) {
        ChatCompletion.Timings t = c.timings();
        JsonObject o = new JsonObject();
        o.addProperty("cache_n", c.usage().cachedPromptTokens());
        o.addProperty("prompt_n", t.promptTokens());
        o.addProperty("prompt_ms", t.promptMillis());
        o.addProperty("predicted_n", t.generatedTokens());
        o.addProperty("predicted_ms", t.generationMillis());
        return o;
    }

    /** OpenAI's error shape: {@code {"error": {"message", "type", "param", "code"}}} (param and code may be null). */
    public static JsonObject error(String message, String type, String param, String code) {
        JsonObject err = new JsonObject();
        err.addProperty("message", message);
        err.addProperty("type", type);
        err.add("param", param == null ? JsonNull.INSTANCE : new JsonPrimitive(param));
        err.add("code", code == null ? JsonNull.INSTANCE : new JsonPrimitive(code));
        JsonObject o = new JsonObject();
        o.add("error", err);
        return o;
    }

    // ---- answers (client side: decode)

    /**
     * What one event of a stream (or a whole {@code chat.completion}) carries; absent parts are null
     * or -1.
     *
     * @param content the piece of text ({@code choices[0].delta.content}, or {@code message.content} of
     *     a whole completion); null or empty: none
     * @param finishReason {@code choices[0].finish_reason} as sent, or null
     * @param usage prompt and completion tokens of {@code usage}, or null (cached tokens are in
     *     {@code cachedTokens})
     * @param cachedTokens {@code usage.prompt_tokens_details.cached_tokens}, -1 if absent
     * @param timings llama-server's {@code timings} when all four are there, or null
     * @param cacheN llama-server's {@code timings.cache_n}, -1 if absent
     * @param error the server's error message if the event is an {@code {"error": ...}}, else null
     */
    public record Chunk(String content, String finishReason, ChatCompletion.Usage usage, int cachedTokens,
            ChatCompletion.Timings timings, int cacheN, String error) {}

    /**
     * Decodes one event's data (or a whole completion).
     *
     * @throws IllegalArgumentException if it is not a JSON object
     */
    public static Chunk decodeChunk(String data) {
        JsonObject o = parseObject(data);
        JsonElement err = o.get("error");
        if (err != null && !err.isJsonNull()) {
            return new Chunk(null, null, null, -1, null, -1, errorMessage(o.toString()));
        }
        String content = null;
        String finish = null;
        if (o.get("choices") instanceof JsonArray choices && !choices.isEmpty()
                && choices.get(0) instanceof JsonObject c) {
            JsonObject delta = c.get("delta") instanceof JsonObject d ? d
                    : c.get("message") instanceof JsonObject m ? m : null;
            content = delta == null ? null : primitive(delta, "content");
            finish = primitive(c, "finish_reason");
        }
        ChatCompletion.Usage usage = null;
        int cached = -1;
        if (o.get("usage") instanceof JsonObject u) {
            int pt = intField(u, "prompt_tokens", -1);
            int ct = intField(u, "completion_tokens", -1);
            if (pt >= 0 && ct >= 0) {
                usage = new ChatCompletion.Usage(pt, ct);
            }
            if (u.get("prompt_tokens_details") instanceof JsonObject d) {
                cached = intField(d, "cached_tokens", -1);
            }
        }
        ChatCompletion.Timings timings = null;
        int cacheN = -1;
        if (o.get("timings") instanceof JsonObject t) {
            double pms = doubleField(t, "prompt_ms");
            double gms = doubleField(t, "predicted_ms");
            int pn = intField(t, "prompt_n", -1);
            int gn = intField(t, "predicted_n", -1);
            if (pms >= 0 && gms >= 0 && pn >= 0 && gn >= 0) {
                timings = new ChatCompletion.Timings(pms, gms, pn, gn);
            }
            cacheN = intField(t, "cache_n", -1);
        }
        return new Chunk(content, finish, usage, cached, timings, cacheN, null);
    }

    /** A finish reason as sent: {@code length} and {@code cancelled} are themselves, anything else is STOP. */
    public static ChatCompletion.FinishReason decodeFinishReason(String wire) {
        if ("length".equals(wire)) {
            return ChatCompletion.FinishReason.LENGTH;
        }
        if ("cancelled".equals(wire)) {
            return ChatCompletion.FinishReason.CANCELLED;
        }
        return ChatCompletion.FinishReason.STOP;
    }

    /**
     * The server's error message: OpenAI's {@code error.message}, Ollama's {@code error}, vLLM's
     * {@code detail}, or the text (white space runs as one space); at most 300 characters.
     */
    public static String errorMessage(String body) {
        try {
            JsonElement root = JsonParser.parseString(body);
            if (root.isJsonObject()) {
                JsonObject o = root.getAsJsonObject();
                JsonElement e = o.get("error");
                if (e instanceof JsonObject eo && primitive(eo, "message") != null) {
                    return abbreviate(primitive(eo, "message"));
                }
                if (e != null && e.isJsonPrimitive()) {
                    return abbreviate(e.getAsString());
                }
                if (o.get("detail") != null && o.get("detail").isJsonPrimitive()) {
                    return abbreviate(o.get("detail").getAsString());
                }
            }
        } catch (JsonParseException | IllegalStateException e) {
            // not JSON: the text itself
        }
        String t = body.strip();
        return t.isEmpty() ? "(no message)" : abbreviate(t.replaceAll("\\s+", " "));
    }

    // ---- models

    /** One listed model and its context window (0 if the server does not say). */
    public record ModelInfo(String id, int contextLength) {}

    /** A chat model's entry of {@code GET /v1/models}. */
    public static JsonObject modelEntry(String id, long created, int contextLength) {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("object", "model");
        o.addProperty("created", created);
        o.addProperty("owned_by", "pocketrag");
        o.addProperty("context_length", contextLength);
        return o;
    }

    /**
     * The models of a {@code GET /v1/models} answer, in order; entries without an id are skipped.
     *
     * @throws IllegalArgumentException if it has no {@code data} array
     */
    public static List<ModelInfo> decodeModels(String body) {
        JsonArray data = null;
        try {
            JsonElement root = JsonParser.parseString(body);
            if (root.isJsonObject() && root.getAsJsonObject().get("data") instanceof JsonArray a) {
                data = a;
            }
        } catch (JsonParseException e) {
            // below
        }
        if (data == null) {
            throw new IllegalArgumentException("no model list ({\"data\": [...]}): " + abbreviate(body));
        }
        List<ModelInfo> out = new ArrayList<>();
        for (JsonElement e : data) {
            if (e instanceof JsonObject entry && entry.has("id")) {
                int window = 0;
                for (String key : new String[] {"context_length", "max_model_len", "max_context_length"}) {
                    JsonElement v = entry.get(key);
                    if (v != null && v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()) {
                        long n = v.getAsLong();
                        if (n > 0 && n <= 10_000_000) {
                            window = (int) n;
                            break;
                        }
                    }
                }
                out.add(new ModelInfo(primitive(entry, "id"), window));
            }
        }
        return out;
    }

    // ---- token counts

    /** vLLM's {@code /tokenize} request for the tokens of a text inside a message (no special tokens). */
    public static JsonObject tokenizeText(String model, String text) {
        JsonObject req = new JsonObject();
        req.addProperty("model", model);
        req.addProperty("prompt", text);
        req.addProperty("add_special_tokens", false);
        return req;
    }

    /** vLLM's {@code /tokenize} request for the prompt of a conversation, assistant header included. */
    public static JsonObject tokenizeMessages(String model, List<ChatMessage> messages) {
        JsonObject req = new JsonObject();
        req.addProperty("model", model);
        req.add("messages", encodeMessages(messages));
        req.addProperty("add_generation_prompt", true);
        return req;
    }

    /** vLLM's {@code /tokenize} answer: {@code {"count", "max_model_len"}}. */
    public static JsonObject countAnswer(int count, int maxModelLen) {
        JsonObject o = new JsonObject();
        o.addProperty("count", count);
        o.addProperty("max_model_len", maxModelLen);
        return o;
    }

    // ---- JSON helpers (errors name the field and the value, as the server's other parameters do)

    /**
     * A JSON object.
     *
     * @throws IllegalArgumentException if {@code data} is not one
     */
    static JsonObject parseObject(String data) {
        try {
            JsonElement e = JsonParser.parseString(data);
            if (e.isJsonObject()) {
                return e.getAsJsonObject();
            }
        } catch (JsonParseException e) {
            // below
        }
        throw new IllegalArgumentException("not a JSON object: " + abbreviate(data));
    }

    private static boolean present(JsonObject o, String name) {
        JsonElement e = o.get(name);
        return e != null && !e.isJsonNull();
    }

    private static String string(JsonObject o, String name, String fallback) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        if (e instanceof JsonPrimitive p && p.isString()) {
            return p.getAsString();
        }
        throw new BadRequest("'" + name + "' must be a string; got " + show(e), name);
    }

    private static boolean bool(JsonObject o, String name, boolean fallback) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        if (e instanceof JsonPrimitive p && p.isBoolean()) {
            return p.getAsBoolean();
        }
        throw new BadRequest("'" + name + "' must be true or false; got " + show(e), name);
    }

    /** An integer in {@code min..max}. */
    private static long integer(JsonObject o, String name, long min, long max, long fallback) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        if (e instanceof JsonPrimitive p && p.isNumber()) {
            BigDecimal d;
            try {
                d = p.getAsBigDecimal();
            } catch (NumberFormatException ex) {
                throw new BadRequest("'" + name + "' must be an integer in " + min + ".." + max + "; got " + show(e), name);
            }
            if (d.stripTrailingZeros().scale() <= 0 && d.compareTo(BigDecimal.valueOf(min)) >= 0
                    && d.compareTo(BigDecimal.valueOf(max)) <= 0) {
                return d.longValueExact();
            }
        }
        throw new BadRequest("'" + name + "' must be an integer in " + min + ".." + max + "; got " + show(e), name);
    }

    /** A finite number in {@code min..max}. */
    private static double number(JsonObject o, String name, double min, double max, double fallback) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        if (e instanceof JsonPrimitive p && p.isNumber()) {
            double d = p.getAsDouble();
            if (Double.isFinite(d) && d >= min && d <= max) {
                return d;
            }
        }
        throw new BadRequest("'" + name + "' must be a number in " + min + ".." + max + "; got " + show(e), name);
    }

    /** A string or an array of strings (at most {@code maxItems}), as a list; empty if absent. */
    private static List<String> stringOrList(JsonObject o, String name, int maxItems) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return List.of();
        }
        if (e instanceof JsonPrimitive p && p.isString()) {
            return List.of(p.getAsString());
        }
        if (e instanceof JsonArray a) {
            if (a.size() > maxItems) {
                throw new BadRequest("'" + name + "' may have at most " + maxItems + " items; got " + a.size(), name);
            }
            List<String> out = new ArrayList<>(a.size());
            for (int i = 0; i < a.size(); i++) {
                if (!(a.get(i) instanceof JsonPrimitive p && p.isString())) {
                    throw new BadRequest("'" + name + "[" + i + "]' must be a string; got " + show(a.get(i)), name);
                }
                out.add(p.getAsString());
            }
            return out;
        }
        throw new BadRequest("'" + name + "' must be a string or an array of strings; got " + show(e), name);
    }

    /** A short rendering of a value for error messages. */
    private static String show(JsonElement e) {
        String s = String.valueOf(e);
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /** A primitive field as a string (answers are read leniently), else null. */
    static String primitive(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }

    static int intField(JsonObject o, String key, int fallback) {
        JsonElement e = o.get(key);
        if (e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            double d = e.getAsDouble();
            if (d >= 0 && d <= Integer.MAX_VALUE) {
                return (int) d;
            }
        }
        return fallback;
    }

    private static double doubleField(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            double d = e.getAsDouble();
            return Double.isFinite(d) ? d : -1;
        }
        return -1;
    }

    static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 297) + "...";
    }
}
