package dev.pocketrag.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.GenerationParams;
import java.util.ArrayList;
import java.util.List;

/** LangChain4j chat requests to pocketrag's {@link ChatModel} and back (both adapters share it). */
final class Chats {
    private Chats() {}

    /** What one request asks of the model: our messages and sampling settings. */
    record Call(List<ChatMessage> messages, GenerationParams params) {}

    static Call call(ChatModel model, GenerationParams defaults, ChatRequest request) {
        List<ChatMessage> messages = messages(request.messages());
        ChatRequestParameters p = request.parameters();
        GenerationParams g = defaults;
        if (p != null) {
            if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
                throw new UnsupportedFeatureException("pocketrag's chat models do not call tools; the request names "
                        + p.toolSpecifications().size() + " tool(s)");
            }
            if (p.responseFormat() != null && p.responseFormat().type() == ResponseFormatType.JSON) {
                throw new UnsupportedFeatureException("pocketrag's chat models have no JSON mode (response format "
                        + p.responseFormat() + ")");
            }
            if (p.frequencyPenalty() != null && p.frequencyPenalty() != 0) {
                throw new UnsupportedFeatureException("pocketrag's chat models have no frequency penalty (asked "
                        + p.frequencyPenalty() + "); use presencePenalty");
            }
            if (p.temperature() != null) {
                g = g.withTemperature(p.temperature().floatValue());
            }
            if (p.topP() != null) {
                g = g.withTopP(p.topP().floatValue());
            }
            if (p.topK() != null) {
                g = g.withTopK(p.topK());
            }
            if (p.presencePenalty() != null) {
                g = g.withPresencePenalty(p.presencePenalty().floatValue());
            }
            if (p.stopSequences() != null && !p.stopSequences().isEmpty()) {
                g = g.withStop(p.stopSequences());
            }
            if (p.maxOutputTokens() != null) {
                return new Call(messages, g.withMaxTokens(p.maxOutputTokens()));
            }
        }
        // no limit asked: the default, or what the context window leaves after the prompt
        int room = model.contextLength() - model.countPromptTokens(messages);
        if (room < 1) {
            throw new IllegalArgumentException("the prompt takes " + (model.contextLength() - room) + " tokens and "
                    + model.name() + "'s context window is " + model.contextLength() + ": nothing left for an answer");
        }
        return new Call(messages, g.withMaxTokens(Math.min(g.maxTokens(), room)));
    }

    private static List<ChatMessage> messages(List<dev.langchain4j.data.message.ChatMessage> in) {
        List<ChatMessage> out = new ArrayList<>(in.size());
        for (dev.langchain4j.data.message.ChatMessage m : in) {
            out.add(switch (m) {
                case SystemMessage s -> ChatMessage.system(s.text());
                case UserMessage u when u.hasSingleText() -> ChatMessage.user(u.singleText());
                case AiMessage a when !a.hasToolExecutionRequests() && a.text() != null -> ChatMessage.assistant(a.text());
                default -> throw new UnsupportedFeatureException("pocketrag's chat models take text from system, user "
                        + "and AI messages only, not " + m.type() + " " + m);
            });
        }
        return out;
    }

    static ChatResponse response(ChatModel model, ChatCompletion c) {
        return ChatResponse.builder()
                .aiMessage(AiMessage.from(c.text()))
                .modelName(model.name())
                .tokenUsage(new TokenUsage(c.usage().promptTokens(), c.usage().completionTokens()))
                .finishReason(switch (c.finishReason()) {
                    case STOP -> FinishReason.STOP;
                    case LENGTH -> FinishReason.LENGTH;
                    default -> FinishReason.OTHER;
                })
                .build();
    }
}
