package dev.pocketrag.chat;

import java.util.List;

/**
 * A chat model: messages in, a completion out, optionally streamed token by token.
 *
 * <p>The local implementation is {@code dev.pocketrag.generation.GgufChatModel} (pure-Java GGUF
 * inference), the remote one {@code dev.pocketrag.remote.OpenAiCompatibleChatModel} (an
 * OpenAI-compatible server); callers such as the notebook see only this interface, so they never
 * depend on how the answer is computed. The test-jar of this module holds {@code ChatModelContract},
 * the behaviour every implementation is tested for, and {@code ScriptedChatModel}, a scripted
 * model for the tests of callers.
 *
 * <pre>{@code
 * try (ChatModel model = GgufChatModel.load(Path.of("qwen2.5-1.5b-instruct-q4_k_m.gguf"))) {
 *     List<ChatMessage> messages = List.of(ChatMessage.system("Answer in one sentence."),
 *             ChatMessage.user("Why is the sky blue?"));
 *     ChatCompletion c = model.chat(messages, GenerationParams.defaults().withMaxTokens(64),
 *             piece -> { System.out.print(piece); return true; });   // streamed; false cancels
 *     System.out.println("\n" + c.finishReason() + ", " + c.usage());
 * }
 * }</pre>
 * A notebook uses one to write its answers: {@code Notebook.builder(dir).chatModel(model).build()}.
 *
 * <p>Implementations are thread-safe (concurrent calls are serialised or run in separate
 * sessions, as each implementation documents) and {@link AutoCloseable}; {@link #close()} is
 * idempotent.
 */
public interface ChatModel extends AutoCloseable {

    /** A short name for display, e.g. the GGUF's {@code general.name} or the remote model id. */
    String name();

    /** The context window in tokens: prompt and answer together never exceed it. */
    int contextLength();

    /**
     * The number of tokens {@code text} takes inside a message, counted with the model's own
     * tokenizer (no BOS); an estimate where the tokenizer is not known (remote models).
     */
    int countTokens(String text);

    /**
     * The number of tokens the prompt of these messages takes once rendered through the model's
     * chat template, including the assistant header the answer starts after.
     */
    int countPromptTokens(List<ChatMessage> messages);

    /**
     * Generates the assistant's reply.
     *
     * @throws IllegalArgumentException if the prompt plus {@code params.maxTokens()} exceed the
     *     context window (the message says how many tokens were asked for and how many fit)
     */
    default ChatCompletion chat(List<ChatMessage> messages, GenerationParams params) {
        return chat(messages, params, TokenListener.NONE);
    }

    /**
     * Generates the assistant's reply, handing each piece of text to {@code listener} as soon as
     * it is decoded (pieces never split a UTF-8 character; stop strings are never streamed).
     * The listener returns {@code false} to cancel; the completion then ends with
     * {@link ChatCompletion.FinishReason#CANCELLED}.
     */
    ChatCompletion chat(List<ChatMessage> messages, GenerationParams params, TokenListener listener);

    @Override
    void close();
}
