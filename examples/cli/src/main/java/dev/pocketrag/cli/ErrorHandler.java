package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Errors;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns any failure of a command into one line on stderr and exit code 2; the stack trace only
 * with {@code --verbose}.
 */
final class ErrorHandler implements IExecutionExceptionHandler {
    /** Exit code of every user-visible failure. */
    static final int EXIT_ERROR = 2;

    static volatile boolean verbose;

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parsed) {
        cmd.getErr().println("error: " + describe(ex));
        if (verbose) {
            ex.printStackTrace(cmd.getErr());
        } else if (!isExpected(ex)) {
            cmd.getErr().println("(run with --verbose for the stack trace)");
        }
        cmd.getErr().flush();
        return EXIT_ERROR;
    }

    /**
     * A one-line description of a failure ({@link Errors#describe}); a damaged index also says how
     * to check and repair it.
     */
    static String describe(Throwable t) {
        String line = Errors.describe(t);
        if (Errors.damage(t) != null) {
            // never Lucene's own words alone: what is wrong, and the way back
            return line + "; run `pocketrag check` to see what is damaged, and `pocketrag check --repair`"
                    + " to keep every note that can still be read (it writes a backup first)";
        }
        return line;
    }

    private static boolean isExpected(Throwable t) {
        return t instanceof UserException
                || t instanceof java.io.IOException
                || t instanceof IllegalArgumentException
                || t instanceof IllegalStateException
                || t instanceof java.io.UncheckedIOException
                || t instanceof dev.pocketrag.generation.gguf.GgufFormatException
                || t instanceof dev.pocketrag.generation.gguf.UnsupportedTensorTypeException;
    }
}
