package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.junit.jupiter.api.io.TempDir;

/** {@code ask --thread}, {@code threads} and {@code chat --notes}, in-process on a temp notebook. */
class ThreadCommandsTest {

    static void addNotes(String d) {
        for (String[] n : new String[][] {
                {"Atlas cut-over", "The Atlas migration cut-over is planned for the weekend of 7 June. Rollback owner is Priya."},
                {"Release checklist", "Every release has a rollback owner on call and a go/no-go call."},
                {"Sourdough", "Sourdough at 75% hydration: 500 g flour, 375 g water, 10 g salt, 100 g starter."},
                {"Dentist", "Dentist appointment on 14 March at 09:30 with Dr. Sousa. Bring the X-rays."}}) {
            CliRun r = CliRun.of("add", "--dir", d, "--title", n[0], "--", n[1]);
            assertEquals(0, r.exitCode(), r::toString);
        }
    }

    @Test
    void ask_thread_continues_a_thread_and_threads_lists_shows_and_deletes_it(@TempDir Path dir) {
        String d = dir.toString();
        addNotes(d);
        CliRun first = CliRun.of("ask", "--dir", d, "--thread", "t1", "When is the Atlas cut-over?");
        assertEquals(0, first.exitCode(), first::toString);
        assertEquals("starting a new thread 't1'", first.err().strip(), first::toString);
        CliRun second = CliRun.of("ask", "--dir", d, "--thread", "t1", "--json", "Who owns the rollback?");
        assertEquals(0, second.exitCode(), second::toString);
        assertEquals("", second.err(), "said once, when the thread starts: " + second);
        JsonObject a = JsonParser.parseString(second.out()).getAsJsonObject();
        assertTrue(a.get("searched_for").getAsString().contains("Atlas"), second::toString);
        assertEquals("Atlas cut-over", a.getAsJsonArray("citations").get(0).getAsJsonObject().get("title").getAsString(),
                second::toString);
        CliRun plain = CliRun.of("ask", "--dir", d, "--thread", "t1", "And the go/no-go call?");
        assertTrue(plain.out().contains("searched for: And the go/no-go call?"), plain::toString);
        CliRun alone = CliRun.of("ask", "--dir", d, "--json", "Who owns the rollback?");
        assertEquals("Who owns the rollback?", JsonParser.parseString(alone.out()).getAsJsonObject()
                .get("searched_for").getAsString(), "without --thread a question stands alone");

        CliRun list = CliRun.of("threads", "--dir", d, "--json");
        assertEquals(0, list.exitCode(), list::toString);
        JsonArray threads = JsonParser.parseString(list.out()).getAsJsonArray();
        assertEquals(1, threads.size(), list::toString);
        assertEquals("t1", threads.get(0).getAsJsonObject().get("name").getAsString());
        assertEquals(3, threads.get(0).getAsJsonObject().get("turns").getAsInt());
        CliRun show = CliRun.of("threads", "--dir", d, "show", "t1");
        assertEquals(0, show.exitCode(), show::toString);
        assertTrue(show.out().startsWith("1. When is the Atlas cut-over?") && show.out().contains("2. Who owns the rollback?")
                && show.out().contains("searched for: Who owns the rollback?"), show::toString);
        CliRun showJson = CliRun.of("threads", "--dir", d, "show", "t1", "--json");
        JsonArray turns = JsonParser.parseString(showJson.out()).getAsJsonObject().getAsJsonArray("turns");
        assertEquals(3, turns.size());

        CliRun bad = CliRun.of("ask", "--dir", d, "--thread", "../x", "When?");
        assertEquals(2, bad.exitCode(), bad::toString);
        assertTrue(bad.err().contains("'../x'"), bad::toString);
        CliRun unknown = CliRun.of("threads", "--dir", d, "show", "nope");
        assertEquals(2, unknown.exitCode(), unknown::toString);

        assertEquals(0, CliRun.of("threads", "--dir", d, "delete", "t1").exitCode());
        CliRun again = CliRun.of("threads", "--dir", d, "delete", "t1");
        assertEquals(2, again.exitCode(), again::toString);
        assertTrue(CliRun.of("threads", "--dir", d).out().startsWith("no threads yet"));
    }

    @Test
    void a_damaged_thread_file_is_reported_with_its_path_and_set_aside(@TempDir Path dir) throws Exception {
        String d = dir.toString();
        addNotes(d);
        Path f = dir.resolve("threads/t2.thread");
        Files.createDirectories(f.getParent());
        Files.writeString(f, "garbage garbage garbage garbage");
        CliRun r = CliRun.of("ask", "--dir", d, "--thread", "t2", "When is the dentist?");
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.err().contains(f.toString()) && r.err().contains("set aside"), r::toString);
        assertFalse(Files.exists(f.resolveSibling("t2.thread.tmp")));
    }

    @Test
    void chat_notes_answers_piped_questions_with_follow_ups_sources_and_new(@TempDir Path dir) {
        String d = dir.toString();
        addNotes(d);
        InputStream old = System.in;
        CliRun r;
        try {
            System.setIn(new ByteArrayInputStream(("When is the Atlas cut-over?\nWho owns the rollback?\n/sources\n/new\n"
                    + "Who owns the rollback?\n/bogus\n/exit\nnever read\n").getBytes(StandardCharsets.UTF_8)));
            r = CliRun.of("chat", "--notes", "--dir", d);
        } finally {
            System.setIn(old);
        }
        assertEquals(0, r.exitCode(), r::toString);
        String out = r.out();
        assertTrue(out.contains("7 June"), r::toString);
        int followUp = out.indexOf("searched for: Who owns the rollback?");
        assertTrue(followUp > 0 && out.substring(followUp, out.indexOf('\n', followUp)).contains("Atlas"), r::toString);
        assertTrue(out.contains("[1] Atlas cut-over"), "/sources lists the last answer's passages: " + r);
        int fresh = out.indexOf("(new conversation)");
        assertTrue(fresh > 0 && !out.substring(fresh).contains("searched for:"), "after /new nothing is carried: " + r);
        assertTrue(r.err().contains("unknown command /bogus"), r::toString);
        assertFalse(out.contains("never read"), r::toString);
    }
}
