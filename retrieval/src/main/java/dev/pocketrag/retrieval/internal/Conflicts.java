package dev.pocketrag.retrieval.internal;

import dev.pocketrag.retrieval.Answer.Passage;
import dev.pocketrag.retrieval.internal.Extractive.Unit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Passages of different notes that answer the same question - which may disagree, as when a date
 * moved or a decision changed - and which of their notes is the newest: where they disagree, the
 * newest holds.
 *
 * <p>Only a question that asks for a value - a day or a time ("when ...", "what time ...", "by
 * when ...") or a number ("how many/much/long ...") - about something named by two content words
 * or more is considered: dates and amounts are the facts that move, and a sentence can be seen to
 * hold one. (Who owns the rollback, what the booking code is: a name or a code in two notes may
 * agree or not, and words alone cannot tell; such questions are answered by rank.) The test is
 * by words, so that it can be checked by hand. A passage <em>answers</em> the question when one of
 * its sentences ({@link Extractive#sentences}) itself holds more than half of the question's
 * content words ({@link Extractive#stems}: no stop words, cut to five letters, words of one letter
 * left out; 2 of 2 or 3, 3 of 4 or 5, ...) and the kind of value asked for: a day or a time (a
 * month, a day and month, a weekday, {@code 06:00}, a year, a date in digits) for a "when", a
 * digit for a "how many". The note's title and the sentence's heading do not count: every sentence
 * of a note shares them, and with them a note titled "Kyoto ..." would answer every question about
 * Kyoto. The notes with a passage that answers the question are <em>in conflict</em> when they have
 * at least two different dates (a note without a date takes no part); all their passages are.
 *
 * <p>"When do the renovation works start?" (renovation, works, start): the site meeting's "The
 * start of works moved from 4 May to Monday 18 May." (works, start, days) and the plan's "Note: the
 * start slipped by two weeks, see renovation-site-meeting-2026-04-28.md for the new dates." (start,
 * renovation, a date) answer it; the meeting (2026-04-28) is newer than the plan (2026-03-22). Not
 * in conflict: "Still a comfortable margin before the Graça lease ends on 31 August." for "By when
 * did we have to give notice on the Graça lease?" (2 of 4 words); "Japanese lessons with
 * Kaori-sensei: 22 EUR per lesson" for "When is the Japanese lesson with Kaori-sensei?" (all the
 * words, but a price, not a day).
 *
 * <p>The chat model's prompt shows a conflict's passages newest first ({@link #newestFirst}), each
 * with its date, the newest marked, and a line just before the question saying which holds
 * ({@link PromptBuilder}). Newest first rather than oldest first with the newest last: a small
 * model most often copies the first passage that answers and cites [1], so the value it copies is
 * the new one and the citation names the newer note; the packer keeps passages in order, so when
 * the window is short it is an older note that is left out, never the newest; and the recency cue
 * a model gets from the end of the prompt is given by the line, which is next to the question.
 * The extractive answer leads with the newest note's sentence ({@link Extractive}).
 */
public final class Conflicts {
    private Conflicts() {}

    /**
     * Passages in conflict.
     *
     * @param members for each passage of the list it was found in, whether it is in the conflict
     *     (whether its note is)
     * @param newest the date of the newest notes of the conflict (ISO day)
     */
    public record Conflict(boolean[] members, String newest) {
        public Conflict {
            java.util.Objects.requireNonNull(members, "members");
            java.util.Objects.requireNonNull(newest, "newest");
        }

        /** Whether passage {@code i} is in the conflict. */
        public boolean contains(int i) {
            return members[i];
        }

        /** Whether passage {@code i} (which has the date {@code date}) is in the conflict and of its newest notes. */
        public boolean isNewest(int i, String date) {
            return members[i] && date.equals(newest);
        }

        /** Whether passage {@code i} is in the conflict and a newer note of it holds. */
        public boolean isSuperseded(int i, String date) {
            return members[i] && date.compareTo(newest) < 0;
        }
    }

    /** A question that asks for a day or a time. */
    private static final Pattern ASKS_DATE = Pattern.compile(
            "(?i)^\\s*(when|by when|until when|since when|what (time|date|day|year)|which (day|date|year))\\b.*",
            Pattern.DOTALL);
    /** A question that asks for a number. */
    private static final Pattern ASKS_NUMBER = Pattern.compile(
            "(?i)^\\s*how (many|much|long|often|old|far)\\b.*", Pattern.DOTALL);
    private static final String MONTH = "(?:january|february|march|april|may|june|july|august|september|october"
            + "|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)";
    /**
     * A day or a time in a sentence: a month name other than "May" ({@code June}), a day and month
     * ({@code 4 May}, {@code Mar 3}), a weekday ({@code Wednesdays}), a time ({@code 06:00},
     * {@code 9pm}), a year ({@code 2026}, also of {@code 2026-04-28}), a date in digits ({@code 28/04/26}).
     */
    static final Pattern DATE_LIKE = Pattern.compile("(?i)(?<![\\p{L}\\p{N}])(?:"
            + "(?:january|february|march|april|june|july|august|september|october|november|december)"
            + "|\\d{1,2}(?:st|nd|rd|th)?[\\s-]+" + MONTH + "|" + MONTH + "\\.?[\\s-]+\\d{1,2}(?:st|nd|rd|th)?"
            + "|(?:mon|tues|wednes|thurs|fri|satur|sun)days?"
            + "|\\d{1,2}:\\d{2}|\\d{1,2}\\s?[ap]\\.?m\\b"
            + "|(?:19|20)\\d{2}|\\d{1,2}[./-]\\d{1,2}[./-]\\d{2,4}"
            + ")(?![\\p{L}])");

    /**
     * What a question asks about: its content words (of two letters or more: the "s" of "vet's"
     * says nothing), and whether it asks for a day or time (when ...) or a number (how many ...).
     */
    record Subject(Set<String> words, boolean wantsDate, boolean wantsNumber) {
        static Subject of(String question) {
            Set<String> words = new java.util.HashSet<>(Extractive.stems(question));
            words.removeIf(w -> w.length() < 2);
            return new Subject(words, ASKS_DATE.matcher(question).matches(), ASKS_NUMBER.matcher(question).matches());
        }

        /**
         * Whether notes can be in conflict on this question: it asks for a value (a day, a time, a
         * number: the kind of fact that changes) about something named by two words or more.
         */
        boolean comparable() {
            return (wantsDate || wantsNumber) && words.size() >= 2;
        }

        /** Whether {@code sentence} holds the kind of value the question asks for. */
        boolean holdsValue(String sentence) {
            return wantsDate ? DATE_LIKE.matcher(sentence).find() : sentence.chars().anyMatch(Character::isDigit);
        }

        /** The words a sentence needs: more than half of the question's (2 of 2 or 3, 3 of 4 or 5 ...). */
        int needed() {
            return words.size() / 2 + 1;
        }

        /** Whether sentence {@code u} answers the question (see the class comment). */
        boolean answeredBy(Unit u) {
            if (!comparable() || !holdsValue(u.text())) {
                return false;
            }
            Set<String> said = Extractive.stems(u.text());
            int hit = 0;
            for (String w : words) {
                if (said.contains(w)) {
                    hit++;
                }
            }
            return hit >= needed();
        }
    }

    /** The conflict among {@code passages} for {@code question}, if there is one. */
    public static Optional<Conflict> find(String question, List<Passage> passages) {
        Subject s = Subject.of(question);
        if (!s.comparable()) {
            return Optional.empty();
        }
        Set<String> answering = new java.util.HashSet<>(); // note ids
        String newest = null;
        String oldest = null;
        for (Passage p : passages) {
            if (p.date().isEmpty() || answering.contains(p.noteId()) || !answers(s, p)) {
                continue;
            }
            answering.add(p.noteId());
            newest = newest == null || p.date().compareTo(newest) > 0 ? p.date() : newest;
            oldest = oldest == null || p.date().compareTo(oldest) < 0 ? p.date() : oldest;
        }
        if (newest == null || newest.equals(oldest)) {
            return Optional.empty();
        }
        boolean[] members = new boolean[passages.size()];
        for (int i = 0; i < passages.size(); i++) {
            members[i] = answering.contains(passages.get(i).noteId());
        }
        return Optional.of(new Conflict(members, newest));
    }

    /** Whether a sentence of {@code p} answers the question. */
    static boolean answers(Subject s, Passage p) {
        for (Unit u : Extractive.sentences(p.text(), p.title())) {
            if (s.answeredBy(u)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The passages with those in conflict reordered among themselves, newest note first (passages
     * of notes of one date in their given order); the others keep their places. Numbered 1..n in
     * the new order. Unchanged when there is no conflict.
     */
    public static List<Passage> newestFirst(String question, List<Passage> passages) {
        Optional<Conflict> found = find(question, passages);
        if (found.isEmpty()) {
            return passages;
        }
        Conflict c = found.get();
        List<Integer> slots = new ArrayList<>();
        List<Passage> members = new ArrayList<>();
        for (int i = 0; i < passages.size(); i++) {
            if (c.contains(i)) {
                slots.add(i);
                members.add(passages.get(i));
            }
        }
        members.sort(Comparator.comparing(Passage::date).reversed()); // stable: ties keep their order
        List<Passage> out = new ArrayList<>(passages);
        for (int k = 0; k < slots.size(); k++) {
            out.set(slots.get(k), members.get(k));
        }
        for (int i = 0; i < out.size(); i++) {
            out.set(i, ContextPacker.renumber(out.get(i), i + 1));
        }
        return out;
    }

    /**
     * The line that tells the model which of the passages in conflict holds, e.g. {@code Note [1]
     * (2026-04-28) is newer than notes [2] [3] (2026-03-22) about the same thing: where they
     * disagree, note [1] holds.}; empty when there is no conflict.
     */
    static String line(Conflict c, List<Passage> passages) {
        List<String> newest = new ArrayList<>();
        TreeMap<String, List<String>> older = new TreeMap<>(Comparator.reverseOrder()); // date -> refs
        for (int i = 0; i < passages.size(); i++) {
            Passage p = passages.get(i);
            if (c.isNewest(i, p.date())) {
                newest.add("[" + p.n() + "]");
            } else if (c.contains(i)) {
                older.computeIfAbsent(p.date(), d -> new ArrayList<>()).add("[" + p.n() + "]");
            }
        }
        int olderCount = older.values().stream().mapToInt(List::size).sum();
        List<String> parts = new ArrayList<>();
        older.forEach((date, refs) -> parts.add(String.join(" ", refs) + " (" + date + ")"));
        String refs = String.join(" ", newest);
        boolean one = newest.size() == 1;
        return (one ? "Note " : "Notes ") + refs + " (" + c.newest() + ") " + (one ? "is" : "are") + " newer than "
                + (olderCount == 1 ? "note " : "notes ") + String.join(", ", parts)
                + " about the same thing: where they disagree, " + (one ? "note " : "notes ") + refs + " "
                + (one ? "holds" : "hold") + ".";
    }
}
