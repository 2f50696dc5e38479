package dev.pocketrag.desktop;

import dev.pocketrag.index.SearchFilter;
import java.util.List;
import java.util.function.Consumer;

/** What the panels of the window ask of it. Called on the event thread. */
interface Host {

    /** Where background work runs: each lane is one thread, so work on a lane runs in order. */
    enum Lane {
        /** Searches, listing, opening notes: short reads. */
        READ,
        /** Questions (may generate for a while). */
        ASK,
        /** Saving and deleting notes. */
        WRITE,
        /** Importing a folder (long; saves go on meanwhile: the notebook is thread-safe). */
        IMPORT
    }

    /**
     * Runs {@code task} on the notebook on {@code lane}, then {@code onDone} with its result on the
     * event thread; a failure is shown in the window as "{@code what}: message". {@code onFinally}
     * (may be null) runs on the event thread after either.
     */
    <T> void run(Lane lane, String what, NotebookSession.Task<T> task, Consumer<T> onDone, Runnable onFinally);

    /** Shows an error in the window. */
    void showError(String what, Throwable t);

    /** A line in the status bar. */
    void status(String message);

    /**
     * Opens a note in the editor with the passage [start, end) selected and scrolled to
     * (start &lt; 0: none) and {@code terms} marked.
     */
    void openNote(String noteId, int start, int end, List<String> terms);

    /** Notes were added, changed or deleted: refresh the list and the results. */
    void notesChanged();

    /** The tag filter in effect. */
    SearchFilter filter();

    /** A line saying how answers are made (the chat model or extractive). */
    String answerMode();

    /** The Ask panel's conversation (kept by the session, used on the ask lane). */
    AskThread askThread();

    /** Tokens to keep free for an answer: 384, or a quarter of a small model's context window. */
    int answerTokens();
}
