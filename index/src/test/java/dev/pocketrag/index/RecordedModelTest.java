package dev.pocketrag.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RecordedModelTest {
    static final String MINILM = "pooling=mean normalize=true maxTokens=256 query=\"\" passage=\"\"";
    static final String BGE = "pooling=cls normalize=true maxTokens=512"
            + " query=\"Represent this sentence for searching relevant passages: \" passage=\"\"";

    @Test
    void names_each_setting_that_differs() {
        RecordedModel a = new RecordedModel("m", 384, MINILM);
        RecordedModel b = new RecordedModel("m", 384, BGE);
        assertEquals("recipe: pooling mean vs cls, max tokens 256 vs 512, query prefix \"\" vs"
                + " \"Represent this sentence for searching relevant passages: \"", a.difference(b));
        assertFalse(a.accepts(b));
        assertEquals("model id 'm' vs 'n'; dimension 384 vs 768",
                a.difference(new RecordedModel("n", 768, MINILM)));
    }

    @Test
    void an_unsaid_recipe_is_accepted_on_either_side() {
        RecordedModel a = new RecordedModel("m", 8, MINILM);
        assertTrue(a.accepts(new RecordedModel("m", 8, "")));
        assertTrue(new RecordedModel("m", 8, "").accepts(a));
        assertEquals("", a.difference(a));
    }

    @Test
    void reads_quoted_values_with_escapes_and_spaces() {
        Map<String, String> m = RecordedModel.parse("query=\"a \\\" b\" passage=\"\" x=1");
        assertEquals(Map.of("query", "\"a \\\" b\"", "passage", "\"\"", "x", "1"), m);
        assertNull(RecordedModel.parse("query=\"open"));
        assertNull(RecordedModel.parse("no pairs"));
        assertEquals("'a b' vs 'c'", RecordedModel.recipeDifference("a b", "c"));
    }

    @Test
    void rejects_a_dimension_out_of_range() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RecordedModel("m", 0, ""));
        assertEquals("dimension=0, must be in [1, 4096]", e.getMessage());
    }
}
