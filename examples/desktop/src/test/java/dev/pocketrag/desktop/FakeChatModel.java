package dev.pocketrag.desktop;

import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.chat.TokenListener;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A chat model for tests: a scripted reply streamed a few characters at a time (optionally
 * pausing after the first {@code pauseAt} characters until a gate opens); one token per word.
 */
final class FakeChatModel implements ChatModel {
    private final String reply;
    private final int pauseAt;
    private final java.util.concurrent.CountDownLatch gate;
    final AtomicBoolean closed = new AtomicBoolean();

    FakeChatModel(String reply) {
        this(reply, Integer.MAX_VALUE, new java.util.concurrent.CountDownLatch(0));
    }

    FakeChatModel(String reply, int pauseAt, java.util.concurrent.CountDownLatch gate) {
        this.reply = reply;
        this.pauseAt = pauseAt;
        this.gate = gate;
    }

    @Override
    public String name() {
        return "fake-model";
    }

    @Override
    public int contextLength() {
        return 4096;
    }

    @Override
    public int countTokens(String text) {
        String t = text.strip();
        return t.isEmpty() ? 0 : t.split("\\s+").length;
    }

    @Override
    public int countPromptTokens(List<ChatMessage> messages) {
        int n = 3;
        for (ChatMessage m : messages) {
            n += 4 + countTokens(m.content());
        }
        return n;
    }

    @Override
    public ChatCompletion chat(List<ChatMessage> messages, GenerationParams params, TokenListener listener) {
        int prompt = countPromptTokens(messages);
        int pieces = 0;
        for (int i = 0; i < reply.length(); i += 3) {
            if (i >= pauseAt && gate.getCount() > 0) {
                try {
                    if (!gate.await(2, java.util.concurrent.TimeUnit.MINUTES)) {
                        throw new IllegalStateException("the test never opened the gate");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            pieces++;
            if (!listener.onText(reply.substring(i, Math.min(reply.length(), i + 3)))) {
                return new ChatCompletion(reply.substring(0, Math.min(reply.length(), i + 3)),
                        ChatCompletion.FinishReason.CANCELLED, new ChatCompletion.Usage(prompt, pieces),
                        ChatCompletion.Timings.NONE);
            }
        }
        return new ChatCompletion(reply, ChatCompletion.FinishReason.STOP, new ChatCompletion.Usage(prompt, pieces),
                new ChatCompletion.Timings(1, 1, prompt, pieces));
    }

    @Override
    public void close() {
        closed.set(true);
    }
}
