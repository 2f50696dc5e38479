package dev.pocketrag.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.GenerationParams;
import java.util.Objects;

/**
 * A pocketrag {@link ChatModel} as a LangChain4j {@link StreamingChatModel}: each piece of text is
 * handed to {@link StreamingChatResponseHandler#onPartialResponse(String)} as the model writes it, then
 * the whole answer to {@link StreamingChatResponseHandler#onCompleteResponse}; a failure goes to
 * {@link StreamingChatResponseHandler#onError} instead.
 *
 * <pre>{@code
 * PocketragStreamingChatModel streaming = PocketragStreamingChatModel.of(gguf);
 * streaming.chat("Tell me a story", new StreamingChatResponseHandler() {
 *     public void onPartialResponse(String piece) { System.out.print(piece); }
 *     public void onCompleteResponse(ChatResponse r) { System.out.println(" (" + r.tokenUsage() + ")"); }
 *     public void onError(Throwable e) { e.printStackTrace(); }
 * });
 * }</pre>
 *
 * <p>The answer is generated on the calling thread: {@code chat} returns after the handler has had
 * {@code onCompleteResponse} (or {@code onError}). Requests map as in {@link PocketragChatModel}. The
 * pocketrag model is the caller's: this adapter never closes it.
 */
public final class PocketragStreamingChatModel implements StreamingChatModel {
    private final ChatModel model;
    private final GenerationParams defaults;

    private PocketragStreamingChatModel(ChatModel model, GenerationParams defaults) {
        this.model = Objects.requireNonNull(model, "model");
        this.defaults = Objects.requireNonNull(defaults, "defaults");
    }

    /**
     * The model with {@link GenerationParams#defaults()} where a request says nothing.
     *
     * @param model a pocketrag chat model (e.g. {@code GgufChatModel})
     * @return the adapter
     */
    public static PocketragStreamingChatModel of(ChatModel model) {
        return new PocketragStreamingChatModel(model, GenerationParams.defaults());
    }

    /**
     * The model with these sampling settings where a request says nothing.
     *
     * @param model a pocketrag chat model
     * @param defaults e.g. {@code GenerationParams.greedy()}
     * @return the adapter
     */
    public static PocketragStreamingChatModel of(ChatModel model, GenerationParams defaults) {
        return new PocketragStreamingChatModel(model, defaults);
    }

    /** Streams the answer to {@code handler} (see the class comment). */
    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        Objects.requireNonNull(handler, "handler");
        ChatResponse response;
        try {
            Chats.Call call = Chats.call(model, defaults, request);
            ChatCompletion c = model.chat(call.messages(), call.params(), piece -> {
                handler.onPartialResponse(piece);
                return true;
            });
            response = Chats.response(model, c);
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        handler.onCompleteResponse(response);
    }
}
