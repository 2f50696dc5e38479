package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
}
