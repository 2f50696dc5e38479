package dev.pocketrag.retrieval.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pocketrag.index.Chunk;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pages and heading paths read from a body, for chunks given by their first line. */
class LocationsTest {
    /** One chunk per line that starts with one of {@code starts}, up to the line's end. */
    static List<Chunk> chunksAt(String body, String... starts) {
        List<Chunk> out = new ArrayList<>();
        for (String s : starts) {
            int i = body.indexOf(s);
            int e = body.indexOf('\n', i);
            e = e < 0 ? body.length() : e;
            out.add(new Chunk(out.size(), i, e, body.substring(i, e), body.substring(i, e)));
        }
        return out;
    }

    @Test
    void a_chunk_is_under_the_headings_above_it_and_a_heading_closes_deeper_ones() {
        String body = """
                # Bread
                intro
                ## Dough
                flour and water
                ### Timing
                overnight
                ## Baking
                hot oven
                # Cakes
                lemon
                """;
        List<Chunk> c = Locations.locate("Recipes", body, chunksAt(body, "intro", "flour", "overnight", "hot", "lemon"));
        assertEquals(List.of("Bread", "Bread > Dough", "Bread > Dough > Timing", "Bread > Baking", "Cakes"),
                c.stream().map(Chunk::section).toList());
        assertEquals(List.of(0, 0, 0, 0, 0), c.stream().map(Chunk::page).toList(), "no form feed: not paged");
    }

    @Test
    void code_fences_hashtags_and_the_title_heading_are_not_sections() {
        String body = """
                # Recipes
                ```
                # not a heading
                ```
                #hashtag is text
                ####### seven is text
                ## Oven ##
                hot
                """;
        List<Chunk> c = Locations.locate("Recipes", body, chunksAt(body, "#hashtag", "hot"));
        assertEquals(List.of("", "Oven"), c.stream().map(Chunk::section).toList());
    }

    @Test
    void a_chunk_starting_with_headings_is_in_the_section_of_its_text() {
        String body = "# Garden\n\n## Tomatoes\n\nWater daily.\n";
        Chunk whole = new Chunk(0, 0, body.length() - 1, body.substring(0, body.length() - 1), "x");
        assertEquals("Tomatoes", Locations.locate("Garden", body, List.of(whole)).get(0).section());
    }

    @Test
    void the_page_is_one_more_than_the_form_feeds_before_the_chunk() {
        String body = "one\n\ftwo\n\fthree\n\f";
        List<Chunk> c = Locations.locate("", body, chunksAt(body, "one", "two", "three"));
        assertEquals(List.of(1, 2, 3), c.stream().map(Chunk::page).toList());
    }

    @Test
    void chunks_of_one_long_line_and_chunks_given_out_of_order_get_the_same_sections() {
        String body = "# A\n" + "x".repeat(50) + "\n# B\n" + "y".repeat(100) + "\n";
        int y = body.indexOf('y');
        List<Chunk> in = List.of(
                new Chunk(0, y, y + 40, "y".repeat(40), "y"),
                new Chunk(1, y + 40, y + 80, "y".repeat(40), "y"), // the same line: no new heading
                new Chunk(2, 4, 54, "x".repeat(50), "x")); // before the others: read again from the start
        assertEquals(List.of("B", "B", "A"), Locations.locate("", body, in).stream().map(Chunk::section).toList());
    }

    @Test
    void a_long_path_is_cut_to_the_bound() {
        String body = "# " + "a".repeat(200) + "\n## " + "b".repeat(200) + "\ntext\n";
        String s = Locations.locate("", body, chunksAt(body, "text")).get(0).section();
        assertEquals(Chunk.MAX_SECTION_LENGTH, s.length());
        assertEquals('…', s.charAt(s.length() - 1));
    }
}
