package dev.pocketrag.chat;

import java.util.List;

/**
 * Finds user stop strings in streamed text without ever streaming them: text that could be the
 * beginning of a stop string is held back until the next piece decides. Part of the contract
 * ({@link GenerationParams#stop()}: a stop string ends generation and is neither returned nor
 * streamed), shared by the implementations that decode text themselves. One per call; not
 * thread-safe.
 */
public final class StopStrings {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    /** Watches for {@code stops} (each non-empty, as {@link GenerationParams} checks). */
    public StopStrings(List<String> stops) {
        this.stops = List.copyOf(stops);
    }

    /** Whether a stop string was seen. */
    public boolean stopped() {
        return stopped;
    }

    /**
     * Adds a decoded piece; returns the text that can be passed on now (everything before a stop
     * string, minus a tail that may still become one).
     */
    public String offer(String piece) {
        if (stopped) {
            return "";
        }
        pending.append(piece);
        if (stops.isEmpty()) {
            String out = pending.toString();
            pending.setLength(0);
            return out;
        }
        int first = -1;
        for (String s : stops) {
            int i = pending.indexOf(s);
            if (i >= 0 && (first < 0 || i < first)) {
                first = i;
            }
        }
        if (first >= 0) {
            stopped = true;
            String out = pending.substring(0, first);
            pending.setLength(0);
            return out;
        }
        int hold = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, pending.length()); k > hold; k--) {
                if (endsWith(pending, s, k)) {
                    hold = k;
                    break;
                }
            }
        }
        int emit = pending.length() - hold;
        String out = pending.substring(0, emit);
        pending.delete(0, emit);
        return out;
    }

    /** The held-back text at the end of the stream (empty after a stop). */
    public String flush() {
        String out = stopped ? "" : pending.toString();
        pending.setLength(0);
        return out;
    }

    /** Whether {@code b} ends with the first {@code k} chars of {@code s}. */
    private static boolean endsWith(StringBuilder b, String s, int k) {
        int off = b.length() - k;
        for (int i = 0; i < k; i++) {
            if (b.charAt(off + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
