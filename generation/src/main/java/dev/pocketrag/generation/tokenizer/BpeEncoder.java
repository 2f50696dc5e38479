package dev.pocketrag.generation.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Byte-level BPE (llama.cpp's {@code llm_tokenizer_bpe}): the pre-tokenizer splits the text into
 * words; each word's UTF-8 bytes are written in the GPT-2 byte alphabet and merged pair by pair,
 * always the adjacent pair with the lowest merge rank (ties: leftmost first). With
 * {@code ignoreMerges} (Llama 3) a word that is itself a token is taken whole first.
 *
 * <p>Symbols are ids: token ids, plus ids above the vocabulary for merge parts that are no token.
 * The merge table maps a pair of ids to (rank, merged id), built once from the merge list; a word
 * of n bytes costs O(n log n).
 */
final class BpeEncoder implements Encoder {
    private final TokenIndex index;
    private final int nVocab;
    private final PreTokenizer pre;
    private final boolean ignoreMerges;
    /** Strings of the symbols with ids {@code >= nVocab}. */
    private final String[] extra;
    /** The symbol id of the character of each byte, or -1. */
    private final int[] byteSymbol = new int[256];

    // merge table: open addressing on (left << 32 | right)
    private final long[] mergeKeys;
    private final int[] mergeRanks; // -1 = empty slot
    private final int[] mergeResults;
    private final int mergeMask;

    BpeEncoder(TokenIndex index, List<String> merges, PreTokenizer pre, boolean ignoreMerges) {
        this.index = index;
        this.nVocab = index.size();
        this.pre = pre;
        this.ignoreMerges = ignoreMerges;
        int cap = Integer.highestOneBit(Math.max(4, merges.size() * 2 - 1)) << 1;
        mergeKeys = new long[cap];
        mergeRanks = new int[cap];
        mergeResults = new int[cap];
        mergeMask = cap - 1;
        java.util.Arrays.fill(mergeRanks, -1);
        Map<String, Integer> extraIds = new HashMap<>();
        List<String> extraList = new ArrayList<>();
        for (int rank = 0; rank < merges.size(); rank++) {
            String m = merges.get(rank);
            int sp = m.indexOf(' ', 1);
            if (sp < 0) {
                continue; // llama.cpp files it under ("", ""), which no symbol ever matches
            }
            String a = m.substring(0, sp);
            String b = m.substring(sp + 1);
            if (b.isEmpty()) {
                continue;
            }
            int left = symbolId(a, extraIds, extraList);
            int right = symbolId(b, extraIds, extraList);
            int result = symbolId(a + b, extraIds, extraList);
            putMerge(left, right, rank, result); // the first (lowest) rank of a pair wins
        }
        this.extra = extraList.toArray(String[]::new);
        for (int b = 0; b < 256; b++) {
            String c = String.valueOf(Unicode.byteToChar(b));
            int id = index.get(c);
            if (id < 0) {
                Integer e = extraIds.get(c);
                id = e == null ? -1 : e;
            }
            byteSymbol[b] = id;
        }
    }

    private int symbolId(String s, Map<String, Integer> extraIds, List<String> extraList) {
        int id = index.get(s);
        if (id >= 0) {
            return id;
        }
        Integer e = extraIds.get(s);
        if (e != null) {
            return e;
        }
        int newId = nVocab + extraList.size();
        extraIds.put(s, newId);
        extraList.add(s);
        return newId;
    }

    private static int mix(long k) {
        k *= 0x9E3779B97F4A7C15L;
        return (int) (k ^ (k >>> 32));
    }

    private void putMerge(int left, int right, int rank, int result) {
        long key = ((long) left << 32) | (right & 0xFFFFFFFFL);
        int s = mix(key) & mergeMask;
        while (mergeRanks[s] >= 0) {
            if (mergeKeys[s] == key) {
                return;
            }
            s = (s + 1) & mergeMask;
        }
        mergeKeys[s] = key;
        mergeRanks[s] = rank;
        mergeResults[s] = result;
    }

    /** The slot of the merge of {@code (left, right)}, or -1. */
    private int findMerge(int left, int right) {
        if (left < 0 || right < 0) {
            return -1;
        }
        long key = ((long) left << 32) | (right & 0xFFFFFFFFL);
        int s = mix(key) & mergeMask;
        while (mergeRanks[s] >= 0) {
            if (mergeKeys[s] == key) {
                return s;
            }
            s = (s + 1) & mergeMask;
        }
        return -1;
    }

    /** Appends the tokens of {@code text} (no special tokens in it) to {@code out}. */
    @Override
    public void encode(String text, IntList out) {
        int[] cps = Unicode.codePoints(text, 0, text.length());
        IntList pieces = pre.split(cps);
        byte[] bytes = new byte[16];
        char[] chars = new char[16];
        Work w = new Work();
        int start = 0;
        for (int p = 0; p < pieces.size(); p++) {
            int end = start + pieces.get(p);
            int need = 4 * (end - start);
            if (bytes.length < need) {
                bytes = new byte[need];
                chars = new char[need];
            }
            int nb = 0;
            for (int i = start; i < end; i++) {
                nb = Unicode.utf8(cps[i], bytes, nb);
            }
            start = end;
            if (ignoreMerges) {
                for (int i = 0; i < nb; i++) {
                    chars[i] = Unicode.byteToChar(bytes[i]);
                }
                int id = index.get(chars, 0, nb);
                if (id >= 0) {
                    out.add(id);
                    continue;
                }
            }
            mergeWord(bytes, nb, w, out);
        }
    }

    /** Reusable per-call arrays. */
    private static final class Work {
        int[] ids = new int[16];
        int[] prev = new int[16];
        int[] next = new int[16];
        final LongHeap heap = new LongHeap();

        void ensure(int n) {
            if (ids.length < n) {
                int c = Math.max(n, ids.length * 2);
                ids = new int[c];
                prev = new int[c];
                next = new int[c];
            }
        }
    }

    private void mergeWord(byte[] bytes, int n, Work w, IntList out) {
        w.ensure(n);
        int[] ids = w.ids;
        int[] prev = w.prev;
        int[] next = w.next;
        for (int i = 0; i < n; i++) {
            ids[i] = byteSymbol[bytes[i] & 0xFF];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongHeap heap = w.heap;
        heap.clear();
        for (int i = 1; i < n; i++) {
            push(heap, ids, i - 1, i);
        }
        while (!heap.isEmpty()) {
            long key = heap.topKey();
            heap.pop();
            int left = (int) key;
            int rank = (int) (key >>> 32);
            int right = next[left];
            if (ids[left] == Integer.MIN_VALUE || right < 0) {
                continue; // merged away, or nothing to its right any more
            }
            int slot = findMerge(ids[left], ids[right]);
            if (slot < 0 || mergeRanks[slot] != rank) {
                continue; // stale: one side changed since this pair was queued
            }
            ids[left] = mergeResults[slot];
            ids[right] = Integer.MIN_VALUE;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                push(heap, ids, prev[left], left);
            }
            if (next[left] >= 0) {
                push(heap, ids, left, next[left]);
            }
        }
        for (int i = 0; i != -1; i = next[i]) {
            int id = ids[i];
            if (id >= 0 && id < nVocab) {
                out.add(id);
            } else if (id >= nVocab) {
                // a merge result that is no token: llama.cpp looks up each of its UTF-8 bytes alone
                byte[] b = Unicode.utf8(extra[id - nVocab]);
                for (byte x : b) {
                    if (x >= 0) {
                        int t = index.get(String.valueOf((char) x));
                        if (t >= 0) {
                            out.add(t);
                        }
                    }
                }
            }
            // id == -1: a byte whose character is in no token: dropped, as llama.cpp does
        }
    }

    private void push(LongHeap heap, int[] ids, int left, int right) {
        int slot = findMerge(ids[left], ids[right]);
        if (slot >= 0) {
            heap.push(((long) mergeRanks[slot] << 32) | left, 0);
        }
    }
}
