package dev.pocketrag.server;

import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.chat.TokenListener;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A deterministic chat model for tests: it streams a scripted reply in pieces of
 * {@code pieceChars} characters (one "token" each), honours {@code maxTokens} (LENGTH) and stop
 * strings (STOP, never streamed), stops when the listener says so (CANCELLED), counts one token
 * per whitespace-separated word, and records every call and how many ran at once.
 */
final class ScriptedChatModel implements ChatModel {
    /** One call as the model saw it. */
    record Call(List<ChatMessage> messages, GenerationParams params, ChatCompletion result) {}

    private final String name;
    private final int window;
    volatile String reply;
    volatile int pieceChars = 3;
    volatile long pieceDelayMillis;
    /** Repeat the reply until maxTokens (for streams that should run until cancelled). */
    volatile boolean endless;
    /** When set, each call fails with it (a bug in the model). */
    volatile RuntimeException failWith;
    /** When set, each call waits for it before generating. */
    volatile CountDownLatch hold;
    final List<Call> calls = Collections.synchronizedList(new ArrayList<>());
    final List<String> firstUserMessages = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger active = new AtomicInteger();
    final AtomicInteger maxActive = new AtomicInteger();
    final AtomicInteger started = new AtomicInteger();
    volatile boolean closed;

    ScriptedChatModel(String name, int window, String reply) {
        this.name = name;
        this.window = window;
        this.reply = reply;
    }

    @Override
    public String name() {
        return name;
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
        int n = 3;
        for (ChatMessage m : messages) {
            n += 4 + countTokens(m.content());
        }
        return n;
    }

    @Override
    public ChatCompletion chat(List<ChatMessage> messages, GenerationParams params, TokenListener listener) {
        int prompt = countPromptTokens(messages);
        if (prompt + params.maxTokens() > window) {
            throw new IllegalArgumentException("prompt " + prompt + " + maxTokens " + params.maxTokens() + " > window " + window);
        }
        int now = active.incrementAndGet();
        maxActive.accumulateAndGet(now, Math::max);
        started.incrementAndGet();
        messages.stream().filter(m -> m.role() == ChatMessage.Role.USER).findFirst()
                .ifPresent(m -> firstUserMessages.add(m.content()));
        try {
            if (failWith != null) {
                throw failWith;
            }
            CountDownLatch h = hold;
            if (h != null && !h.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("test hold never released");
            }
            ChatCompletion c = generate(prompt, params, listener);
            calls.add(new Call(List.copyOf(messages), params, c));
            return c;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            active.decrementAndGet();
        }
    }

    private ChatCompletion generate(int prompt, GenerationParams params, TokenListener listener) throws InterruptedException {
        String script = reply;
        int pc = pieceChars;
        // the text the model would write: the script (repeated when endless), at most maxTokens pieces
        long maxChars = (long) params.maxTokens() * pc;
        ChatCompletion.FinishReason reason;
        StringBuilder full = new StringBuilder();
        if (endless) {
            return endless(script, pc, prompt, params, listener);
        }
        if (script.length() > maxChars) {
            full.append(script, 0, (int) maxChars);
            reason = ChatCompletion.FinishReason.LENGTH;
        } else {
            full.append(script);
            reason = ChatCompletion.FinishReason.STOP;
        }
        int cut = full.length();
        for (String stop : params.stop()) {
            int at = full.indexOf(stop);
            if (at >= 0 && at < cut) {
                cut = at;
                reason = ChatCompletion.FinishReason.STOP;
            }
        }
        StringBuilder text = new StringBuilder();
        int tokens = 0;
        for (int pos = 0; pos < cut; pos += pc) {
            String piece = full.substring(pos, Math.min(cut, pos + pc));
            tokens++;
            if (pieceDelayMillis > 0) {
                Thread.sleep(pieceDelayMillis);
            }
            text.append(piece);
            if (!listener.onText(piece)) {
                return done(text, ChatCompletion.FinishReason.CANCELLED, prompt, tokens);
            }
        }
        return done(text, reason, prompt, tokens);
    }

    /** The script repeated, piece by piece, until maxTokens or the listener stops it (stop strings not applied). */
    private ChatCompletion endless(String script, int pc, int prompt, GenerationParams params, TokenListener listener)
            throws InterruptedException {
        StringBuilder text = new StringBuilder();
        StringBuilder piece = new StringBuilder(pc);
        long pos = 0;
        for (int tokens = 1; tokens <= params.maxTokens(); tokens++) {
            piece.setLength(0);
            for (int i = 0; i < pc; i++, pos++) {
                piece.append(script.charAt((int) (pos % script.length())));
            }
            if (pieceDelayMillis > 0) {
                Thread.sleep(pieceDelayMillis);
            }
            if (text.length() < 1 << 20) {
                text.append(piece); // keep the first MiB: enough for any assertion
            }
            if (!listener.onText(piece.toString())) {
                return done(text, ChatCompletion.FinishReason.CANCELLED, prompt, tokens);
            }
        }
        return done(text, ChatCompletion.FinishReason.LENGTH, prompt, params.maxTokens());
    }

    private static ChatCompletion done(StringBuilder text, ChatCompletion.FinishReason reason, int prompt, int tokens) {
        return new ChatCompletion(text.toString(), reason, new ChatCompletion.Usage(prompt, tokens),
                new ChatCompletion.Timings(1.5, 2.5, prompt, tokens));
    }

    @Override
    public void close() {
        closed = true;
    }
}
