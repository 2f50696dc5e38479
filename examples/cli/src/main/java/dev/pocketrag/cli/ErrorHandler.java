package dev.pocketrag.cli;

import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
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

    /** A one-line description of a failure: the most specific message in the cause chain. */
    static String describe(Throwable t) {
        Throwable cur = t;
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof dev.pocketrag.index.DamagedIndexException) {
                cur = c; // however it was wrapped
                break;
            }
        }
        while (cur.getMessage() == null && cur.getCause() != null) {
            cur = cur.getCause();
        }
        if (cur instanceof NoSuchFileException e) {
            return "no such file: " + e.getFile();
        }
        if (cur instanceof AccessDeniedException e) {
            return "permission denied: " + e.getFile();
        }
        String msg = cur.getMessage();
        if (cur instanceof dev.pocketrag.index.DamagedIndexException) {
            // never Lucene's own words alone: what is wrong, and the way back
            return firstLine(msg) + "; run `pocketrag check` to see what is damaged, and `pocketrag check --repair`"
                    + " to keep every note that can still be read (it writes a backup first)";
        }
        if (msg == null) {
            return cur.getClass().getSimpleName();
        }
        return firstLine(msg);
    }

    private static String firstLine(String msg) {
        int nl = msg.indexOf('\n');
        return nl < 0 ? msg : msg.substring(0, nl);
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
