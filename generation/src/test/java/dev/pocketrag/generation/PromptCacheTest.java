package dev.pocketrag.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.chat.TokenListener;
import dev.pocketrag.generation.gguf.GgmlType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reusing keys and values across calls ({@link GgufChatModel}'s live cache, its saved system turns and
 * the prefix file) gives the logits of a fresh run of the same prompt, bit for bit on models whose
 * batched and one-token passes agree exactly (F32 stories260K and a synthetic all-Q4_K model, see
 * {@code BatchConsistencyTest}); a prompt that differs reuses only the tokens it really shares; a
 * prefix file of another model, context or engine, or a damaged one, is ignored.
 */
class PromptCacheTest {
    private static Path shared;

    static final String SYSTEM = "You tell short stories about a little dog named Max who lives in a red house by"
            + " the sea and loves to play with his ball.";

    @BeforeAll
    static void shared() {
        String s = System.getProperty("pocketrag.shared");
        assumeTrue(s != null && Files.isDirectory(Path.of(s)), "pocketrag.shared is not set: skipping");
        shared = Path.of(s);
    }

    /** stories260K (F32), and a synthetic llama with GQA whose matrices are all Q4_K. */
    static Stream<String> models() {
        return Stream.of("stories260K", "synthetic-q4k");
    }

    private static Path model(String name, Path dir) throws IOException {
        if (name.equals("stories260K")) {
            return shared.resolve("models/stories260K.gguf");
        }
        Path f = dir.resolve("q4k.gguf");
        if (!Files.exists(f)) {
            SyntheticModel.write(new SyntheticModel.Shape("llama", 2, 256, 4, 2, 512, 1024, 10000f, true),
                    shared.resolve("models/stories260K.gguf"), GgmlType.Q4_K, 11, f);
        }
        return f;
    }

    private static GgufChatModel load(Path model, Path cacheDir) throws IOException {
        GgufChatModel.Options o = GgufChatModel.Options.defaults().withContextLength(512).withThreads(2).withSeed(3)
                .withBatchSize(16);
        return GgufChatModel.load(model, cacheDir == null ? o : o.withPromptCache(cacheDir));
    }

    private static List<ChatMessage> ask(String system, String user) {
        return system == null ? List.of(ChatMessage.user(user)) : List.of(ChatMessage.system(system), ChatMessage.user(user));
    }

    /** Logits of a fresh model instance (nothing cached). */
    private static float[] fresh(Path model, List<ChatMessage> messages) throws IOException {
        try (GgufChatModel m = load(model, null)) {
            int[] reused = new int[1];
            float[] l = m.chatLogits(messages, reused);
            assertEquals(0, reused[0]);
            return l;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void a_known_system_prompt_is_reused_after_other_prompts_with_the_logits_of_a_fresh_run(String name,
            @TempDir Path dir) throws IOException {
        Path model = model(name, dir);
        List<ChatMessage> third = ask(SYSTEM, "Tell me how Max found a shell on the beach.");
        int[] reused = new int[1];
        float[] logits;
        int systemTurn;
        try (GgufChatModel m = load(model, null)) {
            int[] head = m.tokenizer().encode(m.chatTemplate().render(List.of(ChatMessage.system(SYSTEM)), false), true, true);
            int[] prompt = m.tokenizer().encode(m.renderPrompt(third), true, true);
            systemTurn = PromptCache.common(head, head.length, prompt, prompt.length);
            assertTrue(systemTurn >= GgufChatModel.MIN_PREFIX, "system turn of " + systemTurn + " tokens");
            m.chatLogits(ask(SYSTEM, "Once upon a time"), reused);
            m.chatLogits(ask(null, "Lily had a cat."), reused); // another client: the live cache moves on
            assertTrue(reused[0] < systemTurn / 2, "the unrelated prompt shares only the template's first tokens: "
                    + reused[0]);
            logits = m.chatLogits(third, reused);
            assertEquals(systemTurn, reused[0], "the saved system turn is reused whole, and nothing else");
            // and chat() reports what it reuses: here the live cache's tokens (the third prompt's, past the system turn)
            List<ChatMessage> fourth = ask(SYSTEM, "What color is the house?");
            int[] next = m.tokenizer().encode(m.renderPrompt(fourth), true, true);
            int live = PromptCache.common(prompt, prompt.length, next, next.length - 1);
            assertTrue(live > systemTurn, live + " tokens shared with the third prompt");
            ChatCompletion c = m.chat(fourth, GenerationParams.greedy().withMaxTokens(3));
            assertEquals(live, c.usage().cachedPromptTokens(), c.usage().toString());
            assertEquals(c.usage().promptTokens() - live, c.timings().promptTokens(), c.timings().toString());
        }
        assertArrayEquals(fresh(model, third), logits, "logits after a reused system turn");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void a_prompt_that_differs_inside_the_saved_prefix_reuses_only_the_tokens_it_shares(String name,
            @TempDir Path dir) throws IOException {
        Path model = model(name, dir);
        String changed = SYSTEM.replace("red house", "blue boat");
        List<ChatMessage> other = ask(changed, "Once upon a time");
        int[] reused = new int[1];
        float[] logits;
        try (GgufChatModel m = load(model, null)) {
            int[] saved = m.tokenizer().encode(m.renderPrompt(ask(SYSTEM, "Lily had a cat.")), true, true);
            m.chatLogits(ask(SYSTEM, "Lily had a cat."), reused);
            m.chatLogits(ask(null, "Lily had a cat."), reused);
            logits = m.chatLogits(other, reused);
            int[] prompt = m.tokenizer().encode(m.renderPrompt(other), true, true);
            int shared = PromptCache.common(saved, saved.length, prompt, prompt.length);
            assertTrue(shared > 4 && shared < saved.length - 10, "the prompts share " + shared + " tokens");
            assertEquals(shared, reused[0], "reused exactly the tokens both prompts start with");
        }
        assertArrayEquals(fresh(model, other), logits, "logits after a partly reused prefix");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void the_earlier_turns_of_a_conversation_are_reused_after_a_call_in_between(String name, @TempDir Path dir)
            throws IOException {
        Path model = model(name, dir);
        List<ChatMessage> second = List.of(ChatMessage.system(SYSTEM), ChatMessage.user("Tell me about Max."),
                ChatMessage.assistant("Max is a little dog who loves his ball."),
                ChatMessage.user("Where does he live? Here are some notes about the house by the sea."));
        List<ChatMessage> third = List.of(second.get(0), second.get(1), second.get(2),
                ChatMessage.user("Where does he live?"), ChatMessage.assistant("In a red house by the sea."),
                ChatMessage.user("What does he play with? More notes about the ball."));
        float[] logits;
        int[] reused = new int[1];
        try (GgufChatModel m = load(model, null)) {
            int[] p2 = m.tokenizer().encode(m.renderPrompt(second), true, true);
            int[] p3 = m.tokenizer().encode(m.renderPrompt(third), true, true);
            int[] earlier = m.tokenizer().encode(m.chatTemplate().render(second.subList(0, 3), false), true, true);
            int expected = PromptCache.common(earlier, earlier.length, p3, p3.length);
            int[] head = m.tokenizer().encode(m.chatTemplate().render(List.of(second.get(0)), false), true, true);
            int systemTurn = PromptCache.common(head, head.length, p2, p2.length);
            assertTrue(expected > systemTurn + 8, "the first exchange is in both prompts: " + expected);
            m.chat(second, GenerationParams.greedy().withMaxTokens(2));
            m.chat(ask("Rewrite the question.", "Lily had a cat."), GenerationParams.greedy().withMaxTokens(2));
            logits = m.chatLogits(third, reused);
            assertEquals(expected, reused[0], "the system turn and the first exchange are reused, of " + p3.length);
        }
        assertArrayEquals(fresh(model, third), logits, "logits after reused earlier turns");
    }

    @Test
    void the_next_turn_of_a_chat_reuses_the_previous_prompt_and_the_reply_tokens_it_shares(@TempDir Path dir)
            throws IOException {
        Path model = model("stories260K", dir);
        try (GgufChatModel m = load(model, null)) {
            List<ChatMessage> history = new java.util.ArrayList<>(ask(SYSTEM, "Tell me about Max."));
            int[] p1 = m.tokenizer().encode(m.renderPrompt(history), true, true);
            GgufChatModel.Generation g = m.generate(p1, GenerationParams.greedy().withMaxTokens(24), TokenListener.NONE);
            history.add(ChatMessage.assistant(g.completion().text()));
            history.add(ChatMessage.user("And then?"));
            int[] p2 = m.tokenizer().encode(m.renderPrompt(history), true, true);
            // the cache holds p1 and every generated token but the last (sampled, never run)
            int[] cache = new int[p1.length + g.tokens().length - 1];
            System.arraycopy(p1, 0, cache, 0, p1.length);
            System.arraycopy(g.tokens(), 0, cache, p1.length, g.tokens().length - 1);
            int expected = PromptCache.common(cache, cache.length, p2, p2.length - 1);
            assertTrue(expected >= p1.length, "the second prompt starts with the first: " + expected);
            ChatCompletion c = m.chat(history, GenerationParams.greedy().withMaxTokens(2));
            assertEquals(expected, c.usage().cachedPromptTokens(), "tokens reused of " + p2.length);
        }
    }

    @Test
    void a_prefix_file_is_read_by_the_next_model_instance(@TempDir Path dir) throws IOException {
        Path model = model("synthetic-q4k", dir);
        Path cache = dir.resolve("prompt-cache");
        try (GgufChatModel m = load(model, cache)) {
            m.chat(ask(SYSTEM, "Once upon a time"), GenerationParams.greedy().withMaxTokens(2));
        }
        Path file = cache.resolve(PromptCache.fileName(model, 512));
        assertTrue(Files.isRegularFile(file), "prefix file written: " + file);
        List<ChatMessage> next = ask(SYSTEM, "Where does Max live?");
        int[] reused = new int[1];
        float[] logits;
        try (GgufChatModel m = load(model, cache)) {
            logits = m.chatLogits(next, reused);
        }
        assertTrue(reused[0] >= GgufChatModel.MIN_PREFIX, "reused " + reused[0]);
        assertArrayEquals(fresh(model, next), logits, "logits after a prefix read from the file");
    }

    /** Ways a prefix file can be unusable, each applied to a valid file. */
    static Stream<org.junit.jupiter.params.provider.Arguments> staleFiles() {
        return Stream.of(
                stale("a flipped bit in the values", b -> flip(b, b.length - 40)),
                stale("a flipped bit in the header", b -> flip(b, 30)),
                stale("truncated", b -> Arrays.copyOf(b, b.length - 100)),
                stale("empty", b -> new byte[0]),
                stale("another format version", b -> withCrc(put(b, 4, 2))),
                stale("another magic", b -> withCrc(put(b, 0, 0x46554747))),
                stale("another context length", b -> withCrc(put(b, 28, 1024))),
                stale("another model size", b -> withCrc(put(b, 8, 12345))),
                stale("another engine", b -> withCrc(engine(b, 'X'))),
                stale("a token count past the data", b -> withCrc(put(b, tokenCountOffset(b), 400))));
    }

    private static org.junit.jupiter.params.provider.Arguments stale(String what, UnaryOperator<byte[]> damage) {
        return org.junit.jupiter.params.provider.Arguments.of(what, damage);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("staleFiles")
    void a_stale_or_damaged_prefix_file_is_ignored_and_replaced(String what, UnaryOperator<byte[]> damage,
            @TempDir Path dir) throws IOException {
        Path model = model("stories260K", dir);
        Path cache = dir.resolve("prompt-cache");
        try (GgufChatModel m = load(model, cache)) {
            m.chat(ask(SYSTEM, "Once upon a time"), GenerationParams.greedy().withMaxTokens(1));
        }
        Path file = cache.resolve(PromptCache.fileName(model, 512));
        byte[] good = Files.readAllBytes(file);
        Files.write(file, damage.apply(good.clone()));
        List<ChatMessage> next = ask(SYSTEM, "Where does Max live?");
        int[] reused = new int[1];
        float[] logits;
        try (GgufChatModel m = load(model, cache)) {
            logits = m.chatLogits(next, reused);
        }
        assertEquals(0, reused[0], what + ": nothing reused");
        assertArrayEquals(fresh(model, next), logits, what);
        assertArrayEquals(good, Files.readAllBytes(file), what + ": the file is written again, as before");
    }

    @Test
    void a_prefix_file_of_a_changed_model_file_is_ignored(@TempDir Path dir) throws IOException {
        Path model = dir.resolve("stories.gguf");
        Files.copy(shared.resolve("models/stories260K.gguf"), model);
        Path cache = dir.resolve("prompt-cache");
        try (GgufChatModel m = load(model, cache)) {
            m.chat(ask(SYSTEM, "Once upon a time"), GenerationParams.greedy().withMaxTokens(1));
        }
        Files.setLastModifiedTime(model, FileTime.fromMillis(Files.getLastModifiedTime(model).toMillis() + 60_000));
        int[] reused = new int[1];
        try (GgufChatModel m = load(model, cache)) {
            m.chatLogits(ask(SYSTEM, "Where does Max live?"), reused);
        }
        assertEquals(0, reused[0], "a model file with another time is another model");
    }

    @Test
    void saved_prefixes_are_dropped_least_recently_used_first_within_the_budget() {
        PromptCache c = new PromptCache(3, 3 * 100);
        SplittableRandom rnd = new SplittableRandom(Long.getLong("pocketrag.test.seed", 1));
        for (int i = 0; i < 4; i++) {
            c.put(prefix(i, 20));
        }
        assertEquals(4, c.size());
        assertEquals(20, c.best(tokens(0, 30), 30).length()); // 0 is now the most recently used
        c.put(prefix(4, 20)); // a fifth: 1, the least recently used, goes
        assertEquals(List.of(2, 3, 0, 4), c.tokens().stream().map(t -> t[0] / 1000).toList());
        c.put(prefix(5, 90)); // 90 of 100 positions: only the newest fits with it
        assertEquals(List.of(5), c.tokens().stream().map(t -> t[0] / 1000).toList());
        c.put(prefix(6, 101)); // larger than the whole budget: not kept
        assertEquals(1, c.size());
        int[] probe = tokens(5, 95);
        probe[40 + rnd.nextInt(10)] = -1;
        PromptCache.Match m = c.best(probe, probe.length);
        assertTrue(m.length() >= 40 && m.length() < 50, "stops at the first different token: " + m.length());
        assertTrue(c.holds(tokens(5, 90), 90));
        assertFalse(c.holds(tokens(5, 90), 89));
        assertThrows(IllegalArgumentException.class, () -> c.put(new PromptCache.Prefix(new int[2], new short[5])));
    }

    @Test
    void usage_rejects_more_cached_tokens_than_the_prompt_has() {
        assertEquals(0, new ChatCompletion.Usage(5, 1).cachedPromptTokens());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ChatCompletion.Usage(5, 1, 6));
        assertTrue(e.getMessage().contains("cachedPromptTokens=6"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ChatCompletion.Usage(5, 1, -1));
    }

    private static int[] tokens(int id, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = id * 1000 + i;
        }
        return t;
    }

    private static PromptCache.Prefix prefix(int id, int n) {
        return new PromptCache.Prefix(tokens(id, n), new short[3 * n]);
    }

    private static byte[] flip(byte[] b, int at) {
        b[at] ^= 0x10;
        return b;
    }

    private static byte[] put(byte[] b, int at, int value) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, value);
        return b;
    }

    private static byte[] engine(byte[] b, char first) {
        b[38] = (byte) first; // the first byte of the engine text (after its 2-byte length at 36)
        return b;
    }

    private static int tokenCountOffset(byte[] b) {
        int len = Short.toUnsignedInt(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getShort(36));
        return 38 + len;
    }

    private static byte[] withCrc(byte[] b) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b, 0, b.length - 4);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length - 4, (int) crc.getValue());
        return b;
    }
}
