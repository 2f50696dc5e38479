package dev.pocketrag.retrieval.internal;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.retrieval.Answer.Passage;
import dev.pocketrag.retrieval.internal.Extractive.Scored;
import dev.pocketrag.retrieval.internal.Extractive.Unit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * Query-focused passages: from each retrieved chunk, only the sentences that matter to the
 * question, with their neighbours, in their original order, each cut marked with {@code …}.
 *
 * <p>Retrieved chunks of one note that overlap or touch are first joined (neighbouring chunks
 * share a few sentences, which whole-chunk packing shows twice). Sentences are scored as the
 * extractive answerer scores them ({@link Extractive#score}: similarity to the question, the
 * passage's similarity, the share of the question's words, a digit when a number or date is asked
 * for). Then, with {@link #FOCUS_TOKENS} tokens of sentences to spend over all passages:
 * <ol>
 *   <li>every passage keeps its best sentence and the sentence holding most of the question's
 *       words (when one holds any), whatever the budget says;</li>
 *   <li>the other sentences of all passages, best first, are kept while the budget lasts: one
 *       within {@link #NEIGHBOUR_MARGIN} of the best sentence brings its neighbours (the sentence
 *       before and after under the same heading, and the rest of its line when the line is short, at
 *       most {@link #PARAGRAPH_TOKENS}) if they fit, a weaker one comes alone.</li>
 * </ol>
 * A kept sentence brings the heading or lead-in line it stands under ("**Tomás**", "Running
 * rules:"). A passage of at most {@link #SHORT_TOKENS} tokens, one whose every sentence is kept,
 * or one without sentences is kept whole. Between two kept pieces the text as written is kept when
 * no sentence was dropped there, else {@code …}; a leading or trailing {@code …} marks sentences
 * dropped before or after. The passage's {@code start}/{@code end} become the span in the note of
 * what is shown (first to last kept character), so a citation still opens the note there.
 *
 * <p>The constants were chosen on the questions of {@code examples/QUESTIONS.md} (see
 * {@code ContextRecallTest}): with them focused prompts keep every key fact whole chunks give,
 * at about half the tokens. Whether the result fits in the model's window is not decided here:
 * {@link ContextPacker} packs the focused passages as it packs whole ones.
 */
public final class FocusedPassages {
    /**
     * Tokens of passage text the focused passages hold at most, all together (cuts and headings aside).
     * 440 since an all-bold sentence ("**Decision: the cut-over moves to 6-7 June.**") counts as a
     * sentence rather than a free heading: question 1 needed 415 to keep every fact (400 before).
     */
    static final int FOCUS_TOKENS = 440;
    /** A chosen sentence brings its whole line (paragraph, list item) if the line has at most this many tokens. */
    static final int PARAGRAPH_TOKENS = 96;
    /**
     * A sentence within this of the best sentence of all the passages (score units, about a cosine)
     * brings its neighbours; a weaker one is kept on its own.
     */
    static final double NEIGHBOUR_MARGIN = 0.15;
    /** Sentences kept before and after each chosen sentence. */
    static final int NEIGHBOURS = 1;
    /** A passage of at most this many tokens is kept whole: cutting it would save little. */
    static final int SHORT_TOKENS = 64;
    /** Emphasis characters a kept sentence takes along from either side. */
    private static final String MARKUP = "*_`";
    /** The mark of a cut. */
    static final String CUT = "…";

    private FocusedPassages() {}

    /**
     * @param question the question's text
     * @param questionVector {@code embedder.embedQuery(question)}
     * @param passages numbered passages, best first
     * @param countTokens tokens of a text for the chat model
     * @return the passages in rank order (chunks of one note that overlap or touch joined), each
     *     focused or kept whole
     */
    public static List<Passage> focus(Embedder embedder, String question, float[] questionVector,
            List<Passage> passages, ToIntFunction<String> countTokens) {
        passages = merge(passages);
        List<List<Scored>> scored = Extractive.score(embedder, question, questionVector, passages);
        int count = passages.size();
        Map<Passage, Integer> index = new IdentityHashMap<>(); // passage -> its position
        for (int i = 0; i < count; i++) {
            index.put(passages.get(i), i);
        }
        int[][] cost = new int[count][]; // tokens of each sentence as written, + 1 for what joins it
        boolean[][] keep = new boolean[count][];
        boolean[] whole = new boolean[count];
        int used = 0;
        List<Scored> first = new ArrayList<>(); // each passage's best sentence and the one with most question words
        List<Scored> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Passage p = passages.get(i);
            List<Scored> units = scored.get(i);
            keep[i] = new boolean[units.size()];
            cost[i] = new int[units.size()];
            int tokens = countTokens.applyAsInt(p.text());
            if (units.isEmpty() || tokens <= SHORT_TOKENS) {
                whole[i] = true;
                used += tokens;
                continue;
            }
            Scored top = units.get(0);
            Scored words = null;
            for (Scored s : units) {
                Unit u = s.unit();
                cost[i][s.index()] = countTokens.applyAsInt(p.text().substring(u.start(), u.end())) + 1;
                if (s.score() > top.score()) {
                    top = s;
                }
                if (s.overlap() > 0 && (words == null || s.overlap() > words.overlap())) {
                    words = s;
                }
            }
            first.add(top);
            if (words != null && words != top) {
                first.add(words);
            }
            all.addAll(units);
        }
        // first each passage's best sentence and the one with most question words, on their own;
        // then every sentence by score, with its neighbours where they fit, until the budget is spent
        for (Scored s : first) {
            used += take(index.get(s.passage()), s.index(), s.index(), keep, cost, Integer.MAX_VALUE);
        }
        all.sort(Comparator.comparingDouble(Scored::score).reversed());
        double best = all.isEmpty() ? 0 : all.get(0).score();
        for (Scored s : all) {
            int i = index.get(s.passage());
            int j = s.index();
            if (s.score() < best - NEIGHBOUR_MARGIN) {
                used += take(i, j, j, keep, cost, FOCUS_TOKENS - used);
                continue;
            }
            int added = 0;
            int[] near = neighbours(scored.get(i), j);
            int[] para = paragraph(passages.get(i).text(), scored.get(i), j);
            if (sum(cost[i], para[0], para[1]) <= PARAGRAPH_TOKENS) {
                added = take(i, Math.min(para[0], near[0]), Math.max(para[1], near[1]), keep, cost, FOCUS_TOKENS - used);
            }
            if (added == 0) {
                added = take(i, near[0], near[1], keep, cost, FOCUS_TOKENS - used);
            }
            if (added == 0) {
                added = take(i, j, j, keep, cost, FOCUS_TOKENS - used);
            }
            used += added;
        }
        List<Passage> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(whole[i] ? passages.get(i) : cut(passages.get(i), scored.get(i), keep[i]));
        }
        return out;
    }

    /**
     * Passages of one note that overlap or touch (neighbouring chunks share a few sentences) as one
     * passage, so that no sentence is shown twice: in the rank of its best part, with the best
     * similarity of its parts. Others unchanged, in rank order.
     */
    static List<Passage> merge(List<Passage> passages) {
        List<Passage> out = new ArrayList<>(passages);
        boolean merged = true;
        while (merged) {
            merged = false;
            for (int a = 0; a < out.size() && !merged; a++) {
                for (int b = a + 1; b < out.size() && !merged; b++) {
                    Passage x = out.get(a);
                    Passage y = out.get(b);
                    if (x.noteId().equals(y.noteId()) && x.start() <= y.end() && y.start() <= x.end()) {
                        out.set(a, union(x, y));
                        out.remove(b);
                        merged = true;
                    }
                }
            }
        }
        return out;
    }

    /** Two overlapping or touching passages of one note as one, numbered as {@code x}. */
    private static Passage union(Passage x, Passage y) {
        Passage lo = x.start() <= y.start() ? x : y;
        Passage hi = lo == x ? y : x;
        String text = hi.end() <= lo.end() ? lo.text() : lo.text() + hi.text().substring(lo.end() - hi.start());
        double sim = Double.isNaN(x.similarity()) ? y.similarity()
                : Double.isNaN(y.similarity()) ? x.similarity() : Math.max(x.similarity(), y.similarity());
        return new Passage(x.n(), x.noteId(), x.title(), x.source(), text, lo.start(), Math.max(lo.end(), hi.end()), sim,
                x.date(), lo.page(), lo.section());
    }

    /**
     * Keeps sentences {@code from..to} of passage {@code i} if that costs at most {@code room}
     * tokens; returns the tokens added (0 if none).
     */
    private static int take(int i, int from, int to, boolean[][] keep, int[][] cost, int room) {
        boolean[] k = keep[i];
        from = Math.max(0, from);
        to = Math.min(k.length - 1, to);
        int add = 0;
        for (int m = from; m <= to; m++) {
            add += k[m] ? 0 : cost[i][m];
        }
        if (add == 0 || add > room) {
            return 0;
        }
        for (int m = from; m <= to; m++) {
            k[m] = true;
        }
        return add;
    }

    /**
     * The first and last of the {@link #NEIGHBOURS} sentences either side of sentence {@code j}
     * that stand under the same heading (the sentence after a heading is not about what came
     * before it).
     */
    static int[] neighbours(List<Scored> units, int j) {
        int section = units.get(j).unit().contextStart();
        int from = j;
        while (from > 0 && j - from < NEIGHBOURS && units.get(from - 1).unit().contextStart() == section) {
            from--;
        }
        int to = j;
        while (to + 1 < units.size() && to - j < NEIGHBOURS && units.get(to + 1).unit().contextStart() == section) {
            to++;
        }
        return new int[] {from, to};
    }

    /** The first and last sentence of the line (paragraph or list item) sentence {@code j} is in. */
    static int[] paragraph(String text, List<Scored> units, int j) {
        int from = j;
        while (from > 0 && !breaks(text, units.get(from - 1).unit().end(), units.get(from).unit().start())) {
            from--;
        }
        int to = j;
        while (to + 1 < units.size() && !breaks(text, units.get(to).unit().end(), units.get(to + 1).unit().start())) {
            to++;
        }
        return new int[] {from, to};
    }

    private static boolean breaks(String text, int from, int to) {
        for (int c = from; c < to; c++) {
            if (text.charAt(c) == '\n' || text.charAt(c) == '\r') {
                return true;
            }
        }
        return false;
    }

    private static int sum(int[] cost, int from, int to) {
        int s = 0;
        for (int m = from; m <= to; m++) {
            s += cost[m];
        }
        return s;
    }

    /** The passage with only the kept sentences (and their headings), cuts marked. */
    static Passage cut(Passage p, List<Scored> scored, boolean[] keep) {
        int n = scored.size();
        boolean all = true;
        for (boolean k : keep) {
            all &= k;
        }
        if (all) {
            return p;
        }
        List<Unit> units = new ArrayList<>(n);
        for (Scored s : scored) {
            units.add(s.unit());
        }
        String text = p.text();
        // pieces of text to show, as [start, end) spans of the passage's text, in order
        List<int[]> pieces = new ArrayList<>();
        for (int j = 0; j < n; j++) {
            if (!keep[j]) {
                continue;
            }
            int last = j;
            while (last + 1 < n && keep[last + 1]) {
                last++;
            }
            Unit first = units.get(j);
            int shownUpTo = pieces.isEmpty() ? -1 : pieces.get(pieces.size() - 1)[1];
            if (first.contextStart() >= 0 && first.contextEnd() <= first.start() && shownUpTo <= first.contextStart()) {
                pieces.add(new int[] {first.contextStart(), first.contextEnd()});
            }
            // with the emphasis marks just around it, so that "**Decision:** stay" keeps its "**"
            int from = first.start();
            int floor = pieces.isEmpty() ? 0 : pieces.get(pieces.size() - 1)[1];
            while (from > floor && MARKUP.indexOf(text.charAt(from - 1)) >= 0) {
                from--;
            }
            int to = units.get(last).end();
            while (to < text.length() && MARKUP.indexOf(text.charAt(to)) >= 0) {
                to++;
            }
            pieces.add(new int[] {from, to});
            j = last;
        }
        StringBuilder out = new StringBuilder();
        if (dropped(units, keep, -1, pieces.get(0)[0])) {
            out.append(CUT).append(' ');
        }
        for (int k = 0; k < pieces.size(); k++) {
            int[] piece = pieces.get(k);
            if (k > 0) {
                int gapStart = pieces.get(k - 1)[1];
                String gap = text.substring(gapStart, piece[0]);
                if (dropped(units, keep, gapStart, piece[0])) {
                    out.append(gap.indexOf('\n') >= 0 || gap.indexOf('\r') >= 0 ? "\n" + CUT + "\n" : " " + CUT + " ");
                } else {
                    out.append(gap);
                }
            }
            out.append(text, piece[0], piece[1]);
        }
        int end = pieces.get(pieces.size() - 1)[1];
        if (dropped(units, keep, end, Integer.MAX_VALUE)) {
            out.append(' ').append(CUT);
        }
        int start = pieces.get(0)[0];
        return new Passage(p.n(), p.noteId(), p.title(), p.source(), out.toString(), p.start() + start,
                p.start() + end, p.similarity(), p.date(), p.page(), p.section());
    }

    /** Whether a sentence that is not kept lies in {@code [from, to)} of the passage's text. */
    private static boolean dropped(List<Unit> units, boolean[] keep, int from, int to) {
        for (int j = 0; j < units.size(); j++) {
            Unit u = units.get(j);
            if (!keep[j] && u.start() >= from && u.end() <= to) {
                return true;
            }
        }
        return false;
    }
}
