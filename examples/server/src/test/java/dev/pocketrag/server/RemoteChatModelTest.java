package dev.pocketrag.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.chat.testing.ScriptedChatModel;
import dev.pocketrag.remote.OpenAiCompatibleChatModel;
import dev.pocketrag.remote.RemoteModelException;
import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.Notebook;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OpenAiCompatibleChatModel against a real pocketrag server (scripted model behind it). */
class RemoteChatModelTest {
    static final String REPLY = "The premium is 412 euros a year [1].";

    @TempDir
    Path dir;

    ScriptedChatModel model;
    Notebook serverNotebook;
    PocketragServer server;

    void start(String apiKey) throws IOException {
        model = new ScriptedChatModel("scripted-7b", 3000, REPLY);
        serverNotebook = Notebook.builder(dir.resolve("server")).embedder(TestSupport.embedder()).chatModel(model, false).build();
        server = PocketragServer.builder(serverNotebook).port(0).apiKey(apiKey).start();
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (serverNotebook != null) {
            serverNotebook.close();
        }
    }

    @Test
    void connect_finds_the_model_name_and_window_from_the_server() throws Exception {
        start(null);
        try (OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(server.uri()).connect()) {
            assertEquals("scripted-7b", m.name());
            assertEquals(3000, m.contextLength());
            assertEquals(URI.create(server.uri() + "v1"), m.baseUri());
            // token counts are the served model's own (its tokenizer: one token a word), not estimates
            assertTrue(m.exactTokenCounts());
            assertEquals(1, m.countTokens("internationalization"));
            List<ChatMessage> msgs = List.of(ChatMessage.system("Answer from the notes."), ChatMessage.user("Premium?"));
            assertEquals(model.countPromptTokens(msgs), m.countPromptTokens(msgs));
        }
        try (OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(server.uri()).serverTokenCounts(false).connect()) {
            assertFalse(m.exactTokenCounts());
            assertEquals(7, m.countTokens("internationalization"), "the estimate: 20 bytes / 3");
        }
        try (OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(URI.create(server.uri() + "v1/"))
                .model("other-name").contextLength(1024).connect()) {
            assertEquals("other-name", m.name(), "a named model is used as named");
            assertEquals(1024, m.contextLength(), "the caller's window wins");
        }
    }

    @Test
    void chat_streams_the_servers_pieces_and_passes_the_sampling_parameters() throws Exception {
        start(null);
        try (OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(server.uri()).connect()) {
            List<String> pieces = new ArrayList<>();
            GenerationParams p = GenerationParams.defaults().withTemperature(0.25f).withTopP(0.8f).withTopK(7)
                    .withMinP(0.02f).withRepeatPenalty(1.3f, 20).withSeed(0x1_0000_002AL).withMaxTokens(64)
                    .withStop(List.of("never-appears"));
            ChatCompletion c = m.chat(List.of(ChatMessage.system("Answer from the notes."), ChatMessage.user("Premium?")),
                    p, piece -> pieces.add(piece));
            assertEquals(REPLY, c.text());
            assertEquals(REPLY, String.join("", pieces));
            assertEquals((REPLY.length() + 2) / 3, pieces.size(), "one piece per server chunk");
            assertEquals(ChatCompletion.FinishReason.STOP, c.finishReason());
            ScriptedChatModel.Call call = model.calls.getLast();
            assertEquals(call.result().usage(), c.usage(), "usage as the server reported it");
            assertEquals(call.result().timings(), c.timings(), "timings as the server reported them");
            assertEquals(List.of(ChatMessage.system("Answer from the notes."), ChatMessage.user("Premium?")), call.messages());
            GenerationParams seen = call.params();
            assertEquals(0.25f, seen.temperature());
            assertEquals(0.8f, seen.topP());
            assertEquals(7, seen.topK());
            assertEquals(0.02f, seen.minP());
            assertEquals(1.3f, seen.repeatPenalty());
            assertEquals(20, seen.repeatLastN());
            assertEquals(42, seen.seed(), "the seed goes as its low 32 bits");
            assertEquals(64, seen.maxTokens());
            assertEquals(List.of("never-appears"), seen.stop());

            ChatCompletion cut = m.chat(List.of(ChatMessage.user("x")), GenerationParams.greedy().withMaxTokens(4), piece -> true);
            assertEquals(ChatCompletion.FinishReason.LENGTH, cut.finishReason());
            assertEquals(REPLY.substring(0, 12), cut.text());
        }
    }

    @Test
    void cancelling_closes_the_stream_and_the_server_frees_its_model() throws Exception {
        start(null);
        model.endless = true;
        model.pieceDelayMillis = 5;
        try (OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(server.uri()).connect()) {
            int[] seen = {0};
            ChatCompletion c = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> m.chat(List.of(ChatMessage.user("go")),
                    GenerationParams.defaults().withMaxTokens(2000), piece -> ++seen[0] < 5));
            assertEquals(ChatCompletion.FinishReason.CANCELLED, c.finishReason());
            assertEquals(5, seen[0]);
            ServerConcurrencyTest.await("the server's generation is cancelled", () -> !model.calls.isEmpty());
            assertEquals(ChatCompletion.FinishReason.CANCELLED, model.calls.getFirst().result().finishReason());

            model.endless = false;
            model.pieceDelayMillis = 0;
            assertEquals(REPLY, m.chat(List.of(ChatMessage.user("again")), GenerationParams.greedy().withMaxTokens(100)).text());
        }
    }

    @Test
    void a_notebook_answers_with_the_remote_model() throws Exception {
        start(null);
        try (OpenAiCompatibleChatModel remote = OpenAiCompatibleChatModel.builder(server.uri()).connect();
             Notebook nb = Notebook.builder(dir.resolve("client")).embedder(TestSupport.embedder())
                     .chatModel(remote, false).build()) {
            nb.addAll(TestSupport.NOTES);
            StringBuilder streamed = new StringBuilder();
            Answer a = nb.ask("How much is the car insurance premium?", AskOptions.defaults(), piece -> {
                streamed.append(piece);
                return true;
            });
            assertEquals(Answer.Kind.GENERATED, a.kind());
            assertEquals(REPLY, a.text());
            assertEquals(REPLY, streamed.toString());
            assertEquals("car", a.citations().getFirst().passage().noteId());
            // the remote model got the fenced passages in its prompt
            String prompt = model.calls.getLast().messages().toString();
            assertTrue(prompt.contains("412 euros") && prompt.contains("How much is the car insurance premium?"), prompt);
            assertTrue(a.timings().answerTokens() > 0);
        }
    }

    @Test
    void errors_name_the_url_and_the_servers_message() throws Exception {
        start("0123456789abcdef-secret");
        RemoteModelException e = assertThrows(RemoteModelException.class,
                () -> OpenAiCompatibleChatModel.builder(server.uri()).connect());
        assertEquals(401, e.status());
        assertTrue(e.getMessage().contains(server.uri() + "v1/models") && e.getMessage().contains("401")
                && e.getMessage().contains("API key"), e.getMessage());

        try (OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(server.uri())
                .apiKey("0123456789abcdef-secret").connect()) {
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> m.chat(List.of(ChatMessage.user("x")), GenerationParams.greedy().withMaxTokens(5000)));
            assertTrue(tooLong.getMessage().contains("3000"), tooLong.getMessage());
            RemoteModelException bad = assertThrows(RemoteModelException.class,
                    () -> m.chat(List.of(ChatMessage.user("x")), GenerationParams.greedy().withMaxTokens(10)
                            .withStop(List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q"))));
            assertEquals(400, bad.status());
            assertTrue(bad.getMessage().contains("'stop' may have at most 16 items"), bad.getMessage());
        }

        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        RemoteModelException refused = assertThrows(RemoteModelException.class,
                () -> OpenAiCompatibleChatModel.builder(URI.create("http://127.0.0.1:" + closedPort)).model("m").connect());
        assertTrue(refused.getMessage().startsWith("cannot connect to chat server http://127.0.0.1:" + closedPort + "/v1/models"),
                refused.getMessage());
        assertEquals(0, refused.status());
    }

    @Test
    void a_server_without_a_chat_model_answers_503() throws Exception {
        try (Notebook nb = Notebook.builder(dir.resolve("nomodel")).embedder(TestSupport.embedder()).build();
             PocketragServer s = PocketragServer.builder(nb).port(0).start()) {
            // the model list has only the embedder: name a model to get as far as the chat call
            try (OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(s.uri()).model("x").connect()) {
                RemoteModelException e = assertThrows(RemoteModelException.class,
                        () -> m.chat(List.of(ChatMessage.user("hi")), GenerationParams.greedy().withMaxTokens(5)));
                assertEquals(503, e.status());
                assertTrue(e.getMessage().contains("no chat model is loaded"), e.getMessage());
            }
        }
    }
}
