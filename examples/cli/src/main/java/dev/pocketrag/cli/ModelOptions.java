package dev.pocketrag.cli;

import dev.pocketrag.generation.ChatModel;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --model} and {@code --ctx}, shared by commands that may use a chat model. */
final class ModelOptions {
    @Option(names = "--model", paramLabel = "FILE.gguf",
            description = "Chat model (default: $POCKETRAG_MODEL or model= in the config file; none: extractive answers).")
    Path model;

    @Option(names = "--ctx", paramLabel = "N", description = "Context window in tokens (default: min(model's, 4096)).")
    Integer ctx;

    @Option(names = "--threads", paramLabel = "N", description = "Inference threads (default: one per core).")
    Integer threads;

    /** The configured model file, if any. */
    Optional<Path> modelFile(Config config) {
        return config.model(model);
    }

    /** Loads the configured chat model, or returns null when none is configured. */
    ChatModel load(Config config) {
        Optional<Path> file = modelFile(config);
        if (file.isEmpty()) {
            return null;
        }
        int c = ctx != null ? ctx : config.intSetting("ctx", 0);
        int t = threads != null ? threads : config.intSetting("threads", 0);
        return ChatModels.load(file.get(), c, t);
    }
}
