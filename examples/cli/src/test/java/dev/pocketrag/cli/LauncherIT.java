package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pocketrag.retrieval.Notebook;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end through the real {@code ./pocketrag} launcher, as a new user would run it: a fresh
 * data directory (XDG_DATA_HOME), no config, the sample notes. Runs after {@code package}
 * (failsafe), so the launcher finds the jar it would build.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LauncherIT {
    static Path root;
    @TempDir
    static Path home;

    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- out:\n" + out + "\n--- err:\n" + err;
        }
    }

    @BeforeAll
    static void locate() {
        root = Path.of(System.getProperty("pocketrag.root", "../..")).toAbsolutePath().normalize();
        assumeTrue(Files.isExecutable(root.resolve("pocketrag")), "skipped: no ./pocketrag launcher at " + root);
    }

    static Run pocketrag(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(root.resolve("pocketrag").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
        Map<String, String> env = pb.environment();
        env.put("XDG_DATA_HOME", home.resolve("data").toString());
        env.put("XDG_CONFIG_HOME", home.resolve("config").toString());
        env.remove("POCKETRAG_DIR");
        env.remove("POCKETRAG_MODEL");
        env.remove("POCKETRAG_CONFIG");
        Path out = Files.createTempFile(home, "out", ".txt");
        Path err = Files.createTempFile(home, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("pocketrag " + String.join(" ", args) + " did not finish in 5 minutes");
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                errorLines(Files.readString(err, StandardCharsets.UTF_8)));
    }

    /** stderr without the JVM's incubator-module notice, which every run prints. */
    static String errorLines(String err) {
        return err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules"))
                .reduce("", (a, b) -> a.isEmpty() ? b : a + "\n" + b);
    }

    @Test
    @Order(1)
    void import_the_sample_notes_into_the_default_data_directory() throws Exception {
        Run r = pocketrag("import", "examples/notes");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().startsWith("60 files: 60 added"), r::toString);
        assertTrue(Files.isDirectory(home.resolve("data/pocketrag/index")), "default data dir under XDG_DATA_HOME");
    }

    @Test
    @Order(2)
    void search_finds_the_note_by_meaning() throws Exception {
        Run r = pocketrag("search", "--json", "-k", "3", "where do we stay in Kyoto");
        assertEquals(0, r.exit(), r::toString);
        JsonArray hits = JsonParser.parseString(r.out()).getAsJsonArray();
        assertTrue(hits.get(0).getAsJsonObject().get("title").getAsString().contains("Kyoto"), r::toString);
    }

    @Test
    @Order(3)
    void ask_without_a_model_gives_a_cited_extractive_answer() throws Exception {
        Run r = pocketrag("ask", "How many clamshells should I do for my knee?");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("3 x 15"), r::toString);
        assertTrue(r.out().contains("[1]") && r.out().contains("Sources:"), r::toString);
        assertTrue(r.out().contains("physio-knee-exercises.md"), r::toString);
        assertTrue(r.out().contains("--model"), "says how to enable generation:\n" + r);

        Run json = pocketrag("ask", "--json", "When does my car insurance renew?");
        assertEquals(0, json.exit(), json::toString);
        JsonObject a = JsonParser.parseString(json.out()).getAsJsonObject();
        assertTrue(a.get("answer").getAsString().contains("1 September"), json::toString);
        assertTrue(a.getAsJsonArray("citations").get(0).getAsJsonObject().get("source").getAsString()
                .endsWith("finance/car-insurance-renewal.md"), json::toString);
    }

    @Test
    @Order(4)
    void ask_with_a_gguf_model_generates_end_to_end() throws Exception {
        Path model = Path.of(System.getProperty("pocketrag.shared", "../shared")).resolve("models/stories260K.gguf");
        assumeTrue(Files.isRegularFile(model), "skipped: " + model + " not found (../shared is absent)");
        Run r = pocketrag("ask", "--json", "-n", "48", "--model", model.toString(),
                "How many clamshells should I do for my knee?");
        assertEquals(0, r.exit(), r::toString);
        JsonObject a = JsonParser.parseString(r.out()).getAsJsonObject();
        // a story model writes nonsense, but the whole path runs: template fallback, packing, generation
        assertEquals("generated", a.get("kind").getAsString(), r::toString);
        assertFalse(a.get("answer").getAsString().isBlank(), r::toString);
        assertTrue(a.getAsJsonArray("passages").size() >= 1, r::toString);
        assertTrue(a.getAsJsonObject("timings").get("answer_tokens").getAsInt() > 0, r::toString);
        assertTrue(a.getAsJsonObject("timings").get("prompt_tokens").getAsInt()
                + 48 <= 2048, "prompt + answer within the model's 2048-token window: " + r);
        assertTrue(r.err().contains("chat template"), "warns about the chatml fallback: " + r);
        // focused packing unless asked otherwise; the first token's time counts from the process start
        assertEquals("focused", a.get("context").getAsString(), r::toString);
        JsonObject t = a.getAsJsonObject("timings");
        assertTrue(t.get("process_first_token_ms").getAsDouble() > t.get("first_token_ms").getAsDouble(), r::toString);

        Run whole = pocketrag("ask", "--json", "-n", "8", "--context", "whole", "--model", model.toString(),
                "How many clamshells should I do for my knee?");
        assertEquals(0, whole.exit(), whole::toString);
        JsonObject w = JsonParser.parseString(whole.out()).getAsJsonObject();
        assertEquals("whole", w.get("context").getAsString(), whole::toString);
        int passages = w.getAsJsonArray("passages").size();
        int leftOut = w.getAsJsonArray("left_out").size();
        assertEquals(6, passages + leftOut, "every retrieved passage is used or reported: " + whole);
        assertTrue(w.getAsJsonObject("timings").get("prompt_tokens").getAsInt()
                > t.get("prompt_tokens").getAsInt(), "whole chunks make the longer prompt: " + whole + "\n" + r);
    }

    @Test
    @Order(5)
    void delete_removes_a_note() throws Exception {
        Run list = pocketrag("list", "--json", "-n", "100");
        JsonArray notes = JsonParser.parseString(list.out()).getAsJsonArray();
        assertEquals(60, notes.size());
        String id = notes.get(0).getAsJsonObject().get("id").getAsString();
        Run r = pocketrag("delete", id);
        assertEquals(0, r.exit(), r::toString);
        Run stats = pocketrag("stats", "--json");
        assertEquals(59, JsonParser.parseString(stats.out()).getAsJsonObject().get("notes").getAsInt(), stats::toString);
    }

    @Test
    @Order(6)
    void a_second_import_embeds_only_what_changed() throws Exception {
        Run r = pocketrag("import", "--json", "examples/notes");
        assertEquals(0, r.exit(), r::toString);
        JsonObject p = JsonParser.parseString(r.out()).getAsJsonObject();
        // the note deleted above comes back; the other 59 are unchanged and not embedded again
        assertEquals(59, p.get("unchanged").getAsInt(), r::toString);
        assertEquals(1, p.get("added").getAsInt(), r::toString);
        Run again = pocketrag("import", "--json", "examples/notes");
        JsonObject q = JsonParser.parseString(again.out()).getAsJsonObject();
        assertEquals(0, q.get("added").getAsInt() + q.get("updated").getAsInt(), again::toString);
    }

    @Test
    @Order(7)
    void bad_input_is_one_line_with_exit_code_2_and_loses_nothing() throws Exception {
        Run missing = pocketrag("import", "no/such/folder");
        assertEquals(2, missing.exit(), missing::toString);
        assertEquals("error: folder not found: no/such/folder", missing.err().strip());

        Run notGguf = pocketrag("ask", "--model", "examples/notes/health/dentist.md", "When is the dentist?");
        assertEquals(2, notGguf.exit(), notGguf::toString);
        assertOneLineError(notGguf);
        assertTrue(notGguf.err().contains("dentist.md"), notGguf::toString);

        Run badFlag = pocketrag("search", "--no-such-flag", "x");
        assertEquals(2, badFlag.exit(), badFlag::toString);

        // the index held by another process (this test JVM)
        try (Notebook holder = Notebook.open(home.resolve("data/pocketrag"))) {
            Run busy = pocketrag("add", "a note while the notebook is busy");
            assertEquals(2, busy.exit(), busy::toString);
            assertOneLineError(busy);
            assertTrue(busy.err().contains("in use by another process"), busy::toString);
        }
        Run stats = pocketrag("stats", "--json");
        assertEquals(60, JsonParser.parseString(stats.out()).getAsJsonObject().get("notes").getAsInt(), stats::toString);
    }

    @Test
    @Order(8)
    void an_import_with_unreadable_and_binary_files_skips_and_counts_them(@TempDir Path notes) throws Exception {
        Files.writeString(notes.resolve("ok.md"), "# Plants\nWater the monstera every Sunday.\n");
        Files.write(notes.resolve("image.md"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2});
        Path locked = notes.resolve("locked.txt");
        Files.writeString(locked, "secret");
        boolean canLock = locked.toFile().setReadable(false) && !Files.isReadable(locked);
        Run r = pocketrag("import", "--json", notes.toString());
        assertEquals(0, r.exit(), r::toString);
        JsonObject p = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(1, p.get("skipped").getAsInt(), r::toString);
        // root reads anything: then the locked file just imports
        assertEquals(canLock ? 1 : 2, p.get("added").getAsInt(), r::toString);
        assertEquals(canLock ? 1 : 0, p.get("failed").getAsInt(), r::toString);
    }

    @Test
    @Order(9)
    void demo_prints_cited_answers() throws Exception {
        Run r = pocketrag("demo");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("60 files: 60 added"), r::toString);
        long answers = r.out().lines().filter(l -> l.startsWith("A: ") && l.matches(".*\\[\\d+].*")).count();
        assertEquals(3, answers, "three cited answers:\n" + r);
        assertTrue(r.out().contains("KX-4471"), r::toString);
    }

    static void assertOneLineError(Run r) {
        String err = r.err().strip();
        assertTrue(err.startsWith("error: "), r::toString);
        assertFalse(err.contains("\n"), "one line, no stack trace:\n" + r);
    }
}
