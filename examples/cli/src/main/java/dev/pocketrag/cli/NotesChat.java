package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.Conversation;
import dev.pocketrag.retrieval.Notebook;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * {@code chat --notes}: an interactive conversation over the notes, read from {@code in} line by
 * line (a terminal or piped input). Each line is a question in one in-memory conversation, its
 * answer streamed with citations; {@code /sources} lists the passages of the last answer,
 * {@code /new} starts a new conversation, {@code /exit} (or the end of input) leaves.
 */
final class NotesChat {
    private NotesChat() {}

    static void run(Notebook nb, BufferedReader in, PrintWriter out, PrintWriter err, boolean interactive,
            AskOptions options) throws IOException {
        err.println((nb.chatModel().isPresent() ? "Chat over your notes with " + nb.chatModel().get().name()
                : "Chat over your notes (extractive answers: no chat model)") + ". /sources, /new, /exit.");
        err.flush();
        Conversation c = nb.conversation();
        Answer last = null;
        try {
            while (true) {
                if (interactive) {
                    out.print("> ");
                    out.flush();
                }
                String line = in.readLine();
                if (line == null) {
                    break;
                }
                String q = line.strip();
                if (q.isEmpty()) {
                    continue;
                }
                switch (q) {
                    case "/exit" -> {
                        return;
                    }
                    case "/new" -> {
                        c.close();
                        c = nb.conversation();
                        last = null;
                        out.println("(new conversation)");
                        out.flush();
                        continue;
                    }
                    case "/sources" -> {
                        sources(out, last);
                        continue;
                    }
                    default -> {
                        if (q.startsWith("/")) {
                            err.println("error: unknown command " + q + " (/sources, /new, /exit)");
                            err.flush();
                            continue;
                        }
                    }
                }
                try {
                    last = c.ask(q, options, piece -> {
                        out.print(piece);
                        out.flush();
                        return true;
                    });
                } catch (IllegalArgumentException e) {
                    err.println("error: " + e.getMessage());
                    err.flush();
                    continue;
                }
                out.println();
                if (!last.searchedFor().equals(q)) {
                    out.println("searched for: " + last.searchedFor());
                }
                for (Answer.Citation ci : last.citations()) {
                    Answer.Passage p = ci.passage();
                    out.printf(Locale.ROOT, "  [%d] %s%s%s%n", ci.n(), p.source().isEmpty() ? p.title() : p.source(),
                            p.location().isEmpty() ? "" : " · " + p.location(), p.date().isEmpty() ? "" : " · " + p.date());
                }
                out.println();
                out.flush();
            }
        } finally {
            c.close();
        }
    }

    private static void sources(PrintWriter out, Answer last) {
        if (last == null || last.passages().isEmpty()) {
            out.println("(no sources yet)");
        } else {
            for (Answer.Passage p : last.passages()) {
                out.printf(Locale.ROOT, "[%d] %s%s%s%s%n", p.n(), p.title().isEmpty() ? p.noteId() : p.title(),
                        p.location().isEmpty() ? "" : " · " + p.location(), p.date().isEmpty() ? "" : " · " + p.date(),
                        p.source().isEmpty() ? "" : "  (" + p.source() + ")");
                out.println("    \"" + SearchCommand.excerpt(p.text(), 200) + "\"");
            }
        }
        out.flush();
    }
}
