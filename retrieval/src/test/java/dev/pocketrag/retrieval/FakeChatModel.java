package dev.pocketrag.retrieval;

import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.chat.TokenListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A chat model for tests: one token per whitespace-separated word (plus per-message template
 * overhead, and a little non-additivity), a fixed context window, and a scripted reply streamed in
 * random pieces.
 */
final class FakeChatModel implements ChatModel {
    final int window;
    final String reply;
    final Random rnd;
    final List<List<ChatMessage>> prompts = new ArrayList<>();
    boolean closed;

    FakeChatModel(int window, String reply, long seed) {
        this.window = window;
        this.reply = reply;
        this.rnd = new Random(seed);
    }

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public int contextLength() {
        return window;
    }

    @Override
    public int countTokens(String text) {
        String t = text.strip();
        return t.isEmpty() ? 0 : t.split("\\s+").length;
    }

    @Override
    public int countPromptTokens(List<ChatMessage> messages) {
        int n = 3; // BOS + assistant header
        for (ChatMessage m : messages) {
            n += 4 + countTokens(m.content());
        }
        // not additive: long prompts cost a little extra, like merges across block boundaries
        return n + n / 50;
    }

    @Override
    public ChatCompletion chat(List<ChatMessage> messages, GenerationParams params, TokenListener listener) {
        int prompt = countPromptTokens(messages);
        if (prompt + params.maxTokens() > window) {
            throw new IllegalArgumentException("prompt " + prompt + " + " + params.maxTokens() + " > " + window);
        }
        prompts.add(messages);
        int i = 0;
        int pieces = 0;
        StringBuilder sent = new StringBuilder();
        while (i < reply.length()) {
            int j = Math.min(reply.length(), i + 1 + rnd.nextInt(4));
            String piece = reply.substring(i, j);
            sent.append(piece);
            pieces++;
            i = j;
            if (!listener.onText(piece)) {
                return new ChatCompletion(sent.toString(), ChatCompletion.FinishReason.CANCELLED,
                        new ChatCompletion.Usage(prompt, pieces), ChatCompletion.Timings.NONE);
            }
        }
        return new ChatCompletion(reply, ChatCompletion.FinishReason.STOP, new ChatCompletion.Usage(prompt, pieces),
                new ChatCompletion.Timings(1, 1, prompt, pieces));
    }

    @Override
    public void close() {
        closed = true;
    }
}
