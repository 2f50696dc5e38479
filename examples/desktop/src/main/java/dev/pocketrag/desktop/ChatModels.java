package dev.pocketrag.desktop;

import dev.pocketrag.generation.ChatModel;
import dev.pocketrag.generation.Gguf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Loads the chat model the user chose: the one place that knows which engine runs GGUF files. */
final class ChatModels {
    private ChatModels() {}

    /** Why a chosen model cannot be used (the answers stay extractive). */
    static final class ModelUnavailableException extends IOException {
        private static final long serialVersionUID = 1L;

        ModelUnavailableException(String message) {
            super(message);
        }
    }

    /**
     * Loads {@code file} as a chat model.
     *
     * @param ctx the context window in tokens; 0 for the model's own, at most 4096
     * @throws NoSuchFileException if the file does not exist
     * @throws dev.pocketrag.generation.GgufFormatException if it is not a valid GGUF file
     * @throws ModelUnavailableException if this build cannot run it
     */
    static ChatModel load(Path file, int ctx) throws IOException {
        if (ctx < 0) {
            throw new IllegalArgumentException("context size must be 0 (the model's) or positive; ctx=" + ctx);
        }
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "model file not found");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + " is not a file");
        }
        try (Gguf g = Gguf.open(file)) {
            // opening validates the header, metadata and tensor table: a bad file gets that error first
        }
        // TODO(engine): GgufChatModel (pure-Java inference) lands on main from the engine branch;
        // then: return GgufChatModel.load(file, ctx) here.
        throw new ModelUnavailableException("cannot use " + file.getFileName()
                + ": this build cannot generate answers yet (no GGUF inference engine);"
                + " without a chat model, answers are extractive");
    }
}
