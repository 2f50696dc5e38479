package dev.pocketrag.retrieval;

import java.util.List;
import java.util.Objects;

/**
 * The answer to a question about the notes.
 *
 * <p>What {@link Notebook#ask} returns: the text with its citations resolved to the passages the
 * answer was made from.
 * <pre>{@code
 * Answer a = notebook.ask("When does the car insurance renew?");
 * System.out.println(a.text());                          // "The car insurance renews on 1 June. [1]"
 * for (Answer.Citation c : a.citations()) {              // [1] Car insurance · 2026-04-29
 *     System.out.println("[" + c.n() + "] " + c.passage().title() + " · " + c.passage().date());
 * }
 * if (a.kind() == Answer.Kind.NOTHING_RELEVANT) { ... }  // the notes do not say; no model was asked
 * if (!a.note().isEmpty()) System.err.println(a.note()); // e.g. how to enable generation
 * }</pre>
 *
 * @param text the answer, with citations like {@code [1]} that refer to {@link #passages()} by
 *     number (citations of passages that were not supplied are removed)
 * @param kind how the answer was made
 * @param citations the passages the answer cites, in the order the answer first cites them
 * @param passages the passages given to the model (or used for the extractive answer), numbered
 *     from 1
 * @param leftOut retrieved passages that did not fit in the chat model's context window, in rank
 *     order (never silently dropped); in a conversation also the earlier turns left out of the
 *     prompt (oldest first, {@code noteId} empty, {@code title} "turn N: question")
 * @param note a line for the user about how the answer was made (e.g. how to enable generation),
 *     empty if none
 * @param timings where the time went
 * @param context what of each passage was used: for a generated answer the packing asked for
 *     ({@link ContextMode#FOCUSED}: the sentences that matter; {@link ContextMode#WHOLE}: whole
 *     chunks); extractive answers use whole chunks; when nothing relevant was found, the packing
 *     asked for
 * @param searchedFor what the notes were searched for: the question itself, or in a {@link
 *     Conversation} the standalone query a follow-up was rewritten to ("Who owns the rollback?"
 *     after a question about the Atlas cut-over: "Who owns the rollback? atlas cut-over ...")
 */
public record Answer(String text, Kind kind, List<Citation> citations, List<Passage> passages,
        List<LeftOut> leftOut, String note, Timings timings, ContextMode context, String searchedFor) {

    /** How an answer was made. */
    public enum Kind {
        /** Written by the chat model from the passages. */
        GENERATED,
        /** The best sentences of the passages (no chat model configured). */
        EXTRACTIVE,
        /** Nothing in the notes was relevant enough; the model was not asked. */
        NOTHING_RELEVANT
    }

    /**
     * A passage supplied with the question.
     *
     * @param n its number in the prompt and in citations, from 1
     * @param noteId the note it comes from
     * @param title the note's title
     * @param source where the note came from (path or URL), empty if unknown
     * @param text the passage as the model saw it: a chunk of the note or, with focused packing,
     *     the sentences of it that matter, cuts marked with {@code …}
     * @param start offset in the note's body of the passage (focused: of the first sentence shown)
     * @param end offset just past it (focused: past the last sentence shown)
     * @param similarity cosine similarity of the passage with the question (NaN if it came only
     *     from the word search)
     * @param date the note's date (its {@code created}: the day it was written, as its front
     *     matter, title or file name says, else when it was added), an ISO day {@code 2026-04-29}
     *     in UTC; empty if unknown
     * @param page the page of the document the passage is on (a PDF's, from 1); 0 if not paged or
     *     unknown
     * @param section the heading path the passage is under ({@code "Chapter 2 > Dough"}); empty if
     *     none or unknown
     */
    public record Passage(int n, String noteId, String title, String source, String text, int start, int end,
            double similarity, String date, int page, String section) {
        /**
         * Checks the nulls, the date and the page.
         *
         * @throws IllegalArgumentException if {@code date} is neither empty nor an ISO day, or
         *     {@code page} is negative
         */
        public Passage {
            Objects.requireNonNull(section, "section");
            if (page < 0) {
                throw new IllegalArgumentException("page=" + page + ", must be >= 0 (0: none)");
            }
            Objects.requireNonNull(noteId, "noteId");
            Objects.requireNonNull(title, "title");
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(text, "text");
            Objects.requireNonNull(date, "date");
            if (!date.isEmpty() && !ISO_DAY.matcher(date).matches()) {
                throw new IllegalArgumentException("date must be an ISO day (2026-04-29) or empty, got '"
                        + (date.length() > 40 ? date.substring(0, 37) + "..." : date) + "'");
            }
        }

        /** A passage without a location (no page, no section). */
        public Passage(int n, String noteId, String title, String source, String text, int start, int end,
                double similarity, String date) {
            this(n, noteId, title, source, text, start, end, similarity, date, 0, "");
        }

        /** A passage of a note whose date is unknown. */
        public Passage(int n, String noteId, String title, String source, String text, int start, int end,
                double similarity) {
            this(n, noteId, title, source, text, start, end, similarity, "");
        }

        /** This passage with another date. */
        public Passage withDate(String newDate) {
            return new Passage(n, noteId, title, source, text, start, end, similarity, newDate, page, section);
        }

        /** This passage with another location. */
        public Passage withLocation(int newPage, String newSection) {
            return new Passage(n, noteId, title, source, text, start, end, similarity, date, newPage, newSection);
        }

        /**
         * Where the passage is, for people and for the model: {@code "p. 7"}, {@code "Chapter 2 >
         * Dough"}, both joined by {@code ", "}, or empty.
         */
        public String location() {
            String p = page > 0 ? "p. " + page : "";
            if (section.isEmpty()) {
                return p;
            }
            return p.isEmpty() ? section : p + ", " + section;
        }

        /** The day {@code instant} falls on in UTC, as {@link #date()} writes it ("" past the year 9999). */
        public static String day(java.time.Instant instant) {
            java.time.LocalDate d = java.time.LocalDate.ofInstant(instant, java.time.ZoneOffset.UTC);
            return d.getYear() >= 0 && d.getYear() <= 9999 ? d.toString() : "";
        }

        private static final java.util.regex.Pattern ISO_DAY = java.util.regex.Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
    }

    /**
     * A citation in the answer.
     *
     * @param n the number as written in the answer
     * @param passage the passage it refers to
     */
    public record Citation(int n, Passage passage) {}

    /**
     * A retrieved passage that was not given to the model.
     *
     * @param noteId the note
     * @param title its title
     * @param tokens tokens the passage would have taken
     * @param reason why it was left out
     */
    public record LeftOut(String noteId, String title, int tokens, String reason) {}

    /**
     * Milliseconds spent in each step.
     *
     * @param retrievalMillis embedding the question and searching the index
     * @param packingMillis choosing (focused: cutting) and counting the passages that fit
     * @param promptMillis the model reading the prompt (time to first token); 0 without a model
     * @param generationMillis the model writing the answer; 0 without a model
     * @param totalMillis from the question to the finished answer
     * @param promptTokens tokens of the prompt
     * @param answerTokens tokens generated
     * @param cachedPromptTokens tokens at the start of the prompt the model reused from an earlier call
     *     (the system prompt, see {@code ChatCompletion.Usage#cachedPromptTokens})
     * @param firstTokenMillis from the question to the first token of the answer (retrieval, packing
     *     and reading the prompt); 0 without a model or when it wrote nothing
     */
    public record Timings(double retrievalMillis, double packingMillis, double promptMillis,
            double generationMillis, double totalMillis, int promptTokens, int answerTokens, int cachedPromptTokens,
            double firstTokenMillis) {}

    /** Checks the nulls and copies the lists. */
    public Answer {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(kind, "kind");
        citations = List.copyOf(citations);
        passages = List.copyOf(passages);
        leftOut = List.copyOf(leftOut);
        Objects.requireNonNull(note, "note");
        Objects.requireNonNull(timings, "timings");
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(searchedFor, "searchedFor");
    }

    /** An answer that searched for the question itself (no rewrite): {@code searchedFor} empty. */
    public Answer(String text, Kind kind, List<Citation> citations, List<Passage> passages, List<LeftOut> leftOut,
            String note, Timings timings, ContextMode context) {
        this(text, kind, citations, passages, leftOut, note, timings, context, "");
    }

    /** This answer with {@code searchedFor} set. */
    public Answer withSearchedFor(String query) {
        return new Answer(text, kind, citations, passages, leftOut, note, timings, context, query);
    }
}
