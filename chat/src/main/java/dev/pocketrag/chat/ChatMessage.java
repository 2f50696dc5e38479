package dev.pocketrag.chat;

import java.util.Objects;

/**
 * One message of a conversation.
 *
 * @param role who speaks
 * @param content the text (never null; may be empty)
 */
public record ChatMessage(Role role, String content) {
    /** Who speaks a message. */
    public enum Role {
        SYSTEM, USER, ASSISTANT;

        /** The lower-case name used by chat templates and the OpenAI API. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static ChatMessage system(String content) {
        return new ChatMessage(Role.SYSTEM, content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(Role.USER, content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(Role.ASSISTANT, content);
    }
}
