package dev.pocketrag.server;

import com.sun.net.httpserver.HttpExchange;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.HttpHeaders;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStreamableServerSession;
import io.modelcontextprotocol.spec.McpStreamableServerTransport;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * MCP's streamable HTTP transport ({@code /mcp}, protocol 2025-03-26 and later) on the JDK's
 * HttpServer, for the SDK's server sessions: the SDK ships one for servlet containers only, and
 * {@code serve} has none.
 *
 * <ul>
 *   <li>{@code POST /mcp} with one JSON-RPC message: {@code initialize} starts a session and is
 *       answered as JSON with its {@code Mcp-Session-Id}; every other message must carry that
 *       header (missing: 400; unknown or ended: 404, so the client starts again). A request is
 *       answered as server-sent events ({@code event: message}, {@code data: <JSON-RPC>}) when
 *       {@code Accept} lists {@code text/event-stream}, else as one JSON response; a notification
 *       or a response gets 202 without a body.</li>
 *   <li>{@code GET /mcp}: 405. The spec lets a server offer no stream of its own messages, and
 *       this one sends none (its tools and resources do not change by themselves).</li>
 *   <li>{@code DELETE /mcp}: ends the session (200; unknown: 404).</li>
 * </ul>
 * Errors of the transport are JSON-RPC error objects ({@code {"jsonrpc": "2.0", "id": null,
 * "error": {"code", "message"}}}) under the HTTP status. The server's API-key and same-origin
 * checks come before this (see {@link PocketragServer}). At most {@value #MAX_SESSIONS} sessions
 * are kept: beyond that the least recently used one ends.
 */
final class McpHttpTransport implements McpStreamableServerTransportProvider {
    private static final System.Logger LOG = System.getLogger(McpHttpTransport.class.getName());

    static final int MAX_SESSIONS = 256;

    private final McpJsonMapper mapper;
    private final long maxBodyBytes;
    private volatile McpStreamableServerSession.Factory factory;
    /** Session id -> session, least recently used first; guarded by itself. */
    private final LinkedHashMap<String, McpStreamableServerSession> sessions = new LinkedHashMap<>(16, 0.75f, true);
    private volatile boolean closing;

    McpHttpTransport(McpJsonMapper mapper, long maxBodyBytes) {
        this.mapper = mapper;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void setSessionFactory(McpStreamableServerSession.Factory sessionFactory) {
        this.factory = sessionFactory;
    }

    /** Sessions open now. */
    int sessions() {
        synchronized (sessions) {
            return sessions.size();
        }
    }

    // ---- requests

    /** Answers a request to {@code /mcp} (its API key and origin already checked). */
    void handle(HttpExchange ex) throws IOException {
        if (closing) {
            sendError(ex, 503, McpSchema.ErrorCodes.INTERNAL_ERROR, "the server is shutting down");
            return;
        }
        switch (ex.getRequestMethod()) {
            case "POST" -> post(ex);
            case "DELETE" -> delete(ex);
            default -> {
                ex.getResponseHeaders().set("Allow", "POST, DELETE");
                sendError(ex, 405, McpSchema.ErrorCodes.INVALID_REQUEST, ex.getRequestMethod()
                        + " is not allowed on /mcp: this server opens no stream of its own (POST messages, DELETE ends a session)");
            }
        }
    }

    private void post(HttpExchange ex) throws IOException {
        byte[] body;
        try {
            body = Http.readBody(ex, maxBodyBytes);
        } catch (ApiError e) {
            sendError(ex, e.status, McpSchema.ErrorCodes.INVALID_REQUEST, e.getMessage());
            return;
        }
        McpSchema.JSONRPCMessage message;
        try {
            message = McpSchema.deserializeJsonRpcMessage(mapper, new String(body, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            sendError(ex, 400, McpSchema.ErrorCodes.PARSE_ERROR, "the body is not one JSON-RPC message: "
                    + Http.oneLine(e.getMessage()));
            return;
        }
        if (message instanceof McpSchema.JSONRPCRequest req && req.method().equals(McpSchema.METHOD_INITIALIZE)) {
            initialize(ex, req);
            return;
        }
        String id = ex.getRequestHeaders().getFirst(HttpHeaders.MCP_SESSION_ID);
        if (id == null || id.isBlank()) {
            sendError(ex, 400, McpSchema.ErrorCodes.INVALID_REQUEST, "no " + HttpHeaders.MCP_SESSION_ID
                    + " header: send initialize first, then its session id with every message");
            return;
        }
        McpStreamableServerSession session;
        synchronized (sessions) {
            session = sessions.get(id);
        }
        if (session == null) {
            sendError(ex, 404, McpSchema.ErrorCodes.INVALID_REQUEST, "no session '" + Http.oneLine(id)
                    + "' (ended, or never started): initialize again");
            return;
        }
        switch (message) {
            case McpSchema.JSONRPCRequest req -> answer(ex, session, req);
            case McpSchema.JSONRPCNotification n -> {
                session.accept(n).contextWrite(c -> c.put(McpTransportContext.KEY, McpTransportContext.EMPTY)).block();
                accepted(ex);
            }
            case McpSchema.JSONRPCResponse r -> {
                session.accept(r).onErrorResume(e -> Mono.empty()).block(); // an answer to nothing asked: ignored
                accepted(ex);
            }
            default -> sendError(ex, 400, McpSchema.ErrorCodes.INVALID_REQUEST, "not a JSON-RPC request, notification or response");
        }
    }

    private void initialize(HttpExchange ex, McpSchema.JSONRPCRequest req) throws IOException {
        McpSchema.InitializeRequest init;
        try {
            init = mapper.convertValue(req.params(), new TypeRef<McpSchema.InitializeRequest>() {});
        } catch (RuntimeException e) {
            sendJson(ex, 200, McpSchema.JSONRPCResponse.error(req.id(), new McpSchema.JSONRPCResponse.JSONRPCError(
                    McpSchema.ErrorCodes.INVALID_PARAMS, "bad initialize parameters: " + Http.oneLine(e.getMessage()), null)),
                    null);
            return;
        }
        McpStreamableServerSession.McpStreamableServerSessionInit started = factory.startSession(init);
        McpStreamableServerSession evicted = null;
        synchronized (sessions) {
            sessions.put(started.session().getId(), started.session());
            if (sessions.size() > MAX_SESSIONS) {
                Iterator<Map.Entry<String, McpStreamableServerSession>> it = sessions.entrySet().iterator();
                evicted = it.next().getValue();
                it.remove();
            }
        }
        if (evicted != null) {
            evicted.close();
        }
        McpSchema.InitializeResult result = started.initResult().block();
        sendJson(ex, 200, McpSchema.JSONRPCResponse.result(req.id(), result), started.session().getId());
    }

    /** A request: its messages as server-sent events, or its response as JSON. */
    private void answer(HttpExchange ex, McpStreamableServerSession session, McpSchema.JSONRPCRequest req)
            throws IOException {
        String accept = ex.getRequestHeaders().getFirst("Accept");
        boolean sse = accept != null && accept.contains("text/event-stream");
        Stream stream = new Stream(ex, sse);
        try {
            session.responseStream(req, stream)
                    .contextWrite(c -> c.put(McpTransportContext.KEY, McpTransportContext.EMPTY)).block();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "MCP request " + req.method() + " failed", e);
        }
        stream.finish(req);
    }

    private void delete(HttpExchange ex) throws IOException {
        String id = ex.getRequestHeaders().getFirst(HttpHeaders.MCP_SESSION_ID);
        if (id == null || id.isBlank()) {
            sendError(ex, 400, McpSchema.ErrorCodes.INVALID_REQUEST, "no " + HttpHeaders.MCP_SESSION_ID + " header");
            return;
        }
        McpStreamableServerSession session;
        synchronized (sessions) {
            session = sessions.remove(id);
        }
        if (session == null) {
            sendError(ex, 404, McpSchema.ErrorCodes.INVALID_REQUEST, "no session '" + Http.oneLine(id) + "'");
            return;
        }
        session.delete().onErrorResume(e -> Mono.empty()).block();
        ex.sendResponseHeaders(200, -1);
        ex.close();
    }

    private static void accepted(HttpExchange ex) throws IOException {
        ex.sendResponseHeaders(202, -1);
        ex.close();
    }

    private void sendJson(HttpExchange ex, int status, Object message, String sessionId) throws IOException {
        byte[] bytes = mapper.writeValueAsString(message).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        if (sessionId != null) {
            ex.getResponseHeaders().set(HttpHeaders.MCP_SESSION_ID, sessionId);
        }
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
        ex.close();
    }

    private void sendError(HttpExchange ex, int status, int code, String message) throws IOException {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code);
        error.put("message", message);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("jsonrpc", McpSchema.JSONRPC_VERSION);
        body.put("id", null);
        body.put("error", error);
        byte[] bytes = Json.of(body).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
        ex.close();
    }

    /**
     * The messages of one request: written as events as they come ({@code sse}), or kept until the
     * response, which goes out alone as JSON.
     */
    private final class Stream implements McpStreamableServerTransport {
        private final HttpExchange ex;
        private final boolean sse;
        private final List<McpSchema.JSONRPCMessage> kept = new ArrayList<>();
        private OutputStream out;
        private boolean closed;
        private boolean broken;

        Stream(HttpExchange ex, boolean sse) {
            this.ex = ex;
            this.sse = sse;
        }

        @Override
        public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
            return sendMessage(message, null);
        }

        @Override
        public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message, String messageId) {
            return Mono.fromRunnable(() -> write(message, messageId));
        }

        private synchronized void write(McpSchema.JSONRPCMessage message, String messageId) {
            if (closed || broken) {
                return;
            }
            if (!sse) {
                kept.add(message);
                return;
            }
            try {
                if (out == null) {
                    ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
                    ex.getResponseHeaders().set("Cache-Control", "no-cache");
                    ex.sendResponseHeaders(200, 0);
                    out = ex.getResponseBody();
                }
                // JSON has no raw line breaks (they are escaped in strings), so one data line holds it
                String event = (messageId == null ? "" : "id: " + messageId + "\n") + "event: message\ndata: "
                        + mapper.writeValueAsString(message) + "\n\n";
                out.write(event.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                broken = true; // the client left; the request's work is done anyway
            }
        }

        /** Ends the response: the last bytes of the events, or the response as JSON. */
        synchronized void finish(McpSchema.JSONRPCRequest req) throws IOException {
            closed = true;
            if (sse && out != null) {
                try {
                    out.close();
                } catch (IOException e) {
                    // gone
                }
                ex.close();
                return;
            }
            McpSchema.JSONRPCMessage response = null;
            for (McpSchema.JSONRPCMessage m : kept) {
                if (m instanceof McpSchema.JSONRPCResponse) {
                    response = m;
                }
            }
            if (response == null) {
                response = McpSchema.JSONRPCResponse.error(req.id(), new McpSchema.JSONRPCResponse.JSONRPCError(
                        McpSchema.ErrorCodes.INTERNAL_ERROR, "the request " + req.method() + " got no response", null));
            }
            sendJson(ex, 200, response, null);
        }

        @Override
        public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
            return mapper.convertValue(data, typeRef);
        }

        @Override
        public Mono<Void> closeGracefully() {
            return Mono.fromRunnable(this::close);
        }

        @Override
        public synchronized void close() {
            closed = true;
        }
    }

    // ---- the provider

    @Override
    public Mono<Void> notifyClients(String method, Object params) {
        return Mono.empty(); // no stream to send them on (GET is 405); nothing here notifies
    }

    @Override
    public Mono<Void> closeGracefully() {
        return Mono.fromRunnable(() -> {
            closing = true;
            List<McpStreamableServerSession> all;
            synchronized (sessions) {
                all = new ArrayList<>(sessions.values());
                sessions.clear();
            }
            for (McpStreamableServerSession s : all) {
                s.close();
            }
        });
    }
}
