package dev.pocketrag.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pocketrag.retrieval.Notebook;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code pocketrag serve}: a notebook and its chat model over HTTP, on the JDK's
 * {@code com.sun.net.httpserver}.
 *
 * <pre>{@code
 * try (Notebook nb = Notebook.builder(dir).chatModel(model).build();
 *      PocketragServer server = PocketragServer.builder(nb).port(8080).start()) {
 *     System.out.println("open " + server.uri());
 *     ...
 * }
 * }</pre>
 *
 * <h2>Endpoints</h2>
 * OpenAI-compatible (request and response shapes as OpenAI's API):
 * <ul>
 *   <li>{@code GET /v1/models}, {@code GET /v1/models/{id}}: the chat model (with its
 *       {@code context_length}) and the embedding model.</li>
 *   <li>{@code POST /v1/chat/completions}: {@code messages} (roles system/developer, user,
 *       assistant; content a string or text parts), {@code stream} (server-sent events:
 *       {@code data: {chunk}} ... {@code data: [DONE]}), {@code stream_options.include_usage},
 *       {@code max_tokens} / {@code max_completion_tokens} (default: the rest of the window),
 *       {@code temperature} (0..2, default 0.8), {@code top_p}, {@code stop} (string or up to 16
 *       strings), {@code seed}, {@code presence_penalty}, and llama.cpp's {@code top_k},
 *       {@code min_p}, {@code repeat_penalty}, {@code repeat_last_n}. The {@code model} field is
 *       not checked: there is one model. Responses carry llama-server's {@code timings}.</li>
 *   <li>{@code POST /v1/embeddings}: {@code input} a string or up to 2048 strings,
 *       {@code encoding_format} float or base64 (little-endian float32), the notebook's
 *       embedder.</li>
 *   <li>{@code POST /tokenize} (also {@code /v1/tokenize}; vLLM's request shape):
 *       {@code {"prompt"}} or {@code {"messages"}} → {@code {"count", "max_model_len"}}, counted
 *       by the chat model's own tokenizer (a prompt as text inside a message, no BOS; messages as
 *       rendered by the chat template, assistant header included). Lets a remote
 *       {@code OpenAiCompatibleChatModel} pack context exactly.</li>
 * </ul>
 * The notebook:
 * <ul>
 *   <li>{@code POST /v1/notes} {@code {"title"?, "text", "tags"?, "id"?, "source"?}} → 201
 *       {@code {"object": "note", "id", ...}}; {@code GET /v1/notes?limit=&offset=};
 *       {@code GET /v1/notes/{id}}; {@code DELETE /v1/notes/{id}} → {@code {"id", "object",
 *       "deleted": true}} (404 if there is no such note).</li>
 *   <li>{@code GET /v1/search?q=&k=&mode=&tag=} → {@code {"object": "list", "data": [{"rank",
 *       "note_id", "title", "tags", "source", "page"?, "section"? (where the passage is, when known),
 *       "passage", "start", "end", "score", ...}]}}.</li>
 *   <li>{@code POST /v1/ask} {@code {"question", "k"?, "max_tokens"?, "tags"?, "temperature"?,
 *       "seed"?, "stream"? (default true)}}: server-sent events {@code event: delta} /
 *       {@code data: {"delta": "..."}} as the answer is written, then {@code event: answer} with
 *       the object {@code pocketrag ask --json} prints ({@link dev.pocketrag.retrieval.AnswerJson}), then
 *       {@code data: [DONE]}; with {@code "stream": false} just that object. A follow-up:
 *       {@code "thread": NAME} continues (or starts) the thread stored in the notebook, and the
 *       object adds {@code "thread": {"name", "started", "turns"}}; or, instead of {@code question},
 *       {@code "messages"}: OpenAI-style history (user and assistant turns, system messages
 *       ignored) whose last user message is the question. {@code searched_for} says what the
 *       notes were searched for.</li>
 *   <li>{@code GET /v1/threads} → {@code {"object": "list", "data": [{"name", "turns", "updated",
 *       "first_question"}]}}; {@code GET /v1/threads/NAME} → {@code {"object": "thread", "name",
 *       "turns": [{"question", "searched_for", "answer", "at", "cited"}]}}; {@code DELETE
 *       /v1/threads/NAME} → {@code {"name", "object": "thread.deleted", "deleted": true}} (404 if
 *       there is no such thread).</li>
 *   <li>{@code GET /v1/sources} → {@code {"object": "sources", "roots": [{"path", "online",
 *       "last_scan", "notes", "skipped", "failed", "problems": [{"path", "reason", "failed"}]}],
 *       "warning"}}: the watched folders ({@code serve --watch}, {@code pocketrag watch}) as last
 *       recorded in the notebook directory.</li>
 *   <li>{@code GET /}: the chat page (plain HTML, CSS and JS from this jar, nothing from
 *       elsewhere).</li>
 * </ul>
 * MCP ({@link Builder#mcp}, on by default): {@code POST /mcp} and {@code DELETE /mcp}, the Model
 * Context Protocol over streamable HTTP (see {@code McpHttpTransport}) with the tools and resources
 * of {@link PocketragMcp}, on this server's notebook and queues, behind the same API key and origin
 * checks.
 *
 * <h2>Errors</h2>
 * OpenAI's shape {@code {"error": {"message", "type", "param", "code"}}}: 400 bad JSON or a bad
 * parameter (named in {@code param}), 401 missing or wrong API key, 403 a cross-site request
 * (another {@code Origin}, or a foreign {@code Host} on loopback: DNS rebinding), 404, 405 (with
 * {@code Allow}), 409 a question on a thread that is still answering one, 413 body over the
 * limit, 429 queue full, 500 a bug or a failed write (named),
 * 503 no chat model, 507 the disk is full (the failing request is logged; reads go on, and writes
 * work again once there is room, without a restart). A non-streaming answer that takes longer than
 * {@code longAfter} (2 s) sends its status early and spaces until the JSON (see below); an error
 * after that comes as the body {@code {"error": ...}} under that status.
 *
 * <h2>Safety</h2>
 * <ul>
 *   <li>Binds to loopback unless told otherwise; any other address needs an API key, which is
 *       then checked on every request (pages included): {@code Authorization: Bearer KEY}, or
 *       HTTP Basic with the key as password (what a browser asks for at {@code /}). The compare
 *       is constant-time ({@link MessageDigest#isEqual} of SHA-256 digests).</li>
 *   <li>One request at a time uses the chat model (one KV cache; requests never interleave); the
 *       others wait in arrival order, up to {@code queueCapacity}, then 429.</li>
 *   <li>A streaming client that disconnects or stops reading has its generation cancelled and
 *       the model freed (see {@link SseStream}). A non-streaming one is noticed too: after
 *       {@code longAfter} without an answer the status goes out and a space every
 *       {@code longInterval} (JSON allows leading whitespace), and a failed write cancels the
 *       generation, or the embedding of a note being added (then nothing is written).</li>
 *   <li>Embedding (a question, a search, a note, {@code /v1/embeddings}) is done by a few requests
 *       at a time ({@value #EMBEDDING_PERMITS}; {@value #EMBEDDING_QUEUE} more wait, then 429), and
 *       a question's retrieval does not hold the model's queue. The embedder reads at most the
 *       first 16,384 characters of a text; questions and queries are at most 4,000 characters.</li>
 *   <li>Request bodies over {@code maxBodyBytes} are refused (413) without being read.</li>
 *   <li>Connections are capped below the process's file-descriptor limit (see
 *       {@link Connections}): more are closed at once, and one that sends nothing for 10 s is
 *       closed.</li>
 * </ul>
 */
public final class PocketragServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PocketragServer.class.getName());

    /** Requests embedding at once, and how many more may wait. */
    static final int EMBEDDING_PERMITS = 2;
    static final int EMBEDDING_QUEUE = 32;
    /** How often /mcp's resource list looks for notes added or deleted by others. */
    static final Duration MCP_REFRESH = Duration.ofSeconds(5);

    final Notebook notebook;
    final ModelGate gate;
    final ModelGate embedding;
    final Duration longAfter;
    final Duration longInterval;
    final long maxBodyBytes;
    final Duration stallTimeout;
    final long maxPendingBytes;
    final Duration keepAlive;
    final long startedEpochSeconds = System.currentTimeMillis() / 1000;
    private final int maxConcurrentRequests;
    private final byte[] keyDigest;
    private final boolean loopback;
    private final HttpServer http;
    private final ExecutorService executor;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final OpenAiApi openAi;
    final NotebookApi notebookApi;
    private final StaticPage page;
    private final URI uri;
    private final Thread watcher;
    /** MCP at /mcp (null: not offered), its server, and what keeps its resource list current. */
    private final McpHttpTransport mcpTransport;
    private final io.modelcontextprotocol.server.McpSyncServer mcpServer;
    private final Thread mcpRefresher;

    private PocketragServer(Builder b, InetAddress address) throws IOException {
        this.notebook = b.notebook;
        this.gate = new ModelGate(b.queueCapacity, this::closing);
        this.embedding = new ModelGate(EMBEDDING_PERMITS, EMBEDDING_QUEUE, "the embedder is busy", this::closing);
        this.longAfter = b.longAfter;
        this.longInterval = b.longInterval;
        this.maxBodyBytes = b.maxBodyBytes;
        this.stallTimeout = b.stallTimeout;
        this.maxPendingBytes = b.maxPendingBytes;
        this.keepAlive = b.keepAlive;
        this.maxConcurrentRequests = b.maxConcurrentRequests;
        this.keyDigest = b.apiKey == null ? null : sha256(b.apiKey);
        this.loopback = address.isLoopbackAddress();
        this.openAi = new OpenAiApi(this);
        this.notebookApi = new NotebookApi(this);
        this.page = new StaticPage();
        if (b.mcp) {
            io.modelcontextprotocol.json.McpJsonMapper mapper = io.modelcontextprotocol.json.McpJsonDefaults.getMapper();
            this.mcpTransport = new McpHttpTransport(mapper, b.maxBodyBytes);
            McpNotes notes = new McpNotes(new ServerAccess(this), b.mcpReadOnly, mapper, notebookApi.busyThreads);
            this.mcpServer = notes.build(io.modelcontextprotocol.server.McpServer.sync(mcpTransport));
            this.mcpRefresher = Thread.ofVirtual().name("pocketrag-mcp-resources").start(() -> {
                while (!closing.get()) {
                    try {
                        Thread.sleep(MCP_REFRESH.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                    notes.refreshIfChanged(mcpServer);
                }
            });
        } else {
            this.mcpTransport = null;
            this.mcpServer = null;
            this.mcpRefresher = null;
        }
        this.executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("pocketrag-http-", 0).factory());
        int cap = Connections.configure(); // before the first HttpServer of the process reads the limits
        HttpServer s = HttpServer.create(new InetSocketAddress(address, b.port), 64);
        s.setExecutor(executor);
        s.createContext("/", this::handle);
        s.start();
        this.http = s;
        this.watcher = Connections.watch(cap, this::closing);
        int port = s.getAddress().getPort();
        String host = address.getHostAddress();
        if (address.isAnyLocalAddress()) {
            host = address instanceof java.net.Inet6Address ? "::1" : "127.0.0.1";
        }
        this.uri = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/");
    }

    public static Builder builder(Notebook notebook) {
        return new Builder(notebook);
    }

    /** Settings of a server. */
    public static final class Builder {
        private final Notebook notebook;
        private String host = "127.0.0.1";
        private int port = 8080;
        private String apiKey;
        private int queueCapacity = 8;
        private long maxBodyBytes = 8L << 20;
        private int maxConcurrentRequests = 64;
        private Duration stallTimeout = Duration.ofSeconds(30);
        private long maxPendingBytes = 1L << 20;
        private Duration keepAlive = Duration.ofSeconds(15);
        private Duration longAfter = Duration.ofSeconds(2);
        private Duration longInterval = Duration.ofSeconds(1);
        private boolean mcp = true;
        private boolean mcpReadOnly;

        private Builder(Notebook notebook) {
            this.notebook = Objects.requireNonNull(notebook, "notebook");
        }

        /** The address to listen on (default 127.0.0.1); anything but loopback needs {@link #apiKey}. */
        public Builder host(String h) {
            Objects.requireNonNull(h, "host");
            if (h.isBlank()) {
                throw new IllegalArgumentException("host is blank");
            }
            this.host = h.strip();
            return this;
        }

        /** The port (0..65535; 0 picks a free one; default 8080). */
        public Builder port(int p) {
            if (p < 0 || p > 65535) {
                throw new IllegalArgumentException("port must be in 0..65535; port=" + p);
            }
            this.port = p;
            return this;
        }

        /**
         * The key every request must carry (16..512 printable ASCII characters, no spaces);
         * required when the host is not loopback. Null: none.
         */
        public Builder apiKey(String key) {
            if (key != null) {
                if (key.length() < 16 || key.length() > 512) {
                    throw new IllegalArgumentException("the API key must have 16 to 512 characters (e.g. `openssl rand -hex 16`); it has "
                            + key.length());
                }
                for (int i = 0; i < key.length(); i++) {
                    char c = key.charAt(i);
                    if (c < 0x21 || c > 0x7e) {
                        throw new IllegalArgumentException("the API key must be printable ASCII without spaces; character "
                                + i + " is U+" + String.format(Locale.ROOT, "%04X", (int) c));
                    }
                }
            }
            this.apiKey = key;
            return this;
        }

        /** How many requests may wait for the chat model (0..10000, default 8); more get 429. */
        public Builder queueCapacity(int n) {
            if (n < 0 || n > 10_000) {
                throw new IllegalArgumentException("queueCapacity must be in 0..10000; queueCapacity=" + n);
            }
            this.queueCapacity = n;
            return this;
        }

        /** The largest request body (1 KiB..1 GiB, default 8 MiB); larger ones get 413. */
        public Builder maxBodyBytes(long n) {
            if (n < 1024 || n > 1L << 30) {
                throw new IllegalArgumentException("maxBodyBytes must be in 1024..1073741824; maxBodyBytes=" + n);
            }
            this.maxBodyBytes = n;
            return this;
        }

        /** Requests handled at once, of any kind (1..10000, default 64); more get 429. */
        public Builder maxConcurrentRequests(int n) {
            if (n < 1 || n > 10_000) {
                throw new IllegalArgumentException("maxConcurrentRequests must be in 1..10000; maxConcurrentRequests=" + n);
            }
            this.maxConcurrentRequests = n;
            return this;
        }

        /**
         * How long a streaming client may block one write (default 30 s) and how much may wait
         * for it (default 1 MiB) before its generation is cancelled.
         */
        public Builder stallLimits(Duration timeout, long maxPendingBytes) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("stall timeout must be positive; timeout=" + timeout);
            }
            if (maxPendingBytes < 1024) {
                throw new IllegalArgumentException("maxPendingBytes must be >= 1024; maxPendingBytes=" + maxPendingBytes);
            }
            this.stallTimeout = timeout;
            this.maxPendingBytes = maxPendingBytes;
            return this;
        }

        /** A {@code : keep-alive} comment goes to streaming clients after this long without data (default 15 s). */
        public Builder keepAlive(Duration d) {
            Objects.requireNonNull(d, "keepAlive");
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("keepAlive must be positive; keepAlive=" + d);
            }
            this.keepAlive = d;
            return this;
        }

        /**
         * How a non-streaming answer that takes long notices a client that left: after {@code after}
         * (default 2 s) without an answer its status goes out, then a space every {@code interval}
         * (default 1 s) until the JSON; a write that fails cancels the work.
         */
        public Builder longResponses(Duration after, Duration interval) {
            Objects.requireNonNull(after, "after");
            Objects.requireNonNull(interval, "interval");
            if (after.isNegative() || interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("after must be >= 0 and interval > 0; after=" + after + ", interval="
                        + interval);
            }
            this.longAfter = after;
            this.longInterval = interval;
            return this;
        }

        /**
         * Whether to offer MCP at {@code /mcp} (default true; see {@code McpHttpTransport}), and
         * whether its clients may only read ({@code add_note} is then not offered).
         *
         * @param enabled whether {@code /mcp} answers (else it is a 404 like any unknown page)
         * @param readOnly whether to leave out {@code add_note}
         * @return this builder
         */
        public Builder mcp(boolean enabled, boolean readOnly) {
            this.mcp = enabled;
            this.mcpReadOnly = readOnly;
            return this;
        }

        /**
         * Binds and starts serving.
         *
         * @throws IllegalArgumentException if the host is not loopback and there is no API key,
         *     or the host is unknown
         * @throws java.net.BindException if the port is taken
         */
        public PocketragServer start() throws IOException {
            InetAddress address;
            try {
                address = InetAddress.getByName(host);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("unknown host '" + host + "'", e);
            }
            if (!address.isLoopbackAddress() && apiKey == null) {
                throw new IllegalArgumentException("host " + host + " is not a loopback address: anyone on the network could "
                        + "use it, so an API key is required (--api-key or POCKETRAG_API_KEY)");
            }
            return new PocketragServer(this, address);
        }
    }

    // ---- information

    /** The port listened on. */
    public int port() {
        return http.getAddress().getPort();
    }

    /** Where to reach the server from this machine, e.g. {@code http://127.0.0.1:8080/}. */
    public URI uri() {
        return uri;
    }

    /** Whether the server listens on loopback only. */
    public boolean isLoopback() {
        return loopback;
    }

    /** Requests waiting for the chat model (not counting the one using it). */
    public int waitingForModel() {
        return gate.waiting();
    }

    /** Requests using or waiting for the chat model. */
    public int admittedForModel() {
        return gate.admitted();
    }

    boolean closing() {
        return closing.get();
    }

    // ---- request handling

    private void handle(HttpExchange ex) {
        int n = inFlight.incrementAndGet();
        try {
            if (n > maxConcurrentRequests) {
                throw ApiError.queueFull("too many requests at once (limit " + maxConcurrentRequests + ")");
            }
            String path = ex.getRequestURI().getRawPath();
            boolean api = path.startsWith("/v1/") || path.equals("/v1") || path.equals("/tokenize") || path.equals("/mcp");
            checkSameSite(ex);
            if (!authorized(ex)) {
                if (api) {
                    ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"pocketrag\"");
                } else {
                    ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"pocketrag\", charset=\"UTF-8\"");
                }
                throw ApiError.unauthorized(ex.getRequestHeaders().getFirst("Authorization") == null
                        ? "this server needs an API key: send Authorization: Bearer KEY"
                        : "the API key is wrong");
            }
            if (closing.get()) {
                throw new ApiError(503, "server_error", "the server is shutting down", null, "shutting_down");
            }
            if (path.equals("/mcp") && mcpTransport != null) {
                mcpTransport.handle(ex);
            } else if (path.equals("/tokenize")) {
                route(ex, "/tokenize"); // where vLLM has it
            } else if (api) {
                route(ex, path.length() > 3 ? path.substring(3) : "/");
            } else {
                page.serve(ex, path);
            }
        } catch (ApiError e) {
            respondError(ex, e);
        } catch (IOException e) {
            ex.close(); // the client went away
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.WARNING, "internal error on " + ex.getRequestMethod() + " "
                    + ex.getRequestURI().getRawPath(), e);
            respondError(ex, ApiError.internal("internal error: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + Http.oneLine(e.getMessage()))));
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private static void respondError(HttpExchange ex, ApiError e) {
        try {
            if (ex.getResponseCode() == -1) {
                Http.sendError(ex, e);
            }
        } catch (IOException | RuntimeException ignored) {
            // the client is gone
        } finally {
            ex.close();
        }
    }

    /** path: below /v1, e.g. "/models". */
    private void route(HttpExchange ex, String path) throws IOException {
        String method = ex.getRequestMethod();
        if (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        switch (path) {
            case "/models" -> {
                allow(ex, method, "GET");
                openAi.models(ex);
            }
            case "/chat/completions" -> {
                allow(ex, method, "POST");
                openAi.chatCompletions(ex);
            }
            case "/embeddings" -> {
                allow(ex, method, "POST");
                openAi.embeddings(ex);
            }
            case "/tokenize" -> {
                allow(ex, method, "POST");
                openAi.tokenize(ex);
            }
            case "/notes" -> {
                allow(ex, method, "GET, POST");
                if (method.equals("POST")) {
                    notebookApi.addNote(ex);
                } else {
                    notebookApi.listNotes(ex);
                }
            }
            case "/search" -> {
                allow(ex, method, "GET");
                notebookApi.search(ex);
            }
            case "/ask" -> {
                allow(ex, method, "POST");
                notebookApi.ask(ex);
            }
            case "/threads" -> {
                allow(ex, method, "GET");
                notebookApi.listThreads(ex);
            }
            case "/sources" -> {
                allow(ex, method, "GET");
                notebookApi.sources(ex);
            }
            default -> {
                if (path.startsWith("/notes/")) {
                    String id = Http.decode(path.substring("/notes/".length()), false);
                    allow(ex, method, "GET, DELETE");
                    if (method.equals("DELETE")) {
                        notebookApi.deleteNote(ex, id);
                    } else {
                        notebookApi.getNote(ex, id);
                    }
                } else if (path.startsWith("/threads/")) {
                    String name = Http.decode(path.substring("/threads/".length()), false);
                    allow(ex, method, "GET, DELETE");
                    if (method.equals("DELETE")) {
                        notebookApi.deleteThread(ex, name);
                    } else {
                        notebookApi.getThread(ex, name);
                    }
                } else if (path.startsWith("/models/")) {
                    allow(ex, method, "GET");
                    openAi.model(ex, Http.decode(path.substring("/models/".length()), false));
                } else {
                    throw ApiError.notFound("no such endpoint: " + method + " /v1" + path);
                }
            }
        }
    }

    /** @throws ApiError 405 with an Allow header unless {@code method} is one of {@code allowed} */
    static void allow(HttpExchange ex, String method, String allowed) {
        for (String m : allowed.split(",\\s*")) {
            if (m.equals(method)) {
                return;
            }
        }
        ex.getResponseHeaders().set("Allow", allowed);
        throw ApiError.methodNotAllowed(method, ex.getRequestURI().getRawPath(), allowed);
    }

    /**
     * Refuses what a web page of another site could make a browser send: a state-changing
     * request with another {@code Origin}, or (on loopback) a {@code Host} that is not a loopback
     * name, which is how DNS rebinding reaches a local server.
     */
    private void checkSameSite(HttpExchange ex) {
        String host = ex.getRequestHeaders().getFirst("Host");
        if (loopback && host != null && !isLoopbackHost(host)) {
            throw ApiError.forbidden("Host '" + host + "' is not this machine's loopback name");
        }
        String method = ex.getRequestMethod();
        if (method.equals("GET") || method.equals("HEAD")) {
            return;
        }
        String origin = ex.getRequestHeaders().getFirst("Origin");
        if (origin == null) {
            return; // not a browser, or a same-origin request of an old one
        }
        // same site: the Origin's host[:port] is the Host the browser sent (scheme aside: a proxy may add https)
        String authority = null;
        try {
            authority = URI.create(origin.strip()).getRawAuthority();
        } catch (IllegalArgumentException e) {
            // "null" or garbage: refused below
        }
        if (host == null || authority == null || !authority.equalsIgnoreCase(host.strip())) {
            throw ApiError.forbidden("cross-origin requests are not allowed (Origin " + origin + ")");
        }
    }

    static boolean isLoopbackHost(String hostHeader) {
        String h = hostHeader.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end > 0 && h.substring(1, end).equals("::1");
        }
        int colon = h.indexOf(':');
        if (colon >= 0) {
            h = h.substring(0, colon);
        }
        if (h.equals("localhost") || h.endsWith(".localhost")) {
            return true;
        }
        String[] parts = h.split("\\.", -1);
        if (parts.length != 4 || !parts[0].equals("127")) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    /** Whether the request carries the API key (always true without one). Constant-time. */
    boolean authorized(HttpExchange ex) {
        return keyDigest == null || keyMatches(keyDigest, ex.getRequestHeaders().getFirst("Authorization"));
    }

    /**
     * Whether an {@code Authorization} header carries the key whose SHA-256 is {@code keyDigest}:
     * {@code Bearer KEY}, or {@code Basic base64(user:KEY)} (any user name). Comparing digests
     * with {@link MessageDigest#isEqual} takes the same time wherever the first difference is,
     * and digests have one length, so neither the key nor its length leaks through timing.
     */
    static boolean keyMatches(byte[] keyDigest, String authorization) {
        String given = null;
        if (authorization != null) {
            String a = authorization.strip();
            if (a.regionMatches(true, 0, "Bearer ", 0, 7)) {
                given = a.substring(7).strip();
            } else if (a.regionMatches(true, 0, "Basic ", 0, 6)) {
                try {
                    String userPass = new String(Base64.getDecoder().decode(a.substring(6).strip()), StandardCharsets.UTF_8);
                    int colon = userPass.indexOf(':');
                    given = colon < 0 ? null : userPass.substring(colon + 1);
                } catch (IllegalArgumentException e) {
                    given = null;
                }
            }
        }
        byte[] digest = sha256(given == null ? "" : given);
        return MessageDigest.isEqual(digest, keyDigest) & given != null;
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    // ---- lifecycle

    /**
     * Stops accepting requests, cancels generations in flight, closes all connections, and waits
     * (up to 30 s) until the chat model is free, so the caller may close the notebook. Does not
     * close the notebook. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closing.set(true);
        if (watcher != null) {
            watcher.interrupt();
        }
        if (mcpRefresher != null) {
            mcpRefresher.interrupt();
            mcpServer.closeGracefully();
        }
        http.stop(0);
        try {
            if (!gate.awaitIdle(Duration.ofSeconds(30))) {
                LOG.log(System.Logger.Level.WARNING, "the chat model was still busy 30 s after the server stopped");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor.shutdown();
    }
}
