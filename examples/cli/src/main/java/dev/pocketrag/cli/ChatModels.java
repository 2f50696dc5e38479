package dev.pocketrag.cli;

import dev.pocketrag.generation.GgufChatModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Opens the chat model a user names: a GGUF file run in-process by {@link GgufChatModel}. */
final class ChatModels {
    private ChatModels() {}

    /**
     * Loads {@code file}.
     *
     * @param ctx     context window in tokens, 0 = min(model's, 4096)
     * @param threads inference threads, 0 = one per core
     */
    static GgufChatModel load(Path file, int ctx, int threads) {
        if (ctx < 0) {
            throw new UserException("--ctx must be >= 0 (0 = the model's, at most 4096); got " + ctx);
        }
        if (threads < 0) {
            throw new UserException("--threads must be >= 0 (0 = one per core); got " + threads);
        }
        try {
            if (!Files.exists(file)) {
                throw new UserException("no such file: " + file);
            }
            if (!Files.isRegularFile(file)) {
                throw new UserException(file + " is not a file");
            }
            return GgufChatModel.load(file, GgufChatModel.Options.defaults().withContextLength(ctx).withThreads(threads));
        } catch (NoSuchFileException e) {
            throw new UserException("no such file: " + e.getFile());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }
}
