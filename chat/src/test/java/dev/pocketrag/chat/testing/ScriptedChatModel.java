package dev.pocketrag.chat.testing;

import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.chat.TokenListener;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one scripted {@link ChatModel} for the tests of callers (the notebook, the server, the CLI, the
 * desktop app): it "generates" a fixed reply and obeys the contract ({@link ChatModelContract} runs
 * against it). The reply is streamed in pieces, one token each: {@link #pieceChars} characters at a
 * time (default 3), word by word ({@link #pieceWords()}), or 1..{@code max} characters drawn from a
 * seeded generator ({@link #randomPieces}). It honours {@code maxTokens} (LENGTH), stop strings
 * (STOP, never streamed) and cancellation (CANCELLED), refuses a prompt that does not fit the window,
 * counts one token per whitespace-separated word plus a template overhead (3 per prompt, 4 per
 * message, and optionally a non-additive surcharge, like merges across block boundaries), and records
 * every call and how many ran at once.
 *
 * <p>The knobs are public volatile fields, set by a test before (or while) the model runs. Thread-safe
 * as far as the tests need: calls may run concurrently; the recorded lists are synchronized.
 */
public final class ScriptedChatModel implements ChatModel {
    /** One call as the model saw it. */
    public record Call(List<ChatMessage> messages, GenerationParams params, ChatCompletion result) {}

    private final String name;
    private final int window;
    /** The text every call writes (cut by maxTokens and stop strings). */
    public volatile String reply;
    /** Characters per piece (one token each) when neither words nor random pieces are chosen. */
    public volatile int pieceChars = 3;
    /** Pause before each piece. */
    public volatile long pieceDelayMillis;
    /** Repeat the reply until maxTokens (for streams that should run until cancelled; stop strings not applied). */
    public volatile boolean endless;
    /** When set, each call fails with it (a bug in the model). */
    public volatile RuntimeException failWith;
    /** When set, each call waits for it before generating. */
    public volatile CountDownLatch hold;
    /** When set, a piece that starts at or after {@link #pauseAt} characters waits for it. */
    public volatile CountDownLatch gate;
    /** Where {@link #gate} holds the stream (characters of the reply). */
    public volatile int pauseAt = Integer.MAX_VALUE;
    /** A prompt of n tokens counts n + n / promptSurcharge (0: none). */
    public volatile int promptSurcharge;
    private volatile boolean words;
    private volatile Random random;
    private volatile int randomMax;

    /** Every call that returned, in order. */
    public final List<Call> calls = Collections.synchronizedList(new ArrayList<>());
    /** The messages of every call that started (also those that failed or waited). */
    public final List<List<ChatMessage>> prompts = Collections.synchronizedList(new ArrayList<>());
    /** The first user message of every call that started. */
    public final List<String> firstUserMessages = Collections.synchronizedList(new ArrayList<>());
    /** Calls running now. */
    public final AtomicInteger active = new AtomicInteger();
    /** The most calls that ran at once. */
    public final AtomicInteger maxActive = new AtomicInteger();
    /** Calls started. */
    public final AtomicInteger started = new AtomicInteger();
    /** Whether {@link #close()} was called. */
    public volatile boolean closed;

    /**
     * @param name what {@link #name()} says
     * @param window the context window in tokens
     * @param reply the text each call writes
     */
    public ScriptedChatModel(String name, int window, String reply) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be >= 1; window=" + window);
        }
        this.name = name;
        this.window = window;
        this.reply = reply;
    }

    /** Streams the reply word by word (a piece ends after each space). */
    public ScriptedChatModel pieceWords() {
        this.words = true;
        return this;
    }

    /** Streams the reply in pieces of 1..{@code max} characters drawn from a generator seeded with {@code seed}. */
    public ScriptedChatModel randomPieces(long seed, int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be >= 1; max=" + max);
        }
        this.randomMax = max;
        this.random = new Random(seed);
        return this;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int contextLength() {
        return window;
    }

    /** One token per whitespace-separated word. */
    @Override
    public int countTokens(String text) {
        String t = text.strip();
        return t.isEmpty() ? 0 : t.split("\\s+").length;
    }

    /** 3 (BOS, assistant header) + per message 4 + its words; plus the surcharge if set. */
    @Override
    public int countPromptTokens(List<ChatMessage> messages) {
        int n = 3;
        for (ChatMessage m : messages) {
            n += 4 + countTokens(m.content());
        }
        int s = promptSurcharge;
        return s > 0 ? n + n / s : n;
    }

    @Override
    public ChatCompletion chat(List<ChatMessage> messages, GenerationParams params, TokenListener listener) {
        if (closed) {
            throw new IllegalStateException("chat model " + name + " is closed");
        }
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("messages must not be empty");
        }
        int prompt = countPromptTokens(messages);
        if (prompt + params.maxTokens() > window) {
            throw new IllegalArgumentException("prompt " + prompt + " + maxTokens " + params.maxTokens() + " > window " + window);
        }
        int now = active.incrementAndGet();
        maxActive.accumulateAndGet(now, Math::max);
        started.incrementAndGet();
        prompts.add(List.copyOf(messages));
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
            ChatCompletion c = endless ? endless(prompt, params, listener) : generate(prompt, params, listener);
            calls.add(new Call(List.copyOf(messages), params, c));
            return c;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            active.decrementAndGet();
        }
    }

    /** The reply cut into pieces by the chosen rule. */
    private List<String> pieces(String script) {
        List<String> out = new ArrayList<>();
        if (words) {
            for (String w : script.split("(?<= )")) {
                if (!w.isEmpty()) {
                    out.add(w);
                }
            }
            return out;
        }
        Random r = random;
        int pc = pieceChars;
        for (int i = 0; i < script.length(); ) {
            int n = r != null ? 1 + nextInt(r, randomMax) : pc;
            int j = Math.min(script.length(), i + n);
            out.add(script.substring(i, j));
            i = j;
        }
        return out;
    }

    private static int nextInt(Random r, int bound) {
        synchronized (r) {
            return r.nextInt(bound);
        }
    }

    private ChatCompletion generate(int prompt, GenerationParams params, TokenListener listener) throws InterruptedException {
        List<String> pieces = pieces(reply);
        ChatCompletion.FinishReason reason = ChatCompletion.FinishReason.STOP;
        if (pieces.size() > params.maxTokens()) {
            pieces = pieces.subList(0, params.maxTokens());
            reason = ChatCompletion.FinishReason.LENGTH;
        }
        String full = String.join("", pieces);
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
        for (String p : pieces) {
            if (text.length() >= cut) {
                break;
            }
            String piece = p.substring(0, Math.min(p.length(), cut - text.length()));
            tokens++;
            pause(text.length());
            text.append(piece);
            if (!listener.onText(piece)) {
                return done(text, ChatCompletion.FinishReason.CANCELLED, prompt, tokens);
            }
        }
        return done(text, reason, prompt, tokens);
    }

    private void pause(int at) throws InterruptedException {
        if (pieceDelayMillis > 0) {
            Thread.sleep(pieceDelayMillis);
        }
        CountDownLatch g = gate;
        if (g != null && at >= pauseAt && g.getCount() > 0 && !g.await(2, TimeUnit.MINUTES)) {
            throw new IllegalStateException("the test never opened the gate");
        }
    }

    /** The script repeated, {@link #pieceChars} at a time, until maxTokens or the listener stops it. */
    private ChatCompletion endless(int prompt, GenerationParams params, TokenListener listener)
            throws InterruptedException {
        String script = reply;
        int pc = pieceChars;
        StringBuilder text = new StringBuilder();
        StringBuilder piece = new StringBuilder(pc);
        long pos = 0;
        for (int tokens = 1; tokens <= params.maxTokens(); tokens++) {
            piece.setLength(0);
            for (int i = 0; i < pc; i++, pos++) {
                piece.append(script.charAt((int) (pos % script.length())));
            }
            pause((int) Math.min(Integer.MAX_VALUE, pos));
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
