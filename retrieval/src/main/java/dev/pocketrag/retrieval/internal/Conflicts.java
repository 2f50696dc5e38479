package dev.pocketrag.retrieval.internal;

import dev.pocketrag.retrieval.Answer.Passage;
import dev.pocketrag.retrieval.internal.Extractive.Unit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Passages of different notes that answer the same question - which may disagree, as when a date
 * moved or a decision changed - and which of their notes is the newest: where they disagree, the
 * newest holds.
 *
 * <p>The test is by words, so that it can be checked by hand. A passage <em>answers</em> the
 * question when one of its sentences ({@link Extractive#sentences}) itself holds more than half of
 * the question's content words ({@link Extractive#stems}: no stop words, cut to five letters; 2
 * of 2 or 3, 3 of 4 or 5, ...) and, when the question asks for a date or a number ({@link
 * Extractive#asksForNumber}: when, how many, what time ...), a digit: the value that may have
 * changed. The note's title and the sentence's heading do not count: every sentence of a note
 * shares them, and with them a note titled "Kyoto ..." would answer every question about Kyoto.
 * The notes with a passage that answers the question are <em>in conflict</em> when they have at
 * least two different dates (a note without a date takes no part); all their passages are. "When do the
 * renovation works start?" (renovation, works, start): the site meeting's "The start of works moved
 * from 4 May to Monday 18 May." (works, start, digits) and the plan's "Note: the start slipped by
 * two weeks, see renovation-site-meeting-2026-04-28.md for the new dates." (start, renovation,
 * digits) answer it; the meeting (2026-04-28) is newer than the plan (2026-03-22). "When is the
 * Graça lease's notice due?" and "Still a comfortable margin before the Graça lease ends on 31
 * August.": 2 of 4 words, no conflict.
 *
 * <p>The chat model's prompt shows a conflict's passages newest first ({@link #newestFirst}), each
 * with its date, the newest marked, and a line saying which holds ({@link PromptBuilder}): a small
 * model most often takes the first passage that answers, and a citation [1] then names the newest
 * note. The extractive answer leads with the newest note's sentence ({@link Extractive}).
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

    /** What a question asks about: its content words, and whether it asks for a date or number. */
    record Subject(Set<String> words, boolean wantsValue) {
        static Subject of(String question) {
            return new Subject(Extractive.stems(question), Extractive.asksForNumber(question));
        }

        /** The words a sentence needs: more than half of the question's (1 of 1, 2 of 2 or 3, 3 of 4 or 5 ...). */
        int needed() {
            int n = words.size();
            return n < 2 ? n : n / 2 + 1;
        }

        /** Whether sentence {@code u} answers the question (see the class comment). */
        boolean answeredBy(Unit u) {
            if (words.isEmpty() || wantsValue && u.text().chars().noneMatch(Character::isDigit)) {
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
        if (s.words().isEmpty()) {
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
