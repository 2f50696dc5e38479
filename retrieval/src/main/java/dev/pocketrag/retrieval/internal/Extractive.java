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

    private Extractive() {}

    record Sentence(int passage, int order, String text, double score) {}

    /**
     * @param question the question's vector comes from {@code embedder.embedQuery(question)}
     * @param passages numbered passages, best first
     */
    public static String answer(Embedder embedder, float[] question, List<Passage> passages) {
        List<Sentence> all = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        List<int[]> where = new ArrayList<>();
        for (Passage p : passages) {
            int order = 0;
            for (String s : sentences(p.text())) {
                texts.add(s);
                where.add(new int[] {p.n(), order++});
            }
        }
        if (texts.isEmpty()) {
            return "";
        }
        List<float[]> vectors = embedder.embedAll(texts);
        for (int i = 0; i < texts.size(); i++) {
            all.add(new Sentence(where.get(i)[0], where.get(i)[1], texts.get(i), dot(question, vectors.get(i))));
        }
        all.sort(Comparator.comparingDouble(Sentence::score).reversed());
        double best = all.get(0).score();
        List<Sentence> chosen = new ArrayList<>();
        for (Sentence s : all) {
            if (chosen.size() == MAX_SENTENCES || s.score() < best - MARGIN) {
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

    /** Sentences and lines of a passage, trimmed, with list markers and headings' hashes removed. */
    static List<String> sentences(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\\R")) {
            String l = line.strip().replaceFirst("^(#{1,6}\\s+|[-*+]\\s+(\\[[ xX]\\]\\s+)?|\\d+[.)]\\s+)", "");
            if (l.isBlank()) {
                continue;
            }
            BreakIterator it = BreakIterator.getSentenceInstance(Locale.ROOT);
            it.setText(l);
            int start = it.first();
            for (int end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
                String s = l.substring(start, end).strip();
                if (s.codePointCount(0, s.length()) >= 3) {
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
