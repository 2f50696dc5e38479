package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pocketrag.embedder.Embedders;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code reindex} and {@code --embedder}, as a user types them. */
class ReindexCommandTest {
    static final String BGE_ID = Embedders.model("bge-small").modelId();
    static final String MINILM_ID = Embedders.model("minilm").modelId();

    static void assertOneLineError(CliRun r, String expected) {
        assertEquals(2, r.exitCode(), r::toString);
        assertEquals("error: " + expected, r.err().strip(), r::toString);
    }

    @Test
    void reindex_moves_a_notebook_to_bge_which_then_searches_without_naming_it(@TempDir Path dir) {
        String d = dir.toString();
        assertEquals(0, CliRun.of("add", "--dir", d, "--title", "Dentist", "Dentist on 14 March at 09:30.").exitCode());
        assertEquals(0, CliRun.of("add", "--dir", d, "--title", "Bread", "Sourdough: 500 g flour, 375 g water.").exitCode());

        CliRun r = CliRun.of("reindex", "--dir", d, "--embedder", "bge-small", "--json");
        assertEquals(0, r.exitCode(), r::toString);
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("done", o.get("phase").getAsString());
        assertEquals("minilm", o.getAsJsonObject("from").get("name").getAsString());
        assertEquals("bge-small", o.getAsJsonObject("to").get("name").getAsString());
        assertEquals(BGE_ID, o.getAsJsonObject("to").get("model_id").getAsString());
        assertEquals(2, o.get("notes").getAsInt());
        assertEquals(2, o.get("embedded").getAsInt());

        CliRun stats = CliRun.of("stats", "--dir", d, "--json");
        JsonObject s = JsonParser.parseString(stats.out()).getAsJsonObject();
        assertEquals("bge-small", s.get("embedder").getAsString());
        assertEquals(BGE_ID, s.get("model_id").getAsString());
        assertTrue(s.get("recipe").getAsString().startsWith("pooling=cls normalize=true maxTokens=512 query=\"Represent"),
                stats::toString);
        assertTrue(s.get("reindex_unfinished").isJsonNull(), stats::toString);
        CliRun plain = CliRun.of("stats", "--dir", d);
        assertTrue(plain.out().contains("embedder    bge-small\n"), plain::toString);
        assertTrue(plain.out().contains("recipe      pooling=cls"), plain::toString);

        CliRun search = CliRun.of("search", "--dir", d, "--json", "-k", "1", "when", "is", "the", "dentist");
        assertEquals(0, search.exitCode(), search::toString);
        assertEquals("Dentist", JsonParser.parseString(search.out()).getAsJsonArray().get(0).getAsJsonObject()
                .get("title").getAsString());
        CliRun check = CliRun.of("check", "--dir", d);
        assertEquals(0, check.exitCode(), check::toString);
        assertTrue(check.out().contains("; embedder bge-small)"), check::toString);
        assertFalse(Files.exists(dir.resolve("index")), "the old index is deleted");

        CliRun same = CliRun.of("reindex", "--dir", d, "--embedder", "bge-small");
        assertEquals(0, same.exitCode(), same::toString);
        assertEquals(dir + " already uses bge-small: nothing to do", same.out().strip());
    }

    @Test
    void naming_another_embedder_for_an_existing_notebook_is_one_line_telling_the_fix(@TempDir Path dir) {
        String d = dir.toString();
        assertEquals(0, CliRun.of("add", "--dir", d, "Water the monstera every Sunday.").exitCode());
        for (String[] args : new String[][] {
                {"search", "--dir", d, "--embedder", "e5-small", "monstera"},
                {"search", "--dir", d, "--embedder", "e5-small", "--mode", "bm25", "monstera"},
                {"ask", "--dir", d, "--embedder", "e5-small", "When do I water the monstera?"},
                {"add", "--dir", d, "--embedder", "e5-small", "Repot it in spring."}}) {
            CliRun r = CliRun.of(args);
            assertEquals(2, r.exitCode(), r::toString);
            String err = r.err().strip();
            assertTrue(err.startsWith("error: notebook " + d + " holds vectors of embedder 'minilm', not of embedder"
                    + " 'e5-small' (they differ in model id '" + MINILM_ID + "' vs '"), r::toString);
            assertTrue(err.contains("run `pocketrag reindex --embedder e5-small`"), r::toString);
            assertFalse(err.contains("\n"), r::toString);
        }
        CliRun same = CliRun.of("search", "--dir", d, "--embedder", "MiniLM", "--json", "monstera");
        assertEquals(0, same.exitCode(), "its own, named: " + same);
    }

    @Test
    void a_bad_embedder_name_is_one_line_naming_it_and_the_choices(@TempDir Path dir) {
        String d = dir.toString();
        String choices = "unknown embedder 'bge-large': choose one of minilm, bge-small, e5-small";
        assertOneLineError(CliRun.of("reindex", "--dir", d, "--embedder", "bge-large"), "--embedder: " + choices);
        assertOneLineError(CliRun.of("search", "--dir", d, "--embedder", "bge-large", "x"), "--embedder: " + choices);
        assertOneLineError(CliRun.of("import", "--dir", d, "--embedder", "bge-large", d), "--embedder: " + choices);
        assertOneLineError(CliRun.of("demo", "--embedder", "bge-large"), "--embedder: " + choices);
        CliRun missing = CliRun.of("reindex", "--dir", d);
        assertEquals(2, missing.exitCode(), missing::toString);
        assertTrue(missing.err().startsWith("Missing required option: '--embedder=NAME'"), missing::toString);
        assertFalse(Files.exists(dir.resolve("index")), "nothing was made");
    }

    @Test
    void a_new_notebook_is_made_with_the_embedder_named_on_import(@TempDir Path dir) throws Exception {
        Path notes = Files.createDirectories(dir.resolve("notes"));
        Files.writeString(notes.resolve("kyoto.md"), "# Kyoto hotel\nHotel Kanra, check-in from 15:00, booking KX-4471.\n");
        String d = dir.resolve("nb").toString();
        CliRun imported = CliRun.of("import", "--dir", d, "--embedder", "bge-small", "--json", notes.toString());
        assertEquals(0, imported.exitCode(), imported::toString);
        CliRun stats = CliRun.of("stats", "--dir", d, "--json");
        assertEquals(BGE_ID, JsonParser.parseString(stats.out()).getAsJsonObject().get("model_id").getAsString());
        CliRun again = CliRun.of("import", "--dir", d, "--json", notes.toString()); // no --embedder: its own
        assertEquals(0, again.exitCode(), again::toString);
        assertEquals(1, JsonParser.parseString(again.out()).getAsJsonObject().get("unchanged").getAsInt());
    }
}
