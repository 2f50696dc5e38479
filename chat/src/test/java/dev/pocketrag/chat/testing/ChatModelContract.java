package dev.pocketrag.chat.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.chat.TokenListener;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ChatModel} does, whoever computes the answer: a subclass per implementation
 * (the scripted model, the GGUF engine on stories260K, the remote client against a server on
 * loopback) supplies a fresh model and a conversation, and inherits the tests.
 *
 * <ul>
 *   <li>Streaming: pieces arrive in order, none empty, and concatenate to the completion's text.</li>
 *   <li>Stop strings: the text ends where the first stop string begins; it is neither returned nor
 *       streamed, and the reason is STOP.</li>
 *   <li>Cancellation: once the listener returns false no piece follows, and the reason is CANCELLED.</li>
 *   <li>Token counts: the usage's prompt tokens are {@link ChatModel#countPromptTokens} of the same
 *       messages; at least one token per streamed piece, at most {@code maxTokens}.</li>
 *   <li>Errors: no messages, or a prompt plus {@code maxTokens} over the window, are
 *       {@link IllegalArgumentException}s; a call after {@link ChatModel#close()} is an
 *       {@link IllegalStateException}; close is idempotent.</li>
 * </ul>
 *
 * The conversation must make the model write, greedily, at least 8 characters in at least 3 pieces
 * within {@link #maxTokens()} tokens, the same text every time.
 */
public abstract class ChatModelContract {
    /** The model under test, fresh for each test (closed after it). */
    protected ChatModel model;

    /** A new model (called before each test). */
    protected abstract ChatModel open() throws Exception;

    /** The conversation the tests send. */
    protected List<ChatMessage> conversation() {
        return List.of(ChatMessage.system("You are a storyteller."), ChatMessage.user("Tell me a story about a cat."));
    }

    /** The tokens each call may generate. */
    protected int maxTokens() {
        return 24;
    }

    /** Greedy, {@link #maxTokens()} at most, a fixed seed. */
    protected GenerationParams params() {
        return GenerationParams.greedy().withMaxTokens(maxTokens()).withSeed(42);
    }

    @BeforeEach
    final void openModel() throws Exception {
        model = open();
    }

    @AfterEach
    final void closeModel() {
        if (model != null) {
            model.close();
        }
    }

    /** A listener that keeps the pieces and stops after {@code limit} of them. */
    static final class Recorder implements TokenListener {
        final List<String> pieces = new ArrayList<>();
        final int limit;
        int afterStop;

        Recorder(int limit) {
            this.limit = limit;
        }

        @Override
        public synchronized boolean onText(String piece) {
            if (pieces.size() >= limit) {
                afterStop++;
            }
            pieces.add(piece);
            return pieces.size() < limit;
        }

        String joined() {
            return String.join("", pieces);
        }
    }

    private ChatCompletion run(GenerationParams params, Recorder r) {
        return model.chat(conversation(), params, r);
    }

    @Test
    void streamed_pieces_arrive_in_order_and_concatenate_to_the_completion_text() {
        Recorder r = new Recorder(Integer.MAX_VALUE);
        ChatCompletion c = run(params(), r);
        assertTrue(c.text().length() >= 8 && r.pieces.size() >= 3,
                "the conversation must make the model write 8+ characters in 3+ pieces; got " + r.pieces);
        assertEquals(c.text(), r.joined());
        for (String p : r.pieces) {
            assertFalse(p.isEmpty(), "an empty piece was streamed: " + r.pieces);
        }
        assertTrue(c.finishReason() == ChatCompletion.FinishReason.STOP
                || c.finishReason() == ChatCompletion.FinishReason.LENGTH, c.finishReason()::toString);
        assertEquals(c.text(), model.chat(conversation(), params()).text(), "greedy: the same text again");
    }

    @Test
    void a_stop_string_ends_the_text_and_is_neither_returned_nor_streamed() {
        String full = run(params(), new Recorder(Integer.MAX_VALUE)).text();
        assertTrue(full.length() >= 8, () -> "the model wrote too little to test stop strings: '" + full + "'");
        // three characters from the middle of what the model writes; the text ends where they first appear
        int at = full.length() / 2;
        if (Character.isLowSurrogate(full.charAt(at))) {
            at++;
        }
        int end = Math.min(full.length(), at + 3);
        if (end < full.length() && Character.isLowSurrogate(full.charAt(end))) {
            end++;
        }
        String stop = full.substring(at, end);
        String expected = full.substring(0, full.indexOf(stop));

        Recorder r = new Recorder(Integer.MAX_VALUE);
        ChatCompletion c = run(params().withStop(List.of("never written \u0001", stop)), r);
        assertEquals(expected, c.text(), "stop string '" + stop + "'");
        assertEquals(expected, r.joined(), "streamed");
        assertEquals(ChatCompletion.FinishReason.STOP, c.finishReason());
        for (String p : r.pieces) {
            assertFalse(p.contains(stop), () -> "streamed the stop string: " + r.pieces);
        }
    }

    @Test
    void cancelling_stops_the_stream_at_once_and_says_so() {
        Recorder r = new Recorder(2);
        ChatCompletion c = run(params(), r);
        assertEquals(2, r.pieces.size(), () -> "pieces after the listener said stop: " + r.pieces);
        assertEquals(0, r.afterStop);
        assertEquals(ChatCompletion.FinishReason.CANCELLED, c.finishReason());
        assertTrue(c.text().startsWith(r.joined()), () -> "'" + c.text() + "' does not start with what was streamed");
        assertTrue(c.usage().completionTokens() < maxTokens(), "generation went on after cancelling: " + c.usage());
    }

    @Test
    void usage_counts_the_prompt_as_count_prompt_tokens_does_and_the_tokens_written() {
        int counted = model.countPromptTokens(conversation());
        Recorder r = new Recorder(Integer.MAX_VALUE);
        ChatCompletion c = run(params(), r);
        assertEquals(counted, c.usage().promptTokens(), "usage.promptTokens against countPromptTokens");
        assertTrue(c.usage().completionTokens() >= r.pieces.size(), () -> c.usage() + " for pieces " + r.pieces);
        assertTrue(c.usage().completionTokens() <= maxTokens(), c.usage()::toString);
        assertTrue(c.usage().cachedPromptTokens() <= c.usage().promptTokens());
        assertEquals(c.usage().promptTokens() + c.usage().completionTokens(), c.usage().totalTokens());

        int text = model.countTokens(conversation().get(conversation().size() - 1).content());
        assertTrue(text > 0 && text < counted, "a message's tokens " + text + " inside its prompt's " + counted);
        assertEquals(0, model.countTokens(""));
        List<ChatMessage> longer = new ArrayList<>(conversation());
        longer.add(ChatMessage.assistant("Once upon a time."));
        longer.add(ChatMessage.user("And then?"));
        assertTrue(model.countPromptTokens(longer) > counted, "two more messages, more tokens");
    }

    @Test
    void bad_calls_are_typed_errors_and_close_is_idempotent() {
        assertThrows(IllegalArgumentException.class, () -> model.chat(List.of(), params(), TokenListener.NONE));
        int window = model.contextLength();
        assertTrue(window > 0, "context length " + window);
        if (window <= 1_000_000) {
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> model.chat(conversation(), params().withMaxTokens(window), TokenListener.NONE));
            assertTrue(tooLong.getMessage().contains(String.valueOf(window)),
                    () -> "the message should name the window " + window + ": " + tooLong.getMessage());
        }
        assertNotEquals("", model.name());
        model.close();
        model.close();
        assertThrows(IllegalStateException.class, () -> model.chat(conversation(), params(), TokenListener.NONE));
    }
}
