package dev.pocketrag.generation.tokenizer;

/**
 * SentencePiece-style BPE over scores (llama.cpp's {@code llm_tokenizer_spm}): start from single
 * code points; repeatedly merge the adjacent pair whose concatenation is the vocabulary entry with
 * the highest score (ties: leftmost first); a code point that is no token is written as its UTF-8
 * bytes through the byte-fallback tokens {@code <0xXX>}.
 *
 * <p>O(n log n) in the number of code points: every merge pushes at most two new candidates on a
 * heap, stale candidates are skipped when popped.
 */
final class SpmEncoder implements Encoder {
    private final TokenIndex index;
    private final float[] scores;
    /** The token of each byte for the fallback, or the unknown token, or -1. */
    private final int[] byteTokens;

    SpmEncoder(TokenIndex index, float[] scores, int[] byteTokens) {
        this.index = index;
        this.scores = scores;
        this.byteTokens = byteTokens;
    }

    /** Appends the tokens of {@code text} (already escaped: spaces are U+2581) to {@code out}. */
    @Override
    public void encode(String text, IntList out) {
        char[] buf = text.toCharArray();
        int n = text.codePointCount(0, buf.length);
        if (n == 0) {
            return;
        }
        // symbols: [start, start + len) in buf; len 0 = merged into its left neighbour
        int[] start = new int[n];
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, pos = 0; i < n; i++) {
            int w = Character.isHighSurrogate(buf[pos]) && pos + 1 < buf.length
                    && Character.isLowSurrogate(buf[pos + 1]) ? 2 : 1;
            start[i] = pos;
            len[i] = w;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            pos += w;
        }
        LongHeap heap = new LongHeap();
        for (int i = 1; i < n; i++) {
            tryAdd(heap, buf, start, len, i - 1, i);
        }
        while (!heap.isEmpty()) {
            long key = heap.topKey();
            int size = heap.topPayload();
            heap.pop();
            int left = (int) key;
            int right = next[left];
            // stale: the left symbol was merged away, or either side grew since the pair was queued
            if (len[left] == 0 || right < 0 || len[left] + len[right] != size) {
                continue;
            }
            len[left] += len[right];
            len[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                tryAdd(heap, buf, start, len, prev[left], left);
            }
            if (next[left] >= 0) {
                tryAdd(heap, buf, start, len, left, next[left]);
            }
        }
        byte[] utf8 = new byte[4];
        for (int i = 0; i != -1; i = next[i]) {
            int id = index.get(buf, start[i], start[i] + len[i]);
            if (id >= 0) {
                out.add(id);
                continue;
            }
            // not a token: a single code point (merged symbols always are tokens): its bytes
            int cp = Character.codePointAt(buf, start[i]);
            int nb = Unicode.utf8(cp, utf8, 0);
            for (int b = 0; b < nb; b++) {
                int t = byteTokens[utf8[b] & 0xFF];
                if (t >= 0) {
                    out.add(t);
                }
            }
        }
    }

    private void tryAdd(LongHeap heap, char[] buf, int[] start, int[] len, int left, int right) {
        int from = start[left];
        int to = start[right] + len[right];
        int id = index.get(buf, from, to);
        if (id < 0) {
            return;
        }
        // max score first, then leftmost: key = (descending score bits, left index)
        float score = scores[id] + 0.0f; // -0.0 == 0.0 as in C++
        int bits = Float.floatToIntBits(score);
        int ascending = bits ^ ((bits >> 31) & 0x7FFFFFFF);
        heap.push(((long) ~ascending << 32) | left, to - from);
    }
}
