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
    void a_subcommand_built_alone_has_the_same_help_as_in_the_full_tree() {
        CommandLine full = Main.commandLine("--help");
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
