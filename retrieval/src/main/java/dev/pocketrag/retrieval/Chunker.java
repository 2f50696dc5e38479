package dev.pocketrag.retrieval;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.index.Chunk;
import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.Note;
import dev.pocketrag.retrieval.internal.Locations;
import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Splits a note's body into chunks that an embedder reads whole: sentence-aware, each chunk's
 * {@link Chunk#embeddingText()} at most {@code maxTokens} tokens (special tokens included, as the
 * token-counting function counts them), consecutive chunks sharing up to {@code overlapTokens}
 * tokens of whole sentences.
 *
 * <p>Sentences come from {@link BreakIterator#getSentenceInstance(Locale)} (root locale) and line
 * breaks; a sentence longer than the budget is cut between words, and a word longer than the
 * budget between characters (never inside a surrogate pair). Offsets are UTF-16 offsets into the
 * body, so {@code body.substring(chunk.start(), chunk.end())} is the chunk's text. A chunk has at
 * most {@value #MAX_CHARS_PER_TOKEN} characters per token of the budget (a run of a hundred
 * letters can be a single unknown-word token; such text is cut by length too).
 *
 * <p>Work is linear in the body's length: the token counter never reads more than {@code
 * maxTokens * }{@value #MAX_CHARS_PER_TOKEN} characters at once. It is called once per sentence,
 * once per chunk (to verify the packed chunk; counts are treated as nearly additive and corrected
 * when they are not), and a few times per piece of a sentence that is over the budget, each time
 * on about the piece's length. Thread-safe if the counter is.
 *
 * <p>A body with form feeds ({@code \f}) is paged (a PDF's text, one page after another): a chunk
 * never crosses a form feed, so each chunk is on one page. Nor does a chunk cross a level-1
 * Markdown heading ({@code # Chapter}, outside code fences): a chapter of a document starts a chunk. Every chunk carries its location
 * ({@link Chunk#page()}, {@link Chunk#section()}: the Markdown heading path above it), read from
 * the body by {@link Locations}.
 *
 * <p>{@link #chunkAndEmbed} is the one chunk -> embed pipeline: {@link Notebook} (adding,
 * importing, repairing) and the apps that fill a {@link dev.pocketrag.index.NoteIndex} themselves
 * ({@code pocketrag eval beir}) go through it, so what they index is what a notebook indexes.
 */
public final class Chunker {
    /** Default budget: MiniLM's 256 word pieces, [CLS] and [SEP] included. */
    public static final int DEFAULT_MAX_TOKENS = 256;
    /** Default overlap between consecutive chunks, in tokens of whole sentences. */
    public static final int DEFAULT_OVERLAP_TOKENS = 32;
    /**
     * The most characters of a chunk per token of the budget: far above any text's rate (English
     * has about 4.5), so it only cuts text that a tokenizer reads as a few unknown-word tokens.
     */
    public static final int MAX_CHARS_PER_TOKEN = 32;

    private final ToIntFunction<String> counter;
    private final int maxTokens;
    private final int overlapTokens;
    /** Tokens the counter reports for the empty string: the special tokens. */
    private final int specials;
    /** The most characters of a chunk (and of any text the counter is given, bar the title). */
    private final int maxChars;

    /** A chunker with {@link #DEFAULT_MAX_TOKENS} and {@link #DEFAULT_OVERLAP_TOKENS}. */
    public Chunker(ToIntFunction<String> tokenCounter) {
        this(tokenCounter, DEFAULT_MAX_TOKENS, DEFAULT_OVERLAP_TOKENS);
    }

    /**
     * @param tokenCounter tokens of a text including special tokens (e.g. {@code
     *     embedder::countTokens})
     * @param maxTokens the most tokens of one chunk's embedding text, special tokens included
     * @param overlapTokens the most tokens consecutive chunks share; 0 for none, less than half of
     *     the budget left after the special tokens
     */
    public Chunker(ToIntFunction<String> tokenCounter, int maxTokens, int overlapTokens) {
        this.counter = Objects.requireNonNull(tokenCounter, "tokenCounter");
        this.specials = tokenCounter.applyAsInt("");
        if (specials < 0) {
            throw new IllegalArgumentException("token counter returned " + specials + " for the empty string");
        }
        if (maxTokens < specials + 8 || maxTokens > 1_000_000) {
            throw new IllegalArgumentException("maxTokens=" + maxTokens + ", must be in ["
                    + (specials + 8) + ", 1000000] (the counter has " + specials + " special tokens)");
        }
        if (overlapTokens < 0 || overlapTokens * 2 >= maxTokens - specials) {
            throw new IllegalArgumentException("overlapTokens=" + overlapTokens + ", must be in [0, "
                    + ((maxTokens - specials - 1) / 2) + "] for maxTokens=" + maxTokens);
        }
        this.maxTokens = maxTokens;
        this.overlapTokens = overlapTokens;
        this.maxChars = maxTokens * MAX_CHARS_PER_TOKEN;
    }

    /** The chunker a notebook uses with {@code embedder}: its token counter and budget, the default overlap. */
    public static Chunker forEmbedder(Embedder embedder) {
        return new Chunker(embedder::countTokens, embedder.maxTokens(), DEFAULT_OVERLAP_TOKENS);
    }

    public int maxTokens() {
        return maxTokens;
    }

    public int overlapTokens() {
        return overlapTokens;
    }

    /**
     * Told before each batch of chunks is embedded and once when all are; may throw {@link
     * java.util.concurrent.CancellationException} to give up (nothing is returned then).
     */
    @FunctionalInterface
    public interface EmbedProgress {
        /**
         * @param embedded chunks embedded so far
         * @param total chunks of all the notes
         */
        void embedded(int embedded, int total);
    }

    /** {@link #chunkAndEmbed(List, Function, int, EmbedProgress)} with {@code embedder}, in one batch. */
    public List<ChunkedNote> chunkAndEmbed(List<Note> notes, Embedder embedder) {
        Objects.requireNonNull(embedder, "embedder");
        return chunkAndEmbed(notes, embedder::embedAll, Integer.MAX_VALUE, null);
    }

    /**
     * Notes ready to index: each title bounded ({@link Note#withBoundedTitle()}), the body split
     * into chunks, every chunk's {@link Chunk#embeddingText()} embedded.
     *
     * @param embedAll the vectors of a batch of texts, one per text, in order (e.g. {@code
     *     embedder::embedAll})
     * @param batchSize the most texts given to {@code embedAll} at once
     * @param progress told between batches (null: nobody)
     */
    public List<ChunkedNote> chunkAndEmbed(List<Note> notes, Function<List<String>, List<float[]>> embedAll,
            int batchSize, EmbedProgress progress) {
        Objects.requireNonNull(notes, "notes");
        Objects.requireNonNull(embedAll, "embedAll");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize=" + batchSize + ", must be >= 1");
        }
        List<Note> bounded = new ArrayList<>(notes.size());
        for (Note n : notes) {
            bounded.add(n.withBoundedTitle());
        }
        List<List<Chunk>> chunks = new ArrayList<>(bounded.size());
        List<String> texts = new ArrayList<>();
        for (Note n : bounded) {
            List<Chunk> cs = split(n);
            chunks.add(cs);
            for (Chunk c : cs) {
                texts.add(c.embeddingText());
            }
        }
        List<float[]> vectors = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i += batchSize) {
            if (progress != null) {
                progress.embedded(i, texts.size());
            }
            List<String> batch = texts.subList(i, Math.min(texts.size(), i + batchSize));
            List<float[]> vs = embedAll.apply(batch);
            if (vs.size() != batch.size()) {
                throw new IllegalStateException("embedAll gave " + vs.size() + " vectors for " + batch.size() + " texts");
            }
            vectors.addAll(vs);
        }
        if (progress != null) {
            progress.embedded(texts.size(), texts.size());
        }
        List<ChunkedNote> out = new ArrayList<>(bounded.size());
        int k = 0;
        for (int i = 0; i < bounded.size(); i++) {
            int size = chunks.get(i).size();
            out.add(new ChunkedNote(bounded.get(i), chunks.get(i), vectors.subList(k, k + size)));
            k += size;
        }
        return out;
    }

    /** The chunks of a note's body, with its title as context in each embedding text. */
    public List<Chunk> split(Note note) {
        return split(note.title(), note.body());
    }

    /**
     * The chunks of {@code body}; at least one (an empty body gives one empty chunk whose embedding
     * text is the title).
     */
    public List<Chunk> split(String title, String body) {
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(body, "body");
        String prefix = title.isBlank() ? "" : title.strip() + "\n";
        int prefixTokens = prefix.isEmpty() || prefix.length() > maxChars ? Integer.MAX_VALUE : tokens(prefix);
        if (prefixTokens > (maxTokens - specials) / 2) {
            prefix = ""; // a title this long would crowd out the body; it stays searchable by BM25
            prefixTokens = 0;
        }
        int budget = maxTokens - specials - prefixTokens;
        List<Unit> units = units(body, budget);
        List<Chunk> chunks = new ArrayList<>();
        if (units.isEmpty()) {
            chunks.add(new Chunk(0, 0, 0, "", prefix.strip()));
            return Locations.locate(title, body, chunks);
        }
        int[] pageOf = blocks(body, units); // per unit: page breaks and chapter headings before it
        int first = 0;
        while (first < units.size()) {
            int start = units.get(first).start;
            int last = first;
            int sum = units.get(first).tokens;
            while (last + 1 < units.size() && sum + units.get(last + 1).tokens <= budget
                    && units.get(last + 1).end - start <= maxChars && pageOf[last + 1] == pageOf[first]) {
                last++;
                sum += units.get(last).tokens;
            }
            // verify the packed chunk with the real counter; if the counts were not additive, the
            // most units that fit (binary search: each count reads at most maxChars characters)
            if (last > first && counter.applyAsInt(prefix + body.substring(start, units.get(last).end)) > maxTokens) {
                int lo = first;
                int hi = last - 1;
                while (lo < hi) {
                    int mid = (lo + hi + 1) >>> 1;
                    if (counter.applyAsInt(prefix + body.substring(start, units.get(mid).end)) <= maxTokens) {
                        lo = mid;
                    } else {
                        hi = mid - 1;
                    }
                }
                last = lo;
            }
            int end = units.get(last).end;
            String text = body.substring(start, end);
            if (last == first && counter.applyAsInt(prefix + text) > maxTokens) {
                // a single unit the counter sees as longer than its parts: cut it by characters
                end = start + fit(prefix, body, start, end, maxTokens, end - start);
                text = body.substring(start, end);
                Unit rest = units.get(first);
                units.set(first, new Unit(end, rest.end, tokens(body.substring(end, rest.end))));
                chunks.add(new Chunk(chunks.size(), start, end, text, prefix + text));
                continue; // the rest of the unit starts the next chunk
            }
            chunks.add(new Chunk(chunks.size(), start, end, text, prefix + text));
            if (last + 1 >= units.size()) {
                break;
            }
            // overlap: trailing whole units of this chunk, at most overlapTokens, leaving room for
            // the next unit, and always moving forward
            int next = last + 1;
            int overlap = 0;
            int from = next;
            while (from - 1 > first && pageOf[from - 1] == pageOf[next]
                    && overlap + units.get(from - 1).tokens <= overlapTokens
                    && overlap + units.get(from - 1).tokens + units.get(next).tokens <= budget
                    && units.get(next).end - units.get(from - 1).start <= maxChars) {
                from--;
                overlap += units.get(from).tokens;
            }
            first = from;
        }
        return Locations.locate(title, body, chunks);
    }

    /**
     * For each unit (in body order), how many boundaries no chunk crosses come before it: form
     * feeds (pages) and level-1 Markdown headings outside code fences (chapters).
     */
    private static int[] blocks(String body, List<Unit> units) {
        int[] out = new int[units.size()];
        int blocks = 0;
        int pos = 0;
        boolean fenced = false;
        for (int u = 0; u < units.size(); u++) {
            Unit unit = units.get(u);
            for (; pos < unit.start; pos++) {
                if (body.charAt(pos) == '\f') {
                    blocks++;
                }
            }
            // at the start of its line: only blanks (spaces, a form feed) between it and the line break
            int b = unit.start - 1;
            while (b >= 0 && body.charAt(b) != '\n' && Character.isWhitespace(body.charAt(b))) {
                b--;
            }
            boolean lineStart = b < 0 || body.charAt(b) == '\n';
            if (lineStart && (body.startsWith("```", unit.start) || body.startsWith("~~~", unit.start))) {
                fenced = !fenced;
            } else if (lineStart && !fenced && u > 0 && body.startsWith("# ", unit.start)) {
                blocks++; // a chapter starts: a new chunk
            }
            out[u] = blocks;
        }
        return out;
    }

    /** Tokens of {@code text} without the special tokens. */
    private int tokens(String text) {
        return Math.max(0, counter.applyAsInt(text) - specials);
    }

    /**
     * A piece of the body: {@code [start, end)}, trimmed, and its tokens without the special ones.
     */
    private record Unit(int start, int end, int tokens) {}

    /** Sentences (and line-separated pieces) of the body, trimmed, each at most budget tokens. */
    private List<Unit> units(String body, int budget) {
        List<Unit> out = new ArrayList<>();
        BreakIterator it = BreakIterator.getSentenceInstance(Locale.ROOT);
        it.setText(body);
        int s = it.first();
        for (int e = it.next(); e != BreakIterator.DONE; s = e, e = it.next()) {
            int lineStart = s;
            for (int i = s; i <= e; i++) {
                if (i == e || body.charAt(i) == '\n' || body.charAt(i) == '\f') {
                    addTrimmed(body, lineStart, i, budget, out);
                    lineStart = i + 1;
                }
            }
        }
        return out;
    }

    private void addTrimmed(String body, int s, int e, int budget, List<Unit> out) {
        while (s < e && Character.isWhitespace(body.charAt(s))) {
            s++;
        }
        while (e > s && Character.isWhitespace(body.charAt(e - 1))) {
            e--;
        }
        if (s == e) {
            return;
        }
        if (e - s <= maxChars) {
            int t = tokens(body.substring(s, e));
            if (t <= budget) {
                out.add(new Unit(s, e, t));
                return;
            }
        }
        addPieces(body, s, e, budget, out);
    }

    /**
     * Cuts a sentence longer than the budget (or than {@link #maxChars}) into pieces of at most
     * {@code budget} tokens: between words, and a word longer than the budget between characters.
     * Each piece is found by {@link #fit}, whose counts read about as many characters as the piece
     * has, so the whole sentence costs time linear in its length.
     */
    private void addPieces(String body, int s, int e, int budget, List<Unit> out) {
        int guess = Math.min(maxChars, 4 * budget); // characters; later, the length of the last piece
        int p = s;
        while (p < e) {
            while (p < e && Character.isWhitespace(body.charAt(p))) {
                p++;
            }
            if (p == e) {
                break;
            }
            int limit = Math.min(e, p + maxChars);
            int n = fit("", body, p, limit, budget + specials, guess);
            int q = p + n;
            if (q < e && !Character.isWhitespace(body.charAt(q)) && !Character.isWhitespace(body.charAt(q - 1))) {
                // the cut is inside a word: end the piece after the last whole word, if there is one
                int w = q;
                while (w > p && !Character.isWhitespace(body.charAt(w - 1))) {
                    w--;
                }
                while (w > p && Character.isWhitespace(body.charAt(w - 1))) {
                    w--;
                }
                if (w > p) {
                    q = w;
                }
            }
            while (q > p + 1 && Character.isWhitespace(body.charAt(q - 1))) {
                q--;
            }
            out.add(new Unit(p, q, tokens(body.substring(p, q))));
            guess = Math.max(q - p, 16);
            p = q;
        }
    }

    /**
     * The longest length {@code n} (to within 1/64, and at least 1) such that {@code prefix +
     * body[start, start+n)} has at most {@code limit} tokens, not ending inside a surrogate pair.
     *
     * <p>A search that starts at {@code guess} characters and moves by the characters-per-token
     * rate of what it counted (bounded to a growing or shrinking bracket, so it also ends when
     * counts are far from proportional): a few counts of about the answer's length each, where a
     * binary search over the whole span would read all of it a dozen times.
     */
    private int fit(String prefix, String body, int start, int end, int limit, int guess) {
        int span = end - start;
        int lo = 0; // the longest length known to fit
        int hi = span + 1; // a length known not to fit (span + 1: none known yet)
        int n = Math.max(1, Math.min(guess, span));
        while (true) {
            n = notInPair(body, start, n, lo, hi);
            if (n <= lo || n >= hi) {
                break;
            }
            int c = counter.applyAsInt(prefix + body.substring(start, start + n));
            if (c <= limit) {
                lo = n;
                if (n == span) {
                    break;
                }
            } else {
                hi = n;
            }
            if (hi - lo <= Math.max(1, lo >> 6)) {
                break;
            }
            // characters for limit tokens at the rate just seen
            long estimate = (long) n * limit / Math.max(1, c);
            if (hi > span) { // no upper bound yet: grow by at least an eighth
                n = (int) Math.min(span, Math.max(estimate, lo + Math.max(1, lo >> 3)));
            } else { // stay inside the bracket, at least an eighth away from its ends
                int margin = Math.max(1, (hi - lo) >> 3);
                n = (int) Math.max(lo + margin, Math.min(hi - margin, estimate));
            }
        }
        if (lo == 0) { // not even one character fits: take one code point anyway
            lo = span >= 2 && Character.isHighSurrogate(body.charAt(start))
                    && Character.isLowSurrogate(body.charAt(start + 1)) ? 2 : 1;
        }
        return lo;
    }

    /** {@code n}, moved off the middle of a surrogate pair (down if that stays above lo, else up). */
    private static int notInPair(String body, int start, int n, int lo, int hi) {
        int i = start + n;
        if (i < body.length() && n > 0 && Character.isHighSurrogate(body.charAt(i - 1))
                && Character.isLowSurrogate(body.charAt(i))) {
            return n - 1 > lo ? n - 1 : n + 1;
        }
        return n;
    }
}
