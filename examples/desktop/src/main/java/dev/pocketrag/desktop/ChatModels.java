package dev.pocketrag.desktop;

import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.generation.GgufChatModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Loads the chat model the user chose: the one place that knows which engine runs GGUF files. */
final class ChatModels {
    private ChatModels() {}

    /**
     * Loads {@code file} with the pure-Java GGUF engine, on all cores.
     *
     * @param ctx the context window in tokens; 0 for the model's own, at most 4096
     * @throws NoSuchFileException if the file does not exist
     * @throws IllegalArgumentException if it is a folder or {@code ctx} is negative
     * @throws dev.pocketrag.generation.gguf.GgufFormatException if it is not a valid GGUF model
     * @throws dev.pocketrag.generation.gguf.UnsupportedModelException if its architecture is not supported
     */
    /** The folder of the notebook directory that keeps the system prompt's keys and values. */
    static final String PROMPT_CACHE = "prompt-cache";

    static ChatModel load(Path file, int ctx) throws IOException {
        return load(file, ctx, null);
    }

    /**
     * {@link #load(Path, int)}, saving the system prompt's keys and values in {@code promptCache}
     * (null: none) for the next start (see {@code GgufChatModel.Options#promptCache}).
     */
    static ChatModel load(Path file, int ctx, Path promptCache) throws IOException {
        if (ctx < 0) {
            throw new IllegalArgumentException("context size must be 0 (the model's) or positive; ctx=" + ctx);
        }
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "model file not found");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + " is not a file");
        }
        return GgufChatModel.load(file, GgufChatModel.Options.defaults().withContextLength(ctx).withPromptCache(promptCache));
    }
}
