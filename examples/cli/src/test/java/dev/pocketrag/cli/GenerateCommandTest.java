package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code pocketrag generate} and {@code pocketrag chat} on stories260K (../shared/models). */
class GenerateCommandTest {

    /** The greedy sample published in ../shared/models/README.md (its fenced block, without the fence's line break). */
    private static String publishedStory(Path model) throws Exception {
        String readme = Files.readString(model.resolveSibling("README.md"), StandardCharsets.UTF_8);
        int intro = readme.indexOf("Greedy decoding");
        int start = readme.indexOf("```\n", intro) + 4;
        int end = readme.indexOf("\n```", start);
        return readme.substring(start, end);
    }

    @Test
    void greedy_generate_prints_the_published_stories260K_text() throws Exception {
        Path model = SharedData.file("models/stories260K.gguf");
        // llama2.c's default 256 steps: BOS + 4 prompt tokens + 252 generated
        CliRun r = CliRun.of("generate", "--model", model.toString(), "--prompt", "Once upon a time", "-n", "252",
                "--temperature", "0", "--threads", "2");
        assertEquals(0, r.exitCode(), r::toString);
        assertEquals(publishedStory(model) + "\n", r.out());
        assertTrue(r.err().contains("generated: 252 tokens"), r::toString);
    }

    @Test
    void json_has_prompt_and_generated_token_ids_text_and_timings() {
        Path model = SharedData.file("models/stories260K.gguf");
        CliRun r = CliRun.of("generate", "-m", model.toString(), "-p", "Once upon a time", "-n", "5",
                "--temperature", "0", "--json");
        assertEquals(0, r.exitCode(), r::toString);
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        // ids from ../shared/reference/outputs/stories260K.s1.json (prompt_tokens, generated.tokens[0..5))
        assertEquals("[1,403,407,261,378]", o.getAsJsonArray("prompt_tokens").toString());
        assertEquals("[432,383,286,261,376]", o.getAsJsonArray("tokens").toString());
        assertEquals(", there was a little", o.get("text").getAsString());
        assertEquals("length", o.get("finish_reason").getAsString());
        JsonObject t = o.getAsJsonObject("timings");
        assertEquals(5, t.get("prompt_tokens").getAsInt());
        assertEquals(5, t.get("generated_tokens").getAsInt());
        assertTrue(t.has("prompt_ms") && t.has("generation_tokens_per_second"), t::toString);
        assertEquals(1, r.out().strip().lines().count());
    }

    @Test
    void seeded_sampling_repeats() {
        Path model = SharedData.file("models/stories260K.gguf");
        String[] args = {"generate", "-m", model.toString(), "-p", "One day", "-n", "30", "--seed", "9", "--json"};
        JsonArray a = JsonParser.parseString(CliRun.of(args).out()).getAsJsonObject().getAsJsonArray("tokens");
        JsonArray b = JsonParser.parseString(CliRun.of(args).out()).getAsJsonObject().getAsJsonArray("tokens");
        assertEquals(a, b);
    }

    @Test
    void errors_are_one_line_with_exit_code_2() {
        Path model = SharedData.file("models/stories260K.gguf");
        CliRun missing = CliRun.of("generate", "-m", "/no/such/model.gguf", "-p", "x");
        assertEquals(2, missing.exitCode(), missing::toString);
        assertEquals("error: model file not found: /no/such/model.gguf", missing.err().strip());
        CliRun tooLong = CliRun.of("generate", "-m", model.toString(), "-p", "Once upon a time", "--ctx", "64",
                "-n", "100");
        assertEquals(2, tooLong.exitCode(), tooLong::toString);
        assertTrue(tooLong.err().startsWith("error: prompt of 5 tokens + maxTokens 100 = 105 tokens exceeds the "
                + "context length of 64 tokens"), tooLong::toString);
        assertEquals(1, tooLong.err().strip().lines().count(), tooLong::toString);
    }

    @Test
    void chat_streams_replies_until_exit() throws Exception {
        Path model = SharedData.file("models/stories260K.gguf");
        InputStream old = System.in;
        try {
            System.setIn(new ByteArrayInputStream("Once upon a time\n\nThe dog\n/exit\nnever read\n"
                    .getBytes(StandardCharsets.UTF_8)));
            CliRun r = CliRun.of("chat", "-m", model.toString(), "--system", "Tell stories.", "-n", "12",
                    "--temperature", "0", "--threads", "1");
            assertEquals(0, r.exitCode(), r::toString);
            assertEquals(2, r.out().lines().count(), r::toString); // two replies, one line each
            assertTrue(r.err().contains("template chatml (fallback)"), r::toString);
        } finally {
            System.setIn(old);
        }
    }
}
