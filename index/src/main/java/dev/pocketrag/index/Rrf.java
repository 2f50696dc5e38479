package dev.pocketrag.index;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reciprocal Rank Fusion (Cormack, Clarke and Büttcher, SIGIR 2009): the fused score of an item
 * is {@code sum over lists i of 1 / (k + rank_i)}, ranks from 1, lists where the item is absent
 * adding nothing.
 *
 * <p>Ties are broken by the best (smallest) rank in any list, then by the earlier list that
 * holds that rank, then by first appearance, so the order is deterministic.
 *
 * <p>Public so that every {@link NoteIndex} implementation (the cluster's too) fuses its lists the
 * same way.
 */
public final class Rrf {
    private Rrf() {}

    /**
     * One fused item.
     *
     * @param key the item
     * @param score its RRF score
     * @param ranks its 1-based rank in each input list, 0 where absent
     */
    public record Fused<K>(K key, double score, int[] ranks) {
        int bestRank() {
            int best = Integer.MAX_VALUE;
            for (int r : ranks) {
                if (r > 0 && r < best) {
                    best = r;
                }
            }
            return best;
        }

        int firstListWithBestRank() {
            int best = bestRank();
            for (int i = 0; i < ranks.length; i++) {
                if (ranks[i] == best) {
                    return i;
                }
            }
            return ranks.length;
        }

        @Override
        public String toString() {
            return key + "=" + score + Arrays.toString(ranks);
        }
    }

    /**
     * Fuses rankings (each best first, without duplicates) into one, best first.
     *
     * @param k the RRF constant, at least 1 (60 in the paper)
     * @throws IllegalArgumentException if k {@literal <} 1 or a list repeats an item
     */
    public static <K> List<Fused<K>> fuse(List<? extends List<K>> rankings, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("rrf k=" + k + ", must be >= 1");
        }
        int n = rankings.size();
        Map<K, int[]> ranks = new LinkedHashMap<>();
        for (int list = 0; list < n; list++) {
            List<K> ranking = rankings.get(list);
            for (int pos = 0; pos < ranking.size(); pos++) {
                int[] r = ranks.computeIfAbsent(ranking.get(pos), key -> new int[n]);
                if (r[list] != 0) {
                    throw new IllegalArgumentException("list " + list + " has item " + ranking.get(pos)
                            + " twice (ranks " + r[list] + " and " + (pos + 1) + ")");
                }
                r[list] = pos + 1;
            }
        }
        List<Fused<K>> out = new ArrayList<>(ranks.size());
        for (Map.Entry<K, int[]> e : ranks.entrySet()) {
            double score = 0;
            for (int r : e.getValue()) {
                if (r > 0) {
                    score += 1.0 / (k + r);
                }
            }
            out.add(new Fused<>(e.getKey(), score, e.getValue()));
        }
        // stable sort: equal keys keep first-appearance order
        out.sort(Comparator.<Fused<K>>comparingDouble(f -> -f.score())
                .thenComparingInt(Fused::bestRank)
                .thenComparingInt(Fused::firstListWithBestRank));
        return out;
    }

    /**
     * One item of a fused dense + BM25 search.
     *
     * @param rank its 1-based rank in the fused list
     * @param score its RRF score
     * @param denseRank its rank in the dense list, 0 where absent ({@code dense} is then null)
     * @param bm25Rank its rank in the BM25 list, 0 where absent ({@code bm25} is then null)
     */
    public record HybridHit<H>(int rank, double score, int denseRank, H dense, int bm25Rank, H bm25) {
        /** The hit whose chunk is shown: from the list where the item ranks better (dense on ties). */
        public H shown() {
            return dense != null && (bm25 == null || denseRank <= bm25Rank) ? dense : bm25;
        }
    }

    /**
     * Fuses a dense and a BM25 list of hits (each best first) into the first {@code limit} items,
     * an item being what {@code key} says (a chunk, or a note when results are grouped by note).
     *
     * @throws IllegalArgumentException if {@code rrfK} {@literal <} 1 or a list repeats a key
     */
    public static <H, K> List<HybridHit<H>> hybrid(List<H> dense, List<H> bm25,
            java.util.function.Function<? super H, ? extends K> key, int rrfK, int limit) {
        Map<K, H> denseByKey = new java.util.HashMap<>();
        Map<K, H> bm25ByKey = new java.util.HashMap<>();
        List<K> denseKeys = keys(dense, key, denseByKey);
        List<K> bm25Keys = keys(bm25, key, bm25ByKey);
        List<Fused<K>> fused = fuse(List.of(denseKeys, bm25Keys), rrfK);
        List<HybridHit<H>> out = new ArrayList<>(Math.min(limit, fused.size()));
        for (int i = 0; i < fused.size() && i < limit; i++) {
            Fused<K> f = fused.get(i);
            out.add(new HybridHit<>(i + 1, f.score(), f.ranks()[0], denseByKey.get(f.key()), f.ranks()[1],
                    bm25ByKey.get(f.key())));
        }
        return out;
    }

    private static <H, K> List<K> keys(List<H> hits, java.util.function.Function<? super H, ? extends K> key,
            Map<K, H> byKey) {
        List<K> keys = new ArrayList<>(hits.size());
        for (H h : hits) {
            K k = key.apply(h);
            keys.add(k);
            byKey.putIfAbsent(k, h);
        }
        return keys;
    }
}
