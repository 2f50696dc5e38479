/** The chat model contract: {@link dev.pocketrag.chat.ChatModel} and the types it speaks in. JDK only. */
module dev.pocketrag.chat {
    exports dev.pocketrag.chat;
}
