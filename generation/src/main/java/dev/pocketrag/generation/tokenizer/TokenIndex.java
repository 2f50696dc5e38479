package dev.pocketrag.generation.tokenizer;

/**
 * Token text to id: an open-addressing hash table of ids over the token strings, built once.
 * Lookups by a region of a {@code char[]} or {@code CharSequence} allocate nothing. Memory: one
 * {@code int[]} of the next power of two above 2 × n.
 */
final class TokenIndex {
    private final String[] keys;
    private final int[] slots; // id + 1; 0 = empty
    private final int mask;

    /**
     * @param keys the strings, indexed by id; must not contain duplicates (the first wins otherwise,
     *             but callers reject duplicates before)
     */
    TokenIndex(String[] keys) {
        this.keys = keys;
        int cap = Integer.highestOneBit(Math.max(4, keys.length * 2 - 1)) << 1;
        this.slots = new int[cap];
        this.mask = cap - 1;
        for (int id = 0; id < keys.length; id++) {
            String k = keys[id];
            int s = mix(k.hashCode()) & mask;
            while (true) {
                int cur = slots[s];
                if (cur == 0) {
                    slots[s] = id + 1;
                    break;
                }
                if (keys[cur - 1].equals(k)) {
                    break; // duplicate: keep the first
                }
                s = (s + 1) & mask;
            }
        }
    }

    private static int mix(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    /** The id of {@code s}, or -1. */
    int get(String s) {
        int slot = mix(s.hashCode()) & mask;
        while (true) {
            int cur = slots[slot];
            if (cur == 0) {
                return -1;
            }
            if (keys[cur - 1].equals(s)) {
                return cur - 1;
            }
            slot = (slot + 1) & mask;
        }
    }

    /** The id of the text {@code buf[from, to)}, or -1. */
    int get(char[] buf, int from, int to) {
        int h = 0;
        for (int i = from; i < to; i++) {
            h = 31 * h + buf[i];
        }
        int len = to - from;
        int slot = mix(h) & mask;
        while (true) {
            int cur = slots[slot];
            if (cur == 0) {
                return -1;
            }
            String k = keys[cur - 1];
            if (k.length() == len && regionEquals(k, buf, from)) {
                return cur - 1;
            }
            slot = (slot + 1) & mask;
        }
    }

    private static boolean regionEquals(String k, char[] buf, int from) {
        for (int i = 0, n = k.length(); i < n; i++) {
            if (k.charAt(i) != buf[from + i]) {
                return false;
            }
        }
        return true;
    }

    int size() {
        return keys.length;
    }
}
