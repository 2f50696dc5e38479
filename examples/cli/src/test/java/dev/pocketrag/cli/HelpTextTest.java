package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Help texts are written as sentences and left to picocli to wrap. Picocli breaks a line where the
 * text has a break (a new element of a {@code description} array, or {@code %n}) and where the next
 * word does not fit the terminal. Rendered at an unlimited width only the first kind remain, and
 * each of them must end a sentence: so at 80 columns a line ends mid-sentence only to wrap.
 */
class HelpTextTest {
    static final int WIDTH = 80;
    static final int UNLIMITED = 100_000;

    @Test
    void no_help_text_breaks_a_sentence_except_to_wrap_at_80_columns() {
        List<String> problems = new ArrayList<>();
        for (int width : new int[] {UNLIMITED, WIDTH}) {
            CommandLine root = Main.fullCommandLine();
            root.setUsageHelpWidth(width);
            List<CommandLine> all = new ArrayList<>();
            collect(root, all);
            assertTrue(all.size() > 15, "every subcommand is checked: " + all.size());
            for (CommandLine c : all) {
                CommandLine.Help help = c.getHelp();
                String name = c.getCommandSpec().qualifiedName();
                if (width == UNLIMITED) {
                    problems.addAll(breaks(name + " description", help.description()));
                    problems.addAll(breaks(name + " parameters", help.parameterList()));
                    problems.addAll(breaks(name + " options", help.optionList()));
                    problems.addAll(breaks(name + " commands", help.commandList()));
                } else {
                    c.getUsageMessage().lines().filter(l -> l.length() > WIDTH)
                            .forEach(l -> problems.add(name + " is wider than " + WIDTH + ": " + l));
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void the_check_catches_a_sentence_broken_by_hand() {
        // ask --help before the fix: "... the answer is generated" / "and streamed; ..."
        assertEquals(1, breaks("t", "A chat model means the answer is generated\nand streamed to you.\n").size());
        assertEquals(0, breaks("t", "One sentence.\nAnother one: (a list).\n").size());
        String opt = "      --json              Print one JSON object with the answer,\n"
                + "                            and timings.\n"
                + "  -k, --passages=<passages>\n"
                + "                          Passages to retrieve.\n";
        assertEquals(1, breaks("t", opt).size());
    }

    static void collect(CommandLine c, List<CommandLine> out) {
        out.add(c);
        for (CommandLine sub : c.getSubcommands().values()) {
            if (!out.contains(sub)) {
                collect(sub, out);
            }
        }
    }

    /**
     * Lines of one help section (rendered at an unlimited width) that end mid-sentence although
     * the next line continues the same paragraph or option description.
     */
    static List<String> breaks(String where, String section) {
        List<String> lines = section.lines().toList();
        // option and command descriptions start in one column; a continuation is indented at least that far
        int column = lines.stream().filter(l -> l.startsWith("          ") && !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        List<String> out = new ArrayList<>();
        for (int i = 0; i + 1 < lines.size(); i++) {
            String line = lines.get(i).stripTrailing();
            String next = lines.get(i + 1);
            int indent = next.length() - next.stripLeading().length();
            boolean continuation = !next.isBlank() && (column == 0 ? indent == 0 : indent >= column);
            // a line holding only an option's names (no gap before a description) has its description on the next line
            int own = line.length() - line.stripLeading().length();
            boolean hasText = column == 0 || own >= column || line.strip().contains("  ");
            if (continuation && hasText && !endsSentence(line)) {
                out.add(where + ": '" + line.strip() + "' / '" + next.strip() + "'");
            }
        }
        return out;
    }

    static boolean endsSentence(String line) {
        String t = line.strip().replaceAll("[)\"'`]+$", "");
        return t.endsWith(".") || t.endsWith(":") || t.endsWith("?") || t.endsWith("!");
    }
}
