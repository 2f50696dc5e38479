package dev.pocketrag.cli;

import dev.pocketrag.generation.ChatModel;
import java.nio.file.Path;

/** Opens the chat model a user names. */
final class ChatModels {
    private ChatModels() {}

    static ChatModel load(Path file, int ctx, int threads) {
        throw new UserException("cannot use " + file + ": this build has no GGUF inference engine yet");
    }
}
