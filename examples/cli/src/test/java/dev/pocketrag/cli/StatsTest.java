package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void ranks_give_ties_their_mean_rank() {
        assertArrayEquals(new double[] {1, 2.5, 2.5, 4}, Stats.ranks(new double[] {0.1, 0.5, 0.5, 0.9}));
    }

    @Test
    void spearman_matches_a_textbook_example() {
        // Wikipedia "Spearman's rank correlation coefficient" example: IQ vs hours of TV, rho = -29/165
        double[] iq = {106, 100, 86, 101, 99, 103, 97, 113, 112, 110};
        double[] tv = {7, 27, 2, 50, 28, 29, 20, 12, 6, 17};
        assertEquals(-29.0 / 165.0, Stats.spearman(iq, tv), 1e-12);
    }

    @Test
    void spearman_of_a_monotone_relation_is_one() {
        assertEquals(1.0, Stats.spearman(new double[] {1, 2, 3, 4}, new double[] {10, 100, 1000, 10000}), 1e-12);
    }
}
