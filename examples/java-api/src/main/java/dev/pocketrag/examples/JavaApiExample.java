package dev.pocketrag.examples;

import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.generation.GgufChatModel;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.SearchOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * README's "Use it from Java": open a notebook, add notes, search, ask without and with a GGUF chat
 * model (streamed), close. Argument: a GGUF file to ask too (optional).
 */
public final class JavaApiExample {
    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("notebook");                 // a notebook is a folder
        try (Notebook nb = Notebook.open(dir)) {                           // MiniLM embedder, no chat model
            nb.add("Dentist", "Appointment on 14 March at 09:30 with Dr. Sousa.", List.of("health"));
            nb.add("Car insurance", "The car insurance renews on 1 June. Policy AX-4471.", List.of("car"));
            for (SearchHit hit : nb.search("tooth doctor", SearchOptions.defaults().withK(2))) {
                System.out.println("hit " + hit.rank() + ": " + hit.title());
            }
            Answer a = nb.ask("When does the car insurance renew?");      // extractive, with citations
            System.out.println(a.kind() + ": " + a.text() + " <- " + a.citations().getFirst().passage().title());
        }
        if (args.length > 0 && !args[0].isBlank()) {                       // the same notes, a chat model writes
            try (ChatModel model = GgufChatModel.load(Path.of(args[0]));
                 Notebook nb = Notebook.builder(dir).chatModel(model).build()) {
                Answer a = nb.ask("When is the dentist appointment?", AskOptions.defaults().withMaxAnswerTokens(32),
                        piece -> { System.out.print(piece); return true; });   // streamed as it is written
                System.out.println("\n" + a.kind() + " by " + model.name() + ", " + a.passages().size() + " passage(s)");
            }
        }
    }
}
