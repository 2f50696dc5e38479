package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A one-shot {@code ask} with a local model saves the keys and values of its system prompt in the
 * notebook's {@code prompt-cache} folder, and the next {@code ask} (a new model instance, as a new
 * process would be) starts from them: {@code timings.cached_prompt_tokens} in {@code --json}.
 */
class AskPromptCacheTest {

    @Test
    void the_next_one_shot_ask_starts_from_the_saved_system_prompt(@TempDir Path dir) throws IOException {
        Path model = SharedData.file("models/stories260K.gguf");
        String d = dir.toString();
        assertEquals(0, CliRun.of("add", "--dir", d, "--title", "Dentist", "--",
                "Dentist appointment on 14 March at 09:30 with Dr. Sousa.").exitCode());

        JsonObject first = ask(d, model, "When is my dentist appointment?");
        assertEquals(0, first.get("cached_prompt_tokens").getAsInt(), first::toString);
        try (Stream<Path> files = Files.list(dir.resolve("prompt-cache"))) {
            assertEquals(1, files.filter(f -> f.toString().endsWith(".pkv")).count(), "one prefix file");
        }

        JsonObject second = ask(d, model, "Who is my dentist?");
        int cached = second.get("cached_prompt_tokens").getAsInt();
        assertTrue(cached >= 16 && cached < second.get("prompt_tokens").getAsInt(),
                "the system prompt's tokens come from the file: " + second);
    }

    private static JsonObject ask(String dir, Path model, String question) {
        CliRun r = CliRun.of("ask", "--dir", dir, "--json", "-n", "4", "--model", model.toString(), question);
        assertEquals(0, r.exitCode(), r::toString);
        JsonObject a = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("generated", a.get("kind").getAsString(), r::toString);
        return a.getAsJsonObject("timings");
    }
}
