package dev.pocketrag.retrieval.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CitationsTest {
    static final long SEED = Long.getLong("tests.seed", 7L);

    @Test
    void finds_cited_numbers_in_order_of_first_use_within_range() {
        assertEquals(List.of(2, 1, 3), Citations.cited("B [2]. A [1][2]. C [1, 3]. X [9].", 3));
    }

    @Test
    void an_invented_citation_is_dropped_with_its_space() {
        assertEquals("The cut-over is on 7 June [1].", Citations.clean("The cut-over is on 7 June [1] [7].", 2));
        assertEquals("Milk and eggs [2].", Citations.clean("Milk and eggs [2, 7].", 2));
        assertEquals("Nothing here.", Citations.clean("Nothing here [0].", 5));
        assertEquals("Array a[i] stays [1].", Citations.clean("Array a[i] stays [1].", 1));
    }

    @Test
    void streaming_emits_exactly_what_clean_gives_for_any_split() {
        System.out.println("seed=" + SEED);
        Random rnd = new Random(SEED);
        String[] texts = {
            "The cut-over is on 7 June [1] [7]. Rollback owner: Priya [2][12].",
            "[3] starts. Then [1, 9, 2] and a[i] and [x] and [ 2 ] end [",
            "trailing space then bracket [",
            "no citations at all, just text with spaces   ",
            "[7][8][9]",
        };
        for (String t : texts) {
            for (int round = 0; round < 200; round++) {
                StringBuilder got = new StringBuilder();
                Citations.Stream s = new Citations.Stream(3, got::append);
                int i = 0;
                while (i < t.length()) {
                    int j = Math.min(t.length(), i + 1 + rnd.nextInt(5));
                    s.accept(t.substring(i, j));
                    i = j;
                }
                s.finish();
                assertEquals(Citations.clean(t, 3), got.toString(), "text '" + t + "', seed " + SEED);
                assertEquals(got.toString(), s.text());
            }
        }
    }
}
