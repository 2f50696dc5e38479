package dev.pocketrag.cli;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The top-level {@code pocketrag} command. Each subcommand is a thin {@code Callable<Integer>}
 * over a library facade; add new ones to {@link #SUBCOMMANDS}. They are not listed in the
 * {@code @Command} annotation: picocli would then build the model of every one of them (reflection
 * over all their options) on every start, and a command needs only its own (see
 * {@link Main#commandLine}).
 */
@Command(
        name = "pocketrag",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Embedded, local-first RAG: your notes, searchable by meaning, answered with citations. Offline.")
public final class PocketragCommand implements Runnable {
    /**
     * The subcommands by name (each its {@code @Command} name; a test checks), in the order
     * {@code pocketrag --help} lists them.
     */
    static final Map<String, Class<?>> SUBCOMMANDS = subcommands(
            "demo", DemoCommand.class,
            "add", AddCommand.class,
            "import", ImportCommand.class,
            "watch", WatchCommand.class,
            "reindex", ReindexCommand.class,
            "migrate", MigrateCommand.class,
            "search", SearchCommand.class,
            "ask", AskCommand.class,
            "threads", ThreadsCommand.class,
            "desktop", DesktopCommand.class,
            "serve", ServeCommand.class,
            "mcp", McpCommand.class,
            "list", ListCommand.class,
            "delete", DeleteCommand.class,
            "stats", StatsCommand.class,
            "check", CheckCommand.class,
            "export", ExportCommand.class,
            "embed", EmbedCommand.class,
            "eval", EvalCommand.class,
            "inspect", InspectCommand.class,
            "fits", FitsCommand.class,
            "convert", ConvertCommand.class,
            "quantize", QuantizeCommand.class,
            "perplexity", PerplexityCommand.class,
            "tokenize", TokenizeCommand.class,
            "generate", GenerateCommand.class,
            "chat", ChatCommand.class);

    private static Map<String, Class<?>> subcommands(Object... nameClassPairs) {
        Map<String, Class<?>> m = new LinkedHashMap<>();
        for (int i = 0; i < nameClassPairs.length; i += 2) {
            m.put((String) nameClassPairs[i], (Class<?>) nameClassPairs[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Print stack traces of errors.")
    void setVerbose(boolean verbose) {
        ErrorHandler.verbose = verbose;
    }

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
