package dev.pocketrag.remote;

import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.chat.TokenListener;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 *
 * <p>Inside, by concern: this facade and its builder (connecting, the call), {@code TokenCounter}
 * (the server's counts or estimates), {@code SseReader} (server-sent events, the idle watchdog) and
 * {@link OpenAiWire} (the JSON of requests, chunks, usage and errors, shared with
 * {@code pocketrag serve}).
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

    private final URI base;
    private final URI chatUri;
    private final String model;
    private final String apiKey;
    private final int contextLength;
    private final Duration responseTimeout;
    private final Duration idleTimeout;
    private final boolean extensions;
    private final TokenCounter counter;
    private final HttpClient client;
    private final AtomicBoolean closed = new AtomicBoolean();

    private OpenAiCompatibleChatModel(Builder b, URI base, HttpClient client, String model, int contextLength,
            TokenCounter.Counting counting, URI tokenizeUri, Duration countTimeout) {
        this.base = base;
        this.chatUri = URI.create(base + "/chat/completions");
        this.model = model;
        this.apiKey = b.apiKey;
        this.contextLength = contextLength;
        this.responseTimeout = b.responseTimeout;
        this.idleTimeout = b.idleTimeout;
        this.extensions = b.extensions;
        this.client = client;
        this.counter = new TokenCounter(counting, client, tokenizeUri, model, b.apiKey, countTimeout, closed::get,
                "chat model " + model + " at " + base + " is closed");
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
                HttpResponse<InputStream> resp = Transport.send(client, rb.build(), modelsUri, listTimeout);
                String chosen = model;
                int window = contextLength;
                int status = resp.statusCode();
                String body = Transport.readLimited(resp.body(), modelsUri);
                if (status == 404 || status == 405) {
                    if (chosen == null) {
                        throw new RemoteModelException(modelsUri, status, "chat server " + modelsUri + " answered " + status
                                + " (no model list); name the model (--chat-model NAME)", null);
                    }
                } else if (status != 200) {
                    throw new RemoteModelException(modelsUri, status, "chat server " + modelsUri + " answered " + status
                            + ": " + OpenAiWire.errorMessage(body), null);
                } else {
                    List<OpenAiWire.ModelInfo> listed;
                    try {
                        listed = OpenAiWire.decodeModels(body);
                    } catch (IllegalArgumentException e) {
                        throw new RemoteModelException(modelsUri, 200, "chat server " + modelsUri
                                + " sent no model list ({\"data\": [...]}): " + OpenAiWire.abbreviate(body), null);
                    }
                    OpenAiWire.ModelInfo entry = null;
                    for (OpenAiWire.ModelInfo e : listed) {
                        if (chosen == null || chosen.equals(e.id())) {
                            entry = e;
                            break;
                        }
                    }
                    if (chosen == null) {
                        if (entry == null) {
                            throw new RemoteModelException(modelsUri, status, "chat server " + modelsUri
                                    + " lists no models; name one (--chat-model NAME)", null);
                        }
                        chosen = entry.id();
                    }
                    if (window == 0 && entry != null) {
                        window = entry.contextLength();
                    }
                }
                URI tokenizeUri = TokenCounter.tokenizeUri(base);
                TokenCounter.Counting counting = serverCounts
                        ? TokenCounter.probe(client, tokenizeUri, chosen, listTimeout, apiKey)
                        : TokenCounter.Counting.ESTIMATE;
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
    }

    /** Whether token counts come from the server's tokenizer (else they are estimates). */
    public boolean exactTokenCounts() {
        return counter.exact();
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
        return counter.countTokens(text);
    }

    /** The server's count where it gives one, else the messages' counts plus the template's (see the class comment). */
    @Override
    public int countPromptTokens(List<ChatMessage> messages) {
        return counter.countPromptTokens(messages);
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
        String request = OpenAiWire.encodeRequest(model, messages, params, extensions).toString();
        HttpRequest.Builder rb = HttpRequest.newBuilder(chatUri)
                .timeout(responseTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream, application/json")
                .POST(HttpRequest.BodyPublishers.ofString(request, StandardCharsets.UTF_8));
        if (apiKey != null) {
            rb.header("Authorization", "Bearer " + apiKey);
        }
        long t0 = System.nanoTime();
        HttpResponse<InputStream> resp = Transport.send(client, rb.build(), chatUri, responseTimeout);
        int status = resp.statusCode();
        if (status != 200) {
            String body = Transport.readLimited(resp.body(), chatUri);
            throw new RemoteModelException(chatUri, status, "chat server " + chatUri + " answered " + status + ": "
                    + OpenAiWire.errorMessage(body), null);
        }
        String type = resp.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
        if (type.startsWith("application/json")) {
            return readWhole(Transport.readLimited(resp.body(), chatUri), prompt, t0, listener);
        }
        return readStream(resp.body(), params, prompt, t0, listener);
    }

    /** What a call has received so far. */
    private final class Reception implements SseReader.Events {
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
        @Override
        public boolean onData(String data) {
            if (data.equals("[DONE]")) {
                done = true;
                return true;
            }
            OpenAiWire.Chunk c;
            try {
                c = OpenAiWire.decodeChunk(data);
            } catch (IllegalArgumentException e) {
                throw new RemoteModelException(chatUri, 200, "chat server " + chatUri
                        + " sent something that is not a JSON object: " + OpenAiWire.abbreviate(data), null);
            }
            if (c.error() != null) {
                throw new RemoteModelException(chatUri, 200, "chat server " + chatUri + " reported an error: "
                        + c.error(), null);
            }
            String piece = c.content();
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
            if (c.finishReason() != null) {
                finish = c.finishReason();
            }
            if (c.usage() != null) {
                usage = c.usage();
            }
            if (c.cachedTokens() >= 0) {
                cached = c.cachedTokens();
            }
            if (c.timings() != null) {
                timings = c.timings();
            }
            if (c.cacheN() >= 0 && cached < 0) {
                cached = c.cacheN();
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
            ChatCompletion.FinishReason reason = cancelled ? ChatCompletion.FinishReason.CANCELLED
                    : OpenAiWire.decodeFinishReason(finish);
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
        SseReader sse = new SseReader(body, chatUri, idleTimeout);
        try (sse) {
            sse.read(r);
            if (sse.idle()) {
                throw new RemoteModelException(chatUri, 0, "chat server " + chatUri + " sent nothing for "
                        + Transport.seconds(idleTimeout) + "; gave up", null);
            }
            if (!r.done && !r.cancelled && r.finish == null) {
                throw new RemoteModelException(chatUri, 0, "chat server " + chatUri
                        + " closed the stream before the answer was finished (no finish_reason, no [DONE])", null);
            }
        } catch (IOException e) {
            if (sse.idle()) {
                throw new RemoteModelException(chatUri, 0, "chat server " + chatUri + " sent nothing for "
                        + Transport.seconds(idleTimeout) + "; gave up", e);
            }
            if (closed.get()) {
                throw new IllegalStateException("chat model " + model + " at " + base + " was closed during the call", e);
            }
            throw new RemoteModelException(chatUri, 0, "reading the answer from " + chatUri + " failed: "
                    + Transport.describe(e), e);
        }
        return r.result();
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
