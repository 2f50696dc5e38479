package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Settings;

import dev.pocketrag.generation.ChatModel;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.server.AnswerJson;
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
    ModelOptions modelOptions;

    @Parameters(paramLabel = "QUESTION", arity = "1..*", description = "The question.")
    List<String> question;

    @Option(names = {"-k", "--passages"}, defaultValue = "6", description = "Passages to retrieve (default: ${DEFAULT-VALUE}).")
    int passages;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "384", description = "Longest answer in tokens (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--tag", paramLabel = "TAG", description = "Only use notes with this tag; repeat for several.")
    List<String> tags = new ArrayList<>();

    @Option(names = "--json", description = "Print one JSON object with the answer, citations, passages, left-out passages and timings.")
    boolean json;

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
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        Settings config = Settings.load();
        PrintWriter out = spec.commandLine().getOut();
        ChatModel model = modelOptions.load(config);
        Answer answer;
        try (Notebook nb = notebook.openToEmbed(config, model)) {
            answer = nb.ask(q, options, piece -> {
                if (!json) {
                    out.print(piece);
                    out.flush();
                }
                return true;
            });
        }
        if (json) {
            out.println(Json.of(toJson(answer)));
        } else {
            out.println();
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
                out.printf(Locale.ROOT, "  [%d] %s%s%n", c.n(), p.title().isEmpty() ? p.noteId() : p.title(),
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

    /** The object {@code --json} prints; the same shape as the server's {@code /v1/ask}. */
    static Map<String, Object> toJson(Answer a) {
        return AnswerJson.toJson(a);
    }
}
