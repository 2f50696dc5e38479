package dev.pocketrag.index;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
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
 * body, so {@code body.substring(chunk.start(), chunk.end())} is the chunk's text.
 *
 * <p>The token counter is called once per sentence and once per chunk (to verify the packed
 * chunk; counts are treated as nearly additive and corrected when they are not). Thread-safe if
 * the counter is.
 */
public final class Chunker {
    /** Default budget: MiniLM's 256 word pieces, [CLS] and [SEP] included. */
    public static final int DEFAULT_MAX_TOKENS = 256;
    /** Default overlap between consecutive chunks, in tokens of whole sentences. */
    public static final int DEFAULT_OVERLAP_TOKENS = 32;

    private final ToIntFunction<String> counter;
    private final int maxTokens;
    private final int overlapTokens;
    /** Tokens the counter reports for the empty string: the special tokens. */
    private final int specials;

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
    }

    public int maxTokens() {
        return maxTokens;
    }

    public int overlapTokens() {
        return overlapTokens;
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
        int prefixTokens = prefix.isEmpty() ? 0 : tokens(prefix);
        if (prefixTokens > (maxTokens - specials) / 2) {
            prefix = ""; // a title this long would crowd out the body; it stays searchable by BM25
            prefixTokens = 0;
        }
        int budget = maxTokens - specials - prefixTokens;
        List<Unit> units = units(body, budget);
        List<Chunk> chunks = new ArrayList<>();
        if (units.isEmpty()) {
            chunks.add(new Chunk(0, 0, 0, "", prefix.strip()));
            return chunks;
        }
        int first = 0;
        while (first < units.size()) {
            int last = first;
            int sum = units.get(first).tokens;
            while (last + 1 < units.size() && sum + units.get(last + 1).tokens <= budget) {
                last++;
                sum += units.get(last).tokens;
            }
            // verify the packed chunk with the real counter; drop trailing units if not additive
            while (true) {
                String text = body.substring(units.get(first).start, units.get(last).end);
                if (last == first || counter.applyAsInt(prefix + text) <= maxTokens) {
                    break;
                }
                last--;
            }
            int start = units.get(first).start;
            int end = units.get(last).end;
            String text = body.substring(start, end);
            if (counter.applyAsInt(prefix + text) > maxTokens) {
                // a single unit the counter sees as longer than its parts: cut it by characters
                end = start + fitChars(prefix, body, start, end);
                text = body.substring(start, end);
                units.set(first, new Unit(end, units.get(first).end, tokens(body.substring(end, units.get(first).end))));
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
            while (from - 1 > first
                    && overlap + units.get(from - 1).tokens <= overlapTokens
                    && overlap + units.get(from - 1).tokens + units.get(next).tokens <= budget) {
                from--;
                overlap += units.get(from).tokens;
            }
            first = from;
        }
        return chunks;
    }

    /** Tokens of {@code text} without the special tokens. */
    private int tokens(String text) {
        return Math.max(0, counter.applyAsInt(text) - specials);
    }

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
                if (i == e || body.charAt(i) == '\n') {
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
        int t = tokens(body.substring(s, e));
        if (t <= budget) {
            out.add(new Unit(s, e, t));
            return;
        }
        // too long a sentence: pack words
        int pieceStart = s;
        int pieceTokens = 0;
        int i = s;
        while (i < e) {
            int ws = i;
            while (ws < e && Character.isWhitespace(body.charAt(ws))) {
                ws++;
            }
            int we = ws;
            while (we < e && !Character.isWhitespace(body.charAt(we))) {
                we++;
            }
            int wt = tokens(body.substring(ws, we));
            if (wt > budget) {
                if (pieceTokens > 0) {
                    out.add(new Unit(pieceStart, i, pieceTokens));
                }
                // a giant word: cut it by characters
                int cs = ws;
                while (cs < we) {
                    int len = fitChars("", body, cs, we, budget + specials);
                    out.add(new Unit(cs, cs + len, tokens(body.substring(cs, cs + len))));
                    cs += len;
                }
                pieceStart = we;
                pieceTokens = 0;
            } else if (pieceTokens + wt > budget) {
                out.add(new Unit(pieceStart, i, pieceTokens));
                pieceStart = ws;
                pieceTokens = wt;
            } else {
                if (pieceTokens == 0) {
                    pieceStart = ws;
                }
                pieceTokens += wt;
            }
            i = we;
        }
        if (pieceTokens > 0) {
            out.add(new Unit(pieceStart, e, pieceTokens));
        }
    }

    private int fitChars(String prefix, String body, int start, int end) {
        return fitChars(prefix, body, start, end, maxTokens);
    }

    /**
     * The longest length {@code n >= 1} such that {@code prefix + body[start, start+n)} has at most
     * {@code limit} tokens, not ending inside a surrogate pair (binary search).
     */
    private int fitChars(String prefix, String body, int start, int end, int limit) {
        int lo = 1;
        int hi = end - start;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (counter.applyAsInt(prefix + body.substring(start, start + mid)) <= limit) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        if (start + lo < end && lo > 1 && Character.isHighSurrogate(body.charAt(start + lo - 1))) {
            lo--;
        }
        if (lo == 1 && start + 1 < end && Character.isHighSurrogate(body.charAt(start))) {
            lo = 2;
        }
        return lo;
    }
}
