package dev.pocketrag.retrieval;

import dev.pocketrag.index.DamagedIndexException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Failures in one line for people: the apps' (CLI, desktop) one {@code describe(Throwable)}.
 *
 * <p>The remote client and the index's check keep their own wording on purpose: the client puts
 * the cause's whole message into its {@code RemoteModelException} (it cannot depend on this
 * module), and {@code pocketrag check} reports each damaged file as Lucene's damage with the
 * exception's type.
 */
public final class Errors {
    private Errors() {}

    /**
     * The most specific message in {@code t}'s cause chain, first line only: a {@link
     * DamagedIndexException} wherever it is in the chain; else past wrappers ({@link
     * ExecutionException}, {@link CompletionException}) and exceptions without a message; file
     * errors worded ({@code no such file: F}, {@code not a folder: F}, {@code permission denied: F});
     * the exception's simple class name when nothing has a message.
     */
    public static String describe(Throwable t) {
        Throwable cur = damage(t);
        if (cur == null) {
            cur = t;
            while ((cur instanceof ExecutionException || cur instanceof CompletionException || cur.getMessage() == null)
                    && cur.getCause() != null) {
                cur = cur.getCause();
            }
        }
        if (cur instanceof NoSuchFileException e) {
            return "no such file: " + e.getFile();
        }
        if (cur instanceof NotDirectoryException e) {
            return "not a folder: " + e.getFile();
        }
        if (cur instanceof AccessDeniedException e) {
            return "permission denied: " + e.getFile();
        }
        String msg = cur.getMessage();
        if (msg == null) {
            return cur.getClass().getSimpleName();
        }
        int nl = msg.indexOf('\n');
        return nl < 0 ? msg : msg.substring(0, nl);
    }

    /** The {@link DamagedIndexException} in {@code t}'s cause chain, however it was wrapped, or null. */
    public static DamagedIndexException damage(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof DamagedIndexException d) {
                return d;
            }
        }
        return null;
    }
}
