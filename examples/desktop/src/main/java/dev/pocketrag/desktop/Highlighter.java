package dev.pocketrag.desktop;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Query terms in passages: which words of a query to mark, where they occur in a text, and the
 * HTML that marks them.
 *
 * <p>Matching is by word, ignoring case and accents ({@code tomas} marks {@code Tomás}); a word
 * matches a term when they are equal, when the word starts with the term (3+ letters, so a term
 * still being typed marks the whole word), or when the term is the word plus at most two letters
 * ({@code exercises} marks {@code exercise}). Stop words are not marked.
 */
final class Highlighter {
    private Highlighter() {}

    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+");
    private static final Pattern MARKS = Pattern.compile("\\p{M}+");

    /** English function words a question is full of and a passage should not light up for. */
    static final Set<String> STOP_WORDS = Set.of("a", "an", "the", "and", "or", "but", "of", "to", "in", "on",
            "at", "for", "with", "by", "from", "about", "as", "into", "is", "are", "was", "were", "be", "been",
            "am", "do", "does", "did", "have", "has", "had", "i", "me", "my", "we", "our", "us", "you", "your",
            "he", "she", "his", "her", "they", "them", "their", "it", "its", "this", "that", "these", "those",
            "there", "what", "which", "who", "whom", "when", "where", "why", "how", "many", "much", "should",
            "can", "could", "would", "will", "shall", "may", "might", "must", "if", "so", "not", "no", "any",
            "some", "all");

    /** The words of {@code query} worth marking: folded (lower case, no accents), 2+ characters, no stop words, each once. */
    static List<String> terms(String query) {
        Set<String> out = new LinkedHashSet<>();
        Matcher m = WORD.matcher(query);
        while (m.find()) {
            String t = fold(m.group());
            if (t.length() >= 2 && !STOP_WORDS.contains(t)) {
                out.add(t);
            }
        }
        return List.copyOf(out);
    }

    /** Whether {@code word} (as written in a text) matches one of {@code terms} (folded, from {@link #terms}). */
    static boolean matches(String word, List<String> terms) {
        String w = fold(word);
        for (String t : terms) {
            if (w.equals(t)
                    || (t.length() >= 3 && w.startsWith(t))
                    || (w.length() >= 4 && t.startsWith(w) && t.length() - w.length() <= 2)) {
                return true;
            }
        }
        return false;
    }

    /** Lower case without accents. */
    static String fold(String s) {
        String lower = s.toLowerCase(Locale.ROOT);
        return MARKS.matcher(Normalizer.normalize(lower, Normalizer.Form.NFD)).replaceAll("");
    }

    /** The [start, end) ranges of the words of {@code text} that match {@code terms}, in order. */
    static List<int[]> ranges(String text, List<String> terms) {
        List<int[]> out = new ArrayList<>();
        if (terms.isEmpty()) {
            return out;
        }
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            if (matches(m.group(), terms)) {
                out.add(new int[] {m.start(), m.end()});
            }
        }
        return out;
    }

    /**
     * {@code text} as HTML (escaped), the words matching {@code terms} wrapped in {@code open}
     * and {@code close} (e.g. {@code <b style='...'>} and {@code </b>}).
     */
    static String html(String text, List<String> terms, String open, String close) {
        StringBuilder b = new StringBuilder(text.length() + 32);
        int at = 0;
        for (int[] r : ranges(text, terms)) {
            b.append(escape(text.substring(at, r[0]))).append(open).append(escape(text.substring(r[0], r[1])))
                    .append(close);
            at = r[1];
        }
        return b.append(escape(text.substring(at))).toString();
    }

    /**
     * A readable piece of {@code passage} of at most about {@code maxChars} characters: white
     * space collapsed, markdown heading and emphasis marks dropped, starting a little before the
     * matching word whose window holds the most distinct terms (then the most matches; the first
     * such), with "…" where it was cut.
     */
    static String excerpt(String passage, List<String> terms, int maxChars) {
        if (maxChars < 20) {
            throw new IllegalArgumentException("maxChars must be at least 20; maxChars=" + maxChars);
        }
        String s = passage.replaceAll("(?m)^\\s*#{1,6}\\s+", "").replace("**", "").replace("__", "")
                .replaceAll("\\s+", " ").strip();
        if (s.length() <= maxChars) {
            return s;
        }
        List<int[]> hits = ranges(s, terms);
        int anchor = bestWindow(s, hits, terms, maxChars);
        int start = hits.isEmpty() ? 0 : Math.max(0, hits.get(anchor)[0] - maxChars / 4);
        if (start > 0) {
            int space = s.indexOf(' ', start);
            start = space < 0 || space >= hits.get(anchor)[0] ? start : space + 1;
        }
        int end = Math.min(s.length(), start + maxChars);
        if (end < s.length()) {
            int space = s.lastIndexOf(' ', end);
            end = space > start + maxChars / 2 ? space : end;
        }
        return (start > 0 ? "… " : "") + s.substring(start, end).strip() + (end < s.length() ? " …" : "");
    }

    /** The index of the hit whose excerpt window holds the most distinct terms, then the most hits. */
    private static int bestWindow(String s, List<int[]> hits, List<String> terms, int maxChars) {
        int best = 0;
        long bestScore = -1;
        for (int i = 0; i < hits.size(); i++) {
            int from = Math.max(0, hits.get(i)[0] - maxChars / 4);
            int to = from + maxChars;
            java.util.Set<String> distinct = new java.util.HashSet<>();
            int count = 0;
            for (int[] h : hits) {
                if (h[0] >= from && h[1] <= to) {
                    count++;
                    String w = s.substring(h[0], h[1]);
                    for (String t : terms) {
                        if (matches(w, List.of(t))) {
                            distinct.add(t);
                        }
                    }
                }
            }
            long score = distinct.size() * 1000L + count;
            if (score > bestScore) {
                bestScore = score;
                best = i;
            }
        }
        return best;
    }

    /** Text as HTML: {@code & < > "} escaped. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
