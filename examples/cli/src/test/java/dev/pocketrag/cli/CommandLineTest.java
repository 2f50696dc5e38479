package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The command line is built with only the subcommand a run names; it must behave as the full tree. */
class CommandLineTest {

    @Test
    void every_subcommand_is_registered_under_its_own_name() {
        for (Map.Entry<String, Class<?>> e : PocketragCommand.SUBCOMMANDS.entrySet()) {
            assertEquals(e.getKey(), e.getValue().getAnnotation(Command.class).name(), e.getValue().getName());
        }
    }

    @Test
    void the_help_and_version_built_from_stubs_equal_those_of_the_full_tree() {
        CommandLine full = Main.fullCommandLine();
        CommandLine stubs = Main.commandLine("--help");
        assertEquals(full.getUsageMessage(), stubs.getUsageMessage());
        assertTrue(stubs.getUsageMessage().contains("Answer a question from the notes"), stubs.getUsageMessage());
        CliRun version = CliRun.of("--version");
        assertEquals(0, version.exitCode(), version::toString);
        assertTrue(version.out().startsWith("pocketrag "), version::toString);
        // an argument file may name a command: the real tree
        assertEquals(full.getSubcommands().get("ask").getUsageMessage(),
                Main.commandLine("@args.txt").getSubcommands().get("ask").getUsageMessage());
    }

    @Test
    void a_subcommand_built_alone_has_the_same_help_as_in_the_full_tree() {
        CommandLine full = Main.fullCommandLine();
        assertEquals(List.copyOf(PocketragCommand.SUBCOMMANDS.keySet()), List.copyOf(full.getSubcommands().keySet()));
        for (String name : PocketragCommand.SUBCOMMANDS.keySet()) {
            CommandLine alone = Main.commandLine("--verbose", name, "--help");
            assertEquals(List.of(name), List.copyOf(alone.getSubcommands().keySet()));
            String help = alone.getSubcommands().get(name).getUsageMessage();
            assertEquals(full.getSubcommands().get(name).getUsageMessage(), help, name);
            assertTrue(help.contains("--verbose"), "the inherited --verbose option: " + help);
        }
    }

    @Test
    void help_a_typo_or_no_command_gets_the_whole_list() {
        for (String[] args : new String[][] {{}, {"--help"}, {"serach", "x"}, {"@args.txt"}}) {
            assertEquals(PocketragCommand.SUBCOMMANDS.size(), Main.commandLine(args).getSubcommands().size());
        }
        CliRun typo = CliRun.of("serach", "kyoto");
        assertEquals(2, typo.exitCode(), typo::toString);
        assertTrue(typo.err().contains("search"), "suggests the command: " + typo);
        CliRun none = CliRun.of();
        assertTrue(none.out().contains("Usage: pocketrag") && none.out().contains("stats"), none::toString);
    }
}
