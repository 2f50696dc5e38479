package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A note's title cannot send escape sequences to the terminal; JSON output keeps it exact. */
class TerminalTextTest {
    /** Retitles the window, clears the screen, then a C1 CSI (U+009B) and a DEL, a bell and a carriage return. */
    static final String EVIL = "\u001b]0;owned\u0007\u001b[2J\u009b31mEvil\u007f title\r";

    /** The CLI as {@link Main#run(String...)} runs it on a terminal. */
    static CliRun onTerminal(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(TerminalText.forTerminal(out), TerminalText.forTerminal(err), args);
        return new CliRun(code, out.toString(), err.toString());
    }

    private static void assertNoControls(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            assertFalse(TerminalText.dropped(c), "control character U+" + Integer.toHexString(c) + " at " + i + " of: " + s);
        }
    }

    @Test
    void strips_c0_c1_and_del_but_keeps_lines_and_tabs() {
        assertEquals("]0;owned[2J31mEvil title", TerminalText.strip(EVIL));
        assertEquals("a\tb\nc é ✓", TerminalText.strip("a\tb\nc é ✓"));
    }

    @Test
    void list_search_and_ask_print_no_control_characters_of_a_title(@TempDir Path dir) {
        String d = dir.toString();
        CliRun add = CliRun.of("add", "--dir", d, "--title", EVIL, "--", "The boiler is serviced every March.");
        assertEquals(0, add.exitCode(), add::toString);
        for (String[] args : new String[][] {{"list", "--dir", d}, {"search", "--dir", d, "--mode", "bm25", "boiler"},
                {"ask", "--dir", d, "When is the boiler serviced?"}}) {
            CliRun r = onTerminal(args);
            assertEquals(0, r.exitCode(), r::toString);
            assertTrue(r.out().contains("Evil title"), r::toString);
            assertNoControls(r.out().replace("\n", "").replace("\t", ""));
        }
        // JSON keeps the title exact, every control character escaped
        CliRun json = onTerminal("list", "--dir", d, "--json");
        assertNoControls(json.out().replace("\n", ""));
        assertTrue(json.out().contains("\\u009b"), json.out());
        assertEquals(EVIL, JsonParser.parseString(json.out()).getAsJsonArray().get(0).getAsJsonObject().get("title")
                .getAsString());
        // to a file or a pipe the text is printed as it is
        assertTrue(CliRun.of("list", "--dir", d).out().contains("\u001b[2J"));
    }

    @Test
    void the_terminal_writer_filters_every_way_of_writing() {
        StringWriter s = new StringWriter();
        PrintWriter w = TerminalText.forTerminal(s);
        w.print('\u001b');
        w.print(new char[] {'a', '\u0007', 'b'});
        w.printf("%s%n", "c\u009bd");
        w.write("x\u0008y", 0, 3);
        w.flush();
        assertEquals("abcd" + System.lineSeparator() + "xy", s.toString());
    }
}
