/**
 * The chat model contract, JDK only: {@link dev.pocketrag.chat.ChatModel} (messages in, a completion
 * out, streamed to a {@link dev.pocketrag.chat.TokenListener} that can cancel), and the types it
 * speaks in: {@link dev.pocketrag.chat.ChatMessage}, {@link dev.pocketrag.chat.GenerationParams},
 * {@link dev.pocketrag.chat.ChatCompletion} (text, finish reason, token counts, timings), and
 * {@link dev.pocketrag.chat.StopStrings}, which implementations that decode text themselves use so
 * that stop strings are never streamed.
 *
 * <p>Implementations: the pure-Java GGUF engine ({@code dev.pocketrag.generation.GgufChatModel}) and
 * an OpenAI-compatible server ({@code dev.pocketrag.remote.OpenAiCompatibleChatModel}). Callers
 * ({@code retrieval}'s {@code Notebook}) depend on this module only, never on an engine. The
 * test-jar ({@code pocketrag-chat:test-jar}) holds {@code ChatModelContract}, the abstract JUnit test
 * every implementation passes, and {@code ScriptedChatModel}, the one scripted model the tests of
 * callers use.
 */
package dev.pocketrag.chat;
