package dev.pocketrag.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.LogFormat;
import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.generation.ForwardPass;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.generation.GgufChatModel;
import dev.pocketrag.chat.TokenListener;
import dev.pocketrag.generation.gguf.FileType;
import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.ContextMode;
import dev.pocketrag.retrieval.ImportListener;
import dev.pocketrag.retrieval.Notebook;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * {@code bench/run ask [--quick] [--json] [--quants Q4_K_M,Q4_0] [--questions N] [--modes cold,warm]
 * [--packings whole,focused] [--tokens 64] [--dir DIR]}: how long {@code ask} with a local model
 * takes to its first word, on the 60 sample notes and the 12 questions of
 * {@code examples/QUESTIONS.md}, with whole-chunk and focused packing.
 *
 * <p>Models: the generation benchmark's synthetic Qwen2.5-0.5B files (random weights, the real
 * Qwen2 vocabulary) in Q4_K_M and Q4_0, made by it when missing. Their answers are gibberish, but
 * prompt sizes, speeds and token counts are real.
 *
 * <ul>
 *   <li><b>cold</b>: a new {@code ./pocketrag ask --model M --json -n 64 --context P QUESTION}
 *       process per question, as a user runs it (after one untimed process per model, which builds
 *       the CLI if needed and brings the model file into the page cache). Time to first token =
 *       the JSON's {@code process_first_token_ms}: from the start of the process (the launcher
 *       script included) to the first answer token.</li>
 *   <li><b>warm</b>: one process (this one) with the model loaded and the notebook open, asking
 *       the questions one after another through {@link Notebook#ask} (after one untimed question);
 *       time to first token = {@link Answer.Timings#firstTokenMillis()}, from the question.</li>
 * </ul>
 * Per row (quant, mode, packing), medians over the questions: time to first token, prompt tokens,
 * prefill tok/s (prompt tokens the model read / its prompt time; warm, a prefix still in the KV
 * cache from the previous question is not read again), total time to the last of up to
 * {@code --tokens} answer tokens (the model may stop earlier), and context recall: the share of
 * the key facts of the expected answers (retrieval's test resource
 * {@code question-key-facts.tsv}, derived from QUESTIONS.md) present in the passages given to the
 * model. Ratios: focused against whole in the same run; and (warm rows) our prefill speed against
 * llama.cpp's ({@code de.kherud:llama}, its CPU build; same file, threads and context size),
 * which reads a prompt of the same length right after each of our questions (the binding's
 * tokens: whole-word pieces of the vocabulary, as the generation benchmark builds them; no cache).
 */
final class AskBench {
    private AskBench() {}

    /** A question of QUESTIONS.md with the key facts of its expected answer. */
    record Question(int n, String text, List<String> facts) {}

    /** One ask. */
    record Run(double ttftMs, double beforeMs, double packingMs, int promptTokens, double prefillTokS, double totalMs,
               int answerTokens, int found, int facts) {}

    /** One row of the result: medians over the questions. */
    record Row(String quant, String mode, String packing, int questions, double ttft_ms, double before_question_ms,
               double packing_ms, int prompt_tokens, double prefill_tok_s, double total_ms, int answer_tokens,
               double recall, Double llamacpp_prefill_tok_s) {}

    static int run(String[] args) throws Exception {
        boolean quick = false;
        boolean json = false;
        List<String> quants = List.of("Q4_K_M", "Q4_0");
        List<String> modes = List.of("cold", "warm");
        List<ContextMode> packings = List.of(ContextMode.WHOLE, ContextMode.FOCUSED);
        int questionCount = Integer.MAX_VALUE;
        int tokens = 64;
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--json" -> json = true;
                case "--quants" -> quants = List.of(args[++i].split(","));
                case "--modes" -> modes = List.of(args[++i].split(","));
                case "--packings" -> packings = Arrays.stream(args[++i].split(",")).map(ContextMode::parse).toList();
                case "--questions" -> questionCount = Integer.parseInt(args[++i]);
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                default -> {
                    System.err.println("error: unknown argument '" + args[i] + "'; usage: bench/run ask [--quick] [--json]"
                            + " [--quants Q4_K_M,Q4_0] [--questions N] [--modes cold,warm] [--packings whole,focused]"
                            + " [--tokens 64] [--dir DIR]");
                    return 2;
                }
            }
        }
        for (String m : modes) {
            if (!m.equals("cold") && !m.equals("warm")) {
                System.err.println("error: --modes takes cold and/or warm; got '" + m + "'");
                return 2;
            }
        }
        if (quick) {
            quants = List.of("Q4_K_M");
            questionCount = Math.min(questionCount, 4);
        }
        Path root = GenerationBench.benchTarget().getParent().getParent();
        Path shared = Path.of(System.getProperty("pocketrag.shared", "../shared"));
        Path vocab = shared.resolve(GenerationBench.SHAPES.get(0).vocab());
        Path facts = root.resolve("examples/cli/src/test/resources/dev/pocketrag/cli/question-key-facts.tsv");
        Path notes = root.resolve("examples/notes");
        for (Path p : List.of(vocab, facts, notes, root.resolve("pocketrag"))) {
            if (!Files.exists(p)) {
                System.err.println("error: " + p + " not found (run from a pocketrag checkout with ../shared beside it)");
                return 2;
            }
        }
        List<Question> questions = questions(facts);
        if (quick) {
            // the three demo questions and one whose answer changed between notes
            questions = questions.stream().filter(q -> List.of(3, 4, 7, 9).contains(q.n())).toList();
        }
        questions = questions.subList(0, Math.min(questionCount, questions.size()));
        if (dir == null) {
            dir = GenerationBench.benchTarget().resolve("generation-models");
        }
        Files.createDirectories(dir);
        quietLlamaCpp();
        int threads = Runtime.getRuntime().availableProcessors();
        System.err.printf(Locale.ROOT, "ask bench: %s, %d cores, ours: %s; %d questions, up to %d answer tokens%n",
                GenerationBench.cpuName(), threads, ForwardPass.kernels(), questions.size(), tokens);

        Path work = Files.createTempDirectory("pocketrag-ask-bench-");
        List<Row> rows = new ArrayList<>();
        try {
            Path notebookDir = work.resolve("notebook");
            Path config = Files.writeString(work.resolve("empty.properties"), "# no settings: the bench passes them\n");
            long t0 = System.nanoTime();
            try (Notebook nb = Notebook.open(notebookDir)) {
                nb.importFolder(notes, ImportListener.NONE);
                System.err.printf(Locale.ROOT, "  imported %d notes (%d chunks) in %.1f s%n", nb.stats().notes(),
                        nb.stats().chunks(), (System.nanoTime() - t0) / 1e9);
            }
            for (String quant : quants) {
                Path model = GenerationBench.ensureModel(dir, GenerationBench.SHAPES.get(0), vocab, FileType.parse(quant));
                if (modes.contains("cold")) {
                    // builds the CLI if its sources changed, loads the model file into the page cache
                    cold(root, notebookDir, config, model, ContextMode.FOCUSED, questions.get(0), tokens, false);
                    for (ContextMode packing : packings) {
                        List<Run> runs = new ArrayList<>();
                        for (Question q : questions) {
                            Run r = cold(root, notebookDir, config, model, packing, q, tokens, true);
                            runs.add(r);
                            progress(quant, "cold", packing, q, r);
                        }
                        rows.add(row(quant, "cold", packing, runs, null));
                    }
                }
                if (modes.contains("warm")) {
                    Map<ContextMode, List<Run>> runs = new LinkedHashMap<>();
                    Map<ContextMode, List<Run>> peers = new LinkedHashMap<>();
                    try (GgufChatModel g = GgufChatModel.load(model);
                         Notebook nb = Notebook.builder(notebookDir).chatModel(new Recording(g), false).build();
                         LlamaModel peer = new LlamaModel(peerParameters(model, threads))) {
                        // JIT warm-up, with a question that is not measured (so that no prompt is cached whole)
                        nb.ask(WARM_UP, options(ContextMode.WHOLE, tokens));
                        prefillMillis(peer, GenerationBench.promptText(g.tokenizer(), 64));
                        Map<Integer, String> texts = new HashMap<>();
                        for (Question q : questions) {
                            for (ContextMode packing : packings) { // alternating, so that noise hits both
                                Run r = warm(nb, packing, q, tokens);
                                runs.computeIfAbsent(packing, k -> new ArrayList<>()).add(r);
                                progress(quant, "warm", packing, q, r);
                                // the peer reads a prompt of the same length right after
                                int n = r.promptTokens();
                                String text = texts.computeIfAbsent(n, k -> GenerationBench.promptText(g.tokenizer(), k));
                                double rate = n / (prefillMillis(peer, text) / 1e3);
                                peers.computeIfAbsent(packing, k -> new ArrayList<>())
                                        .add(new Run(0, 0, 0, n, rate, 0, 0, 0, 0));
                                System.err.printf(Locale.ROOT, "  %-7s llama.cpp reads %d tokens: %.1f tok/s%n", quant, n, rate);
                            }
                        }
                    }
                    for (ContextMode packing : packings) {
                        rows.add(row(quant, "warm", packing, runs.get(packing), median(peers.get(packing), Run::prefillTokS)));
                    }
                }
            }
        } finally {
            deleteTree(work);
        }
        print(rows, json);
        return 0;
    }

    static AskOptions options(ContextMode packing, int tokens) {
        return AskOptions.defaults().withContext(packing).withMaxAnswerTokens(tokens);
    }

    /** One question in a new {@code ./pocketrag ask} process ({@code timed}: fail if the launcher had to build). */
    static Run cold(Path root, Path notebook, Path config, Path model, ContextMode packing, Question q, int tokens,
            boolean timed) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(root.resolve("pocketrag").toString(), "ask", "--dir", notebook.toString(),
                "--model", model.toString(), "--json", "-n", Integer.toString(tokens), "--context", packing.wireName(),
                q.text()).directory(root.toFile());
        pb.environment().put("POCKETRAG_CONFIG", config.toString());
        pb.environment().remove("POCKETRAG_MODEL");
        pb.environment().remove("POCKETRAG_DIR");
        Path err = Files.createTempFile("pocketrag-ask-bench-", ".err");
        pb.redirectError(err.toFile());
        try {
            long started = System.nanoTime();
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int exit = p.waitFor();
            double wall = (System.nanoTime() - started) / 1e6;
            if (exit != 0) {
                throw new IllegalStateException("./pocketrag ask exited with " + exit + ": " + Files.readString(err));
            }
            if (timed && Files.readString(err).contains("pocketrag: building")) {
                throw new IllegalStateException("the launcher rebuilt the CLI during a timed run (a source is newer than"
                        + " examples/cli/target/pocketrag-cli.jar); run ./pocketrag --version until it no longer builds");
            }
            JsonObject a = JsonParser.parseString(out).getAsJsonObject();
            if (!a.get("context").getAsString().equals(packing.wireName())) {
                throw new IllegalStateException("asked for " + packing.wireName() + " packing, got: " + out);
            }
            JsonObject t = a.getAsJsonObject("timings");
            double ttft = t.get("process_first_token_ms").getAsDouble();
            if (ttft > wall + 50) { // /proc's clock ticks are 10 ms
                throw new IllegalStateException("the process says its first token came " + ttft + " ms after it started,"
                        + " but it ran " + wall + " ms in all");
            }
            double promptMs = t.get("prompt_ms").getAsDouble();
            int prompt = t.get("prompt_tokens").getAsInt();
            StringBuilder packed = new StringBuilder();
            for (JsonElement e : a.getAsJsonArray("passages")) {
                JsonObject o = e.getAsJsonObject();
                packed.append(o.get("title").getAsString()).append('\n').append(o.get("passage").getAsString()).append('\n');
            }
            return new Run(ttft, ttft - t.get("first_token_ms").getAsDouble(), t.get("packing_ms").getAsDouble(), prompt,
                    promptMs <= 0 ? 0 : prompt * 1000.0 / promptMs,
                    ttft + t.get("generation_ms").getAsDouble(), t.get("answer_tokens").getAsInt(),
                    found(q.facts(), packed.toString()), q.facts().size());
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** The question that warms up the JIT before the warm runs (not one of QUESTIONS.md). */
    static final String WARM_UP = "What should I pack for the trip to Japan?";

    /**
     * The chat model with the last completion kept: its timings count the prompt tokens the model
     * actually read (a prefix still in the KV cache from the previous question is not read again).
     */
    static final class Recording implements ChatModel {
        final ChatModel model;
        volatile ChatCompletion last;

        Recording(ChatModel model) {
            this.model = model;
        }

        @Override
        public String name() {
            return model.name();
        }

        @Override
        public int contextLength() {
            return model.contextLength();
        }

        @Override
        public int countTokens(String text) {
            return model.countTokens(text);
        }

        @Override
        public int countPromptTokens(List<ChatMessage> messages) {
            return model.countPromptTokens(messages);
        }

        @Override
        public ChatCompletion chat(List<ChatMessage> messages, GenerationParams params, TokenListener listener) {
            last = model.chat(messages, params, listener);
            return last;
        }

        @Override
        public void close() {
            model.close();
        }
    }

    /** One question in this process, the model loaded. */
    static Run warm(Notebook nb, ContextMode packing, Question q, int tokens) throws IOException {
        Answer a = nb.ask(q.text(), options(packing, tokens));
        ChatCompletion.Timings read = ((Recording) nb.chatModel().orElseThrow()).last.timings();
        if (a.kind() != Answer.Kind.GENERATED || a.context() != packing) {
            throw new IllegalStateException("expected a generated answer with " + packing + " packing: " + a);
        }
        Answer.Timings t = a.timings();
        StringBuilder packed = new StringBuilder();
        for (Answer.Passage p : a.passages()) {
            packed.append(p.title()).append('\n').append(p.text()).append('\n');
        }
        return new Run(t.firstTokenMillis(), 0, t.packingMillis(), t.promptTokens(), read.promptTokensPerSecond(),
                t.firstTokenMillis() + t.generationMillis(), t.answerTokens(), found(q.facts(), packed.toString()),
                q.facts().size());
    }

    /** llama.cpp on the same file and threads, a context as large as ours. */
    static ModelParameters peerParameters(Path model, int threads) {
        return new ModelParameters().setModel(model.toString()).setThreads(threads).setThreadsBatch(threads)
                .setCtxSize(GgufChatModel.DEFAULT_CONTEXT).setBatchSize(512).setUbatchSize(512).setParallel(1)
                .disableContextShift().disableLog();
    }

    /** Milliseconds from the request to llama.cpp's first output token: it reads the whole prompt. */
    static double prefillMillis(LlamaModel m, String text) {
        InferenceParameters ip = new InferenceParameters(text).setNPredict(1).setTemperature(0f).setIgnoreEos(true)
                .setCachePrompt(false).setSeed(42);
        long t0 = System.nanoTime();
        for (LlamaOutput ignored : m.generate(ip)) {
            return (System.nanoTime() - t0) / 1e6;
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    static Row row(String quant, String mode, ContextMode packing, List<Run> runs, Double peer) {
        int found = runs.stream().mapToInt(Run::found).sum();
        int facts = runs.stream().mapToInt(Run::facts).sum();
        return new Row(quant, mode, packing.wireName(), runs.size(), round(median(runs, Run::ttftMs)),
                round(median(runs, Run::beforeMs)), round(median(runs, Run::packingMs)), (int) median(runs, Run::promptTokens), round(median(runs, Run::prefillTokS)),
                round(median(runs, Run::totalMs)), (int) median(runs, Run::answerTokens),
                Math.round(1000.0 * found / facts) / 1000.0, peer == null ? null : round(peer));
    }

    static void progress(String quant, String mode, ContextMode packing, Question q, Run r) {
        System.err.printf(Locale.ROOT, "  %-7s %s %-7s q%-2d ttft %7.0f ms (%.0f before the question, packing %.0f),"
                        + " prompt %4d tokens (%.1f tok/s), total %7.0f ms (%d tokens), facts %d/%d%n", quant, mode,
                packing.wireName(), q.n(), r.ttftMs(), r.beforeMs(), r.packingMs(), r.promptTokens(),
                r.prefillTokS(), r.totalMs(), r.answerTokens(), r.found(), r.facts());
    }

    static void print(List<Row> rows, boolean json) {
        if (json) {
            var gson = new GsonBuilder().disableHtmlEscaping().create();
            for (Row r : rows) {
                System.out.println(gson.toJson(r));
            }
            return;
        }
        System.out.println("| quant | mode | packing | questions | time to first token | of which before the question"
                + " | packing | prompt tokens | prefill tok/s | total (answer tokens) | recall"
                + " | llama.cpp prefill tok/s (ours / it) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %d | %.0f ms | %.0f ms | %.0f ms | %d | %.1f | %.0f ms (%d)"
                            + " | %.3f | %s |%n",
                    r.quant(), r.mode(), r.packing(), r.questions(), r.ttft_ms(), r.before_question_ms(), r.packing_ms(),
                    r.prompt_tokens(), r.prefill_tok_s(),
                    r.total_ms(), r.answer_tokens(), r.recall(), r.llamacpp_prefill_tok_s() == null ? "" : String.format(
                            Locale.ROOT, "%.1f (%.2fx)", r.llamacpp_prefill_tok_s(),
                            r.prefill_tok_s() / r.llamacpp_prefill_tok_s()));
        }
        System.out.println();
        System.out.println("| quant | mode | focused / whole: time to first token | prompt tokens | recall |");
        System.out.println("|---|---|---|---|---|");
        for (Row f : rows) {
            if (!f.packing().equals("focused")) {
                continue;
            }
            for (Row w : rows) {
                if (w.packing().equals("whole") && w.quant().equals(f.quant()) && w.mode().equals(f.mode())) {
                    System.out.printf(Locale.ROOT, "| %s | %s | %.2fx | %.2fx | %.3f vs %.3f |%n", f.quant(), f.mode(),
                            f.ttft_ms() / w.ttft_ms(), (double) f.prompt_tokens() / w.prompt_tokens(), f.recall(),
                            w.recall());
                }
            }
        }
    }

    static List<Question> questions(Path file) throws IOException {
        List<Question> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t");
            out.add(new Question(Integer.parseInt(f[0]), f[1], List.of(f[2].split("\\s*;\\s*"))));
        }
        return out;
    }

    /** Lower case, without markdown emphasis, white space runs as one space (as ContextRecallTest). */
    static String normalize(String s) {
        return s.replace("**", "").replace("__", "").replace("`", "").replace("*", "")
                .replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }

    static int found(List<String> facts, String text) {
        String t = normalize(text);
        int n = 0;
        for (String f : facts) {
            if (t.contains(normalize(f))) {
                n++;
            }
        }
        return n;
    }

    static double median(List<Run> runs, ToDoubleFunction<Run> f) {
        double[] v = runs.stream().mapToDouble(f).sorted().toArray();
        return v.length == 0 ? Double.NaN : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** Loading the binding prints a line to stdout and llama.cpp logs: keep stdout for the results. */
    static void quietLlamaCpp() {
        java.io.PrintStream stdout = System.out;
        System.setOut(System.err);
        try {
            LlamaModel.setLogger(LogFormat.TEXT, (level, msg) -> { });
        } finally {
            System.setOut(stdout);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
