/**
 * Notes in, cited answers out: the public facade is {@code Notebook}.
 *
 * <p>It speaks to a chat model through the {@code dev.pocketrag.chat.ChatModel} contract only, never
 * to an engine: the app gives it the GGUF engine ({@code dev.pocketrag.generation.GgufChatModel}) or
 * a model on a server ({@code dev.pocketrag.remote.OpenAiCompatibleChatModel}), or none (extractive
 * answers). {@code AnswerJson} is the JSON of answers, hits and notes that {@code ask --json},
 * {@code search --json} and the server print.
 */
package dev.pocketrag.retrieval;
