package dev.pocketrag.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.rag.content.Content;
import dev.langchain4j.rag.content.ContentMetadata;
import dev.langchain4j.rag.query.Query;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.chat.TokenListener;
import dev.pocketrag.chat.testing.ScriptedChatModel;
import dev.pocketrag.generation.GgufChatModel;
import dev.pocketrag.index.Note;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.SearchOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LangChain4j's own AiServices with our retriever and our chat models: the notes' text reaches the
 * model's prompt, and the model's answer comes back through the service, whole and streamed.
 */
class AiServicesTest {
    /** What a LangChain4j user declares. */
    interface Assistant {
        String chat(String question);
    }

    interface StreamingAssistant {
        TokenStream chat(String question);
    }

    @TempDir
    static Path dir;
    static Notebook notebook;

    @BeforeAll
    static void notes() throws Exception {
        notebook = Notebook.open(dir.resolve("nb"));
        notebook.addAll(List.of(
                Note.of("insurance", "Car insurance", "The car insurance renews on 1 June. Policy AX-4471."),
                Note.of("kyoto", "Kyoto hotel", "Check-in at the Kyoto hotel is at 15:00, booking KY-2291."),
                Note.of("dentist", "Dentist", "Dentist appointment on 14 March at 09:30 with Dr. Sousa.")));
    }

    @AfterAll
    static void close() throws Exception {
        notebook.close();
    }

    @Test
    void the_retriever_gives_the_notebooks_hybrid_hits_best_first_with_their_note() {
        List<Content> found = new PocketragContentRetriever(notebook, SearchOptions.defaults().withK(2))
                .retrieve(Query.from("When does the car insurance renew?"));
        assertEquals(2, found.size());
        Content best = found.getFirst();
        assertEquals("The car insurance renews on 1 June. Policy AX-4471.", best.textSegment().text());
        assertEquals("insurance", best.textSegment().metadata().getString("note_id"));
        assertEquals("Car insurance", best.textSegment().metadata().getString("title"));
        assertEquals("insurance", best.metadata().get(ContentMetadata.EMBEDDING_ID));
        assertTrue((Double) best.metadata().get(ContentMetadata.SCORE) >= (Double) found.get(1).metadata().get(ContentMetadata.SCORE));
    }

    @Test
    void an_ai_service_answers_from_the_notes_through_our_retriever_and_chat_model() {
        ScriptedChatModel scripted = new ScriptedChatModel("scripted", 4096, "It renews on 1 June [1].");
        Assistant assistant = AiServices.builder(Assistant.class)
                .chatModel(PocketragChatModel.of(scripted))
                .contentRetriever(new PocketragContentRetriever(notebook, SearchOptions.defaults().withK(1)))
                .build();
        String answer = assistant.chat("When does the car insurance renew?");
        assertEquals("It renews on 1 June [1].", answer);
        assertEquals(1, scripted.calls.size());
        List<ChatMessage> prompt = scripted.calls.getFirst().messages();
        String user = prompt.getLast().content();
        assertEquals(ChatMessage.Role.USER, prompt.getLast().role());
        assertTrue(user.contains("When does the car insurance renew?"), user);
        assertTrue(user.contains("The car insurance renews on 1 June. Policy AX-4471."), "the retrieved note reached the prompt: " + user);
        assertFalse(user.contains("KY-2291"), "only the top hit was retrieved: " + user);
        // no max output tokens asked: the answer may take what the window leaves (here the default 512)
        assertEquals(512, scripted.calls.getFirst().params().maxTokens());
    }

    @Test
    void a_streaming_ai_service_hands_over_each_piece_then_the_complete_response() throws Exception {
        ScriptedChatModel scripted = new ScriptedChatModel("scripted", 4096, "Check-in is at 15:00 [1].");
        scripted.pieceChars = 4;
        StreamingAssistant assistant = AiServices.builder(StreamingAssistant.class)
                .streamingChatModel(PocketragStreamingChatModel.of(scripted))
                .contentRetriever(new PocketragContentRetriever(notebook, SearchOptions.defaults().withK(1)))
                .build();
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        List<Content> retrieved = new ArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        assistant.chat("What time is check-in at the hotel in Kyoto?")
                .onRetrieved(retrieved::addAll)
                .onPartialResponse(p -> events.add("piece:" + p))
                .onCompleteResponse(r -> {
                    events.add("complete");
                    done.complete(r);
                })
                .onError(done::completeExceptionally)
                .start();
        ChatResponse response = done.get(30, TimeUnit.SECONDS);
        assertEquals("Check-in is at 15:00 [1].", response.aiMessage().text());
        assertEquals(List.of("piece:Chec", "piece:k-in", "piece: is ", "piece:at 1", "piece:5:00", "piece: [1]",
                "piece:.", "complete"), events, "pieces in order, then the complete response");
        assertEquals("kyoto", retrieved.getFirst().textSegment().metadata().getString("note_id"));
        assertTrue(scripted.calls.getFirst().messages().getLast().content().contains("KY-2291"));
        assertEquals(FinishReason.STOP, response.finishReason());
        assertTrue(response.tokenUsage().outputTokenCount() > 0);
    }

    @Test
    void the_streaming_model_reports_a_failure_to_on_error_and_nothing_else() {
        ScriptedChatModel scripted = new ScriptedChatModel("scripted", 4096, "never");
        scripted.failWith = new IllegalStateException("engine broke");
        List<String> events = new ArrayList<>();
        PocketragStreamingChatModel.of(scripted).chat(List.of(UserMessage.from("hi")), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String piece) {
                events.add("piece");
            }

            @Override
            public void onCompleteResponse(ChatResponse r) {
                events.add("complete");
            }

            @Override
            public void onError(Throwable e) {
                events.add("error:" + e.getMessage());
            }
        });
        assertEquals(List.of("error:engine broke"), events);
    }

    @Test
    void request_parameters_map_and_unsupported_features_are_named() {
        ScriptedChatModel scripted = new ScriptedChatModel("scripted", 4096, "one two three four five");
        PocketragChatModel model = PocketragChatModel.of(scripted);
        ChatResponse r = model.chat(ChatRequest.builder().messages(UserMessage.from("count"))
                .temperature(0.0).topP(0.5).topK(7).maxOutputTokens(2).stopSequences(List.of("###")).build());
        GenerationParams p = scripted.calls.getLast().params();
        assertEquals(0f, p.temperature());
        assertEquals(0.5f, p.topP());
        assertEquals(7, p.topK());
        assertEquals(2, p.maxTokens());
        assertEquals(List.of("###"), p.stop());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals("scripted", r.modelName());

        UnsupportedFeatureException json = assertThrows(UnsupportedFeatureException.class, () -> model.chat(
                ChatRequest.builder().messages(UserMessage.from("x")).responseFormat(ResponseFormat.JSON).build()));
        assertTrue(json.getMessage().contains("JSON"), json.getMessage());
        UnsupportedFeatureException freq = assertThrows(UnsupportedFeatureException.class, () -> model.chat(
                ChatRequest.builder().messages(UserMessage.from("x")).frequencyPenalty(0.5).build()));
        assertTrue(freq.getMessage().contains("0.5"), freq.getMessage());

        // a prompt that leaves no room for an answer is refused before the model runs, with the numbers
        ScriptedChatModel tiny = new ScriptedChatModel("tiny", 8, "x");
        IllegalArgumentException full = assertThrows(IllegalArgumentException.class, () -> PocketragChatModel.of(tiny)
                .chat(ChatRequest.builder().messages(UserMessage.from("one two three four five six")).build()));
        assertTrue(full.getMessage().contains("13 tokens") && full.getMessage().contains("is 8"), full.getMessage());
    }

    /** A pocketrag chat model that records what it is asked and hands it to another. */
    static final class Recording implements dev.pocketrag.chat.ChatModel {
        final dev.pocketrag.chat.ChatModel inner;
        final List<List<ChatMessage>> prompts = new ArrayList<>();

        Recording(dev.pocketrag.chat.ChatModel inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public int contextLength() {
            return inner.contextLength();
        }

        @Override
        public int countTokens(String text) {
            return inner.countTokens(text);
        }

        @Override
        public int countPromptTokens(List<ChatMessage> messages) {
            return inner.countPromptTokens(messages);
        }

        @Override
        public ChatCompletion chat(List<ChatMessage> messages, GenerationParams params, TokenListener listener) {
            prompts.add(List.copyOf(messages));
            return inner.chat(messages, params, listener);
        }

        @Override
        public void close() {}
    }

    @Test
    void the_pure_java_gguf_engine_serves_an_ai_service_offline() throws Exception {
        Path gguf = Path.of(System.getProperty("pocketrag.shared", "../../../shared"), "models", "stories260K.gguf");
        assumeTrue(Files.isRegularFile(gguf), "stories260K.gguf not found at " + gguf + " (../shared absent): skipped");
        GenerationParams greedy = GenerationParams.greedy().withMaxTokens(24);
        try (GgufChatModel engine = GgufChatModel.load(gguf, GgufChatModel.Options.defaults()
                .withContextLength(512).withThreads(1).withSeed(1))) {
            Recording recording = new Recording(engine);
            Assistant assistant = AiServices.builder(Assistant.class)
                    .chatModel(PocketragChatModel.of(recording, greedy))
                    .contentRetriever(new PocketragContentRetriever(notebook, SearchOptions.defaults().withK(1)))
                    .build();
            String answer = assistant.chat("Who is the dentist?");
            assertNotNull(answer);
            assertFalse(answer.isBlank(), "the story model wrote something");
            List<ChatMessage> prompt = recording.prompts.getFirst();
            assertTrue(prompt.getLast().content().contains("Dr. Sousa"), "the retrieved note reached the engine");
            // the service's answer is the engine's own greedy answer to that prompt, unchanged
            assertEquals(engine.chat(prompt, greedy).text(), answer);

            // and streamed through the streaming adapter: the pieces make the complete text
            StringBuilder pieces = new StringBuilder();
            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            PocketragStreamingChatModel.of(engine, greedy).chat(List.of(UserMessage.from("Once upon a time")),
                    new StreamingChatResponseHandler() {
                        @Override
                        public void onPartialResponse(String piece) {
                            pieces.append(piece);
                        }

                        @Override
                        public void onCompleteResponse(ChatResponse r) {
                            done.complete(r);
                        }

                        @Override
                        public void onError(Throwable e) {
                            done.completeExceptionally(e);
                        }
                    });
            ChatResponse r = done.get(60, TimeUnit.SECONDS);
            assertEquals(r.aiMessage().text(), pieces.toString());
            int written = r.tokenUsage().outputTokenCount();
            assertTrue(written > 0 && written <= 24, "tokens written: " + written);
            assertEquals(written == 24 ? FinishReason.LENGTH : FinishReason.STOP, r.finishReason());
        }
    }
}
