package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code perplexity} through picocli on stories260K (F32): save the base, compare the model with
 * itself (KLD 0, the same top token everywhere), then a Q4_K_M copy made by {@code quantize} (a
 * positive divergence, statistics in order); and the errors a user meets.
 */
class PerplexityCommandTest {
    static final String STORY = "Once upon a time, there was a little girl named Lily. She loved to play outside in "
            + "the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high. Lily's mom "
            + "said, \"Lily, let's go to the park.\" Lily was sad and didn't know what to do. She said, \"I want to "
            + "play with your ball, but I can't find it.\" Then a kind dog came and they played all day. The sun was "
            + "warm and the birds sang. At night Lily went home and told her mom about the dog. Her mom smiled and "
            + "gave her a big hug.";

    @TempDir
    Path dir;

    static JsonObject json(CliRun r) {
        assertEquals(0, r.exitCode(), r::toString);
        return JsonParser.parseString(r.out().strip()).getAsJsonObject();
    }

    @Test
    void saves_a_base_and_measures_a_model_and_its_quantized_copy_against_it() throws Exception {
        Path model = SharedData.file("models/stories260K.gguf");
        Path text = dir.resolve("story.txt");
        Files.writeString(text, STORY);
        Path base = dir.resolve("f32.logits");

        JsonObject saved = json(CliRun.of("perplexity", "-m", model.toString(), "-f", text.toString(), "--ctx", "32",
                "--save-logits", base.toString(), "--json", "--threads", "2"));
        int chunks = saved.get("chunks").getAsInt();
        int tokens = saved.get("tokens").getAsInt();
        assertEquals(tokens / 32, chunks, saved::toString);
        assertTrue(chunks >= 3, saved::toString);
        assertEquals(32, saved.get("ctx").getAsInt());
        assertEquals(chunks * 15, saved.get("scored_tokens").getAsInt()); // positions 16..30 of each chunk
        double ppl = saved.get("ppl").getAsDouble();
        assertTrue(ppl > 1 && ppl < 30, "stories260K on a children's story: " + ppl); // 512 tokens: uniform is 512
        assertTrue(saved.get("ppl_error").getAsDouble() > 0);
        assertFalse(saved.has("kld_mean"), "no KLD without a base");
        assertTrue(Files.isRegularFile(base));

        // the model against its own base: no divergence, the same top token everywhere
        JsonObject self = json(CliRun.of("perplexity", "-m", model.toString(), "-f", text.toString(),
                "--kl-divergence-base", base.toString(), "--json"));
        assertEquals(32, self.get("ctx").getAsInt(), "the window comes from the base");
        assertEquals(ppl, self.get("ppl").getAsDouble(), 1e-9 * ppl);
        assertEquals(ppl, self.get("ppl_base").getAsDouble(), 1e-6 * ppl);
        assertEquals(0, self.get("kld_mean").getAsDouble(), 1e-5);
        assertEquals(0, self.get("kld_median").getAsDouble(), 1e-4);
        assertEquals(0, self.get("kld_p99").getAsDouble(), 1e-4);
        assertEquals(1.0, self.get("top1_agreement").getAsDouble());
        assertEquals(1.0, self.get("ppl_ratio").getAsDouble(), 1e-6);

        // a quantized copy: a positive divergence
        Path q = dir.resolve("q4km.gguf");
        CliRun quant = CliRun.of("quantize", model.toString(), q.toString(), "Q4_K_M");
        assertEquals(0, quant.exitCode(), quant::toString);
        JsonObject k = json(CliRun.of("perplexity", "-m", q.toString(), "-f", text.toString(),
                "--kl-divergence-base", base.toString(), "--json"));
        assertEquals(chunks, k.get("chunks").getAsInt());
        double mean = k.get("kld_mean").getAsDouble();
        double median = k.get("kld_median").getAsDouble();
        double p99 = k.get("kld_p99").getAsDouble();
        double max = k.get("kld_max").getAsDouble();
        double top1 = k.get("top1_agreement").getAsDouble();
        assertTrue(mean > 1e-4 && mean < 1, k::toString);
        assertTrue(median > 0 && median <= p99 && p99 <= max, k::toString);
        assertTrue(top1 > 0.5 && top1 <= 1, k::toString);
        assertEquals(ppl, k.get("ppl_base").getAsDouble(), 1e-6 * ppl, "the base's perplexity is the F32 model's");
        assertEquals(k.get("ppl").getAsDouble() / k.get("ppl_base").getAsDouble(), k.get("ppl_ratio").getAsDouble(),
                1e-6);

        // the human form prints llama-perplexity's sections
        CliRun human = CliRun.of("perplexity", "-m", q.toString(), "-f", text.toString(), "--kl-divergence-base",
                base.toString(), "--chunks", "2");
        assertEquals(0, human.exitCode(), human::toString);
        assertTrue(human.out().contains("[1]") && human.out().contains("[2]") && !human.out().contains("[3]"),
                human::toString);
        assertTrue(human.out().contains("Final estimate: PPL = "), human::toString);
        assertTrue(human.out().contains("Mean    KLD: ") && human.out().contains("Same top p: "), human::toString);
        assertTrue(human.out().contains("ln(PPL(Q)/PPL(base))") && human.out().lines().anyMatch(l -> l.startsWith("    2  ")),
                human::toString);
    }

    @Test
    void errors_name_the_bad_value() throws Exception {
        Path model = SharedData.file("models/stories260K.gguf");
        Path text = dir.resolve("short.txt");
        Files.writeString(text, "Once upon a time");
        CliRun r = CliRun.of("perplexity", "-m", model.toString(), "-f", text.toString());
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().startsWith("error: " + text + " tokenizes to "), r::toString);
        assertTrue(r.err().contains(" tokens; --ctx 512 needs at least 512"), r::toString);

        r = CliRun.of("perplexity", "-m", model.toString(), "-f", text.toString(), "--save-logits", "a",
                "--kl-divergence-base", "b");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("--save-logits and --kl-divergence-base cannot be combined"), r::toString);

        r = CliRun.of("perplexity", "-m", model.toString(), "-f", dir.resolve("missing.txt").toString());
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("text file not found: "), r::toString);

        Path notBase = dir.resolve("notes.logits");
        Files.writeString(notBase, "shopping: milk, eggs, bread and butter\n");
        r = CliRun.of("perplexity", "-m", model.toString(), "-f", text.toString(), "--kl-divergence-base",
                notBase.toString());
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().startsWith("error: notes.logits: not a logits base (magic 0x706f6873"), r::toString);
    }
}
