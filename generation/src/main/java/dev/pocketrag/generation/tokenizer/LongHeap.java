package dev.pocketrag.generation.tokenizer;

import java.util.Arrays;

/**
 * A binary min-heap of {@code (long key, int payload)} pairs: the merge queue of the BPE and
 * SentencePiece tokenizers. The key packs the priority and the position, so ties are broken by
 * position, as in llama.cpp. Reusable after {@link #clear()}.
 */
final class LongHeap {
    private long[] keys = new long[64];
    private int[] payloads = new int[64];
    private int size;

    void clear() {
        size = 0;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void push(long key, int payload) {
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            payloads = Arrays.copyOf(payloads, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (keys[parent] <= key) {
                break;
            }
            keys[i] = keys[parent];
            payloads[i] = payloads[parent];
            i = parent;
        }
        keys[i] = key;
        payloads[i] = payload;
    }

    long topKey() {
        return keys[0];
    }

    int topPayload() {
        return payloads[0];
    }

    /** Removes the smallest entry. */
    void pop() {
        int n = --size;
        if (n == 0) {
            return;
        }
        long key = keys[n];
        int payload = payloads[n];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) {
                break;
            }
            if (child + 1 < n && keys[child + 1] < keys[child]) {
                child++;
            }
            if (keys[child] >= key) {
                break;
            }
            keys[i] = keys[child];
            payloads[i] = payloads[child];
            i = child;
        }
        keys[i] = key;
        payloads[i] = payload;
    }
}
