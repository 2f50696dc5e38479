package dev.pocketrag.cli;

import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.generation.GgufChatModel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Chat with a GGUF model in the terminal, or (--notes) over the notes.",
                "Type a message, the reply streams in; /exit (or end of input) leaves. The model's chat "
                        + "template formats the conversation; when the conversation outgrows the context, the "
                        + "oldest turns are dropped (the system message stays)."})
final class ChatCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, paramLabel = "FILE.gguf",
            description = "The model file (required without --notes; with --notes default: $POCKETRAG_MODEL or model= in"
                    + " the config file, none: extractive answers).")
    Path model;

    @Option(names = "--notes", description = "Chat over the notes: each line a question, follow-ups keep the context,"
            + " answers streamed with citations; /sources lists the last answer's passages, /new starts over.")
    boolean notes;

    @picocli.CommandLine.Mixin
    NotebookOptions notebook;

    @Option(names = {"-s", "--system"}, paramLabel = "TEXT", description = "A system message.")
    String system;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "512",
            description = "Most tokens per reply (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0.8",
            description = "Sampling temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed (default: random).")
    Long seed;

    @Option(names = "--ctx", paramLabel = "N", defaultValue = "0",
            description = "Context window in tokens (default: min(model's, 4096)).")
    int ctx;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "Inference threads (default: one per core).")
    int threads;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < 1) {
            throw new UserException("-n must be >= 1; got " + maxTokens);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (notes) {
            dev.pocketrag.retrieval.Settings config = dev.pocketrag.retrieval.Settings.load();
            java.util.Optional<Path> file = config.model(model);
            int c = ctx != 0 ? ctx : config.intSetting("ctx", 0);
            String embedder;
            try {
                embedder = config.embedder(null).orElse(null); // embedder= of the config file, if any
            } catch (IllegalArgumentException e) {
                throw new UserException(e.getMessage());
            }
            try (dev.pocketrag.retrieval.Notebook nb = notebook.openToEmbedWhileLoading(config, embedder,
                    () -> file.map(f -> ChatModels.load(f, c, threads)).orElse(null))) {
                NotesChat.run(nb, new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), out, err,
                        System.console() != null, dev.pocketrag.retrieval.AskOptions.defaults().withMaxAnswerTokens(maxTokens));
            }
            return 0;
        }
        if (model == null) {
            throw new UserException("chat needs --model FILE.gguf (or --notes to chat over the notes)");
        }
        try (GgufChatModel m = ChatModels.load(model, ctx, threads)) {
            boolean interactive = System.console() != null;
            err.println(m.name() + " (" + m.describe().architecture() + ", context " + m.contextLength()
                    + ", template " + m.describe().chatTemplate() + "). /exit to leave.");
            err.flush();
            List<ChatMessage> history = new ArrayList<>();
            if (system != null && !system.isBlank()) {
                history.add(ChatMessage.system(system));
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (true) {
                if (interactive) {
                    out.print("> ");
                    out.flush();
                }
                String line = in.readLine();
                if (line == null || line.strip().equals("/exit")) {
                    break;
                }
                if (line.isBlank()) {
                    continue;
                }
                history.add(ChatMessage.user(line));
                int n = fit(m, history);
                if (n < 1) {
                    history.removeLast();
                    err.println("error: this message alone does not fit the context of " + m.contextLength()
                            + " tokens (use --ctx)");
                    err.flush();
                    continue;
                }
                GenerationParams p = GenerationParams.defaults().withTemperature(temperature).withMaxTokens(n);
                if (seed != null) {
                    p = p.withSeed(seed);
                }
                ChatCompletion c = m.chat(history, p, piece -> {
                    out.print(piece);
                    out.flush();
                    return true;
                });
                out.println();
                out.flush();
                history.add(ChatMessage.assistant(c.text()));
                if (interactive) {
                    err.println(String.format(Locale.ROOT, "[%d tokens, %.1f tok/s]", c.usage().completionTokens(),
                            c.timings().generationTokensPerSecond()));
                    err.flush();
                }
            }
        }
        return 0;
    }

    /**
     * Drops the oldest turns (after a system message) until the prompt leaves room for a reply;
     * returns the reply budget (at most -n), or 0 when even the last message alone does not fit.
     */
    private int fit(GgufChatModel m, List<ChatMessage> history) {
        int first = !history.isEmpty() && history.getFirst().role() == ChatMessage.Role.SYSTEM ? 1 : 0;
        while (true) {
            int room = m.contextLength() - m.countPromptTokens(history);
            if (room >= Math.min(maxTokens, 16) || history.size() - first <= 1) {
                return Math.max(0, Math.min(maxTokens, room));
            }
            history.remove(first);
        }
    }
}
