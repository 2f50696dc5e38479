package dev.pocketrag.generation;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.testing.ChatModelContract;
import java.nio.file.Files;
import java.nio.file.Path;

/** The GGUF engine obeys the ChatModel contract, on the real stories260K model (../shared/models). */
class GgufChatModelContractTest extends ChatModelContract {
    @Override
    protected ChatModel open() throws Exception {
        Path model = Path.of(System.getProperty("pocketrag.shared", "../shared"), "models/stories260K.gguf");
        assumeTrue(Files.isRegularFile(model), () -> "skipped: " + model + " not found (../shared beside the checkout is absent)");
        return GgufChatModel.load(model, GgufChatModel.Options.defaults().withThreads(2).withSeed(7));
    }
}
