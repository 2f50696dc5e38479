package dev.pocketrag.cli;

import dev.pocketrag.generation.GgufChatModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The CLI's words for {@link GgufChatModel#load(Path, GgufChatModel.Options)}, the one GGUF loader
 * (the desktop app calls it too): the options from {@code --ctx} and {@code --threads}, errors
 * naming the flags.
 */
final class ChatModels {
    private ChatModels() {}

    /**
     * Loads a local GGUF chat model.
     *
     * @param ctx context window in tokens, 0 for the default (min(model's, 4096))
     * @param threads inference threads, 0 for one per core
     */
    static GgufChatModel load(Path file, int ctx, int threads) {
        return load(file, ctx, threads, null);
    }

    /** The folder of a notebook directory that keeps the system prompt's keys and values between runs. */
    static final String PROMPT_CACHE = GgufChatModel.Options.PROMPT_CACHE_FOLDER;

    /**
     * {@link #load(Path, int, int)}, saving the system prompt's keys and values in {@code promptCache}
     * (null: none) for the next process, e.g. the next one-shot {@code ask}.
     */
    static GgufChatModel load(Path file, int ctx, int threads, Path promptCache) {
        if (ctx < 0) {
            throw new UserException("--ctx must be >= 0 (0 = min(model's, 4096)); got " + ctx);
        }
        if (threads < 0) {
            throw new UserException("--threads must be >= 0 (0 = one per core); got " + threads);
        }
        try {
            return GgufChatModel.load(file, GgufChatModel.Options.defaults().withContextLength(ctx).withThreads(threads)
                    .withPromptCache(promptCache));
        } catch (NoSuchFileException e) {
            throw new UserException("model file not found: " + file);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage()); // a folder: "model DIR is a folder, not a .gguf file"
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model " + file + ": " + e.getMessage(), e);
        }
    }
}
