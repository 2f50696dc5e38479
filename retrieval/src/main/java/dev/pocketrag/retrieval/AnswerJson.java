package dev.pocketrag.retrieval;

import dev.pocketrag.index.Note;
import dev.pocketrag.index.SearchHit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON shapes shared by the CLI's {@code --json} output and the server's API: an answer
 * ({@code ask --json}, {@code /v1/ask}), a search hit ({@code search --json}, {@code /v1/search}),
 * a note, a conversation thread ({@code threads --json}, {@code /v1/threads}) (maps and lists for
 * gson, in field order).
 *
 * <p>An answer: {@code {"answer", "kind" (generated | extractive | nothing_relevant),
 * "context" (focused | whole: what of each passage the model was given), "citations": [{"n",
 * "note_id", "title", "source", "date" (the note's date, {@code 2026-04-29}; null if unknown),
 * "passage"}] (in the order the answer first cites them),
 * "passages": [{"n", "note_id", "title", "source", "date", "passage" (as the model saw it), "start", "end"
 * (where it is in the note), "similarity" (null when the passage came from the word search
 * only)}], "left_out": [{"note_id", "title", "tokens", "reason"}], "timings": {"retrieval_ms",
 * "packing_ms", "prompt_ms", "generation_ms", "total_ms", "prompt_tokens", "cached_prompt_tokens", "answer_tokens",
 * "first_token_ms" (from the question to the first answer token; 0 without a model)}, "note",
 * "searched_for" (what the notes were searched for: the question, or a follow-up's standalone
 * query)}}.
 *
 * <p>Where a passage is, when known, after its {@code "date"} in a citation, a passage and a
 * search hit: {@code "page"} (an int from 1: the page of a PDF) and {@code "section"} (the heading
 * path, {@code "Focaccia > Dough"}); each key is left out when not known.
 */
public final class AnswerJson {
    private AnswerJson() {}

    /** The answer as {@code ask --json} prints it. */
    public static Map<String, Object> toJson(Answer a) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("answer", a.text());
        o.put("kind", a.kind().name().toLowerCase(Locale.ROOT));
        o.put("context", a.context().wireName());
        List<Map<String, Object>> citations = new ArrayList<>();
        for (Answer.Citation c : a.citations()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("n", c.n());
            m.put("note_id", c.passage().noteId());
            m.put("title", c.passage().title());
            m.put("source", c.passage().source());
            m.put("date", c.passage().date().isEmpty() ? null : c.passage().date());
            location(m, c.passage().page(), c.passage().section());
            m.put("passage", c.passage().text());
            citations.add(m);
        }
        o.put("citations", citations);
        List<Map<String, Object>> passages = new ArrayList<>();
        for (Answer.Passage p : a.passages()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("n", p.n());
            m.put("note_id", p.noteId());
            m.put("title", p.title());
            m.put("source", p.source());
            m.put("date", p.date().isEmpty() ? null : p.date());
            location(m, p.page(), p.section());
            m.put("passage", p.text());
            m.put("start", p.start());
            m.put("end", p.end());
            m.put("similarity", Double.isNaN(p.similarity()) ? null : p.similarity());
            passages.add(m);
        }
        o.put("passages", passages);
        List<Map<String, Object>> leftOut = new ArrayList<>();
        for (Answer.LeftOut l : a.leftOut()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("note_id", l.noteId());
            m.put("title", l.title());
            m.put("tokens", l.tokens());
            m.put("reason", l.reason());
            leftOut.add(m);
        }
        o.put("left_out", leftOut);
        Answer.Timings t = a.timings();
        Map<String, Object> tm = new LinkedHashMap<>();
        tm.put("retrieval_ms", round(t.retrievalMillis()));
        tm.put("packing_ms", round(t.packingMillis()));
        tm.put("prompt_ms", round(t.promptMillis()));
        tm.put("generation_ms", round(t.generationMillis()));
        tm.put("total_ms", round(t.totalMillis()));
        tm.put("prompt_tokens", t.promptTokens());
        tm.put("cached_prompt_tokens", t.cachedPromptTokens());
        tm.put("answer_tokens", t.answerTokens());
        tm.put("first_token_ms", round(t.firstTokenMillis()));
        o.put("timings", tm);
        o.put("note", a.note());
        o.put("searched_for", a.searchedFor());
        return o;
    }

    /**
     * A search hit as {@code search --json} and {@code /v1/search} give it: {@code {"rank",
     * "note_id", "title", "tags", "source", "page"?, "section"?, "passage", "start", "end", "score",
     * "dense_rank", "bm25_rank"}} (a rank of 0: not in that list; page and section when known).
     */
    public static Map<String, Object> hit(SearchHit h) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("rank", h.rank());
        o.put("note_id", h.noteId());
        o.put("title", h.title());
        o.put("tags", h.tags());
        o.put("source", h.source());
        location(o, h.page(), h.section());
        o.put("passage", h.chunkText());
        o.put("start", h.start());
        o.put("end", h.end());
        o.put("score", h.score());
        o.put("dense_rank", h.denseRank());
        o.put("bm25_rank", h.bm25Rank());
        return o;
    }

    /** A note: {@code {"object": "note", "id", "title", "text", "tags", "source", "created", "updated"}}. */
    public static Map<String, Object> note(Note n, boolean withText) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "note");
        o.put("id", n.id());
        o.put("title", n.title());
        if (withText) {
            o.put("text", n.body());
        }
        o.put("tags", n.tags());
        o.put("source", n.source());
        o.put("created", n.created().toString());
        o.put("updated", n.updated().toString());
        return o;
    }

    /** {@code "page"} and {@code "section"}, each only when known. */
    private static void location(Map<String, Object> m, int page, String section) {
        if (page > 0) {
            m.put("page", page);
        }
        if (!section.isEmpty()) {
            m.put("section", section);
        }
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** A stored thread as listed: {@code {"name", "turns" (-1: damaged), "updated", "first_question"}}. */
    public static Map<String, Object> threadInfo(Conversation.Info t) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("name", t.name());
        o.put("turns", t.turns());
        o.put("updated", t.updated().toString());
        o.put("first_question", t.firstQuestion());
        return o;
    }

    /**
     * A thread's turns, oldest first: {@code [{"question", "searched_for", "answer", "at", "cited":
     * [{"note_id", "title", "source"}]}]}.
     */
    public static List<Map<String, Object>> turns(List<Conversation.Turn> turns) {
        List<Map<String, Object>> out = new ArrayList<>(turns.size());
        for (Conversation.Turn t : turns) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("question", t.question());
            o.put("searched_for", t.searchedFor());
            o.put("answer", t.answer());
            o.put("at", t.at().toString());
            List<Map<String, Object>> cited = new ArrayList<>();
            for (Answer.Passage p : t.cited()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("note_id", p.noteId());
                m.put("title", p.title());
                m.put("source", p.source());
                cited.add(m);
            }
            o.put("cited", cited);
            out.add(o);
        }
        return out;
    }
}
