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

    record Sentence(int passage, String text, double score) {}

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
        List<String> texts = new ArrayList<>();
        List<String> toEmbed = new ArrayList<>();
        List<Integer> from = new ArrayList<>();
        List<Double> prior = new ArrayList<>();
        for (Passage p : passages) {
            for (Unit u : sentences(p.text(), p.title())) {
                texts.add(u.text());
                toEmbed.add(u.embeddingText());
                from.add(p.n());
                // a sentence of a passage close to the question is more likely the answer
                prior.add(Double.isNaN(p.similarity()) ? 0 : PASSAGE_WEIGHT * p.similarity());
            }
        }
        if (texts.isEmpty()) {
            return "";
        }
        java.util.Set<String> qWords = stems(question);
        boolean wantsNumber = question.strip().toLowerCase(Locale.ROOT)
                .matches("^(when|how (many|much|long|often|old)|what (time|date|day|year)|which (day|date)).*");
        List<float[]> vectors = embedder.embedAll(toEmbed);
        List<Sentence> all = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            double score = dot(questionVector, vectors.get(i)) + prior.get(i) + 0.15 * overlap(qWords, stems(t));
            if (wantsNumber && t.chars().anyMatch(Character::isDigit)) {
                score += 0.05;
            }
            all.add(new Sentence(from.get(i), t, score));
        }
        all.sort(Comparator.comparingDouble(Sentence::score).reversed());
        double best = all.get(0).score();
        List<Sentence> chosen = new ArrayList<>();
        for (Sentence s : all) {
            if (chosen.size() == MAX_SENTENCES || s.score() < best - MARGIN
                    || chosen.stream().mapToInt(c -> c.text().length()).sum() > MAX_CHARS) {
                break;
            }
            if (chosen.stream().noneMatch(c -> c.text().equals(s.text()))) {
                chosen.add(s);
            }
        }
        StringBuilder out = new StringBuilder();
        for (Sentence s : chosen) {
            if (!out.isEmpty()) {
                out.append(' ');
            }
            String t = s.text().strip();
            out.append(t);
            if (!t.endsWith(".") && !t.endsWith("!") && !t.endsWith("?")) {
                out.append('.');
            }
            out.append(" [").append(s.passage()).append(']');
        }
        return out.toString();
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
     * "Tomas:" or "**Tomas**" is about Tomas even if it does not say so.
     */
    record Unit(String text, String context) {
        /** What is embedded: the heading, then the sentence. */
        String embeddingText() {
            return context.isEmpty() ? text : context + ": " + text;
        }
    }

    /** Abbreviations after which a full stop does not end a sentence. */
    static final java.util.regex.Pattern ABBREVIATION = java.util.regex.Pattern.compile(
            "(?i).*\\b(dr|mr|mrs|ms|prof|st|sr|jr|vs|etc|approx|no|e\\.g|i\\.e|ca|cf)\\.$");

    /**
     * The sentences of a passage: headings, table separators and the note's title are dropped (a
     * heading, a line that is all bold, or a short line ending in a colon becomes the context of
     * the sentences under it), markdown emphasis and list markers removed, a table row kept whole
     * as its cells joined by "; ".
     */
    static List<Unit> sentences(String text, String title) {
        List<Unit> out = new ArrayList<>();
        String context = "";
        int lastRow = -1; // index in out of the table row just added, if the previous line was one
        for (String line : text.split("\\R")) {
            String l = line.strip();
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
                context = l.startsWith("# ") ? "" : l.replaceFirst("^#+\\s*", "").replace("**", "").strip();
                continue;
            }
            if (l.length() > 4 && l.startsWith("**") && l.endsWith("**") && l.indexOf("**", 2) == l.length() - 2) {
                context = l.substring(2, l.length() - 2).strip();
                continue;
            }
            l = l.replace("**", "").replace("__", "").replace("`", "");
            if (l.startsWith("|") && l.endsWith("|") && l.length() > 2) {
                List<String> cells = new ArrayList<>();
                for (String c : l.substring(1, l.length() - 1).split("\\|")) {
                    if (!c.isBlank()) {
                        cells.add(c.strip());
                    }
                }
                String row = String.join("; ", cells);
                if (row.length() <= 400) {
                    out.add(new Unit(row, context));
                    lastRow = out.size() - 1;
                    continue;
                }
                l = row;
            }
            l = l.replaceFirst("^([-*+]\\s+(\\[[ xX]\\]\\s+)?|\\d+[.)]\\s+|>\\s*)", "");
            if (l.isBlank() || l.equalsIgnoreCase(title.strip())) {
                continue;
            }
            if (l.endsWith(":") && l.length() <= 60) {
                context = l.substring(0, l.length() - 1).strip();
                continue;
            }
            BreakIterator it = BreakIterator.getSentenceInstance(Locale.ROOT);
            it.setText(l);
            int start = it.first();
            StringBuilder pending = new StringBuilder();
            for (int end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
                pending.append(l, start, end);
                String s = pending.toString().strip();
                if (end < l.length() && ABBREVIATION.matcher(s).matches()) {
                    continue; // "with Dr." goes on with the next piece
                }
                pending.setLength(0);
                if (s.split("\\s+").length >= 2 && s.chars().anyMatch(Character::isLetterOrDigit)) {
                    out.add(new Unit(s, context));
                }
            }
        }
        return out;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
