package dev.pocketrag.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.GenerationParams;
import java.util.Objects;

/**
 * A pocketrag {@link ChatModel} as a LangChain4j {@link dev.langchain4j.model.chat.ChatModel}: the
 * pure-Java GGUF engine (or an OpenAI-compatible server through {@code OpenAiCompatibleChatModel})
 * behind LangChain4j's AI services, offline.
 *
 * <pre>{@code
 * interface Assistant { String chat(String question); }
 *
 * try (GgufChatModel gguf = GgufChatModel.load(Path.of("qwen2.5-1.5b-instruct-q4_k_m.gguf"))) {
 *     Assistant assistant = AiServices.builder(Assistant.class)
 *             .chatModel(PocketragChatModel.of(gguf))
 *             .contentRetriever(new PocketragContentRetriever(notebook))
 *             .build();
 *     System.out.println(assistant.chat("When does the car insurance renew?"));
 * }
 * }</pre>
 *
 * <p>System, user and AI text messages are passed on; temperature, top-p, top-k, presence penalty,
 * stop sequences and max output tokens map to {@link GenerationParams}. Without a max output tokens,
 * the answer may take the defaults' {@code maxTokens} or what the context window leaves after the
 * prompt, whichever is less. Tools, JSON mode, images and frequency penalty throw {@link
 * dev.langchain4j.exception.UnsupportedFeatureException} saying which. The pocketrag model is the
 * caller's: this adapter never closes it. Thread-safe as the model is.
 */
public final class PocketragChatModel implements dev.langchain4j.model.chat.ChatModel {
    private final ChatModel model;
    private final GenerationParams defaults;

    private PocketragChatModel(ChatModel model, GenerationParams defaults) {
        this.model = Objects.requireNonNull(model, "model");
        this.defaults = Objects.requireNonNull(defaults, "defaults");
    }

    /**
     * The model with {@link GenerationParams#defaults()} where a request says nothing.
     *
     * @param model a pocketrag chat model (e.g. {@code GgufChatModel})
     * @return the adapter
     */
    public static PocketragChatModel of(ChatModel model) {
        return new PocketragChatModel(model, GenerationParams.defaults());
    }

    /**
     * The model with these sampling settings where a request says nothing.
     *
     * @param model a pocketrag chat model
     * @param defaults e.g. {@code GenerationParams.greedy()} for repeatable answers
     * @return the adapter
     */
    public static PocketragChatModel of(ChatModel model, GenerationParams defaults) {
        return new PocketragChatModel(model, defaults);
    }

    /** Generates the whole answer, then returns it with its token usage and finish reason. */
    @Override
    public ChatResponse doChat(ChatRequest request) {
        Chats.Call call = Chats.call(model, defaults, request);
        return Chats.response(model, model.chat(call.messages(), call.params()));
    }
}
