package dev.pocketrag.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonParser;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one JSON writer of the server and the CLI. */
class JsonTest {

    @Test
    void escapes_every_control_character_and_keeps_html_and_nulls() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", "a\u001b[31mb\u007fc\u0085d\u009fe <b>&'=</b> é");
        m.put("none", null);
        m.put("n", List.of(1, 2.5));
        String json = Json.of(m);
        assertEquals("{\"text\":\"a\\u001b[31mb\\u007fc\\u0085d\\u009fe <b>&'=</b> é\",\"none\":null,\"n\":[1,2.5]}",
                json);
        // the text read back is exact
        assertEquals(m.get("text"), JsonParser.parseString(json).getAsJsonObject().get("text").getAsString());
    }
}
