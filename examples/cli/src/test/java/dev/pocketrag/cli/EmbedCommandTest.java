package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EmbedCommandTest {

    @Test
    void embed_json_prints_one_line_per_text_with_tokens_and_a_unit_vector() {
        CliRun r = CliRun.of("embed", "--json", "--", "hello", "--not-an-option", "");
        assertEquals(0, r.exitCode(), r::toString);
        String[] lines = r.out().strip().split("\n");
        assertEquals(3, lines.length, r::toString);
        JsonObject first = JsonParser.parseString(lines[0]).getAsJsonObject();
        assertEquals("hello", first.get("text").getAsString());
        assertEquals(3, first.get("tokens").getAsInt(), "[CLS] hello [SEP]");
        var v = first.getAsJsonArray("vector");
        assertEquals(384, v.size());
        double norm = 0;
        for (var x : v) {
            norm += x.getAsDouble() * x.getAsDouble();
        }
        assertEquals(1.0, Math.sqrt(norm), 1e-5);
        assertEquals("--not-an-option", JsonParser.parseString(lines[1]).getAsJsonObject().get("text").getAsString());
        assertEquals(2, JsonParser.parseString(lines[2]).getAsJsonObject().get("tokens").getAsInt(), "empty text");
    }

    @Test
    void embed_without_json_prints_a_readable_summary() {
        CliRun r = CliRun.of("embed", "hello world");
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("4 word pieces, 384 dimensions"), r::toString);
    }

    /**
     * {@code --embedder} picks the model and {@code --query} embeds as a query: with bge-small the
     * instruction makes "hello" 11 word pieces instead of 3, and the vectors are the library's
     * {@code embedQuery} and {@code embed}.
     */
    @Test
    void embed_with_another_embedder_as_passage_or_query_gives_the_libraries_vectors() {
        CliRun passage = CliRun.of("embed", "--embedder", "bge-small", "--json", "--", "hello");
        CliRun query = CliRun.of("embed", "--embedder", "BGE-small", "--query", "--json", "--", "hello");
        assertEquals(0, passage.exitCode(), passage::toString);
        assertEquals(0, query.exitCode(), query::toString);
        JsonObject p = JsonParser.parseString(passage.out().strip()).getAsJsonObject();
        JsonObject q = JsonParser.parseString(query.out().strip()).getAsJsonObject();
        assertEquals(3, p.get("tokens").getAsInt(), "[CLS] hello [SEP]: bge passages have no prefix");
        assertEquals(11, q.get("tokens").getAsInt(), "[CLS] represent this sentence for searching relevant passages : hello [SEP]");
        try (Embedder bge = Embedders.named("bge-small")) {
            assertVector(bge.embed("hello"), p.getAsJsonArray("vector"));
            assertVector(bge.embedQuery("hello"), q.getAsJsonArray("vector"));
        }
        CliRun e5 = CliRun.of("embed", "--embedder", "e5-small", "--json", "--", "hello");
        assertEquals(5, JsonParser.parseString(e5.out().strip()).getAsJsonObject().get("tokens").getAsInt(),
                "[CLS] passage : hello [SEP]");
    }

    static void assertVector(float[] expected, JsonArray got) {
        assertEquals(expected.length, got.size());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got.get(i).getAsFloat(), 1e-7, "component " + i);
        }
    }

    @ParameterizedTest
    @CsvSource({"embed,x", "eval sts,/no/such/file.csv", "eval beir,/no/such/dir"})
    void an_unknown_embedder_is_one_line_naming_it_and_the_choices(String command, String arg) {
        String[] words = command.split(" ");
        String[] args = new String[words.length + 3];
        System.arraycopy(words, 0, args, 0, words.length);
        args[words.length] = "--embedder";
        args[words.length + 1] = "bge-large";
        args[words.length + 2] = arg;
        CliRun r = CliRun.of(args);
        assertEquals(2, r.exitCode(), r::toString);
        assertEquals("error: unknown embedder 'bge-large': choose one of minilm, bge-small, e5-small", r.err().strip());
        assertEquals("", r.out());
    }

    @ParameterizedTest
    @CsvSource({"embed", "eval sts", "eval beir"})
    void the_help_names_the_embedders_and_the_default(String command) {
        String[] words = (command + " --help").split(" ");
        CliRun r = CliRun.of(words);
        assertEquals(0, r.exitCode(), r::toString);
        String help = r.out().replaceAll("\\s+", " ");
        assertTrue(help.contains("--embedder=NAME Embedding model: minilm, bge-small, e5-small (default: minilm)."), help);
    }

    @Test
    void eval_sts_reaches_the_published_spearman_on_the_test_set() {
        Path sts = SharedData.file("datasets/stsbenchmark/sts-test.csv");
        CliRun r = CliRun.of("eval", "sts", "--json", sts.toString());
        assertEquals(0, r.exitCode(), r::toString);
        JsonObject o = JsonParser.parseString(r.out().strip()).getAsJsonObject();
        assertEquals(1379, o.get("pairs").getAsInt());
        double rho = o.get("spearman").getAsDouble();
        // published full-precision all-MiniLM-L6-v2: 0.8203 (MTEB); int8 must stay within 0.005
        assertTrue(rho >= 0.815, "spearman " + rho + " < 0.815");
    }

    @Test
    void eval_sts_names_a_bad_line(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "main-captions\tMSRvid\t2012test\t0001\tnot-a-number\ta\tb\n");
        CliRun r = CliRun.of("eval", "sts", bad.toString());
        assertEquals(2, r.exitCode(), r::toString);
        assertEquals("error: " + bad + ":1: score 'not-a-number' is not a number", r.err().strip());
    }

    @Test
    void eval_sts_on_a_missing_file_is_one_line_and_exit_2() {
        CliRun r = CliRun.of("eval", "sts", "/no/such/file.csv");
        assertEquals(2, r.exitCode(), r::toString);
        assertEquals("error: no such file: /no/such/file.csv", r.err().strip());
    }

    /**
     * The other built-in models on the STS Benchmark test set, each with its authors' prefix for
     * symmetric tasks, against the published full-precision MTEB values (bge-small 0.8586, no
     * prefix; e5-small 0.8492, which MTEB measured without e5's "query: " prefix: ours with it is
     * above that, without it 0.847): int8 must stay within 0.005. A wrong prefix fails (e5 with
     * "passage: " on both sides: 0.837).
     */
    @ParameterizedTest
    @CsvSource({"bge-small,0.8586", "e5-small,0.8492"})
    void eval_sts_with_another_embedder_reaches_its_published_spearman(String embedder, double published) {
        Path sts = SharedData.file("datasets/stsbenchmark/sts-test.csv");
        CliRun r = CliRun.of("eval", "sts", "--embedder", embedder, "--json", sts.toString());
        assertEquals(0, r.exitCode(), r::toString);
        double rho = JsonParser.parseString(r.out().strip()).getAsJsonObject().get("spearman").getAsDouble();
        System.out.println("STS Benchmark test, " + embedder + ": spearman " + rho);
        assertTrue(rho >= published - 0.005, embedder + " spearman " + rho + " < " + (published - 0.005));
    }
}
