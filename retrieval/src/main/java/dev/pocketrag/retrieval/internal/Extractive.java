package dev.pocketrag.retrieval.internal;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.retrieval.Answer.Passage;
import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The answer without a chat model: the sentences of the top passages closest in meaning to the
 * question, each followed by the citation of its passage.
 *
 * <p>A sentence's score: its cosine similarity to the question, plus half its passage's similarity
 * (a sentence of a relevant passage is more likely the answer), plus 0.15 x the share of the
 * question's content words it contains, plus 0.05 if the question asks for a number or date
 * (when, how many, ...) and the sentence has a digit. The best sentence, and up to two more
 * within 0.12 of it, make the answer.
 *
 * <p>Newest facts first: when passages of notes of different dates answer a question about a day
 * or a number ({@link Conflicts}), the older of those notes give no sentence (their value is the
 * one that changed), and the answer starts with the best sentence of the newest that answers the
 * question (holds its words and a day or number); the sentences that follow are those within 0.12
 * of that one.
 */
public final class Extractive {
    /** Sentences in the answer at most. */
    static final int MAX_SENTENCES = 3;
    /** A sentence joins the answer if it is at least this close to the best one (cosine). */
    static final double MARGIN = 0.12;
    /** Weight of the passage's own similarity to the question in a sentence's score. */
    static final double PASSAGE_WEIGHT = 0.5;
    /** No further sentence joins once the answer is this long. */
    static final int MAX_CHARS = 220;

    private Extractive() {}

    /** Words too common to say anything about a match. */
    static final java.util.Set<String> STOPWORDS = java.util.Set.of("the", "a", "an", "and", "or", "of", "to", "in",
            "on", "at", "for", "is", "are", "was", "were", "be", "do", "does", "did", "my", "our", "we", "i", "you",
            "it", "its", "this", "that", "what", "when", "where", "who", "which", "how", "much", "many", "with",
            "from", "by", "as", "should", "can", "will", "me", "your", "about", "there", "have", "has");

    /**
     * @param question the question's text
     * @param questionVector {@code embedder.embedQuery(question)}
     * @param passages numbered passages, best first
     */
    public static String answer(Embedder embedder, String question, float[] questionVector, List<Passage> passages) {
        List<List<Scored>> scored = score(embedder, question, questionVector, passages);
        List<Scored> all = new ArrayList<>();
        Scored lead = null; // the best sentence of the newest notes in conflict that answers the question
        java.util.Optional<Conflicts.Conflict> conflict = Conflicts.find(question, passages);
        Conflicts.Subject subject = Conflicts.Subject.of(question);
        for (int i = 0; i < passages.size(); i++) {
            Passage p = passages.get(i);
            if (conflict.isPresent() && conflict.get().isSuperseded(i, p.date())) {
                continue; // its value is the one a newer note changed
            }
            boolean isNewest = conflict.isPresent() && conflict.get().isNewest(i, p.date());
            for (Scored s : scored.get(i)) {
                all.add(s);
                if (isNewest && subject.answeredBy(s.unit()) && (lead == null || s.score() > lead.score())) {
                    lead = s;
                }
            }
        }
        if (all.isEmpty()) {
            return "";
        }
        all.sort(Comparator.comparingDouble(Scored::score).reversed());
        if (lead != null && all.get(0) != lead) {
            all.remove(lead); // the newest note's sentence that holds the value leads
            all.add(0, lead);
        }
        double best = all.get(0).score();
        List<Scored> chosen = new ArrayList<>();
        for (Scored s : all) {
            if (chosen.size() == MAX_SENTENCES || s.score() < best - MARGIN
                    || chosen.stream().mapToInt(c -> c.unit().text().length()).sum() > MAX_CHARS) {
                break;
            }
            if (chosen.stream().noneMatch(c -> c.unit().text().equals(s.unit().text()))) {
                chosen.add(s);
            }
        }
        StringBuilder out = new StringBuilder();
        for (Scored s : chosen) {
            if (!out.isEmpty()) {
                out.append(' ');
            }
            String t = s.unit().text().strip();
            out.append(t);
            if (!t.endsWith(".") && !t.endsWith("!") && !t.endsWith("?")) {
                out.append('.');
            }
            out.append(" [").append(s.passage().n()).append(']');
        }
        return out.toString();
    }

    /**
     * A sentence of a passage scored for the question.
     *
     * @param passage the passage it is in
     * @param index its position among the passage's {@link #sentences}, from 0
     * @param unit the sentence, with its span in the passage's text
     * @param score the score described in the class comment (higher: more likely the answer)
     * @param overlap the share of the question's content words it holds (0..1)
     */
    record Scored(Passage passage, int index, Unit unit, double score, double overlap) {}

    /**
     * Every sentence of every passage, scored for the question (one embedding pass for all):
     * one list per passage, in the passages' order, each in the order of the text.
     */
    static List<List<Scored>> score(Embedder embedder, String question, float[] questionVector,
            List<Passage> passages) {
        List<List<Unit>> units = new ArrayList<>(passages.size());
        List<String> toEmbed = new ArrayList<>();
        for (Passage p : passages) {
            List<Unit> us = sentences(p.text(), p.title());
            units.add(us);
            for (Unit u : us) {
                toEmbed.add(u.embeddingText());
            }
        }
        List<float[]> vectors = toEmbed.isEmpty() ? List.of() : embedder.embedAll(toEmbed);
        java.util.Set<String> qWords = stems(question);
        boolean wantsNumber = asksForNumber(question);
        List<List<Scored>> out = new ArrayList<>(passages.size());
        int k = 0;
        for (int i = 0; i < passages.size(); i++) {
            Passage p = passages.get(i);
            // a sentence of a passage close to the question is more likely the answer
            double prior = Double.isNaN(p.similarity()) ? 0 : PASSAGE_WEIGHT * p.similarity();
            List<Scored> scored = new ArrayList<>(units.get(i).size());
            for (int j = 0; j < units.get(i).size(); j++) {
                Unit u = units.get(i).get(j);
                double overlap = overlap(qWords, stems(u.text()));
                double score = dot(questionVector, vectors.get(k++)) + prior + 0.15 * overlap;
                if (wantsNumber && u.text().chars().anyMatch(Character::isDigit)) {
                    score += 0.05;
                }
                scored.add(new Scored(p, j, u, score, overlap));
            }
            out.add(scored);
        }
        return out;
    }

    /** Whether the question asks for a date or a number: when, how many/much/long/often/old, what time/date/day/year, which day/date. */
    static boolean asksForNumber(String question) {
        return question.strip().toLowerCase(Locale.ROOT)
                .matches("^(when|how (many|much|long|often|old)|what (time|date|day|year)|which (day|date))\\b.*");
    }

    /** Share of the question's content words found in the sentence (0..1). */
    static double overlap(java.util.Set<String> question, java.util.Set<String> sentence) {
        if (question.isEmpty()) {
            return 0;
        }
        int hit = 0;
        for (String w : question) {
            if (sentence.contains(w)) {
                hit++;
            }
        }
        return (double) hit / question.size();
    }

    /** Content words, lower case, cut to their first five letters (a crude stem: renew/renews/renewal). */
    static java.util.Set<String> stems(String text) {
        java.util.Set<String> out = new java.util.HashSet<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (w.isEmpty() || STOPWORDS.contains(w)) {
                continue;
            }
            out.add(w.length() > 5 ? w.substring(0, 5) : w);
        }
        return out;
    }

    /**
     * A sentence and the heading it stands under in its passage (empty if none): a list item under
     * "Tomás:" or "**Tomás**" is about Tomás even if it does not say so.
     *
     * @param text the sentence without markup
     * @param context the heading, without markup
     * @param start offset in the passage's text of the sentence as written (markup included)
     * @param end offset just past it
     * @param contextStart offset of the heading's line in the passage's text, -1 if none
     * @param contextEnd offset just past that line, -1 if none
     */
    record Unit(String text, String context, int start, int end, int contextStart, int contextEnd) {
        /** What is embedded: the heading, then the sentence. */
        String embeddingText() {
            return context.isEmpty() ? text : context + ": " + text;
        }
    }

    /** Abbreviations after which a full stop does not end a sentence. */
    static final java.util.regex.Pattern ABBREVIATION = java.util.regex.Pattern.compile(
            "(?i).*\\b(dr|mr|mrs|ms|prof|st|sr|jr|vs|etc|approx|no|e\\.g|i\\.e|ca|cf)\\.$");

    /** A list marker, checkbox or quote mark at the start of a line. */
    private static final java.util.regex.Pattern MARKER = java.util.regex.Pattern.compile(
            "^([-*+]\\s+(\\[[ xX]\\]\\s+)?|\\d+[.)]\\s+|>\\s*)");

    /**
     * The sentences of a passage: headings, table separators and the note's title are dropped (a
     * heading, a line that is all bold, or a short line ending in a colon becomes the context of
     * the sentences under it), markdown emphasis and list markers removed, a table row kept whole
     * as its cells joined by "; ". Each keeps its span in {@code text}.
     */
    static List<Unit> sentences(String text, String title) {
        List<Unit> out = new ArrayList<>();
        String context = "";
        int contextStart = -1;
        int contextEnd = -1;
        int lastRow = -1; // index in out of the table row just added, if the previous line was one
        int lineStart = 0;
        while (lineStart < text.length()) {
            int lineEnd = lineStart;
            while (lineEnd < text.length() && text.charAt(lineEnd) != '\n' && text.charAt(lineEnd) != '\r') {
                lineEnd++;
            }
            int next = lineEnd < text.length() && text.charAt(lineEnd) == '\r' && lineEnd + 1 < text.length()
                    && text.charAt(lineEnd + 1) == '\n' ? lineEnd + 2 : lineEnd + 1;
            // the stripped line is text[from, to)
            int from = lineStart;
            int to = lineEnd;
            while (from < to && Character.isWhitespace(text.charAt(from))) {
                from++;
            }
            while (to > from && Character.isWhitespace(text.charAt(to - 1))) {
                to--;
            }
            lineStart = next;
            String l = text.substring(from, to);
            if (l.matches("^\\|?\\s*:?-{3,}.*")) {
                if (lastRow >= 0 && lastRow == out.size() - 1) {
                    out.remove(lastRow); // the row above a separator is the table's header
                }
                lastRow = -1;
                continue;
            }
            lastRow = -1;
            if (l.isEmpty() || l.equals("---")) {
                continue;
            }
            if (l.startsWith("#")) {
                // a section heading is the context of what follows; the note's own heading is not
                // (every sentence of the note would carry it)
                boolean own = l.startsWith("# ");
                context = own ? "" : l.replaceFirst("^#+\\s*", "").replace("**", "").strip();
                contextStart = own ? -1 : from;
                contextEnd = own ? -1 : to;
                continue;
            }
            if (l.length() > 4 && l.startsWith("**") && l.endsWith("**") && l.indexOf("**", 2) == l.length() - 2
                    && isHeading(l.substring(2, l.length() - 2))) {
                context = l.substring(2, l.length() - 2).strip();
                contextStart = from;
                contextEnd = to;
                continue;
            }
            Clean c = Clean.of(text, from, to);
            if (c.text.startsWith("|") && c.text.endsWith("|") && c.text.length() > 2) {
                List<String> cells = new ArrayList<>();
                for (String cell : c.text.substring(1, c.text.length() - 1).split("\\|")) {
                    if (!cell.isBlank()) {
                        cells.add(cell.strip());
                    }
                }
                String row = String.join("; ", cells);
                if (row.length() <= 400) {
                    out.add(new Unit(row, context, from, to, contextStart, contextEnd));
                    lastRow = out.size() - 1;
                    continue;
                }
                c = Clean.whole(row, from, to); // a long row is split into sentences, each spanning the line
            }
            java.util.regex.Matcher m = MARKER.matcher(c.text);
            if (m.find()) {
                c = c.from(m.end());
            }
            if (c.text.isBlank() || c.text.equalsIgnoreCase(title.strip())) {
                continue;
            }
            if (c.text.endsWith(":") && c.text.length() <= 60) {
                context = c.text.substring(0, c.text.length() - 1).strip();
                contextStart = from;
                contextEnd = to;
                continue;
            }
            BreakIterator it = BreakIterator.getSentenceInstance(Locale.ROOT);
            it.setText(c.text);
            int start = it.first();
            int pendingStart = start;
            for (int end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
                String s = c.text.substring(pendingStart, end).strip();
                if (end < c.text.length() && ABBREVIATION.matcher(s).matches()) {
                    continue; // "with Dr." goes on with the next piece
                }
                int a = pendingStart;
                int b = end;
                pendingStart = end;
                while (a < b && Character.isWhitespace(c.text.charAt(a))) {
                    a++;
                }
                while (b > a && Character.isWhitespace(c.text.charAt(b - 1))) {
                    b--;
                }
                if (s.split("\\s+").length >= 2 && s.chars().anyMatch(Character::isLetterOrDigit)) {
                    out.add(new Unit(s, context, c.rawStart(a), c.rawEnd(b), contextStart, contextEnd));
                }
            }
        }
        return out;
    }

    /**
     * Whether a line that is all bold is a heading ("**Tomás**", "**Kitchen**") rather than a
     * sentence that stands out ("**Decision: the cut-over moves to 6-7 June.**"): short, and not
     * ending like a sentence.
     */
    static boolean isHeading(String bold) {
        String b = bold.strip();
        return b.length() <= 60 && !b.endsWith(".") && !b.endsWith("!") && !b.endsWith("?");
    }

    /**
     * A line without markdown emphasis ({@code **}, {@code __}, backquotes), and where each of its
     * characters came from in the passage's text.
     *
     * @param text the cleaned line
     * @param raw {@code raw[i]} = offset in the passage's text of {@code text.charAt(i)}, or null
     *     when the whole cleaned text maps to the line {@code [lineStart, lineEnd)}
     */
    private record Clean(String text, int[] raw, int lineStart, int lineEnd) {
        static Clean of(String s, int from, int to) {
            StringBuilder b = new StringBuilder(to - from);
            int[] raw = new int[to - from];
            int n = 0;
            for (int i = from; i < to; ) {
                if (s.startsWith("**", i) || s.startsWith("__", i)) {
                    i += 2;
                } else if (s.charAt(i) == '`') {
                    i++;
                } else {
                    b.append(s.charAt(i));
                    raw[n++] = i++;
                }
            }
            return new Clean(b.toString(), java.util.Arrays.copyOf(raw, n), from, to);
        }

        static Clean whole(String text, int lineStart, int lineEnd) {
            return new Clean(text, null, lineStart, lineEnd);
        }

        /** The text from {@code i} on. */
        Clean from(int i) {
            return new Clean(text.substring(i), raw == null ? null : java.util.Arrays.copyOfRange(raw, i, raw.length),
                    lineStart, lineEnd);
        }

        /** Offset in the passage of cleaned position {@code a} (a sentence's first character). */
        int rawStart(int a) {
            return raw == null ? lineStart : raw[a];
        }

        /** Offset in the passage just past cleaned position {@code b - 1} (a sentence's last character). */
        int rawEnd(int b) {
            return raw == null ? lineEnd : raw[b - 1] + 1;
        }
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
