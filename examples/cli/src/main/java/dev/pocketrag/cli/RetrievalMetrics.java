package dev.pocketrag.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Retrieval metrics with the definitions BEIR reports (pytrec_eval, i.e. trec_eval, plus BEIR's
 * own MRR):
 * <ul>
 *   <li>A run's documents are ranked by score descending, ties by document id descending (as
 *       trec_eval sorts them); see {@link #rank}.</li>
 *   <li>nDCG@k (trec_eval {@code ndcg_cut_k}): DCG = sum over ranks i = 1..k of rel_i / log2(i + 1)
 *       with the judged relevance as gain (0 for unjudged or non-positive); the ideal DCG sorts
 *       every positive judgement of the query, cut at k; 0 when there is none.</li>
 *   <li>Recall@k (trec_eval {@code recall_k}): relevant documents (rel &gt; 0) in the top k over
 *       all relevant documents of the query.</li>
 *   <li>MRR@k (BEIR {@code mrr}): 1 / rank of the first relevant document in the top k, else 0.</li>
 * </ul>
 * Averages are over the queries of the qrels; a query with no results scores 0.
 */
final class RetrievalMetrics {
    private RetrievalMetrics() {}

    /** Documents of a run best first: score descending, then document id descending. */
    static List<String> rank(Map<String, Double> run) {
        List<Map.Entry<String, Double>> e = new ArrayList<>(run.entrySet());
        e.sort(Comparator.<Map.Entry<String, Double>>comparingDouble(Map.Entry::getValue).reversed()
                .thenComparing(Map.Entry::getKey, Comparator.reverseOrder()));
        return e.stream().map(Map.Entry::getKey).toList();
    }

    static double ndcg(List<String> ranked, Map<String, Integer> qrel, int k) {
        double dcg = 0;
        for (int i = 0; i < Math.min(k, ranked.size()); i++) {
            int rel = qrel.getOrDefault(ranked.get(i), 0);
            if (rel > 0) {
                dcg += rel / log2(i + 2);
            }
        }
        List<Integer> ideal = qrel.values().stream().filter(r -> r > 0).sorted(Comparator.reverseOrder()).toList();
        double idcg = 0;
        for (int i = 0; i < Math.min(k, ideal.size()); i++) {
            idcg += ideal.get(i) / log2(i + 2);
        }
        return idcg == 0 ? 0 : dcg / idcg;
    }

    static double recall(List<String> ranked, Map<String, Integer> qrel, int k) {
        long relevant = qrel.values().stream().filter(r -> r > 0).count();
        if (relevant == 0) {
            return 0;
        }
        int found = 0;
        for (int i = 0; i < Math.min(k, ranked.size()); i++) {
            if (qrel.getOrDefault(ranked.get(i), 0) > 0) {
                found++;
            }
        }
        return found / (double) relevant;
    }

    static double mrr(List<String> ranked, Map<String, Integer> qrel, int k) {
        for (int i = 0; i < Math.min(k, ranked.size()); i++) {
            if (qrel.getOrDefault(ranked.get(i), 0) > 0) {
                return 1.0 / (i + 1);
            }
        }
        return 0;
    }

    /**
     * Mean metrics of a run over the queries of {@code qrels}.
     *
     * @param qrels query id -> (document id -> relevance)
     * @param run query id -> (document id -> score); missing queries score 0
     */
    static Summary evaluate(Map<String, Map<String, Integer>> qrels, Map<String, Map<String, Double>> run, int k) {
        double ndcg = 0;
        double recallK = 0;
        double recall100 = 0;
        double mrr = 0;
        for (Map.Entry<String, Map<String, Integer>> q : qrels.entrySet()) {
            List<String> ranked = rank(run.getOrDefault(q.getKey(), Map.of()));
            ndcg += ndcg(ranked, q.getValue(), k);
            recallK += recall(ranked, q.getValue(), k);
            recall100 += recall(ranked, q.getValue(), 100);
            mrr += mrr(ranked, q.getValue(), k);
        }
        int n = Math.max(1, qrels.size());
        return new Summary(qrels.size(), ndcg / n, recallK / n, recall100 / n, mrr / n);
    }

    /** Means over {@code queries} queries: nDCG@k, recall@k, recall@100, MRR@k. */
    record Summary(int queries, double ndcg, double recall, double recall100, double mrr) {}

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
