/**
 * A chat model on another machine: {@link dev.pocketrag.remote.OpenAiCompatibleChatModel} implements
 * the {@code dev.pocketrag.chat.ChatModel} contract over the OpenAI chat API (llama-server, vLLM,
 * Ollama, another {@code pocketrag serve}); failures are {@link dev.pocketrag.remote.RemoteModelException}.
 *
 * <p>{@link dev.pocketrag.remote.OpenAiWire} is the wire format, written once: requests to and from
 * {@code GenerationParams} and messages, stream chunks, usage, errors, the model list and token
 * counts; the client here and the server ({@code examples/server}) both use it. Below the facade:
 * {@code TokenCounter} (the server's token counts, else estimates), {@code SseReader}
 * (server-sent events and the idle watchdog), {@code Transport} (HTTP calls and their errors).
 */
package dev.pocketrag.remote;
