package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pocketrag.index.Note;
import dev.pocketrag.retrieval.Notebook;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** check, check --repair and export; read commands while another process holds the notebook. */
class RecoveryCommandsTest {
    static final String[] WORDS = ("water the roses on sunday before the frost invoice renewal dentist kyoto train "
            + "bread flour salt starter meeting budget deadline review hotel booking").split(" ");

    /** A notebook of two segments (two commits), 12 notes each; the notes by id. */
    static Map<String, Note> build(Path dir, long seed) throws Exception {
        Random rnd = new Random(seed);
        Map<String, Note> all = new HashMap<>();
        Instant t = Instant.parse("2025-06-01T12:00:00Z");
        try (Notebook nb = Notebook.open(dir)) {
            for (int batch = 0; batch < 2; batch++) {
                List<Note> some = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    StringBuilder body = new StringBuilder();
                    for (int w = 0, n = 20 + rnd.nextInt(300); w < n; w++) {
                        body.append(WORDS[rnd.nextInt(WORDS.length)]).append(rnd.nextInt(10) == 0 ? ".\n" : " ");
                    }
                    String id = "n" + batch + "-" + i;
                    some.add(new Note(id, "Note " + id, body.toString(), List.of("t" + i % 2), "",
                            t.plusSeconds(i), t.plusSeconds(i + 60L * batch)));
                }
                for (Note n : nb.addAll(some)) {
                    all.put(n.id(), n);
                }
            }
        }
        return all;
    }

    static Path largest(Path index, String prefix) throws Exception {
        try (Stream<Path> l = Files.list(index)) {
            return l.filter(p -> p.getFileName().toString().startsWith(prefix))
                    .max(java.util.Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
        }
    }

    @Test
    void check_finds_a_flipped_byte_and_repair_then_export_gives_back_every_readable_note(@TempDir Path tmp)
            throws Exception {
        long seed = Long.getLong("pocketrag.seed", 1414L);
        System.out.println("RecoveryCommandsTest seed=" + seed);
        Path dir = tmp.resolve("nb");
        Map<String, Note> notes = build(dir, seed);
        String d = dir.toString();
        CliRun sound = CliRun.of("check", "--dir", d);
        assertEquals(0, sound.exitCode(), sound::toString);
        assertTrue(sound.out().startsWith(d + ": sound (24 notes, "), sound::toString);

        Path victim = largest(dir.resolve("index"), "_1.");
        byte[] b = Files.readAllBytes(victim);
        b[b.length / 2] ^= 0x20;
        Files.write(victim, b);

        CliRun check = CliRun.of("check", "--dir", d);
        assertEquals(CheckCommand.EXIT_DAMAGED, check.exitCode(), check::toString);
        assertTrue(check.out().contains("segment _1 (") && check.out().contains(victim.getFileName() + " failed its checksum"),
                check::toString);
        assertTrue(check.out().contains("pocketrag check --repair"), check::toString);

        Path backup = tmp.resolve("backup");
        CliRun repair = CliRun.of("check", "--dir", d, "--repair", "--backup", backup.toString(), "--json");
        assertEquals(0, repair.exitCode(), repair::toString);
        JsonObject r = JsonParser.parseString(repair.out()).getAsJsonObject();
        assertTrue(r.get("repaired").getAsBoolean(), repair::toString);
        assertEquals(12, r.get("sound").getAsInt(), repair::toString);
        assertEquals(backup.toAbsolutePath().toString(), r.get("backup").getAsString());
        assertArrayEquals(b, Files.readAllBytes(backup.resolve(victim.getFileName())), "the backup holds the index as it was");
        Set<String> lost = new HashSet<>();
        for (JsonElement e : r.getAsJsonArray("lost_notes")) {
            lost.add(e.getAsJsonObject().get("id").getAsString());
        }
        assertEquals(r.get("lost").getAsInt(), lost.size());
        CliRun after = CliRun.of("check", "--dir", d);
        assertEquals(0, after.exitCode(), after::toString);

        Path out = tmp.resolve("export");
        CliRun export = CliRun.of("export", "--dir", d, "--json", out.toString());
        assertEquals(0, export.exitCode(), export::toString);
        int kept = r.get("notes").getAsInt();
        assertEquals(kept, JsonParser.parseString(export.out()).getAsJsonObject().get("notes").getAsInt(), export::toString);
        assertEquals(24, kept + lost.size());
        for (Note n : notes.values()) {
            Path file = out.resolve("note-" + n.id() + ".md");
            assertEquals(!lost.contains(n.id()), Files.exists(file), n.id());
            if (Files.exists(file)) {
                byte[] f = Files.readAllBytes(file);
                byte[] body = n.body().getBytes(StandardCharsets.UTF_8);
                assertArrayEquals(body, java.util.Arrays.copyOfRange(f, f.length - body.length, f.length), n.id());
                assertTrue(new String(f, StandardCharsets.UTF_8).startsWith("---\ntitle: \"Note " + n.id() + "\"\n"));
            }
        }
    }

    @Test
    void opening_a_notebook_whose_commit_is_damaged_names_pocketrag_check(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("nb");
        build(dir, 7);
        Path segments = largest(dir.resolve("index"), "segments_");
        byte[] b = Files.readAllBytes(segments);
        b[b.length / 2] ^= 0x01;
        Files.write(segments, b);
        // (no command that embeds: a model loading in the background would outlive the test)
        for (String command : new String[] {"list", "stats", "delete"}) {
            CliRun r = command.equals("delete") ? CliRun.of("delete", "--dir", dir.toString(), "n0-1")
                    : CliRun.of(command, "--dir", dir.toString());
            assertEquals(2, r.exitCode(), r::toString);
            assertEquals("error: index " + dir.resolve("index") + " is damaged: file " + segments.getFileName()
                    + " failed its checksum; run `pocketrag check` to see what is damaged, and `pocketrag check --repair`"
                    + " to keep every note that can still be read (it writes a backup first)", r.err().strip(), command);
        }
        CliRun check = CliRun.of("check", "--dir", dir.toString());
        assertEquals(CheckCommand.EXIT_DAMAGED, check.exitCode(), check::toString);
        CliRun repair = CliRun.of("check", "--repair", "--dir", dir.toString());
        assertEquals(2, repair.exitCode(), repair::toString);
        assertTrue(repair.err().contains("restore a backup"), repair::toString);
    }

    @Test
    void while_another_process_holds_the_notebook_reads_work_and_writes_say_who_holds_it(@TempDir Path tmp)
            throws Exception {
        Path dir = tmp.resolve("nb");
        String d = dir.toString();
        assertEquals(0, CliRun.of("add", "--dir", d, "--id", "kyoto", "Hotel Kanra in Kyoto, booking KX-4471").exitCode());
        try (Notebook holder = Notebook.open(dir)) {
            holder.describeHolder("pocketrag serve at http://127.0.0.1:8080/ (use its API, or stop it)");
            JsonArray list = JsonParser.parseString(CliRun.of("list", "--dir", d, "--json").out()).getAsJsonArray();
            assertEquals("Hotel Kanra in Kyoto, booking KX-4471", list.get(0).getAsJsonObject().get("text").getAsString());
            CliRun stats = CliRun.of("stats", "--dir", d, "--json");
            assertEquals(1, JsonParser.parseString(stats.out()).getAsJsonObject().get("notes").getAsInt(), stats::toString);
            CliRun search = CliRun.of("search", "--dir", d, "--json", "where do we stay");
            assertEquals(0, search.exitCode(), search::toString);
            assertEquals("kyoto", JsonParser.parseString(search.out()).getAsJsonArray().get(0).getAsJsonObject()
                    .get("note_id").getAsString(), search::toString);
            CliRun export = CliRun.of("export", "--dir", d, tmp.resolve("out").toString());
            assertEquals(0, export.exitCode(), export::toString);

            CliRun add = CliRun.of("delete", "--dir", d, "kyoto");
            assertEquals(2, add.exitCode(), add::toString);
            assertTrue(add.err().strip().matches("error: index is in use by another process: .* \\(held by process "
                    + ProcessHandle.current().pid() + " since \\S+: pocketrag serve at http://127.0.0.1:8080/ "
                    + "\\(use its API, or stop it\\)\\)"), add::toString);
            CliRun check = CliRun.of("check", "--dir", d);
            assertEquals(2, check.exitCode(), check::toString);
            assertTrue(check.err().contains("pocketrag serve at"), check::toString);
        }
        assertFalse(Files.exists(dir.resolve("index/pocketrag-holder.properties")), "the holder lets go of its file");
    }
}
