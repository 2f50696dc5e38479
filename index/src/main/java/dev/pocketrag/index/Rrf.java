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
}
