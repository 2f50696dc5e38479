package dev.pocketrag.server;

import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.index.SearchMode;
import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.ContextMode;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.SearchOptions;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** {@code /v1/notes}, {@code /v1/search}, {@code /v1/ask}: the notebook over HTTP. */
final class NotebookApi {
    static final int MAX_TAGS = 100;

    private final PocketragServer server;

    NotebookApi(PocketragServer server) {
        this.server = server;
    }

    private Notebook nb() {
        return server.notebook;
    }

    // ---- notes

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
                Optional<Note> old = nb().get(id);
                if (old.isPresent()) {
                    created = old.get().created();
                }
            }
            note = new Note(id != null ? id : UUID.randomUUID().toString(), title, text, tags, source, created, now);
        } catch (IllegalArgumentException e) {
            String msg = Http.oneLine(e.getMessage());
            throw ApiError.badRequest(msg, msg.startsWith("tag") ? "tags" : msg.startsWith("id") ? "id" : null);
        }
        Note stored = nb().add(note);
        Http.sendJson(ex, 201, AnswerJson.note(stored, false));
    }

    void listNotes(HttpExchange ex) throws IOException {
        Map<String, List<String>> q = Http.query(ex.getRequestURI().getRawQuery());
        int limit = queryInt(q, "limit", 1, 1000, 100);
        int offset = queryInt(q, "offset", 0, Integer.MAX_VALUE, 0);
        List<Object> data = new ArrayList<>();
        for (Note n : nb().list(filter(q.getOrDefault("tag", List.of())), offset, limit)) {
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
        if (id.isEmpty() || !nb().delete(id)) {
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
        return nb().get(id).orElseThrow(() -> ApiError.notFound("no note with id '" + id + "'"));
    }

    // ---- search

    void search(HttpExchange ex) throws IOException {
        Map<String, List<String>> q = Http.query(ex.getRequestURI().getRawQuery());
        String query = first(q, "q");
        if (query == null || query.isBlank()) {
            throw ApiError.badRequest("the query parameter 'q' is required (GET /v1/search?q=...&k=5)", "q");
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
        SearchOptions options = SearchOptions.defaults().withK(k).withMode(mode)
                .withFilter(filter(q.getOrDefault("tag", List.of())));
        List<SearchHit> hits = nb().stats().chunks() == 0 ? List.of() : nb().search(query.strip(), options);
        List<Object> data = new ArrayList<>(hits.size());
        Map<String, String> sources = new HashMap<>();
        for (SearchHit h : hits) {
            String source = sources.computeIfAbsent(h.noteId(), id -> {
                try {
                    return nb().get(id).map(Note::source).orElse("");
                } catch (IOException e) {
                    return "";
                }
            });
            data.add(AnswerJson.hit(h, source));
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "list");
        o.put("query", query.strip());
        o.put("data", data);
        Http.sendJson(ex, 200, o);
    }

    // ---- ask

    void ask(HttpExchange ex) throws IOException {
        JsonObject req = Http.readJsonObject(ex, server.maxBodyBytes);
        String question = Params.requiredString(req, "question").strip();
        if (question.isEmpty()) {
            throw ApiError.badRequest("'question' is empty", "question");
        }
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
        boolean usesModel = nb().chatModel().isPresent();

        if (!stream) {
            Answer a;
            try (ModelGate.Slot slot = usesModel ? server.gate.enter() : null) {
                a = answer(question, options, piece -> !server.closing());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw ApiError.internal("interrupted while waiting for the model");
            }
            Http.sendJson(ex, 200, AnswerJson.toJson(a));
            return;
        }

        ModelGate.Slot slot;
        try {
            slot = usesModel ? server.gate.enter() : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.internal("interrupted while waiting for the model");
        }
        SseStream sse;
        try {
            sse = new SseStream(ex, server.stallTimeout, server.maxPendingBytes, server.keepAlive, server::closing);
        } catch (IOException | RuntimeException e) {
            if (slot != null) {
                slot.close();
            }
            throw e;
        }
        try {
            Answer a;
            try {
                a = answer(question, options, piece -> sse.send("delta", Http.GSON.toJson(Map.of("delta", piece))));
            } finally {
                if (slot != null) {
                    slot.close();
                }
            }
            sse.send("answer", Http.GSON.toJson(AnswerJson.toJson(a)));
            sse.send("[DONE]");
        } catch (ApiError e) {
            sse.send("error", Http.GSON.toJson(Http.errorBody(e)));
            sse.send("[DONE]");
        } catch (IOException | RuntimeException e) {
            sse.send("error", Http.GSON.toJson(Http.errorBody(ApiError.internal("answering failed: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + Http.oneLine(e.getMessage()))))));
            sse.send("[DONE]");
            throw e;
        } finally {
            sse.finish();
        }
    }

    private Answer answer(String question, AskOptions options, dev.pocketrag.generation.TokenListener listener)
            throws IOException {
        try {
            return nb().ask(question, options, listener);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(Http.oneLine(e.getMessage()), "question");
        }
    }

    // ---- helpers

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
