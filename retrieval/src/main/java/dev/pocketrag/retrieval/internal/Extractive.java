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
 */
public final class Extractive {
    /** Sentences in the answer at most. */
    static final int MAX_SENTENCES = 3;
    /** A sentence joins the answer if it is at least this close to the best one (cosine). */
    static final double MARGIN = 0.12;
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
        List<Integer> from = new ArrayList<>();
        for (Passage p : passages) {
            for (String s : sentences(p.text(), p.title())) {
                texts.add(s);
                from.add(p.n());
            }
        }
        if (texts.isEmpty()) {
            return "";
        }
        java.util.Set<String> qWords = stems(question);
        boolean wantsNumber = question.strip().toLowerCase(Locale.ROOT)
                .matches("^(when|how (many|much|long|often|old)|what (time|date|day|year)|which (day|date)).*");
        List<float[]> vectors = embedder.embedAll(texts);
        List<Sentence> all = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            double score = dot(questionVector, vectors.get(i)) + 0.15 * overlap(qWords, stems(t));
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
     * The sentences of a passage: headings, table separators and the note's title are dropped,
     * markdown emphasis and list markers removed, a table row kept whole as its cells joined by
     * "; ".
     */
    static List<String> sentences(String text, String title) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\\R")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#") || l.matches("^\\|?\\s*:?-{3,}.*") || l.equals("---")) {
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
                    out.add(row);
                    continue;
                }
                l = row;
            }
            l = l.replaceFirst("^([-*+]\\s+(\\[[ xX]\\]\\s+)?|\\d+[.)]\\s+|>\\s*)", "");
            if (l.isBlank() || l.equalsIgnoreCase(title.strip())) {
                continue;
            }
            BreakIterator it = BreakIterator.getSentenceInstance(Locale.ROOT);
            it.setText(l);
            int start = it.first();
            for (int end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
                String s = l.substring(start, end).strip();
                if (s.split("\\s+").length >= 3) {
                    out.add(s);
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
