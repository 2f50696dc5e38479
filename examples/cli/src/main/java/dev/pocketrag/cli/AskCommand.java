package dev.pocketrag.cli;

import dev.pocketrag.generation.ChatModel;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.Notebook;
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
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "ask", mixinStandardHelpOptions = true,
        description = {"Answer a question from the notes, with citations like [1].",
                "With a chat model (--model, $POCKETRAG_MODEL or the config file) the answer is generated",
                "and streamed; without one it is the best sentences of the best passages."})
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
        Config config = Config.load();
        PrintWriter out = spec.commandLine().getOut();
        ChatModel model = modelOptions.load(config);
        Answer answer;
        try (Notebook nb = notebook.open(config, model)) {
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

    static Map<String, Object> toJson(Answer a) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("answer", a.text());
        o.put("kind", a.kind().name().toLowerCase(Locale.ROOT));
        List<Map<String, Object>> citations = new ArrayList<>();
        for (Answer.Citation c : a.citations()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("n", c.n());
            m.put("note_id", c.passage().noteId());
            m.put("title", c.passage().title());
            m.put("source", c.passage().source());
            m.put("passage", c.passage().text());
            citations.add(m);
        }
        o.put("citations", citations);
        List<Map<String, Object>> passages = new ArrayList<>();
        for (Answer.Passage p : a.passages()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("n", p.n());
            m.put("note_id", p.noteId());
            m.put("title", p.title());
            m.put("source", p.source());
            m.put("passage", p.text());
            m.put("start", p.start());
            m.put("end", p.end());
            m.put("similarity", Double.isNaN(p.similarity()) ? null : p.similarity());
            passages.add(m);
        }
        o.put("passages", passages);
        List<Map<String, Object>> leftOut = new ArrayList<>();
        for (Answer.LeftOut l : a.leftOut()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("note_id", l.noteId());
            m.put("title", l.title());
            m.put("tokens", l.tokens());
            m.put("reason", l.reason());
            leftOut.add(m);
        }
        o.put("left_out", leftOut);
        Answer.Timings t = a.timings();
        Map<String, Object> tm = new LinkedHashMap<>();
        tm.put("retrieval_ms", round(t.retrievalMillis()));
        tm.put("packing_ms", round(t.packingMillis()));
        tm.put("prompt_ms", round(t.promptMillis()));
        tm.put("generation_ms", round(t.generationMillis()));
        tm.put("total_ms", round(t.totalMillis()));
        tm.put("prompt_tokens", t.promptTokens());
        tm.put("answer_tokens", t.answerTokens());
        o.put("timings", tm);
        o.put("note", a.note());
        return o;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
