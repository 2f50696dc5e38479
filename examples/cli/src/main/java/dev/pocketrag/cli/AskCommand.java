package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Settings;

import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.ContextMode;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.AnswerJson;
import dev.pocketrag.server.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "ask", mixinStandardHelpOptions = true,
        description = {"Answer a question from the notes, with citations like [1].",
                "With a chat model (--model, $POCKETRAG_MODEL or the config file) the answer is generated "
                        + "and streamed; without one it is the best sentences of the best passages."})
final class AskCommand implements Callable<Integer> {
    @Mixin
    NotebookOptions notebook;

    @Mixin
    EmbedderOption embedder;

    @Mixin
    ModelOptions modelOptions;

    @Parameters(paramLabel = "QUESTION", arity = "1..*", description = "The question.")
    List<String> question;

    @Option(names = {"-k", "--passages"}, defaultValue = "6", description = "Passages to retrieve (default: ${DEFAULT-VALUE}).")
    int passages;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "384", description = "Longest answer in tokens (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--tag", paramLabel = "TAG", description = "Only use notes with this tag; repeat for several.")
    List<String> tags = new ArrayList<>();

    @Option(names = "--context", paramLabel = "whole|focused",
            description = "What of each passage the chat model reads: focused (the sentences that matter to the question,"
                    + " with the note's title and date; far fewer tokens, so a faster first word) or whole (the whole"
                    + " chunks); default: focused.")
    ContextMode context;

    @Option(names = "--json", description = "Print one JSON object with the answer, citations, passages, left-out passages and timings.")
    boolean json;

    @Option(names = "--thread", paramLabel = "NAME",
            description = "Continue the conversation thread NAME (an unknown name starts it): a follow-up like \"who owns"
                    + " it?\" is searched with the context of the turns before it. See `pocketrag threads`.")
    String thread;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        String q = String.join(" ", question).strip();
        if (q.isEmpty()) {
            throw new UserException("the question is empty");
        }
        AskOptions options;
        try {
            options = AskOptions.defaults().withPassages(passages).withMaxAnswerTokens(maxTokens)
                    .withFilter(tags.isEmpty() ? SearchFilter.NONE : SearchFilter.NONE.withAllTags(tags));
            if (context != null) {
                options = options.withContext(context);
            }
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        Settings config = Settings.load();
        PrintWriter out = spec.commandLine().getOut();
        Answer answer;
        long asked; // wall clock when the question was asked
        // the chat model loads while the embedding model loads on another thread
        try (Notebook nb = notebook.openToEmbedWhileLoading(config, embedder.resolve(config),
                () -> modelOptions.load(config, notebook.directory(config).resolve(ChatModels.PROMPT_CACHE)))) {
            asked = System.currentTimeMillis();
            dev.pocketrag.chat.TokenListener stream = piece -> {
                if (!json) {
                    out.print(piece);
                    out.flush();
                }
                return true;
            };
            answer = thread == null ? nb.ask(q, options, stream)
                    : Threads.ask(nb, thread, q, options, stream, spec.commandLine().getErr());
        }
        if (json) {
            Map<String, Object> o = toJson(answer);
            if (answer.timings().firstTokenMillis() > 0) {
                // the time a user waits for the first word: from the start of this process
                long firstToken = asked + Math.round(answer.timings().firstTokenMillis());
                @SuppressWarnings("unchecked")
                Map<String, Object> timings = (Map<String, Object>) o.get("timings");
                timings.put("process_first_token_ms", sinceProcessStart() - (System.currentTimeMillis() - firstToken));
            }
            out.println(Json.of(o));
        } else {
            out.println();
            if (!answer.searchedFor().isEmpty() && !answer.searchedFor().equals(q)) {
                out.println();
                out.println("searched for: " + answer.searchedFor());
            }
            print(out, answer);
        }
        return 0;
    }

    /** Sources and notes under a streamed answer. */
    static void print(PrintWriter out, Answer a) {
        if (!a.citations().isEmpty()) {
            out.println();
            out.println("Sources:");
            for (Answer.Citation c : a.citations()) {
                Answer.Passage p = c.passage();
                // with where it is (a PDF's page, the heading path) and the note's date, so that a
                // newer note stands out from an older one
                out.printf(Locale.ROOT, "  [%d] %s%s%s%s%n", c.n(), p.title().isEmpty() ? p.noteId() : p.title(),
                        p.location().isEmpty() ? "" : " · " + p.location(), p.date().isEmpty() ? "" : " · " + p.date(),
                        p.source().isEmpty() ? "  (" + p.noteId() + ")" : "  (" + p.source() + ")");
                out.println("      \"" + SearchCommand.excerpt(p.text(), 200) + "\"");
            }
        }
        if (!a.leftOut().isEmpty()) {
            out.println();
            out.println("Left out (did not fit in the model's context window):");
            for (Answer.LeftOut l : a.leftOut()) {
                out.printf(Locale.ROOT, "  - %s (%d tokens)%n", l.title().isEmpty() ? l.noteId() : l.title(), l.tokens());
            }
        }
        if (!a.note().isEmpty()) {
            out.println();
            out.println(a.note());
        }
        out.flush();
    }

    /**
     * Milliseconds since this process started: on Linux from the kernel's process start time (so
     * the launcher script that exec'd the JVM counts too), elsewhere since the JVM started.
     */
    static long sinceProcessStart() {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
            // field 22, starttime, in clock ticks since boot; fields after the command name ")"
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long startTicks = Long.parseLong(f[19]);
            double uptime = Double.parseDouble(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/uptime"))
                    .split(" ")[0]);
            return Math.round(uptime * 1000) - startTicks * 1000 / CLOCK_TICKS;
        } catch (java.io.IOException | RuntimeException e) {
            return java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
        }
    }

    /** USER_HZ: the unit of /proc's times, 100 on every Linux architecture we run on. */
    private static final long CLOCK_TICKS = 100;

    /** The object {@code --json} prints; the same shape as the server's {@code /v1/ask}. */
    static Map<String, Object> toJson(Answer a) {
        return AnswerJson.toJson(a);
    }
}
