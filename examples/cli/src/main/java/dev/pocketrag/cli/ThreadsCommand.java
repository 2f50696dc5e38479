package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.AnswerJson;
import dev.pocketrag.retrieval.Conversation;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.Settings;
import dev.pocketrag.server.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "threads", mixinStandardHelpOptions = true,
        description = {"The conversation threads kept in the notebook (`ask --thread NAME`).",
                "list (the default): name, turns, last used, first question; show NAME: every turn with what it"
                        + " searched for and the notes it cited; delete NAME: removes the thread."})
final class ThreadsCommand implements Callable<Integer> {
    @Mixin
    NotebookOptions notebook;

    @Parameters(index = "0", arity = "0..1", paramLabel = "list|show|delete", defaultValue = "list",
            description = "What to do (default: list).")
    String action;

    @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "The thread (show, delete).")
    String name;

    @Option(names = "--json", description = "Print JSON: list: [{\"name\", \"turns\", \"updated\", \"first_question\"}];"
            + " show: {\"name\", \"turns\": [{\"question\", \"searched_for\", \"answer\", \"at\", \"cited\": [{\"note_id\","
            + " \"title\", \"source\"}]}]}; delete: {\"name\", \"deleted\"}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        switch (action) {
            case "list" -> {
                if (name != null) {
                    throw new UserException("threads list takes no name; got '" + name + "'");
                }
                try (Notebook nb = notebook.openToRead(Settings.load())) {
                    list(out, nb.threads());
                }
            }
            case "show" -> {
                try (Notebook nb = notebook.openToRead(Settings.load())) {
                    show(out, nb);
                }
            }
            case "delete" -> {
                try (Notebook nb = notebook.openToRead(Settings.load())) {
                    boolean deleted;
                    try {
                        deleted = nb.deleteThread(required());
                    } catch (IllegalArgumentException e) {
                        throw new UserException(e.getMessage());
                    }
                    if (json) {
                        Map<String, Object> o = new LinkedHashMap<>();
                        o.put("name", name);
                        o.put("deleted", deleted);
                        out.println(Json.of(o));
                    } else if (deleted) {
                        out.println("deleted thread " + name);
                    }
                    if (!deleted) {
                        spec.commandLine().getErr().println("error: no thread named '" + name + "'");
                        return ErrorHandler.EXIT_ERROR;
                    }
                }
            }
            default -> throw new UserException("unknown threads action '" + action + "': use list, show NAME or delete NAME");
        }
        out.flush();
        return 0;
    }

    private String required() {
        if (name == null || name.isBlank()) {
            throw new UserException("threads " + action + " needs a thread NAME (see `pocketrag threads list`)");
        }
        return name;
    }

    private void list(PrintWriter out, List<Conversation.Info> threads) {
        if (json) {
            List<Map<String, Object>> a = new ArrayList<>();
            for (Conversation.Info t : threads) {
                a.add(AnswerJson.threadInfo(t));
            }
            out.println(Json.of(a));
            return;
        }
        if (threads.isEmpty()) {
            out.println("no threads yet: ask --thread NAME QUESTION starts one");
            return;
        }
        for (Conversation.Info t : threads) {
            out.printf(Locale.ROOT, "%-20s %s  %s  %s%n", t.name(),
                    t.turns() < 0 ? "damaged" : t.turns() + (t.turns() == 1 ? " turn" : " turns"),
                    t.updated().toString().substring(0, 16).replace('T', ' '),
                    SearchCommand.excerpt(t.firstQuestion(), 60));
        }
    }

    private void show(PrintWriter out, Notebook nb) throws IOException {
        String n = required();
        boolean known;
        try {
            known = nb.threads().stream().anyMatch(t -> t.name().equals(n));
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        if (!known) {
            throw new UserException("no thread named '" + n + "' (see `pocketrag threads list`)");
        }
        try (Conversation c = Threads.open(nb, n)) {
            c.warning().ifPresent(w -> spec.commandLine().getErr().println("warning: " + w));
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("name", n);
                o.put("turns", AnswerJson.turns(c.history()));
                out.println(Json.of(o));
                return;
            }
            int i = 1;
            for (Conversation.Turn t : c.history()) {
                out.println(i++ + ". " + t.question());
                if (!t.searchedFor().equals(t.question())) {
                    out.println("   searched for: " + t.searchedFor());
                }
                for (String line : t.answer().split("\\R")) {
                    out.println("   " + line);
                }
                for (Answer.Passage p : t.cited()) {
                    out.println("   - " + (p.title().isEmpty() ? p.noteId() : p.title())
                            + (p.source().isEmpty() ? "" : "  (" + p.source() + ")"));
                }
            }
        }
    }
}
