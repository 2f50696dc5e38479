package dev.pocketrag.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/** Entry point of the {@code pocketrag} command. */
public final class Main {
    /** Lucene logs an INFO line about the Vector API on first use; users don't need it. */
    private static final java.util.logging.Logger LUCENE_LOG = java.util.logging.Logger.getLogger("org.apache.lucene");

    /**
     * ... nor its WARNING that the Vector API module is missing: the launcher leaves it out on
     * purpose for commands that gain nothing from it (search, stats ...), which are faster to start
     * without it; generation says for itself when it runs without it.
     */
    private static final java.util.logging.Logger LUCENE_VECTORIZATION_LOG =
            java.util.logging.Logger.getLogger("org.apache.lucene.internal.vectorization");

    static {
        // library warnings (e.g. "no chat template; using chatml") as one plain line on stderr
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%6$s%n");
        }
        LUCENE_LOG.setLevel(java.util.logging.Level.WARNING);
        LUCENE_VECTORIZATION_LOG.setLevel(java.util.logging.Level.SEVERE);
    }

    private Main() {}

    public static void main(String[] args) {
        BootStderr.restore(); // first: the launcher kept the real stderr aside while the JVM booted
        System.exit(run(args));
    }

    /**
     * Runs the command line on System.out / System.err and returns its exit code. On a terminal,
     * control characters of what the commands print are dropped ({@link TerminalText}): a note's
     * title cannot send escape sequences to it.
     */
    public static int run(String... args) {
        if (TerminalText.isTerminal()) {
            return run(TerminalText.forTerminal(new java.io.OutputStreamWriter(System.out, System.out.charset())),
                    TerminalText.forTerminal(new java.io.OutputStreamWriter(System.err, System.err.charset())), args);
        }
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /**
     * Runs the command line with the given output streams (commands write through
     * {@code spec.commandLine().getOut()/getErr()}) and returns its exit code.
     */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cmd = commandLine(args);
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setExecutionExceptionHandler(new ErrorHandler());
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        try {
            return cmd.execute(args);
        } catch (Error e) {
            // picocli hands only Exceptions to the handler; a bug surfacing as an Error gets one line too
            err.println("error: internal error: " + ErrorHandler.describe(e));
            if (ErrorHandler.verbose) {
                e.printStackTrace(err);
            } else {
                err.println("(run with --verbose for the stack trace)");
            }
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /**
     * The command line for {@code args}. When they name a subcommand (after any of the top-level
     * options, which take no values), only that one is added: a start builds the picocli model of
     * one command (reflection over its options) instead of all eighteen. Otherwise (help, version,
     * a typo, no command) each subcommand is added as a stub with just its name and description,
     * which is all the command list and picocli's suggestions use; an argument file ({@code @FILE})
     * gets the full tree, since it may name a command. Parsing and output are the same either way.
     */
    static CommandLine commandLine(String... args) {
        String name = null;
        for (String a : args) {
            if (a.startsWith("@")) {
                return fullCommandLine();
            }
            if (!a.startsWith("-")) {
                name = a;
                break;
            }
        }
        CommandLine cmd = new CommandLine(new PocketragCommand());
        Class<?> only = name == null ? null : PocketragCommand.SUBCOMMANDS.get(name);
        if (only != null) {
            cmd.addSubcommand(name, only);
        } else {
            PocketragCommand.SUBCOMMANDS.forEach((n, c) -> {
                CommandSpec stub = CommandSpec.create().name(n);
                stub.usageMessage().description(c.getAnnotation(Command.class).description());
                cmd.addSubcommand(n, stub);
            });
        }
        return cmd;
    }

    /** The command line with the full model of every subcommand. */
    static CommandLine fullCommandLine() {
        CommandLine cmd = new CommandLine(new PocketragCommand());
        PocketragCommand.SUBCOMMANDS.forEach(cmd::addSubcommand);
        return cmd;
    }
}
