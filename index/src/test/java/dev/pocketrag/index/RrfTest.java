package dev.pocketrag.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class RrfTest {

    @Test
    void fuses_two_rankings_with_hand_computed_scores() {
        // dense: a b c ; bm25: c a d ; k = 60
        // a: 1/61 + 1/62 = 0.0325225..., c: 1/63 + 1/61 = 0.0322664..., b: 1/62, d: 1/63
        List<Rrf.Fused<String>> f = Rrf.fuse(List.of(List.of("a", "b", "c"), List.of("c", "a", "d")), 60);
        assertEquals(List.of("a", "c", "b", "d"), f.stream().map(Rrf.Fused::key).toList());
        assertEquals(1.0 / 61 + 1.0 / 62, f.get(0).score(), 1e-15);
        assertEquals(1.0 / 63 + 1.0 / 61, f.get(1).score(), 1e-15);
        assertEquals(1.0 / 62, f.get(2).score(), 1e-15);
        assertEquals(1.0 / 63, f.get(3).score(), 1e-15);
        assertArrayEquals(new int[] {1, 2}, f.get(0).ranks());
        assertArrayEquals(new int[] {3, 1}, f.get(1).ranks());
        assertArrayEquals(new int[] {2, 0}, f.get(2).ranks());
        assertArrayEquals(new int[] {0, 3}, f.get(3).ranks());
    }

    @Test
    void small_k_lets_a_single_top_rank_beat_two_middling_ones() {
        // k = 1: x at rank 1 in one list -> 1/2 = 0.5; y at rank 3 in both -> 2/4 = 0.5 (tie,
        // broken by best rank: x); z rank 2 in one, 4 in other -> 1/3 + 1/5 = 0.533
        List<Rrf.Fused<String>> f = Rrf.fuse(List.of(List.of("x", "z", "y"), List.of("p", "q", "y", "z")), 1);
        assertEquals(List.of("z", "x", "p", "y", "q"), f.stream().map(Rrf.Fused::key).toList());
        assertEquals(1.0 / 3 + 1.0 / 5, f.get(0).score(), 1e-15);
    }

    @Test
    void equal_scores_are_ordered_by_best_rank_then_by_list() {
        // b is rank 1 in list 1, a is rank 1 in list 0: same score, list 0 first
        List<Rrf.Fused<String>> f = Rrf.fuse(List.of(List.of("a"), List.of("b")), 60);
        assertEquals(List.of("a", "b"), f.stream().map(Rrf.Fused::key).toList());
        assertEquals(f.get(0).score(), f.get(1).score());
    }

    @Test
    void empty_lists_fuse_to_nothing_and_one_list_keeps_its_order() {
        assertEquals(List.of(), Rrf.fuse(List.of(List.of(), List.of()), 60));
        assertEquals(List.of(3, 1, 2),
                Rrf.fuse(List.of(List.of(3, 1, 2), List.<Integer>of()), 60).stream().map(Rrf.Fused::key).toList());
    }

    @Test
    void rejects_k_below_one_and_repeated_items() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Rrf.fuse(List.of(List.of("a")), 0));
        assertEquals("rrf k=0, must be >= 1", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Rrf.fuse(List.of(List.of("a", "a")), 60));
    }

    @Test
    void hybrid_fuses_by_key_and_shows_the_hit_of_the_list_where_the_item_ranks_better() {
        record H(String key, String list) {}
        List<H> dense = List.of(new H("a", "dense"), new H("b", "dense"), new H("c", "dense"));
        List<H> bm25 = List.of(new H("c", "bm25"), new H("a", "bm25"));
        // a: 1/61 + 1/62 = 0.032522, c: 1/63 + 1/61 = 0.032266, b: 1/62 = 0.016129 (by hand)
        List<Rrf.HybridHit<H>> top = Rrf.hybrid(dense, bm25, H::key, 60, 2);
        assertEquals(2, top.size());
        assertEquals("a", top.get(0).shown().key());
        assertEquals("dense", top.get(0).shown().list(), "a ranks 1st in dense, 2nd in bm25");
        assertEquals(1.0 / 61 + 1.0 / 62, top.get(0).score(), 1e-12);
        assertEquals(1, top.get(0).denseRank());
        assertEquals(2, top.get(0).bm25Rank());
        assertEquals("c", top.get(1).shown().key());
        assertEquals("bm25", top.get(1).shown().list(), "c ranks 3rd in dense, 1st in bm25");
        assertEquals(2, top.get(1).rank());
        Rrf.HybridHit<H> b = Rrf.hybrid(dense, bm25, H::key, 60, 3).get(2);
        assertEquals(0, b.bm25Rank());
        assertEquals(null, b.bm25());
        assertEquals("dense", b.shown().list());
    }
}
