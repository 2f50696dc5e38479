package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code pocketrag watch} through picocli, stopped as Ctrl-C stops it; then stats and --remove. */
class WatchCommandTest {
    @TempDir
    Path tmp;

    static void await(String what, StringWriter out, String expected) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!out.toString().contains(expected)) {
            if (System.nanoTime() > end) {
                fail("waited for " + what + " (" + expected + "); printed:\n" + out);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void watch_prints_a_json_line_per_change_until_stopped_and_stats_shows_the_folder() throws Exception {
        Path dir = tmp.resolve("nb");
        Path notes = Files.createDirectories(tmp.resolve("notes"));
        Files.writeString(notes.resolve("a.md"), "# Boiler\nServiced in March.\n");
        Files.write(notes.resolve("photo.md"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1});

        WatchCommand cmd = new WatchCommand();
        CommandLine cl = new CommandLine(cmd);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler(new ErrorHandler());
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cl.execute("--dir", dir.toString(),
                "--json", "--quiet-for", "300ms", notes.toString()));
        assertTrue(cmd.awaitStarted(120), () -> "watch did not start: " + out + err);
        await("the first scan", out, "\"event\":\"scanned\"");
        Path b = notes.resolve("b.md");
        Files.writeString(b, "# Train\nThe train leaves at 08:10.\n");
        await("the new file", out, "\"event\":\"added\",\"path\":\"" + b.toAbsolutePath() + "\"");
        cmd.stop();
        assertEquals(0, exit.get(60, TimeUnit.SECONDS), () -> out + "\n" + err);
        for (String line : out.toString().strip().split("\n")) {
            JsonParser.parseString(line).getAsJsonObject(); // every line is one JSON object
        }
        assertTrue(out.toString().contains("{\"event\":\"skipped\",\"path\":\"" + notes.resolve("photo.md").toAbsolutePath()
                + "\",\"reason\":\"binary (NUL byte at offset 4)\"}"), out::toString);

        CliRun stats = CliRun.of("stats", "--dir", dir.toString(), "--json");
        assertEquals(0, stats.exitCode(), stats::toString);
        JsonObject o = JsonParser.parseString(stats.out()).getAsJsonObject();
        assertEquals(2, o.get("notes").getAsInt());
        JsonArray roots = o.getAsJsonObject("sources").getAsJsonArray("roots");
        assertEquals(1, roots.size(), stats::toString);
        JsonObject root = roots.get(0).getAsJsonObject();
        assertEquals(notes.toAbsolutePath().toString(), root.get("path").getAsString());
        assertTrue(root.get("online").getAsBoolean());
        assertEquals(2, root.get("notes").getAsInt());
        assertEquals(1, root.get("skipped").getAsInt());
        assertEquals("photo.md", root.getAsJsonArray("problems").get(0).getAsJsonObject().get("path").getAsString());

        CliRun plain = CliRun.of("stats", "--dir", dir.toString());
        assertTrue(plain.out().contains("watched     " + notes.toAbsolutePath() + "  online, 2 notes, 1 skipped"),
                plain::toString);

        CliRun removed = CliRun.of("watch", "--dir", dir.toString(), "--remove", notes.toString());
        assertEquals(0, removed.exitCode(), removed::toString);
        assertTrue(removed.out().contains("2 notes deleted"), removed::toString);
        CliRun after = CliRun.of("stats", "--dir", dir.toString(), "--json");
        JsonObject a = JsonParser.parseString(after.out()).getAsJsonObject();
        assertEquals(0, a.get("notes").getAsInt());
        assertEquals(0, a.getAsJsonObject("sources").getAsJsonArray("roots").size());
    }

    @Test
    void a_command_that_writes_waits_while_watch_holds_the_notebook_and_not_for_others() throws Exception {
        Path dir = tmp.resolve("nb");
        dev.pocketrag.retrieval.Notebook held = dev.pocketrag.retrieval.Notebook.open(dir);
        held.describeHolder(NotebookOptions.WATCH_HOLDER); // as a watch writing just now
        CompletableFuture<CliRun> add = CompletableFuture.supplyAsync(() -> CliRun.of("add", "--dir", dir.toString(),
                "--title", "Typed", "--", "A note typed while watch writes."));
        Thread.sleep(1000);
        assertTrue(!add.isDone(), () -> "add waited: " + add.join());
        held.close(); // watch lets go
        CliRun r = add.get(120, TimeUnit.SECONDS);
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.err().contains("`pocketrag watch` is writing to the notebook; waiting for it to let go"), r::toString);

        try (dev.pocketrag.retrieval.Notebook other = dev.pocketrag.retrieval.Notebook.open(dir)) {
            other.describeHolder("pocketrag import (wait until it is done, or stop it)");
            CliRun refused = CliRun.of("add", "--dir", dir.toString(), "--", "another");
            assertEquals(2, refused.exitCode(), refused::toString); // another holder: an error at once
        }
    }

    @Test
    void a_folder_never_watched_must_exist_and_durations_must_be_positive() throws Exception {
        Path dir = tmp.resolve("nb");
        CliRun missing = CliRun.of("watch", "--dir", dir.toString(), tmp.resolve("nope").toString());
        assertEquals(2, missing.exitCode(), missing::toString);
        assertTrue(missing.err().contains("folder not found: " + tmp.resolve("nope")), missing::toString);
        CliRun zero = CliRun.of("watch", "--dir", dir.toString(), "--rescan-every", "0s", tmp.toString());
        assertEquals(2, zero.exitCode(), zero::toString);
        assertTrue(zero.err().contains("'0s' is not a positive duration"), zero::toString);
    }
}
