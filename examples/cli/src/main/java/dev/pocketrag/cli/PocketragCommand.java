package dev.pocketrag.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The top-level {@code pocketrag} command. Each subcommand is a thin {@code Callable<Integer>}
 * over a library facade; add new ones to {@code subcommands} below.
 */
@Command(
        name = "pocketrag",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Embedded, local-first RAG: your notes, searchable by meaning, answered with citations. Offline.",
        subcommands = {
            DemoCommand.class,
            AddCommand.class,
            ImportCommand.class,
            SearchCommand.class,
            AskCommand.class,
            DesktopCommand.class,
            ServeCommand.class,
            ListCommand.class,
            DeleteCommand.class,
            StatsCommand.class,
            EmbedCommand.class,
            EvalCommand.class,
            InspectCommand.class,
            FitsCommand.class,
            QuantizeCommand.class,
            TokenizeCommand.class,
            GenerateCommand.class,
            ChatCommand.class,
        })
public final class PocketragCommand implements Runnable {

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Print stack traces of errors.")
    void setVerbose(boolean verbose) {
        ErrorHandler.verbose = verbose;
    }

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
