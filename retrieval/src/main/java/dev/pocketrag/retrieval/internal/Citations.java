package dev.pocketrag.retrieval.internal;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Citations like {@code [1]}, {@code [2][3]} or {@code [1, 4]} in an answer: found, checked against
 * the passages supplied ({@code 1..count}), and invented ones removed - in a whole text or while
 * it streams.
 */
public final class Citations {
    /** A bracket holding 1-3 digit numbers separated by commas (and spaces). */
    static final Pattern CITATION = Pattern.compile("\\[\\s*(\\d{1,3}(?:\\s*,\\s*\\d{1,3})*)\\s*\\]");
    /** Longest text a citation can span; a longer bracket is not one. */
    static final int MAX_LENGTH = 32;

    private Citations() {}

    /** The cited numbers in {@code 1..count}, in order of first use. */
    public static List<Integer> cited(String text, int count) {
        Set<Integer> seen = new LinkedHashSet<>();
        Matcher m = CITATION.matcher(text);
        while (m.find()) {
            for (String part : m.group(1).split(",")) {
                int n = Integer.parseInt(part.strip());
                if (n >= 1 && n <= count) {
                    seen.add(n);
                }
            }
        }
        return new ArrayList<>(seen);
    }

    /**
     * {@code text} with every citation of a number outside {@code 1..count} removed: {@code [7]}
     * disappears (with the space before it), {@code [1, 7]} becomes {@code [1]}.
     */
    public static String clean(String text, int count) {
        Matcher m = CITATION.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        int last = 0;
        while (m.find()) {
            List<String> kept = new ArrayList<>();
            for (String part : m.group(1).split(",")) {
                int n = Integer.parseInt(part.strip());
                if (n >= 1 && n <= count) {
                    kept.add(Integer.toString(n));
                }
            }
            out.append(text, last, m.start());
            if (kept.isEmpty()) {
                // drop the citation and the space that introduced it
                int len = out.length();
                if (len > 0 && out.charAt(len - 1) == ' ') {
                    out.setLength(len - 1);
                }
            } else {
                out.append('[').append(String.join(", ", kept)).append(']');
            }
            last = m.end();
        }
        out.append(text, last, text.length());
        return out.toString();
    }

    /**
     * Cleans a stream of text pieces. Text that can no longer be part of a citation is emitted at
     * once; an unfinished bracket at the end (and the space before it) is held until it is known
     * to be a citation or not. {@link #finish()} flushes what is held. Everything emitted,
     * concatenated, equals {@link #clean} of everything received.
     */
    public static final class Stream {
        private static final Pattern OPEN_CITATION = Pattern.compile("[\\d,\\s]*");

        private final int count;
        private final Consumer<String> out;
        private final StringBuilder pending = new StringBuilder();
        private final StringBuilder emitted = new StringBuilder();

        public Stream(int count, Consumer<String> out) {
            this.count = count;
            this.out = out;
        }

        public void accept(String piece) {
            pending.append(piece);
            int cut = safeLength();
            if (cut > 0) {
                emit(clean(pending.substring(0, cut), count));
                pending.delete(0, cut);
            }
        }

        /** How much of {@code pending} no future text can change. */
        private int safeLength() {
            int n = pending.length();
            int open = pending.lastIndexOf("[");
            if (open >= 0 && n - open <= MAX_LENGTH
                    && OPEN_CITATION.matcher(pending.subSequence(open + 1, n)).matches()) {
                return open > 0 && pending.charAt(open - 1) == ' ' ? open - 1 : open;
            }
            return n > 0 && pending.charAt(n - 1) == ' ' ? n - 1 : n;
        }

        /** Emits whatever is still held (the stream ended). */
        public void finish() {
            if (!pending.isEmpty()) {
                emit(clean(pending.toString(), count));
                pending.setLength(0);
            }
        }

        private void emit(String s) {
            if (!s.isEmpty()) {
                emitted.append(s);
                out.accept(s);
            }
        }

        /** Everything emitted so far. */
        public String text() {
            return emitted.toString();
        }
    }
}
