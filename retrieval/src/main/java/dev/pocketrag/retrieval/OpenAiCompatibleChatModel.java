package dev.pocketrag.retrieval;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.chat.TokenListener;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link ChatModel} on an OpenAI-compatible HTTP server: llama.cpp's {@code llama-server},
 * vLLM, Ollama ({@code http://host:11434/v1}), or another pocketrag ({@code pocketrag serve}).
 * Use it when the notes stay on a laptop but the model runs on a bigger machine or a GPU.
 *
 * <pre>{@code
 * try (ChatModel m = OpenAiCompatibleChatModel.builder(URI.create("http://gpu-box:8080")).connect();
 *      Notebook nb = Notebook.builder(dir).chatModel(m, false).build()) {
 *     nb.ask("When is the dentist?", AskOptions.defaults(), piece -> { System.out.print(piece); return true; });
 * }
 * }</pre>
 *
 * <h2>Wire protocol</h2>
 * <ul>
 *   <li>Base URL: the URL given, without a trailing slash; if it has no path (or just {@code /}),
 *       {@code /v1} is appended. Endpoints are {@code {base}/models} and
 *       {@code {base}/chat/completions}. HTTP/1.1; no redirects are followed.</li>
 *   <li>{@link Builder#connect()} asks {@code GET {base}/models} (OpenAI shape:
 *       {@code {"data": [{"id": ...}, ...]}}). The model is the one named with
 *       {@link Builder#model}, else the first listed. The context window is the one set with
 *       {@link Builder#contextLength}, else the listed model's {@code context_length}
 *       (pocketrag), {@code max_model_len} (vLLM) or {@code max_context_length}, else
 *       {@value #DEFAULT_CONTEXT_LENGTH}. If the server has no {@code /models} (404/405) a named
 *       model is used as is.</li>
 *   <li>{@link #chat} posts {@code {"model", "messages": [{"role", "content"}], "stream": true,
 *       "stream_options": {"include_usage": true}, "max_tokens", "temperature", "top_p", "seed"?,
 *       "stop"?, "presence_penalty"?}} and, unless turned off with
 *       {@link Builder#samplingExtensions(boolean)}, llama.cpp's {@code "top_k", "min_p"} and
 *       ({@code != 1}) {@code "repeat_penalty", "repeat_last_n"}, which llama-server, vLLM,
 *       Ollama and pocketrag read (OpenAI's own service rejects them). The seed is sent as its
 *       low 32 bits (llama.cpp seeds are unsigned 32-bit), and not at all when it is
 *       {@link GenerationParams#DEFAULT_SEED} (the server picks one).</li>
 *   <li>The answer is read as server-sent events: {@code data: {json}} lines, events separated by
 *       a blank line, comments ({@code :...}) ignored, ending with {@code data: [DONE]}; each
 *       chunk's {@code choices[0].delta.content} goes to the listener, {@code finish_reason} and
 *       {@code usage} are kept, and llama-server's {@code timings} ({@code prompt_n},
 *       {@code prompt_ms}, {@code predicted_n}, {@code predicted_ms}) are used when present
 *       (otherwise the time to the first piece and after it, measured here). A server that
 *       answers with one JSON object instead ({@code stream} ignored) is read as well. An
 *       {@code {"error": ...}} event ends the call with a {@link RemoteModelException}.</li>
 *   <li>Cancelling (the listener returns {@code false}) closes the connection, which tells the
 *       server to stop generating.</li>
 * </ul>
 *
 * <h2>Token counts: the server's where it tells them, else an estimate</h2>
 * Context packing needs the model's own token counts. {@link Builder#connect()} asks the server
 * whether it counts tokens ({@code POST {root}/tokenize}, where {@code root} is the base URL
 * without a final {@code /v1}):
 * <ul>
 *   <li>vLLM and pocketrag: {@code {"model", "prompt", "add_special_tokens": false}} and
 *       {@code {"model", "messages", "add_generation_prompt": true}} answer {@code {"count"}}:
 *       both counts are the server's own (exact).</li>
 *   <li>llama.cpp's llama-server: {@code {"content"}} answers {@code {"tokens": [...]}}: text
 *       counts are exact, a prompt is its messages' counts plus {@value #PER_MESSAGE_TOKENS}
 *       tokens per message and {@value #PER_PROMPT_TOKENS} per prompt for the chat template.</li>
 *   <li>Otherwise (Ollama, OpenAI) {@link #countTokens} estimates: one token per 3 UTF-8 bytes,
 *       at least one per whitespace-separated word, plus the same template allowance for a prompt.
 *       BPE tokenizers with large vocabularies average about 4 characters a token on English text,
 *       so for them the estimate is generous; a small-vocabulary model can need more, and then the
 *       server refuses the prompt with a clear 400.</li>
 * </ul>
 * {@link #exactTokenCounts()} tells which. Counts are cached (the last {@value #COUNT_CACHE}
 * texts). The usage a server reports is what the returned {@link ChatCompletion} carries.
 *
 * <h2>Timeouts and errors</h2>
 * Connecting: {@link Builder#connectTimeout} (default 10 s); from the request to the response
 * headers: {@link Builder#responseTimeout} (default 5 min); between two chunks of the stream:
 * {@link Builder#idleTimeout} (default 5 min, which leaves a CPU server time to read a long
 * prompt). Every failure (unreachable, timed out, an HTTP error status with the server's own
 * message, a broken or malformed stream) is a {@link RemoteModelException} naming the URL.
 *
 * <p>Thread-safe: concurrent calls are concurrent requests, which the server queues or batches.
 * {@link #close()} is idempotent and aborts calls in flight.
 */
public final class OpenAiCompatibleChatModel implements ChatModel {
    /** The context window assumed when neither the caller nor the server gives one. */
    public static final int DEFAULT_CONTEXT_LENGTH = 4096;
    /** Chat-template tokens counted per message (role header and end-of-turn marker). */
    public static final int PER_MESSAGE_TOKENS = 6;
    /** Chat-template tokens counted per prompt (BOS and the assistant header). */
    public static final int PER_PROMPT_TOKENS = 4;

    private static final Duration MODEL_LIST_TIMEOUT = Duration.ofSeconds(30);

    /** How many token counts are kept. */
    public static final int COUNT_CACHE = 512;

    /** How token counts are obtained. */
    private enum Counting {
        /** POST /tokenize answers {"count"} for a prompt or messages (vLLM, pocketrag). */
        SERVER_COUNT,
        /** POST /tokenize {"content"} answers {"tokens": [...]} (llama-server). */
        LLAMA_TOKENS,
        /** No tokenizer endpoint: estimates. */
        ESTIMATE
    }

    /** The longest SSE line or error body read from a server. */
    private static final int MAX_LINE_CHARS = 4 << 20;

    private final URI base;
    private final URI chatUri;
    private final String model;
    private final String apiKey;
    private final int contextLength;
    private final Duration responseTimeout;
    private final Duration idleTimeout;
    private final boolean extensions;
    private final Counting counting;
    private final URI tokenizeUri;
    private final Duration countTimeout;
    private final java.util.Map<String, Integer> counts = new java.util.LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, Integer> eldest) {
            return size() > COUNT_CACHE;
        }
    };
    private final HttpClient client;
    private final AtomicBoolean closed = new AtomicBoolean();

    private OpenAiCompatibleChatModel(Builder b, URI base, HttpClient client, String model, int contextLength,
            Counting counting, URI tokenizeUri, Duration countTimeout) {
        this.counting = counting;
        this.tokenizeUri = tokenizeUri;
        this.countTimeout = countTimeout;
        this.base = base;
        this.chatUri = URI.create(base + "/chat/completions");
        this.model = model;
        this.apiKey = b.apiKey;
        this.contextLength = contextLength;
        this.responseTimeout = b.responseTimeout;
        this.idleTimeout = b.idleTimeout;
        this.extensions = b.extensions;
        this.client = client;
    }

    /**
     * Settings for a server at {@code baseUrl} ({@code http://host:port} or
     * {@code http://host:port/v1}).
     *
     * @throws IllegalArgumentException if it is not an absolute http or https URL
     */
    public static Builder builder(URI baseUrl) {
        return new Builder(baseUrl);
    }

    /** Settings of a remote chat model. */
    public static final class Builder {
        private final URI baseUrl;
        private String model;
        private String apiKey;
        private int contextLength;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration responseTimeout = Duration.ofMinutes(5);
        private Duration idleTimeout = Duration.ofMinutes(5);
        private boolean extensions = true;
        private boolean serverCounts = true;

        private Builder(URI baseUrl) {
            Objects.requireNonNull(baseUrl, "baseUrl");
            String scheme = baseUrl.getScheme();
            if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                    || baseUrl.getHost() == null) {
                throw new IllegalArgumentException("the chat server URL must be http://host[:port][/path] or https://...; url=" + baseUrl);
            }
            if (baseUrl.getRawQuery() != null || baseUrl.getRawFragment() != null) {
                throw new IllegalArgumentException("the chat server URL must have no query or fragment; url=" + baseUrl);
            }
            this.baseUrl = baseUrl;
        }

        /** The model to ask for (default: the first the server lists). */
        public Builder model(String name) {
            if (name != null && name.isBlank()) {
                throw new IllegalArgumentException("model name is blank");
            }
            this.model = name;
            return this;
        }

        /** Sent as {@code Authorization: Bearer KEY} (default: none). */
        public Builder apiKey(String key) {
            if (key != null && (key.isBlank() || key.chars().anyMatch(c -> c < 0x21 || c > 0x7e))) {
                throw new IllegalArgumentException("the API key must be printable ASCII without spaces");
            }
            this.apiKey = key;
            return this;
        }

        /**
         * The server's context window in tokens (1..10,000,000); 0 (default) means: as the server
         * reports it, else {@value OpenAiCompatibleChatModel#DEFAULT_CONTEXT_LENGTH}.
         */
        public Builder contextLength(int n) {
            if (n < 0 || n > 10_000_000) {
                throw new IllegalArgumentException("contextLength must be in 0..10000000 (0 = ask the server); contextLength=" + n);
            }
            this.contextLength = n;
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = positive("connectTimeout", d);
            return this;
        }

        /** Longest wait from sending a request to the response headers. */
        public Builder responseTimeout(Duration d) {
            this.responseTimeout = positive("responseTimeout", d);
            return this;
        }

        /** Longest wait between two chunks of a streamed answer. */
        public Builder idleTimeout(Duration d) {
            this.idleTimeout = positive("idleTimeout", d);
            return this;
        }

        /** Whether to send llama.cpp's sampling fields (top_k, min_p, repeat_penalty); default true. */
        public Builder samplingExtensions(boolean on) {
            this.extensions = on;
            return this;
        }

        /**
         * Whether to ask the server for token counts ({@code POST /tokenize}) when it has them;
         * default true. False: always estimate.
         */
        public Builder serverTokenCounts(boolean on) {
            this.serverCounts = on;
            return this;
        }

        private static Duration positive(String what, Duration d) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive; " + what + "=" + d);
            }
            return d;
        }

        /**
         * Asks the server which models it has and returns the model.
         *
         * @throws RemoteModelException if the server cannot be reached, answers with an error, or
         *     lists no model when none was named
         */
        public OpenAiCompatibleChatModel connect() {
            URI base = normalise(baseUrl);
            HttpClient client = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(connectTimeout)
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
            boolean ok = false;
            try {
                URI modelsUri = URI.create(base + "/models");
                // the model list is quick to make: a busy server still answers it in seconds
                Duration listTimeout = responseTimeout.compareTo(MODEL_LIST_TIMEOUT) < 0 ? responseTimeout : MODEL_LIST_TIMEOUT;
                HttpRequest.Builder rb = HttpRequest.newBuilder(modelsUri).timeout(listTimeout)
                        .header("Accept", "application/json").GET();
                if (apiKey != null) {
                    rb.header("Authorization", "Bearer " + apiKey);
                }
                HttpResponse<InputStream> resp = send(client, rb.build(), modelsUri, listTimeout);
                String chosen = model;
                int window = contextLength;
                int status = resp.statusCode();
                String body = readLimited(resp.body(), modelsUri);
                if (status == 404 || status == 405) {
                    if (chosen == null) {
                        throw new RemoteModelException(modelsUri, status, "chat server " + modelsUri + " answered " + status
                                + " (no model list); name the model (--chat-model NAME)", null);
                    }
                } else if (status != 200) {
                    throw new RemoteModelException(modelsUri, status, "chat server " + modelsUri + " answered " + status
                            + ": " + errorMessage(body), null);
                } else {
                    JsonArray data = modelList(body, modelsUri);
                    JsonObject entry = null;
                    for (JsonElement e : data) {
                        if (e.isJsonObject() && e.getAsJsonObject().has("id")
                                && (chosen == null || chosen.equals(string(e.getAsJsonObject(), "id")))) {
                            entry = e.getAsJsonObject();
                            break;
                        }
                    }
                    if (chosen == null) {
                        if (entry == null) {
                            throw new RemoteModelException(modelsUri, status, "chat server " + modelsUri
                                    + " lists no models; name one (--chat-model NAME)", null);
                        }
                        chosen = string(entry, "id");
                    }
                    if (window == 0 && entry != null) {
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
                    }
                }
                URI tokenizeUri = tokenizeUri(base);
                Counting counting = serverCounts ? probeCounting(client, tokenizeUri, chosen, listTimeout) : Counting.ESTIMATE;
                OpenAiCompatibleChatModel m = new OpenAiCompatibleChatModel(this, base, client, chosen,
                        window > 0 ? window : DEFAULT_CONTEXT_LENGTH, counting, tokenizeUri, listTimeout);
                ok = true;
                return m;
            } finally {
                if (!ok) {
                    client.shutdownNow();
                }
            }
        }

        /** Which tokenizer endpoint the server has, if any; never fails (no endpoint: estimates). */
        private Counting probeCounting(HttpClient client, URI uri, String model, Duration timeout) {
            JsonObject vllm = new JsonObject();
            vllm.addProperty("model", model);
            vllm.addProperty("prompt", "Hello world");
            vllm.addProperty("add_special_tokens", false);
            JsonObject answer = tryPost(client, uri, vllm, timeout, apiKey);
            if (answer != null && answer.get("count") instanceof com.google.gson.JsonPrimitive c && c.isNumber()
                    && c.getAsInt() > 0) {
                return Counting.SERVER_COUNT;
            }
            JsonObject llama = new JsonObject();
            llama.addProperty("content", "Hello world");
            answer = tryPost(client, uri, llama, timeout, apiKey);
            if (answer != null && answer.get("tokens") instanceof JsonArray t && !t.isEmpty()) {
                return Counting.LLAMA_TOKENS;
            }
            return Counting.ESTIMATE;
        }
    }

    /** {root}/tokenize: the base URL without a final /v1. */
    static URI tokenizeUri(URI base) {
        String s = base.toString();
        if (s.endsWith("/v1")) {
            s = s.substring(0, s.length() - 3);
        }
        return URI.create(s + "/tokenize");
    }

    /** POSTs JSON; the answer if it is a 200 with a JSON object, else null (never throws). */
    private static JsonObject tryPost(HttpClient client, URI uri, JsonObject body, Duration timeout, String apiKey) {
        try {
            HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(timeout)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
            if (apiKey != null) {
                rb.header("Authorization", "Bearer " + apiKey);
            }
            HttpResponse<String> r = client.send(rb.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (r.statusCode() != 200 || r.body().length() > MAX_LINE_CHARS) {
                return null;
            }
            JsonElement e = JsonParser.parseString(r.body());
            return e.isJsonObject() ? e.getAsJsonObject() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Whether token counts come from the server's tokenizer (else they are estimates). */
    public boolean exactTokenCounts() {
        return counting != Counting.ESTIMATE;
    }

    static URI normalise(URI url) {
        String s = url.toString();
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        String path = url.getRawPath();
        if (path == null || path.isEmpty() || path.equals("/")) {
            s = s + "/v1";
        }
        try {
            return new URI(s);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("bad chat server URL " + url + ": " + e.getMessage(), e);
        }
    }

    private static JsonArray modelList(String body, URI uri) {
        try {
            JsonElement root = JsonParser.parseString(body);
            if (root.isJsonObject() && root.getAsJsonObject().get("data") instanceof JsonArray a) {
                return a;
            }
        } catch (JsonParseException e) {
            // fall through
        }
        throw new RemoteModelException(uri, 200, "chat server " + uri + " sent no model list ({\"data\": [...]}): "
                + abbreviate(body), null);
    }

    // ---- ChatModel

    @Override
    public String name() {
        return model;
    }

    /** The base URL requests go to, e.g. {@code http://gpu-box:8080/v1}. */
    public URI baseUri() {
        return base;
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    /** The server's count where it gives one, else an estimate (see the class comment). */
    @Override
    public int countTokens(String text) {
        Objects.requireNonNull(text, "text");
        if (counting == Counting.ESTIMATE || text.isEmpty()) {
            return estimateTokens(text);
        }
        return cached("t:" + text, () -> {
            JsonObject req = new JsonObject();
            if (counting == Counting.SERVER_COUNT) {
                req.addProperty("model", model);
                req.addProperty("prompt", text);
                req.addProperty("add_special_tokens", false);
                return countField(postForCount(req), "count");
            }
            req.addProperty("content", text);
            return countField(postForCount(req), "tokens");
        });
    }

    /** One token per 3 UTF-8 bytes, at least one per whitespace-separated word. */
    static int estimateTokens(String text) {
        long bytes = 0;
        int words = 0;
        boolean inWord = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                bytes += 2; // + 2 for the low surrogate: 4 in all
            } else {
                bytes += Character.isLowSurrogate(c) ? 2 : 3;
            }
            boolean space = Character.isWhitespace(c);
            if (!space && !inWord) {
                words++;
            }
            inWord = !space;
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(words, (bytes + 2) / 3));
    }

    /** The server's count where it gives one, else the messages' counts plus the template's (see the class comment). */
    @Override
    public int countPromptTokens(List<ChatMessage> messages) {
        if (counting == Counting.SERVER_COUNT) {
            JsonObject req = new JsonObject();
            req.addProperty("model", model);
            req.add("messages", messagesJson(messages));
            req.addProperty("add_generation_prompt", true);
            String key = "m:" + req;
            return cached(key, () -> countField(postForCount(req), "count"));
        }
        long n = PER_PROMPT_TOKENS;
        for (ChatMessage m : messages) {
            n += PER_MESSAGE_TOKENS + countTokens(m.content());
        }
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    @Override
    public ChatCompletion chat(List<ChatMessage> messages, GenerationParams params, TokenListener listener) {
        Objects.requireNonNull(messages, "messages");
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(listener, "listener");
        if (closed.get()) {
            throw new IllegalStateException("chat model " + model + " at " + base + " is closed");
        }
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("messages is empty");
        }
        int prompt = countPromptTokens(messages);
        if ((long) prompt + params.maxTokens() > contextLength) {
            throw new IllegalArgumentException("the prompt (about " + prompt + " tokens, estimated) plus maxTokens="
                    + params.maxTokens() + " exceed the " + contextLength + "-token context window of " + model
                    + " at " + base);
        }
        HttpRequest.Builder rb = HttpRequest.newBuilder(chatUri)
                .timeout(responseTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream, application/json")
                .POST(HttpRequest.BodyPublishers.ofString(requestJson(messages, params), StandardCharsets.UTF_8));
        if (apiKey != null) {
            rb.header("Authorization", "Bearer " + apiKey);
        }
        long t0 = System.nanoTime();
        HttpResponse<InputStream> resp = send(client, rb.build(), chatUri, responseTimeout);
        int status = resp.statusCode();
        if (status != 200) {
            String body = readLimited(resp.body(), chatUri);
            throw new RemoteModelException(chatUri, status, "chat server " + chatUri + " answered " + status + ": "
                    + errorMessage(body), null);
        }
        String type = resp.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
        if (type.startsWith("application/json")) {
            return readWhole(readLimited(resp.body(), chatUri), prompt, t0, listener);
        }
        return readStream(resp.body(), params, prompt, t0, listener);
    }

    private static JsonArray messagesJson(List<ChatMessage> messages) {
        JsonArray ms = new JsonArray();
        for (ChatMessage m : messages) {
            JsonObject jm = new JsonObject();
            jm.addProperty("role", m.role().wireName());
            jm.addProperty("content", m.content());
            ms.add(jm);
        }
        return ms;
    }

    private int cached(String key, java.util.function.IntSupplier compute) {
        synchronized (counts) {
            Integer n = counts.get(key);
            if (n != null) {
                return n;
            }
        }
        int n = compute.getAsInt();
        synchronized (counts) {
            counts.put(key, n);
        }
        return n;
    }

    private JsonObject postForCount(JsonObject req) {
        if (closed.get()) {
            throw new IllegalStateException("chat model " + model + " at " + base + " is closed");
        }
        HttpRequest.Builder rb = HttpRequest.newBuilder(tokenizeUri).timeout(countTimeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(req.toString(), StandardCharsets.UTF_8));
        if (apiKey != null) {
            rb.header("Authorization", "Bearer " + apiKey);
        }
        HttpResponse<InputStream> resp = send(client, rb.build(), tokenizeUri, countTimeout);
        String body = readLimited(resp.body(), tokenizeUri);
        if (resp.statusCode() != 200) {
            throw new RemoteModelException(tokenizeUri, resp.statusCode(), "chat server " + tokenizeUri + " answered "
                    + resp.statusCode() + " when counting tokens: " + errorMessage(body), null);
        }
        return parseObject(body, tokenizeUri);
    }

    /** {"count": n} or {"tokens": [...]}: the number. */
    private int countField(JsonObject o, String field) {
        JsonElement e = o.get(field);
        if (field.equals("tokens") && e instanceof JsonArray a) {
            return a.size();
        }
        if (e instanceof com.google.gson.JsonPrimitive p && p.isNumber() && p.getAsDouble() >= 0
                && p.getAsDouble() <= Integer.MAX_VALUE) {
            return p.getAsInt();
        }
        throw new RemoteModelException(tokenizeUri, 200, "chat server " + tokenizeUri + " sent no token count ('" + field
                + "'): " + abbreviate(o.toString()), null);
    }

    private String requestJson(List<ChatMessage> messages, GenerationParams p) {
        JsonObject o = new JsonObject();
        o.addProperty("model", model);
        o.add("messages", messagesJson(messages));
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
        return o.toString();
    }

    /** What a call has received so far. */
    private final class Reception {
        final StringBuilder text = new StringBuilder();
        final TokenListener listener;
        final long t0;
        final int estimatedPrompt;
        final int maxChunks;
        long firstPieceNanos;
        int chunks;
        String finish;
        boolean done;
        boolean cancelled;
        ChatCompletion.Usage usage;
        ChatCompletion.Timings timings;
        /** Prompt tokens the server reused from its cache: usage.prompt_tokens_details.cached_tokens, else llama-server's timings.cache_n; -1 unknown. */
        int cached = -1;

        Reception(TokenListener listener, long t0, int estimatedPrompt, int maxChunks) {
            this.listener = listener;
            this.t0 = t0;
            this.estimatedPrompt = estimatedPrompt;
            this.maxChunks = maxChunks;
        }

        /** Handles one event's data; returns true when reading should stop. */
        boolean onData(String data) {
            if (data.equals("[DONE]")) {
                done = true;
                return true;
            }
            JsonObject o = parseObject(data, chatUri);
            JsonElement err = o.get("error");
            if (err != null && !err.isJsonNull()) {
                throw new RemoteModelException(chatUri, 200, "chat server " + chatUri + " reported an error: "
                        + errorMessage(o.toString()), null);
            }
            if (o.get("choices") instanceof JsonArray choices && !choices.isEmpty()
                    && choices.get(0) instanceof JsonObject c) {
                JsonObject delta = c.get("delta") instanceof JsonObject d ? d
                        : c.get("message") instanceof JsonObject m ? m : null;
                String piece = delta == null ? null : string(delta, "content");
                if (piece != null && !piece.isEmpty()) {
                    if (firstPieceNanos == 0) {
                        firstPieceNanos = System.nanoTime();
                    }
                    text.append(piece);
                    chunks++;
                    if (!listener.onText(piece)) {
                        cancelled = true;
                        return true;
                    }
                    if (chunks > maxChunks) {
                        finish = "length"; // a server that ignores max_tokens: stop reading
                        return true;
                    }
                }
                String f = string(c, "finish_reason");
                if (f != null) {
                    finish = f;
                }
            }
            if (o.get("usage") instanceof JsonObject u) {
                int pt = intField(u, "prompt_tokens", -1);
                int ct = intField(u, "completion_tokens", -1);
                if (pt >= 0 && ct >= 0) {
                    usage = new ChatCompletion.Usage(pt, ct);
                }
                if (u.get("prompt_tokens_details") instanceof JsonObject d) {
                    int c = intField(d, "cached_tokens", -1);
                    if (c >= 0) {
                        cached = c;
                    }
                }
            }
            if (o.get("timings") instanceof JsonObject t) {
                double pms = doubleField(t, "prompt_ms");
                double gms = doubleField(t, "predicted_ms");
                int pn = intField(t, "prompt_n", -1);
                int gn = intField(t, "predicted_n", -1);
                if (pms >= 0 && gms >= 0 && pn >= 0 && gn >= 0) {
                    timings = new ChatCompletion.Timings(pms, gms, pn, gn);
                }
                int c = intField(t, "cache_n", -1);
                if (c >= 0 && cached < 0) {
                    cached = c;
                }
            }
            return false;
        }

        ChatCompletion result() {
            long end = System.nanoTime();
            ChatCompletion.Usage u = usage != null ? usage : new ChatCompletion.Usage(estimatedPrompt, chunks);
            if (cached > 0) {
                u = new ChatCompletion.Usage(u.promptTokens(), u.completionTokens(), Math.min(cached, u.promptTokens()));
            }
            ChatCompletion.Timings t = timings;
            if (t == null) {
                long first = firstPieceNanos == 0 ? end : firstPieceNanos;
                t = new ChatCompletion.Timings((first - t0) / 1e6, (end - first) / 1e6, u.promptTokens(),
                        u.completionTokens());
            }
            ChatCompletion.FinishReason reason;
            if (cancelled) {
                reason = ChatCompletion.FinishReason.CANCELLED;
            } else if ("length".equals(finish)) {
                reason = ChatCompletion.FinishReason.LENGTH;
            } else if ("cancelled".equals(finish)) {
                reason = ChatCompletion.FinishReason.CANCELLED;
            } else {
                reason = ChatCompletion.FinishReason.STOP;
            }
            return new ChatCompletion(text.toString(), reason, u, t);
        }
    }

    private ChatCompletion readWhole(String body, int prompt, long t0, TokenListener listener) {
        Reception r = new Reception(listener, t0, prompt, Integer.MAX_VALUE);
        r.onData(body);
        return r.result();
    }

    private ChatCompletion readStream(InputStream body, GenerationParams params, int prompt, long t0,
            TokenListener listener) {
        Reception r = new Reception(listener, t0, prompt, params.maxTokens() + 16);
        Watchdog dog = new Watchdog(body, idleTimeout);
        try (InputStream in = body; dog) {
            Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8);
            StringBuilder line = new StringBuilder();
            StringBuilder data = new StringBuilder();
            boolean hasData = false;
            boolean stop = false;
            while (!stop) {
                int eol = readLine(reader, line);
                dog.touch();
                if (eol < 0 && line.isEmpty()) {
                    break; // end of stream
                }
                if (line.isEmpty()) {
                    if (hasData) {
                        stop = r.onData(data.toString());
                        data.setLength(0);
                        hasData = false;
                    }
                    continue;
                }
                if (line.charAt(0) != ':') {
                    int colon = line.indexOf(":");
                    String field = colon < 0 ? line.toString() : line.substring(0, colon);
                    if (field.equals("data")) {
                        int from = colon < 0 ? line.length() : colon + 1;
                        if (from < line.length() && line.charAt(from) == ' ') {
                            from++;
                        }
                        if (hasData) {
                            data.append('\n');
                        }
                        data.append(line, from, line.length());
                        hasData = true;
                        if (data.length() > MAX_LINE_CHARS) {
                            throw new RemoteModelException(chatUri, 200, "chat server " + chatUri
                                    + " sent an event longer than " + MAX_LINE_CHARS + " characters", null);
                        }
                    }
                }
                if (eol < 0) {
                    if (hasData) {
                        stop = r.onData(data.toString());
                    }
                    break;
                }
            }
            if (dog.fired()) {
                throw new RemoteModelException(chatUri, 0, "chat server " + chatUri + " sent nothing for "
                        + seconds(idleTimeout) + "; gave up", null);
            }
            if (!r.done && !r.cancelled && r.finish == null) {
                throw new RemoteModelException(chatUri, 0, "chat server " + chatUri
                        + " closed the stream before the answer was finished (no finish_reason, no [DONE])", null);
            }
        } catch (IOException e) {
            if (dog.fired()) {
                throw new RemoteModelException(chatUri, 0, "chat server " + chatUri + " sent nothing for "
                        + seconds(idleTimeout) + "; gave up", e);
            }
            if (closed.get()) {
                throw new IllegalStateException("chat model " + model + " at " + base + " was closed during the call", e);
            }
            throw new RemoteModelException(chatUri, 0, "reading the answer from " + chatUri + " failed: " + describe(e), e);
        }
        return r.result();
    }

    /**
     * Reads one line (without its terminator: LF or CR LF) into {@code line}; returns 1 if a
     * terminator was read, -1 at the end of the stream.
     */
    private int readLine(Reader in, StringBuilder line) throws IOException {
        line.setLength(0);
        while (true) {
            int c = in.read();
            if (c < 0) {
                return -1;
            }
            if (c == '\n') {
                return 1;
            }
            if (c == '\r') {
                continue; // CR LF ends a line like LF (servers do not end lines with a lone CR)
            }
            line.append((char) c);
            if (line.length() > MAX_LINE_CHARS) {
                throw new RemoteModelException(chatUri, 200, "chat server " + chatUri + " sent a line longer than "
                        + MAX_LINE_CHARS + " characters", null);
            }
        }
    }

    // ---- HTTP helpers

    private static HttpResponse<InputStream> send(HttpClient client, HttpRequest request, URI uri, Duration timeout) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpConnectTimeoutException e) {
            throw new RemoteModelException(uri, 0, "cannot connect to chat server " + uri + ": timed out", e);
        } catch (HttpTimeoutException e) {
            throw new RemoteModelException(uri, 0, "chat server " + uri + " did not answer within "
                    + seconds(timeout), e);
        } catch (ConnectException e) {
            throw new RemoteModelException(uri, 0, "cannot connect to chat server " + uri + ": " + describe(e), e);
        } catch (IOException e) {
            throw new RemoteModelException(uri, 0, "request to chat server " + uri + " failed: " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RemoteModelException(uri, 0, "interrupted while waiting for chat server " + uri, null);
        }
    }

    private static String readLimited(InputStream body, URI uri) {
        try (InputStream in = body) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                if (out.size() > MAX_LINE_CHARS) {
                    throw new RemoteModelException(uri, 0, "chat server " + uri + " sent more than " + MAX_LINE_CHARS
                            + " bytes in one answer", null);
                }
            }
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RemoteModelException(uri, 0, "reading from chat server " + uri + " failed: " + describe(e), e);
        }
    }

    /** The server's error message: OpenAI's {@code error.message}, Ollama's {@code error}, vLLM's {@code detail}, or the text. */
    static String errorMessage(String body) {
        try {
            JsonElement root = JsonParser.parseString(body);
            if (root.isJsonObject()) {
                JsonObject o = root.getAsJsonObject();
                JsonElement e = o.get("error");
                if (e instanceof JsonObject eo && string(eo, "message") != null) {
                    return abbreviate(string(eo, "message"));
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

    private static JsonObject parseObject(String data, URI uri) {
        try {
            JsonElement e = JsonParser.parseString(data);
            if (e.isJsonObject()) {
                return e.getAsJsonObject();
            }
        } catch (JsonParseException e) {
            // below
        }
        throw new RemoteModelException(uri, 200, "chat server " + uri + " sent something that is not a JSON object: "
                + abbreviate(data), null);
    }

    private static String string(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }

    private static int intField(JsonObject o, String key, int fallback) {
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

    private static String seconds(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 297) + "...";
    }

    private static String describe(Throwable t) {
        Throwable cur = t;
        while (cur.getMessage() == null && cur.getCause() != null) {
            cur = cur.getCause();
        }
        return cur.getMessage() != null ? cur.getMessage() : cur.getClass().getSimpleName();
    }

    /** Closes a stream when nothing arrived on it for a while. */
    private static final class Watchdog implements AutoCloseable {
        private final Thread thread;
        private volatile long last = System.nanoTime();
        private volatile boolean fired;

        Watchdog(Closeable target, Duration idle) {
            long idleNanos = idle.toNanos();
            thread = Thread.ofVirtual().name("pocketrag-remote-idle-watchdog").start(() -> {
                try {
                    while (true) {
                        long wait = idleNanos - (System.nanoTime() - last);
                        if (wait <= 0) {
                            fired = true;
                            try {
                                target.close();
                            } catch (IOException ignored) {
                                // closing is all that is wanted
                            }
                            return;
                        }
                        Thread.sleep(Duration.ofNanos(Math.min(wait, 1_000_000_000L) + 1_000_000L));
                    }
                } catch (InterruptedException e) {
                    // call finished
                }
            });
        }

        void touch() {
            last = System.nanoTime();
        }

        boolean fired() {
            return fired;
        }

        @Override
        public void close() {
            thread.interrupt();
        }
    }

    /** Aborts calls in flight and releases the HTTP client; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            client.shutdownNow();
        }
    }

    @Override
    public String toString() {
        return "OpenAiCompatibleChatModel[" + model + " at " + base + ", context " + contextLength + "]";
    }
}
