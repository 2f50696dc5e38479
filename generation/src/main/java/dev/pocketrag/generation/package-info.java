/**
 * Pure-Java GGUF chat models: the public facades are {@code ChatModel}, {@code GgufChatModel}, {@code Gguf}.
 */
package dev.pocketrag.generation;
