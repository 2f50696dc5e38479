package dev.pocketrag.desktop;

import dev.pocketrag.chat.TokenListener;
import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.Conversation;
import dev.pocketrag.retrieval.Notebook;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The Ask panel's conversation: follow-up questions continue it, "New conversation" starts another.
 *
 * <p>The app holds the turns itself and hands them to {@link Notebook#conversation(List)} for each
 * question, because the session closes the notebook when idle (and on a model switch) and a
 * {@link Conversation} lives only as long as its notebook. Each conversation is also kept as a
 * thread of the notebook ({@code threads/desktop-DATE-TIME.thread}, written after each turn through
 * {@link Notebook#conversation(String)}), so {@code pocketrag threads} lists it and {@code pocketrag
 * ask --thread} can continue it. When that folder cannot be written (a read-only directory), the
 * conversation goes on in memory and {@link #notSaved()} says why.
 *
 * <p>Questions run on one background lane, one at a time; {@link #turns()} and {@link #reset()}
 * may be called from the event thread meanwhile (all methods are synchronized).
 */
final class AskThread {
    private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("'desktop-'yyyyMMdd-HHmmss", Locale.ROOT);

    private final Path threadsDir;
    private final Supplier<LocalDateTime> clock;
    private final List<Conversation.Turn> turns = new ArrayList<>();
    /** The thread's name, chosen at its first question; null before. */
    private String name;
    /** Why the thread is not written to disk; null while it is. */
    private String notSaved;
    /** Said once per conversation: the stored thread was damaged and set aside. */
    private String warning;

    /**
     * @param notebookDir the notebook directory (threads go to its {@code threads/} folder)
     * @param clock the local time thread names are made of
     */
    AskThread(Path notebookDir, Supplier<LocalDateTime> clock) {
        this.threadsDir = Objects.requireNonNull(notebookDir, "notebookDir").resolve("threads");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Asks the next question of the conversation on {@code nb} (the caller's thread, never the
     * event thread); its {@link Answer#searchedFor()} is the standalone query of a follow-up.
     */
    synchronized Answer ask(Notebook nb, String question, AskOptions options, TokenListener listener)
            throws IOException {
        if (name == null) {
            name = freshName();
        }
        if (notSaved == null) {
            notSaved = probe();
        }
        if (notSaved != null) {
            Conversation c = nb.conversation(turns);
            Answer a = c.ask(question, options, listener);
            replaceTurns(c.history());
            return a;
        }
        try (Conversation c = nb.conversation(name)) {
            c.warning().ifPresent(w -> warning = w);
            if (c.history().size() != turns.size()) {
                c.close(); // the file changed under us (deleted, damaged): go on from what the panel shows
                Conversation m = nb.conversation(turns);
                Answer a = m.ask(question, options, listener);
                replaceTurns(m.history());
                notSaved = "the thread file " + threadsDir.resolve(name + ".thread") + " changed outside the app";
                return a;
            }
            Answer a = c.ask(question, options, listener);
            replaceTurns(c.history());
            return a;
        }
    }

    private void replaceTurns(List<Conversation.Turn> now) {
        turns.clear();
        turns.addAll(now);
    }

    /** A thread name not taken in the folder: desktop-DATE-TIME, with -2, -3... if needed. */
    private String freshName() {
        String base = NAME.format(clock.get());
        String n = base;
        for (int i = 2; Files.exists(threadsDir.resolve(n + ".thread")); i++) {
            n = base + "-" + i;
        }
        return n;
    }

    /** Null if a file can be written in the threads folder, else why not. */
    private String probe() {
        try {
            Files.createDirectories(threadsDir);
            Path p = Files.createTempFile(threadsDir, ".probe-", ".tmp");
            Files.delete(p);
            return null;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return "cannot write " + threadsDir + " (" + MainWindow.describe(e) + ")";
        }
    }

    /** The turns so far, oldest first. */
    synchronized List<Conversation.Turn> turns() {
        return List.copyOf(turns);
    }

    /** The thread's name in the notebook; empty before the first question. */
    synchronized String name() {
        return name == null ? "" : name;
    }

    /** Why the conversation is kept in memory only, or null if its thread file is written. */
    synchronized String notSaved() {
        return notSaved;
    }

    /** Takes the warning about a damaged thread file (null if none); said once. */
    synchronized String takeWarning() {
        String w = warning;
        warning = null;
        return w;
    }

    /** Starts a new conversation: nothing of the earlier turns is carried (the old thread stays stored). */
    synchronized void reset() {
        turns.clear();
        name = null;
        notSaved = null;
        warning = null;
    }
}
