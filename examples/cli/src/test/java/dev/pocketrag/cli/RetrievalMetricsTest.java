package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetrievalMetricsTest {

    @Test
    void ndcg_of_hand_computed_rankings() {
        Map<String, Integer> qrel = Map.of("a", 1, "b", 1, "x", 0);
        // relevant at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068 = 1.06161
        // ideal: ranks 1 and 2: 1 + 1/log2(3) = 1.63093 -> 0.650920
        assertEquals(0.650920, RetrievalMetrics.ndcg(List.of("z", "a", "x", "b"), qrel, 10), 1e-6);
        // cut at 3: only rank 2 counts: 0.63093 / 1.63093 = 0.386853
        assertEquals(0.386853, RetrievalMetrics.ndcg(List.of("z", "a", "x", "b"), qrel, 3), 1e-6);
        assertEquals(1.0, RetrievalMetrics.ndcg(List.of("b", "a"), qrel, 10), 1e-12);
        assertEquals(0.0, RetrievalMetrics.ndcg(List.of(), qrel, 10));
    }

    @Test
    void ndcg_uses_graded_relevance_as_linear_gain() {
        Map<String, Integer> qrel = Map.of("a", 2, "b", 1);
        // ranking b, a: DCG = 1 + 2/log2(3) = 2.26186; ideal a, b: 2 + 1/log2(3) = 2.63093 -> 0.859719
        assertEquals(0.859719, RetrievalMetrics.ndcg(List.of("b", "a"), qrel, 10), 1e-6);
    }

    @Test
    void ideal_dcg_is_cut_at_k_when_there_are_more_relevant_documents_than_k() {
        Map<String, Integer> qrel = Map.of("a", 1, "b", 1, "c", 1);
        // k = 2, ranking a z: DCG = 1; ideal (2 of 3 relevant) = 1 + 1/log2(3) = 1.63093 -> 0.613147
        assertEquals(0.613147, RetrievalMetrics.ndcg(List.of("a", "z", "b"), qrel, 2), 1e-6);
    }

    @Test
    void recall_and_mrr_of_hand_computed_rankings() {
        Map<String, Integer> qrel = Map.of("a", 1, "b", 1, "c", 1, "n", 0);
        List<String> ranked = List.of("n", "z", "b", "y", "a");
        assertEquals(1.0 / 3, RetrievalMetrics.recall(ranked, qrel, 3), 1e-12);
        assertEquals(2.0 / 3, RetrievalMetrics.recall(ranked, qrel, 100), 1e-12);
        assertEquals(1.0 / 3, RetrievalMetrics.mrr(ranked, qrel, 10), 1e-12); // first relevant at rank 3
        assertEquals(0.0, RetrievalMetrics.mrr(ranked, qrel, 2));
    }

    @Test
    void ties_are_ranked_by_document_id_descending_like_trec_eval() {
        Map<String, Double> run = new LinkedHashMap<>();
        run.put("d1", 0.5);
        run.put("d3", 0.5);
        run.put("d2", 0.9);
        run.put("d0", 0.1);
        assertEquals(List.of("d2", "d3", "d1", "d0"), RetrievalMetrics.rank(run));
    }

    @Test
    void evaluate_averages_over_qrels_queries_and_counts_missing_runs_as_zero() {
        Map<String, Map<String, Integer>> qrels = Map.of("q1", Map.of("a", 1), "q2", Map.of("b", 1));
        Map<String, Map<String, Double>> run = Map.of("q1", Map.of("a", 2.0, "c", 1.0));
        RetrievalMetrics.Summary s = RetrievalMetrics.evaluate(qrels, run, 10);
        assertEquals(2, s.queries());
        assertEquals(0.5, s.ndcg(), 1e-12);
        assertEquals(0.5, s.recall(), 1e-12);
        assertEquals(0.5, s.recall100(), 1e-12);
        assertEquals(0.5, s.mrr(), 1e-12);
    }
}
