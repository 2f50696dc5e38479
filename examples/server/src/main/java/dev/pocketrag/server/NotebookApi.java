package dev.pocketrag.server;

import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.index.SearchMode;
import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.AnswerJson;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.ContextMode;
import dev.pocketrag.retrieval.Conversation;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.SearchOptions;
import dev.pocketrag.remote.OpenAiWire;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code /v1/notes}, {@code /v1/search}, {@code /v1/ask}: the notebook over HTTP. A failure of the
 * notebook's storage is answered (507 for a full disk, else 500, with the cause) and logged; the
 * notebook recovers by itself once the cause is gone (see {@code NoteIndex}).
 */
final class NotebookApi {
    static final int MAX_TAGS = 100;
    /** The largest {@code offset} of a listing (far beyond any notebook; keeps offset + limit an int). */
    static final int MAX_OFFSET = 1_000_000_000;
    private static final System.Logger LOG = System.getLogger(NotebookApi.class.getName());

    private final PocketragServer server;

    NotebookApi(PocketragServer server) {
        this.server = server;
    }

    private Notebook nb() {
        return server.notebook;
    }

    /** A notebook call that may fail with an I/O error. */
    interface Io<T> {
        T call() throws IOException;
    }

    /**
     * Runs a notebook call; its I/O failure becomes a logged 507 (full disk) or 500 naming the cause,
     * never mistaken for a client that went away.
     */
    static <T> T storage(String what, Io<T> call) {
        try {
            return call.call();
        } catch (dev.pocketrag.index.IndexWriteException e) {
            LOG.log(System.Logger.Level.WARNING, what + " failed: " + e.getMessage(), e);
            throw new ApiError(e.diskFull() ? 507 : 500, "server_error", what + " failed: " + Http.oneLine(e.getMessage()),
                    null, e.diskFull() ? "insufficient_storage" : "storage_error");
        } catch (java.io.InterruptedIOException e) {
            Thread.currentThread().interrupt();
            throw ApiError.internal(what + " was interrupted");
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, what + " failed: " + e, e);
            boolean full = dev.pocketrag.index.IndexWriteException.isDiskFull(e);
            throw new ApiError(full ? 507 : 500, "server_error", what + " failed: " + Http.oneLine(
                    e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), null,
                    full ? "insufficient_storage" : "storage_error");
        }
    }

    // ---- notes

    /**
     * {@code POST /v1/notes}: with an {@code id}, a retry replaces the note instead of adding it
     * twice; a client that leaves while its note is embedded stops the work (nothing is written).
     */
    void addNote(HttpExchange ex) throws IOException {
        JsonObject req = Http.readJsonObject(ex, server.maxBodyBytes);
        String text = Params.requiredString(req, "text");
        if (text.isBlank()) {
            throw ApiError.badRequest("'text' is empty", "text");
        }
        String title = Params.string(req, "title", null);
        if (title == null) {
            title = firstLine(text);
        }
        List<String> tags = Params.list(req, "tags", MAX_TAGS);
        String id = Params.string(req, "id", null);
        String source = Params.string(req, "source", "");
        Instant now = Instant.now();
        Note note;
        try {
            Instant created = now;
            if (id != null) {
                Optional<Note> old = id.isEmpty() || id.length() > Note.MAX_ID_LENGTH ? Optional.empty()
                        : storage("reading note '" + id + "'", () -> nb().get(id));
                if (old.isPresent()) {
                    created = old.get().created();
                }
            }
            note = new Note(id != null ? id : UUID.randomUUID().toString(), title, text, tags, source, created, now);
        } catch (IllegalArgumentException e) {
            String msg = Http.oneLine(e.getMessage());
            throw ApiError.badRequest(msg, msg.startsWith("tag") ? "tags" : msg.startsWith("id") ? "id" : null);
        }
        Note stored;
        try (ModelGate.Slot work = server.embedding.enter();
             LongResponse resp = new LongResponse(ex, 201, server.longAfter, server.longInterval)) {
            try {
                stored = storage("adding the note", () -> nb().add(note, resp::clientGone));
            } catch (java.util.concurrent.CancellationException e) {
                LOG.log(System.Logger.Level.INFO, "the client left while note '" + note.id() + "' was embedded: not added");
                return;
            } catch (ApiError e) {
                resp.fail(e);
                return;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "adding a note failed", e);
                resp.fail(ApiError.internal("adding the note failed: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + Http.oneLine(e.getMessage()))));
                return;
            }
            resp.send(AnswerJson.note(stored, false));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.internal("interrupted while waiting for the embedder");
        }
    }

    void listNotes(HttpExchange ex) throws IOException {
        Map<String, List<String>> q = Http.query(ex.getRequestURI().getRawQuery());
        int limit = queryInt(q, "limit", 1, 1000, 100);
        int offset = queryInt(q, "offset", 0, MAX_OFFSET, 0);
        SearchFilter f = filter(tags(q));
        List<Object> data = new ArrayList<>();
        for (Note n : storage("listing notes", () -> nb().list(f, offset, limit))) {
            data.add(AnswerJson.note(n, false));
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "list");
        o.put("data", data);
        Http.sendJson(ex, 200, o);
    }

    void getNote(HttpExchange ex, String id) throws IOException {
        Note n = find(id);
        Http.sendJson(ex, 200, AnswerJson.note(n, true));
    }

    void deleteNote(HttpExchange ex, String id) throws IOException {
        if (id.isEmpty() || id.length() > Note.MAX_ID_LENGTH || !storage("deleting note '" + id + "'", () -> nb().delete(id))) {
            throw ApiError.notFound("no note with id '" + id + "'");
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("id", id);
        o.put("object", "note.deleted");
        o.put("deleted", true);
        Http.sendJson(ex, 200, o);
    }

    private Note find(String id) throws IOException {
        if (id.isEmpty() || id.length() > Note.MAX_ID_LENGTH) {
            throw ApiError.notFound("no note with id '" + id + "'");
        }
        return storage("reading note '" + id + "'", () -> nb().get(id))
                .orElseThrow(() -> ApiError.notFound("no note with id '" + id + "'"));
    }

    // ---- search

    void search(HttpExchange ex) throws IOException {
        Map<String, List<String>> q = Http.query(ex.getRequestURI().getRawQuery());
        String query = first(q, "q");
        if (query == null || query.isBlank()) {
            throw ApiError.badRequest("the query parameter 'q' is required (GET /v1/search?q=...&k=5)", "q");
        }
        if (query.strip().length() > Notebook.MAX_QUESTION_CHARS) {
            throw ApiError.badRequest("'q' has " + query.strip().length() + " characters; at most "
                    + Notebook.MAX_QUESTION_CHARS + " are allowed", "q");
        }
        int k = queryInt(q, "k", 1, 100, 5);
        String modeName = first(q, "mode");
        SearchMode mode = SearchMode.HYBRID;
        if (modeName != null) {
            mode = switch (modeName.toLowerCase(Locale.ROOT)) {
                case "hybrid" -> SearchMode.HYBRID;
                case "dense" -> SearchMode.DENSE;
                case "bm25" -> SearchMode.BM25;
                default -> throw ApiError.badRequest("'mode' must be hybrid, dense or bm25; got '" + modeName + "'", "mode");
            };
        }
        SearchOptions options = SearchOptions.defaults().withK(k).withMode(mode).withFilter(filter(tags(q)));
        List<SearchHit> hits;
        try (ModelGate.Slot work = mode == SearchMode.BM25 ? null : server.embedding.enter()) {
            hits = storage("searching", () -> nb().search(query.strip(), options)); // empty notebook: no hits
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.internal("interrupted while waiting for the embedder");
        }
        List<Object> data = new ArrayList<>(hits.size());
        for (SearchHit h : hits) {
            data.add(AnswerJson.hit(h));
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "list");
        o.put("query", query.strip());
        o.put("data", data);
        Http.sendJson(ex, 200, o);
    }

    // ---- ask

    /** Names of the threads answering a question now: a second question on one of them is a 409. */
    final java.util.Set<String> busyThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * What a request asks: the question, and the thread it continues (null if none) or the earlier
     * turns a client sent as {@code messages} (null if none).
     */
    private record Asked(String question, String thread, List<Conversation.Turn> earlier) {}

    /**
     * {@code POST /v1/ask}: a question alone, {@code {"question", "thread"}} (a stored thread,
     * continued or started) or {@code {"messages": [...]}} (OpenAI-style history ending with the
     * user's question, an in-memory conversation).
     */
    void ask(HttpExchange ex) throws IOException {
        JsonObject req = Http.readJsonObject(ex, server.maxBodyBytes);
        Asked asked = asked(req);
        boolean stream = Params.bool(req, "stream", true);
        AskOptions options = AskOptions.defaults();
        long k = Params.present(req, "passages") ? Params.integer(req, "passages", 1, 100, 6)
                : Params.integer(req, "k", 1, 100, options.passages());
        options = options.withPassages((int) k)
                .withMaxAnswerTokens((int) Params.integer(req, "max_tokens", 1, 100_000, options.maxAnswerTokens()))
                .withFilter(filter(Params.list(req, "tags", MAX_TAGS)));
        var gen = options.generation();
        gen = gen.withTemperature((float) Params.number(req, "temperature", 0, 2, gen.temperature()));
        if (Params.present(req, "seed")) {
            gen = gen.withSeed(Params.integer(req, "seed", Long.MIN_VALUE, Long.MAX_VALUE, 0));
        }
        options = options.withGeneration(gen);
        String context = Params.string(req, "context", null);
        if (context != null) {
            try {
                options = options.withContext(ContextMode.parse(context));
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("'context' must be whole or focused; got '" + Http.oneLine(context) + "'",
                        "context");
            }
        }
        String thread = asked.thread();
        if (thread == null) {
            try (Conversation c = asked.earlier() == null ? null : nb().conversation(asked.earlier())) {
                answer(ex, asked.question(), options, stream, c);
            }
            return;
        }
        try {
            checkThreadName(thread);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(Http.oneLine(e.getMessage()), "thread");
        }
        if (!busyThreads.add(thread)) {
            throw new ApiError(409, "invalid_request_error", "thread '" + thread
                    + "' is answering another question; ask again when it is done", "thread", "thread_busy");
        }
        try (Conversation c = storage("reading thread '" + thread + "'", () -> nb().conversation(thread))) {
            c.warning().ifPresent(w -> LOG.log(System.Logger.Level.WARNING, w));
            answer(ex, asked.question(), options, stream, c);
        } finally {
            busyThreads.remove(thread);
        }
    }

    /** The question and its conversation; a malformed request is a 400 naming the value. */
    private static Asked asked(JsonObject req) {
        String thread = Params.string(req, "thread", null);
        if (!Params.present(req, "messages")) {
            return new Asked(question(Params.requiredString(req, "question"), "question"), thread, null);
        }
        if (Params.present(req, "question")) {
            throw ApiError.badRequest("send either 'question' or 'messages' (whose last user message is the question),"
                    + " not both", "messages");
        }
        if (thread != null) {
            throw ApiError.badRequest("'thread' continues a stored thread with 'question'; with 'messages' the history"
                    + " is in the request (got thread '" + Http.oneLine(thread) + "')", "thread");
        }
        List<ChatMessage> messages = OpenAiApi.decode(() -> OpenAiWire.decodeMessages(req));
        List<Conversation.Turn> earlier = new ArrayList<>();
        String pending = null; // a user question not yet followed by its answer
        Instant now = Instant.now();
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            String where = "messages[" + i + "]";
            switch (m.role()) {
                case SYSTEM -> { } // the notebook's own instructions say how to answer from the notes
                case USER -> {
                    if (pending != null) {
                        throw ApiError.badRequest("'" + where + ".role' is 'user' right after another user message;"
                                + " the history alternates user and assistant messages", "messages");
                    }
                    pending = question(m.content(), where + ".content");
                }
                case ASSISTANT -> {
                    if (pending == null) {
                        throw ApiError.badRequest("'" + where + ".role' is 'assistant' without a user message before"
                                + " it; the history alternates user and assistant messages", "messages");
                    }
                    earlier.add(new Conversation.Turn(pending, pending, m.content(), now, List.of()));
                    pending = null;
                }
            }
        }
        if (pending == null) {
            throw ApiError.badRequest("the last message of 'messages' must be the user's question; got "
                    + (earlier.isEmpty() ? "no user message" : "'assistant' last"), "messages");
        }
        while (earlier.size() > Conversation.MAX_TURNS) { // bounded as a stored thread: oldest dropped
            earlier.remove(0);
        }
        return new Asked(pending, null, earlier);
    }

    /** A question, stripped; empty or too long is a 400 naming {@code where}. */
    private static String question(String text, String where) {
        String question = text.strip();
        if (question.isEmpty()) {
            throw ApiError.badRequest("'" + where + "' is empty", where.startsWith("messages") ? "messages" : where);
        }
        if (question.length() > Notebook.MAX_QUESTION_CHARS) {
            throw ApiError.badRequest("'" + where + "' has " + question.length() + " characters; at most "
                    + Notebook.MAX_QUESTION_CHARS + " are allowed", where.startsWith("messages") ? "messages" : where);
        }
        return question;
    }

    /**
     * A place in the model's queue when the notebook has a chat model ({@link ModelGate#admit}: a
     * 429 when it is full), then one of the embedder's places (waited for); the model's place is
     * given back if that wait fails.
     */
    Turns admit() throws InterruptedException {
        ModelGate.Slot model = nb().chatModel().isPresent() ? server.gate.admit() : null;
        try {
            return new Turns(model, server.embedding.enter());
        } catch (InterruptedException | RuntimeException e) {
            if (model != null) {
                model.close();
            }
            throw e;
        }
    }

    /**
     * The server's side of {@link Notebook.ModelTurn}: a place of the embedder while the question is
     * embedded and searched, the chat model's turn while the model works (a follow-up's rewrite,
     * then the answer); between the two, the model is free for others. Used by one request thread.
     */
    final class Turns implements Notebook.ModelTurn, AutoCloseable {
        private final ModelGate.Slot model; // null without a chat model
        private ModelGate.Slot work;        // the embedder's place; null while the model works
        java.util.function.BooleanSupplier gone = () -> false;

        Turns(ModelGate.Slot model, ModelGate.Slot work) {
            this.model = model;
            this.work = work;
        }

        @Override
        public void await() throws InterruptedException {
            closeWork();
            if (model != null) {
                model.await(gone);
            }
        }

        @Override
        public void release() {
            if (model != null) {
                model.release();
            }
            if (work == null) {
                try {
                    work = server.embedding.enter();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw ApiError.internal("interrupted while waiting for the embedder");
                }
            }
        }

        private void closeWork() {
            if (work != null) {
                work.close();
                work = null;
            }
        }

        /** Gives back the embedder's place and the model's turn; idempotent. */
        @Override
        public void close() {
            closeWork();
            if (model != null) {
                model.close();
            }
        }
    }

    private void answer(HttpExchange ex, String question, AskOptions options, boolean stream, Conversation c)
            throws IOException {
        // a place in the model's queue first (429 before any status); the turn comes after retrieval,
        // which holds one of the embedder's places instead
        Turns admitted;
        try {
            admitted = admit();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.internal("interrupted while waiting for the embedder");
        }
        try (Turns turns = admitted) {
            if (!stream) {
                try (LongResponse resp = new LongResponse(ex, 200, server.longAfter, server.longInterval)) {
                    turns.gone = resp::clientGone;
                    Answer a;
                    try {
                        a = answer(question, options, piece -> !server.closing() && !resp.clientGone(), turns, c);
                    } catch (ApiError e) {
                        resp.fail(e);
                        return;
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "answering failed", e);
                        resp.fail(ApiError.internal("answering failed: " + e.getClass().getSimpleName()
                                + (e.getMessage() == null ? "" : ": " + Http.oneLine(e.getMessage()))));
                        return;
                    }
                    resp.send(json(a, c));
                }
                return;
            }

            SseStream sse = new SseStream(ex, server.stallTimeout, server.maxPendingBytes, server.keepAlive,
                    server::closing);
            turns.gone = sse::lost;
            try {
                Answer a;
                try {
                    a = answer(question, options, piece -> sse.send("delta", Json.of(Map.of("delta", piece))), turns, c);
                } finally {
                    turns.close(); // the model is free before the last bytes go out
                }
                sse.send("answer", Json.of(json(a, c)));
                sse.send("[DONE]");
            } catch (ApiError e) {
                sse.send("error", Json.of(Http.errorBody(e)));
                sse.send("[DONE]");
            } catch (RuntimeException e) {
                sse.send("error", Json.of(Http.errorBody(ApiError.internal("answering failed: "
                        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + Http.oneLine(e.getMessage()))))));
                sse.send("[DONE]");
                throw e;
            } finally {
                sse.finish();
            }
        }
    }

    private Answer answer(String question, AskOptions options, dev.pocketrag.chat.TokenListener listener,
            Notebook.ModelTurn turn, Conversation c) {
        try {
            return storage("answering", () -> c == null ? nb().ask(question, options, listener, turn)
                    : c.ask(question, options, listener, turn));
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(Http.oneLine(e.getMessage()), "question");
        }
    }

    /**
     * {@code ask --json}'s object; in a stored thread also {@code "thread": {"name", "started",
     * "turns", "warning"?}} ({@code started} is true in the first answer of a new thread only).
     */
    static Map<String, Object> json(Answer a, Conversation c) {
        Map<String, Object> o = new LinkedHashMap<>(AnswerJson.toJson(a));
        if (c != null && !c.name().isEmpty()) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("name", c.name());
            t.put("started", c.isNew());
            t.put("turns", c.history().size());
            c.warning().ifPresent(w -> t.put("warning", w));
            o.put("thread", t);
        }
        return o;
    }

    // ---- threads

    /** {@code GET /v1/threads}: the stored threads, as {@code pocketrag threads --json} lists them. */
    void listThreads(HttpExchange ex) throws IOException {
        List<Object> data = new ArrayList<>();
        for (Conversation.Info t : storage("listing threads", () -> nb().threads())) {
            data.add(AnswerJson.threadInfo(t));
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "list");
        o.put("data", data);
        Http.sendJson(ex, 200, o);
    }

    /**
     * {@code GET /v1/sources}: the watched folders as the watcher last recorded them ({@code serve
     * --watch}, {@code pocketrag watch}, the desktop app): {@code {"object": "sources", "roots":
     * [...], "warning"}} (see {@link dev.pocketrag.retrieval.Sources#toMap()}).
     */
    void sources(HttpExchange ex) throws IOException {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "sources");
        o.putAll(dev.pocketrag.retrieval.Sources.read(nb().directory()).toMap());
        Http.sendJson(ex, 200, o);
    }

    /** {@code GET /v1/threads/NAME}: every turn, as {@code pocketrag threads show NAME --json}. */
    void getThread(HttpExchange ex, String name) throws IOException {
        validThreadName(name);
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "thread");
        o.put("name", name);
        try (Conversation c = storage("reading thread '" + name + "'", () -> nb().conversation(name))) {
            if (c.isNew() && c.warning().isEmpty()) { // no file of that name (a damaged one is set aside)
                throw ApiError.notFound("no thread named '" + name + "'");
            }
            o.put("turns", AnswerJson.turns(c.history()));
            c.warning().ifPresent(w -> o.put("warning", w));
        }
        Http.sendJson(ex, 200, o);
    }

    /** {@code DELETE /v1/threads/NAME}. */
    void deleteThread(HttpExchange ex, String name) throws IOException {
        validThreadName(name);
        if (!storage("deleting thread '" + name + "'", () -> nb().deleteThread(name))) {
            throw ApiError.notFound("no thread named '" + name + "'");
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("name", name);
        o.put("object", "thread.deleted");
        o.put("deleted", true);
        Http.sendJson(ex, 200, o);
    }

    /** @throws ApiError 400 for a name no thread can have */
    private static void validThreadName(String name) {
        try {
            checkThreadName(name);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(Http.oneLine(e.getMessage()), "name");
        }
    }

    /** @throws IllegalArgumentException naming the name unless a thread may have it */
    private static void checkThreadName(String name) {
        Conversation.checkName(name);
    }

    // ---- helpers

    /** The {@code tag} query parameters, at most {@link #MAX_TAGS}. */
    private static List<String> tags(Map<String, List<String>> q) {
        List<String> tags = q.getOrDefault("tag", List.of());
        if (tags.size() > MAX_TAGS) {
            throw ApiError.badRequest("at most " + MAX_TAGS + " 'tag' parameters are allowed; got " + tags.size(), "tag");
        }
        return tags;
    }

    private static SearchFilter filter(List<String> tags) {
        try {
            return tags.isEmpty() ? SearchFilter.NONE : SearchFilter.NONE.withAllTags(tags);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(Http.oneLine(e.getMessage()), "tags");
        }
    }

    private static String first(Map<String, List<String>> q, String name) {
        List<String> v = q.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static int queryInt(Map<String, List<String>> q, String name, int min, int max, int fallback) {
        String v = first(q, name);
        if (v == null || v.isEmpty()) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v.strip());
            if (n >= min && n <= max) {
                return (int) n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw ApiError.badRequest("'" + name + "' must be an integer in " + min + ".." + max + "; got '" + v + "'", name);
    }

    /** The note's first line without Markdown heading marks, at most 80 characters (as {@code pocketrag add}). */
    static String firstLine(String body) {
        String first = body.strip().lines().findFirst().orElse("").strip().replaceFirst("^#+\\s*", "");
        return first.length() <= 80 ? first : first.substring(0, 77) + "...";
    }
}
