package dev.pocketrag.cli;

import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.generation.GgufChatModel;
import dev.pocketrag.server.Json;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Continue raw text with a GGUF model (no chat template).",
                "Prints the prompt and streams the continuation to stdout, timings to stderr. The prompt gets "
                        + "the BOS token if the model's metadata asks for one; special-token text in it stays text. "
                        + "With --json: one JSON object instead."})
final class GenerateCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE.gguf", description = "The model file.")
    Path model;

    @Option(names = {"-p", "--prompt"}, required = true, paramLabel = "TEXT", description = "The text to continue.")
    String prompt;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N",
            description = "Most tokens to generate (default: 256, or what fits in the context).")
    Integer maxTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0.8",
            description = "Sampling temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "40", description = "Top-k, 0 = off (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95", description = "Top-p (default: ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.05", description = "Min-p (default: ${DEFAULT-VALUE}).")
    float minP;

    @Option(names = "--repeat-penalty", paramLabel = "X", defaultValue = "1.0",
            description = "Repetition penalty over the last 64 tokens, 1 = off (default: ${DEFAULT-VALUE}).")
    float repeatPenalty;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed for repeatable sampling (default: random).")
    Long seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop before this text (repeatable).")
    java.util.List<String> stop = new java.util.ArrayList<>();

    @Option(names = "--ctx", paramLabel = "N", defaultValue = "0",
            description = "Context window in tokens (default: min(model's, 4096)).")
    int ctx;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "Inference threads (default: one per core).")
    int threads;

    @Option(names = "--json", description = "Print one object: {\"prompt_tokens\": [ids], \"tokens\": [generated ids], "
            + "\"text\", \"finish_reason\", \"timings\"} (tokens include a final end-of-generation token).")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (GgufChatModel m = ChatModels.load(model, ctx, threads)) {
            int[] ids = m.tokenizer().encode(prompt, true, false);
            int room = m.contextLength() - ids.length;
            int n;
            if (maxTokens != null) {
                if (maxTokens < 1) {
                    throw new UserException("-n must be >= 1; got " + maxTokens);
                }
                n = maxTokens;
            } else {
                if (room < 1) {
                    throw new UserException("the prompt has " + ids.length + " tokens; the context holds "
                            + m.contextLength() + " (use --ctx)");
                }
                n = Math.min(256, room);
            }
            GenerationParams p = GenerationParams.defaults().withMaxTokens(n).withTemperature(temperature)
                    .withTopK(topK).withTopP(topP).withMinP(minP).withRepeatPenalty(repeatPenalty, 64).withStop(stop);
            if (seed != null) {
                p = p.withSeed(seed);
            }
            if (!json) {
                out.print(prompt);
                out.flush();
            }
            GgufChatModel.Generation g = m.generate(ids, p, piece -> {
                if (!json) {
                    out.print(piece);
                    out.flush();
                }
                return true;
            });
            ChatCompletion c = g.completion();
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("prompt_tokens", g.promptTokens());
                o.put("tokens", g.tokens());
                o.put("text", c.text());
                o.put("finish_reason", c.finishReason().wireName());
                Map<String, Object> t = timings(c.timings());
                t.put("cached_prompt_tokens", c.usage().cachedPromptTokens());
                o.put("timings", t);
                out.println(Json.of(o));
            } else {
                out.println();
                err.println(String.format(Locale.ROOT,
                        "prompt: %d tokens in %.1f ms (%.1f tok/s); generated: %d tokens in %.1f ms (%.1f tok/s); %s",
                        c.timings().promptTokens(), c.timings().promptMillis(), c.timings().promptTokensPerSecond(),
                        c.timings().generatedTokens(), c.timings().generationMillis(),
                        c.timings().generationTokensPerSecond(), c.finishReason().wireName()));
            }
            out.flush();
            err.flush();
        }
        return 0;
    }

    static Map<String, Object> timings(ChatCompletion.Timings t) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("prompt_tokens", t.promptTokens());
        o.put("prompt_ms", round(t.promptMillis()));
        o.put("prompt_tokens_per_second", round(t.promptTokensPerSecond()));
        o.put("generated_tokens", t.generatedTokens());
        o.put("generation_ms", round(t.generationMillis()));
        o.put("generation_tokens_per_second", round(t.generationTokensPerSecond()));
        return o;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
