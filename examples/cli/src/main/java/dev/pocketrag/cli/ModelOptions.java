package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Settings;

import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.remote.OpenAiCompatibleChatModel;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * {@code --model} and {@code --ctx}, shared by commands that may use a chat model; or
 * {@code --chat-url} (and {@code --chat-model}) for a model on an OpenAI-compatible server, whose
 * API key, if it needs one, comes from {@code $POCKETRAG_CHAT_API_KEY}.
 */
final class ModelOptions {
    @Option(names = "--model", paramLabel = "FILE.gguf",
            description = "Chat model (default: $POCKETRAG_MODEL or model= in the config file; none: extractive answers).")
    Path model;

    @Option(names = "--ctx", paramLabel = "N", description = "Context window in tokens (default: min(model's, 4096)).")
    Integer ctx;

    @Option(names = "--threads", paramLabel = "N", description = "Inference threads (default: one per core).")
    Integer threads;

    @Option(names = "--chat-url", paramLabel = "URL",
            description = "Use the chat model of an OpenAI-compatible server instead of a GGUF file: llama-server, vLLM, "
                    + "Ollama (http://host:11434/v1) or `pocketrag serve` (API key: $POCKETRAG_CHAT_API_KEY; "
                    + "window: --ctx, else as the server reports, else 4096).")
    URI chatUrl;

    @Option(names = "--chat-model", paramLabel = "NAME",
            description = "The model to ask the --chat-url server for (default: the first it lists).")
    String chatModel;

    /** The configured model file, if any. */
    Optional<Path> modelFile(Settings config) {
        return config.model(model);
    }

    /** Loads the configured chat model, or returns null when none is configured. */
    ChatModel load(Settings config) {
        return load(config, null);
    }

    /**
     * {@link #load(Settings)}; a local model keeps its system prompt's keys and values in
     * {@code promptCache} (null: none) for the next process.
     */
    ChatModel load(Settings config, Path promptCache) {
        if (chatUrl != null) {
            if (model != null) {
                throw new UserException("--model and --chat-url both name a chat model; choose one");
            }
            return remote(config);
        }
        if (chatModel != null) {
            throw new UserException("--chat-model names a model on a server: give the server with --chat-url URL");
        }
        Optional<Path> file = modelFile(config);
        if (file.isEmpty()) {
            return null;
        }
        int c = ctx != null ? ctx : config.intSetting("ctx", 0);
        int t = threads != null ? threads : config.intSetting("threads", 0);
        return ChatModels.load(file.get(), c, t, promptCache);
    }

    /** The --chat-url model (token counts are estimates: see OpenAiCompatibleChatModel). */
    private ChatModel remote(Settings config) {
        if (ctx != null && ctx < 1) {
            throw new UserException("--ctx must be >= 1; got " + ctx);
        }
        return OpenAiCompatibleChatModel.builder(chatUrl)
                .model(chatModel)
                .apiKey(config.env().get("POCKETRAG_CHAT_API_KEY"))
                .contextLength(ctx != null ? ctx : 0)
                .connect();
    }
}
