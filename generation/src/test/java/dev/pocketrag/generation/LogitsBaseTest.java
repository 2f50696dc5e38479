package dev.pocketrag.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The logits base file: a round trip of random rows (seeded, seed printed; rerun with
 * {@code -Dtests.seed=N}), and a malformed-file table: each case damages a valid file (window 8,
 * vocab 5, 2 chunks: 3 rows a chunk) and must be refused by the reader with a
 * {@link LogitsBaseException} whose message names the offending value; and the base refused when the
 * model, window or text differs (stories260K).
 */
class LogitsBaseTest {
    static final long SEED = Long.getLong("tests.seed", System.nanoTime());
    static final int WINDOW = 8;
    static final int VOCAB = 5;
    static final int CHUNKS = 2;
    static final int ROWS = CHUNKS * (WINDOW - 1 - WINDOW / 2);

    static byte[] valid;
    static int[] tokens;
    static float[][] heads;
    static short[][] codes;

    @TempDir
    static Path dir;

    @BeforeAll
    static void write() throws Exception {
        System.out.println("LogitsBaseTest seed=" + SEED);
        SplittableRandom rnd = new SplittableRandom(SEED);
        tokens = new int[WINDOW * CHUNKS + 3]; // more tokens than the base keeps
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rnd.nextInt(VOCAB);
        }
        heads = new float[ROWS][];
        codes = new short[ROWS][VOCAB];
        Path f = dir.resolve("valid.logits");
        try (LogitsBase.Writer w = new LogitsBase.Writer(f, new LogitsBase.Header(WINDOW, VOCAB, CHUNKS, 0x1234abcd),
                tokens)) {
            for (int r = 0; r < ROWS; r++) {
                heads[r] = new float[] {(float) rnd.nextDouble(0, 16.0 / 65535), (float) -rnd.nextDouble(0, 30),
                        (float) rnd.nextDouble(0, 20)};
                for (int i = 0; i < VOCAB; i++) {
                    codes[r][i] = (short) rnd.nextInt(65536);
                }
                w.row(heads[r][0], heads[r][1], heads[r][2], codes[r]);
            }
            w.finish();
        }
        valid = Files.readAllBytes(f);
    }

    @Test
    void reads_back_what_was_written() throws Exception {
        assertEquals(24 + 4 * WINDOW * CHUNKS + ROWS * (12 + 2 * VOCAB) + 4, valid.length);
        Path f = dir.resolve("valid.logits");
        try (LogitsBase.Reader r = new LogitsBase.Reader(f)) {
            assertEquals(new LogitsBase.Header(WINDOW, VOCAB, CHUNKS, 0x1234abcd), r.header());
            assertArrayEquals(Arrays.copyOf(tokens, WINDOW * CHUNKS), r.tokens());
            short[] c = new short[VOCAB];
            for (int i = 0; i < ROWS; i++) {
                assertArrayEquals(heads[i], r.next(c), "row " + i);
                assertArrayEquals(codes[i], c, "row " + i);
            }
            r.finish(c);
        }
    }

    @Test
    void an_unfinished_base_leaves_no_file_behind() throws Exception {
        Path f = dir.resolve("unfinished.logits");
        try (LogitsBase.Writer w = new LogitsBase.Writer(f, new LogitsBase.Header(WINDOW, VOCAB, 1, 0), tokens)) {
            w.row(0, 0, 0, new short[VOCAB]);
        }
        assertFalse(Files.exists(f));
        try (Stream<Path> s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("unfinished")), "temporary file left");
        }
    }

    static Stream<Arguments> malformed() {
        int tokensEnd = 24 + 4 * WINDOW * CHUNKS;
        int rowBytes = 12 + 2 * VOCAB;
        return Stream.of(
                Arguments.of("empty", (UnaryOperator<byte[]>) b -> new byte[0], "the file has 0 bytes"),
                Arguments.of("truncated in the header", cut(20), "the file has 20 bytes"),
                Arguments.of("truncated in the tokens", cut(40), "the file has 40 bytes"),
                Arguments.of("truncated in a row", cut(tokensEnd + rowBytes + 3), "bytes; the file has "
                        + (tokensEnd + rowBytes + 3)),
                Arguments.of("CRC missing", cut(valid.length - 4), "the file has " + (valid.length - 4)),
                Arguments.of("bytes appended", (UnaryOperator<byte[]>) b -> Arrays.copyOf(b, b.length + 1),
                        "the file has " + (valid.length + 1)),
                Arguments.of("another magic", putInt(0, 0x46554747), "not a logits base (magic 0x46554747"),
                Arguments.of("a later version", putInt(4, 2), "format version 2 at offset 4"),
                Arguments.of("window below the minimum", putInt(8, 3), "window must be in 4..1048576; window=3"),
                Arguments.of("vocab 0", putInt(12, 0), "vocab must be in 1..16777216; vocab=0"),
                Arguments.of("negative chunks", putInt(16, -1), "chunks must be in 1..1048576; chunks=-1"),
                Arguments.of("chunks one more than written", putInt(16, CHUNKS + 1), "the header says window 8, "
                        + "vocab 5 and 3 chunks, which take"),
                Arguments.of("vocab larger than written", putInt(12, 1 << 24), "vocab 16777216 and 2 chunks"),
                Arguments.of("largest window and chunks", both(putInt(8, 1 << 20), putInt(16, 1 << 20)),
                        "window 1048576, vocab 5 and 1048576 chunks, which take 16492651347996 bytes"),
                Arguments.of("a vocabulary past any file", both(putInt(12, 1 << 24), putInt(16, 1 << 20)),
                        "vocab 16777216 and 1048576 chunks, which take"),
                Arguments.of("token id past the vocabulary", putInt(24 + 4 * 3, VOCAB),
                        "token 3 = 5 at offset 36: must be 0..4"),
                Arguments.of("negative token id", putInt(24 + 4 * 9, -7), "token 9 = -7 at offset 60: must be 0..4"),
                Arguments.of("scale NaN", putInt(tokensEnd + rowBytes, Float.floatToRawIntBits(Float.NaN)),
                        "scale NaN at offset " + (tokensEnd + rowBytes)),
                Arguments.of("scale negative", putInt(tokensEnd, Float.floatToRawIntBits(-1f)),
                        "scale -1.0 at offset " + tokensEnd),
                Arguments.of("positive floor", putInt(tokensEnd + 4, Float.floatToRawIntBits(2f)),
                        "minimum log-probability 2.0 at offset " + (tokensEnd + 4)),
                Arguments.of("infinite floor", putInt(tokensEnd + 4, Float.floatToRawIntBits(Float.NEGATIVE_INFINITY)),
                        "minimum log-probability -Infinity"),
                Arguments.of("negative nll", putInt(tokensEnd + 2 * rowBytes + 8, Float.floatToRawIntBits(-0.5f)),
                        "negative log-likelihood -0.5 at offset " + (tokensEnd + 2 * rowBytes + 8)),
                Arguments.of("NaN nll", putInt(tokensEnd + 8, Float.floatToRawIntBits(Float.NaN)),
                        "negative log-likelihood NaN at offset " + (tokensEnd + 8)),
                Arguments.of("a flipped bit in a code", flip(tokensEnd + 3 * rowBytes + 9), "the file is damaged"),
                Arguments.of("a flipped bit in the CRC", flip(valid.length - 1), "the file is damaged"));
    }

    static UnaryOperator<byte[]> cut(int n) {
        return b -> Arrays.copyOf(b, n);
    }

    static UnaryOperator<byte[]> putInt(int at, int v) {
        return b -> {
            byte[] c = b.clone();
            ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
            return c;
        };
    }

    static UnaryOperator<byte[]> both(UnaryOperator<byte[]> a, UnaryOperator<byte[]> b) {
        return x -> b.apply(a.apply(x));
    }

    static UnaryOperator<byte[]> flip(int at) {
        return b -> {
            byte[] c = b.clone();
            c[at] ^= 0x10;
            return c;
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void a_malformed_base_is_refused_naming_the_bad_value(String name, UnaryOperator<byte[]> damage, String expected)
            throws Exception {
        Path f = dir.resolve("bad.logits");
        Files.write(f, damage.apply(valid));
        LogitsBaseException e = assertThrows(LogitsBaseException.class, () -> {
            try (LogitsBase.Reader r = new LogitsBase.Reader(f)) {
                short[] c = new short[VOCAB];
                r.finish(c); // reads every row, then the CRC
            }
        });
        assertTrue(e.getMessage().startsWith("bad.logits: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), () -> name + ": expected \"" + expected + "\" in: " + e.getMessage());
    }

    @Test
    void a_base_of_another_model_window_or_text_is_refused_naming_the_difference() throws Exception {
        Path base = dir.resolve("stories.logits");
        try (Gguf g = Gguf.open(PerplexityTest.stories()); Perplexity p = Perplexity.open(g, 16, 1)) {
            int[] ids = p.tokenize(PerplexityTest.STORY);
            p.measure(ids, 2, base, Perplexity.Progress.NONE);
            int[] other = ids.clone();
            other[21] = other[21] == 100 ? 101 : 100;
            LogitsBaseException e = assertThrows(LogitsBaseException.class,
                    () -> p.compare(other, base, 0, Perplexity.Progress.NONE));
            assertTrue(e.getMessage().startsWith("stories.logits: the text differs from the base's at token 21 "
                    + "(chunk 2, position 5): " + other[21] + " '"), e.getMessage());
            e = assertThrows(LogitsBaseException.class,
                    () -> p.compare(Arrays.copyOf(ids, 20), base, 0, Perplexity.Progress.NONE));
            assertEquals("stories.logits: the base covers 2 chunks of 16 tokens (32 tokens); this text has 20 "
                    + "(another text)", e.getMessage());
            e = assertThrows(LogitsBaseException.class, () -> p.compare(ids, base, 3, Perplexity.Progress.NONE));
            assertEquals("stories.logits: the base has 2 chunks; 3 asked for", e.getMessage());
            try (Perplexity wide = Perplexity.open(g, 32, 1)) {
                e = assertThrows(LogitsBaseException.class, () -> wide.compare(ids, base, 0, Perplexity.Progress.NONE));
                assertEquals("stories.logits: the base was computed with a window of 16 tokens; this run's is 32 "
                        + "(use --ctx 16)", e.getMessage());
            }
            // the random base of the table above: 5 logits per position, stories260K has 512
            e = assertThrows(LogitsBaseException.class,
                    () -> p.compare(ids, dir.resolve("valid.logits"), 0, Perplexity.Progress.NONE));
            assertEquals("valid.logits: the base has 5 logits per position; this model has 512 (another vocabulary)",
                    e.getMessage());
            // the same sizes, another vocabulary: the fingerprint differs
            Path forged = dir.resolve("forged.logits");
            byte[] b = Files.readAllBytes(base);
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(20, 42);
            Files.write(forged, b);
            e = assertThrows(LogitsBaseException.class, () -> p.compare(ids, forged, 0, Perplexity.Progress.NONE));
            assertTrue(e.getMessage().startsWith("forged.logits: the base was computed with another vocabulary of the "
                    + "same size (fingerprint 0x0000002a; this model's is 0x"), e.getMessage());
        }
    }
}
