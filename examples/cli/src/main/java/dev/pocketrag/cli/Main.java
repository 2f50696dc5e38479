package dev.pocketrag.cli;

import picocli.CommandLine;

/** Entry point of the {@code pocketrag} command. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests and for {@link #main}). */
    public static int run(String... args) {
        CommandLine cmd = new CommandLine(new PocketragCommand());
        cmd.setExecutionExceptionHandler(new ErrorHandler());
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        return cmd.execute(args);
    }
}
