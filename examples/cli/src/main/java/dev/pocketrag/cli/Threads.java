package dev.pocketrag.cli;

import dev.pocketrag.chat.TokenListener;
import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.Conversation;
import dev.pocketrag.retrieval.Notebook;
import java.io.IOException;
import java.io.PrintWriter;

/** {@code ask --thread}: one turn of a stored conversation thread. */
final class Threads {
    private Threads() {}

    /**
     * Opens the thread {@code name} (saying on {@code err} when it starts, or when its file was
     * damaged and set aside), asks {@code question} in it and records the turn.
     */
    static Answer ask(Notebook nb, String name, String question, AskOptions options, TokenListener listener,
            PrintWriter err) throws IOException {
        try (Conversation c = open(nb, name)) {
            c.warning().ifPresent(w -> err.println("warning: " + w));
            if (c.isNew()) {
                err.println("starting a new thread '" + name + "'");
            }
            err.flush();
            Answer a = c.ask(question, options, listener);
            c.notSaved().ifPresent(w -> err.println("warning: " + w));
            return a;
        }
    }

    /** The conversation, a bad name as a one-line user error. */
    static Conversation open(Notebook nb, String name) throws IOException {
        try {
            return nb.conversation(name);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }
}
