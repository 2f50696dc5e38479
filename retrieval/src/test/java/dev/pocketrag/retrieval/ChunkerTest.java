package dev.pocketrag.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.index.Chunk;
import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.Note;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;

class ChunkerTest {

    private static final Chunker SMALL = new Chunker(ChunkerTest::countTokens, 20, 6);

    @Test
    void short_body_is_one_chunk_with_title_as_context() {
        List<Chunk> c = new Chunker(ChunkerTest::countTokens).split("My title", "One sentence. Two sentences.");
        assertEquals(1, c.size());
        assertEquals(new Chunk(0, 0, 28, "One sentence. Two sentences.", "My title\nOne sentence. Two sentences."), c.get(0));
    }

    @Test
    void empty_body_gives_one_empty_chunk_embedding_the_title() {
        assertEquals(List.of(new Chunk(0, 0, 0, "", "Title")), SMALL.split("  Title ", "  \n "));
        assertEquals(List.of(new Chunk(0, 0, 0, "", "")), SMALL.split("", ""));
    }

    @Test
    void splits_at_sentence_ends_and_overlaps_by_whole_sentences() {
        // each sentence: 4 words + "." = 5 tokens; budget 20 - 2 specials = 18 -> 3 sentences a chunk
        String body = "Aa bb cc dd. Ee ff gg hh. Ii jj kk ll. Mm nn oo pp. Qq rr ss tt.";
        List<Chunk> c = SMALL.split("", body);
        assertEquals("Aa bb cc dd. Ee ff gg hh. Ii jj kk ll.", c.get(0).text());
        // overlap 6 tokens: the last sentence (5 tokens) of chunk 0 starts chunk 1
        assertEquals("Ii jj kk ll. Mm nn oo pp. Qq rr ss tt.", c.get(1).text());
        assertEquals(2, c.size());
        assertEquals(body.indexOf("Ii"), c.get(1).start());
    }

    @Test
    void line_breaks_end_pieces_too() {
        List<Chunk> c = new Chunker(ChunkerTest::countTokens, 11, 0).split("", "aa bb cc dd ee\nff gg hh ii jj\nkk");
        assertEquals(List.of("aa bb cc dd ee", "ff gg hh ii jj\nkk"), c.stream().map(Chunk::text).toList());
    }

    @Test
    void cuts_an_overlong_sentence_between_words_and_a_giant_word_between_characters() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            sb.append("w").append(i).append(' ');
        }
        String giant = "x".repeat(30) + "-" + "y".repeat(30) + "-" + "z".repeat(30); // 5 tokens, but see below
        String body = sb + giant + " tail";
        Chunker chunker = new Chunker(ChunkerTest::countTokens, 12, 2);
        List<Chunk> c = chunker.split("", body);
        checkInvariants(chunker, "", body, c);
        assertTrue(c.size() >= 5, "50 words in chunks of at most 10 tokens: " + c.size());
        // a "word" that the counter sees as many tokens: punctuation every other character
        String punct = "a.".repeat(40);
        List<Chunk> p = chunker.split("", punct);
        checkInvariants(chunker, "", punct, p);
        assertTrue(p.size() >= 8, "80 tokens in chunks of at most 10: " + p.size());
    }

    @Test
    void never_cuts_a_surrogate_pair() {
        String emoji = "\uD83D\uDE00"; // one code point, two chars; the test counter counts it as 1 token
        String body = (emoji + ".").repeat(40);
        Chunker chunker = new Chunker(ChunkerTest::countTokens, 12, 0);
        List<Chunk> c = chunker.split("", body);
        checkInvariants(chunker, "", body, c);
        for (Chunk k : c) {
            assertFalse(Character.isLowSurrogate(body.charAt(k.start())), "chunk starts inside a pair: " + k);
            assertFalse(Character.isHighSurrogate(body.charAt(k.end() - 1)), "chunk ends inside a pair: " + k);
        }
    }

    @Test
    void drops_the_title_prefix_when_it_would_take_more_than_half_the_budget() {
        String longTitle = "t ".repeat(40);
        List<Chunk> c = SMALL.split(longTitle, "Short body.");
        assertEquals("Short body.", c.get(0).embeddingText());
    }

    @Test
    void random_bodies_keep_every_invariant() {
        long seed = Long.getLong("test.seed", System.nanoTime());
        System.out.println("ChunkerTest seed: -Dtest.seed=" + seed);
        Random rnd = new Random(seed);
        AtomicInteger calls = new AtomicInteger();
        for (int iter = 0; iter < 300; iter++) {
            int max = 10 + rnd.nextInt(60);
            int overlap = rnd.nextInt((max - 3) / 2);
            Chunker chunker = new Chunker(s -> {
                calls.incrementAndGet();
                return countTokens(s);
            }, max, overlap);
            String title = rnd.nextInt(3) == 0 ? "" : words(rnd, 1 + rnd.nextInt(6));
            StringBuilder body = new StringBuilder();
            int pieces = rnd.nextInt(30);
            for (int p = 0; p < pieces; p++) {
                switch (rnd.nextInt(6)) {
                    case 0 -> body.append("\n\n");
                    case 1 -> body.append("a,b;c".repeat(1 + rnd.nextInt(30))).append(' ');
                    case 2 -> body.append("  ").append(words(rnd, 1 + rnd.nextInt(80))).append("  ");
                    default -> body.append(words(rnd, 1 + rnd.nextInt(12))).append(' ');
                }
            }
            String b = body.toString();
            checkInvariants(chunker, title, b, chunker.split(title, b));
        }
    }

    /** Budget, offsets, order, coverage of every non-space character, bounded overlap. */
    private static void checkInvariants(Chunker chunker, String title, String body, List<Chunk> chunks) {
        checkInvariants(chunker, ChunkerTest::countTokens, body, chunks);
    }

    private static void checkInvariants(Chunker chunker, ToIntFunction<String> counter, String body,
            List<Chunk> chunks) {
        assertFalse(chunks.isEmpty());
        boolean[] covered = new boolean[body.length()];
        int prevStart = -1;
        for (int i = 0; i < chunks.size(); i++) {
            Chunk c = chunks.get(i);
            assertEquals(i, c.ordinal());
            assertEquals(body.substring(c.start(), c.end()), c.text());
            assertTrue(c.embeddingText().endsWith(c.text()));
            int tokens = counter.applyAsInt(c.embeddingText());
            assertTrue(tokens <= chunker.maxTokens(),
                    "chunk " + i + " has " + tokens + " tokens > " + chunker.maxTokens() + ": " + c);
            assertTrue(c.start() > prevStart || (chunks.size() == 1), "chunks must move forward: " + c);
            assertTrue(c.text().length() <= chunker.maxTokens() * Chunker.MAX_CHARS_PER_TOKEN, "chunk too long: " + i);
            prevStart = c.start();
            for (int k = c.start(); k < c.end(); k++) {
                covered[k] = true;
            }
        }
        for (int k = 0; k < body.length(); k++) {
            if (!Character.isWhitespace(body.charAt(k))) {
                assertTrue(covered[k], "character " + k + " ('" + body.charAt(k) + "') is in no chunk");
            }
        }
    }

    @Test
    void rejects_budgets_out_of_range_naming_the_value() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Chunker(ChunkerTest::countTokens, 5, 0));
        assertEquals("maxTokens=5, must be in [10, 1000000] (the counter has 2 special tokens)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Chunker(ChunkerTest::countTokens, 20, 9));
        assertEquals("overlapTokens=9, must be in [0, 8] for maxTokens=20", e.getMessage());
    }

    /**
     * Like a word-piece tokenizer: 2 special tokens; a run of letters or digits is one token per 3
     * characters, or a single unknown-word token when longer than 100 characters (as BERT's
     * WordPiece: so a longer text can have fewer tokens); any other non-space character one token.
     */
    static int wordPieces(String s) {
        int n = 2;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (Character.isLetterOrDigit(c)) {
                int j = i;
                while (j < s.length() && Character.isLetterOrDigit(s.charAt(j))) {
                    j++;
                }
                n += j - i > 100 ? 1 : (j - i + 2) / 3;
                i = j;
            } else {
                i++;
                n++;
            }
        }
        return n;
    }

    /**
     * A counter that adds the characters it is given to {@code read} and fails once they pass
     * {@code limit}: chunking that is not linear in the text fails here at once, without a timer.
     */
    static ToIntFunction<String> charged(ToIntFunction<String> counter, AtomicLong read, long limit) {
        return s -> {
            if (read.addAndGet(s.length()) > limit) {
                throw new AssertionError("the chunker has read " + read.get() + " characters, more than " + limit);
            }
            return counter.applyAsInt(s);
        };
    }

    /** Seeded random characters of {@code alphabet}. */
    static String random(Random rnd, String alphabet, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    static final String BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    @Test
    void text_without_whitespace_is_chunked_reading_each_character_a_bounded_number_of_times() {
        long seed = Long.getLong("test.seed", System.nanoTime());
        System.out.println("ChunkerTest seed: -Dtest.seed=" + seed);
        Random rnd = new Random(seed);
        StringBuilder cjk = new StringBuilder();
        for (int i = 0; i < 300_000; i++) {
            cjk.appendCodePoint(0x4E00 + rnd.nextInt(0x5000));
            if (i % 50 == 49) {
                cjk.append(rnd.nextBoolean() ? "\uD83D\uDE00" : "\u3002"); // an emoji or an ideographic full stop
            }
        }
        // the old chunker took minutes on 100 KB of these (its fit search re-read the rest of the word)
        List<String> bodies = List.of(
                random(rnd, BASE64, 1_000_000), // a pasted image
                "a.".repeat(500_000),
                "x".repeat(1_000_000), // unknown-word tokens: a run's count falls past 100 letters
                cjk.toString(),
                "one " + "word".repeat(250_000) + " two",
                "Words. " + random(rnd, BASE64 + "          ", 1_000_000));
        for (String body : bodies) {
            for (ToIntFunction<String> counter : List.<ToIntFunction<String>>of(ChunkerTest::wordPieces,
                    ChunkerTest::countTokens)) {
                AtomicLong read = new AtomicLong();
                Chunker chunker = new Chunker(charged(counter, read, 40L * body.length()), 256, 32);
                List<Chunk> chunks = chunker.split("A title", body);
                checkInvariants(chunker, counter, body, chunks);
                System.out.printf("%,d characters starting %s: %,d chunks, %.1f characters read per character%n",
                        body.length(), body.substring(0, 12), chunks.size(), read.get() / (double) body.length());
            }
        }
    }

    @Test
    void eight_megabytes_of_mixed_text_are_chunked_in_linear_work() {
        long seed = Long.getLong("test.seed", System.nanoTime());
        System.out.println("ChunkerTest seed: -Dtest.seed=" + seed);
        Random rnd = new Random(seed);
        StringBuilder sb = new StringBuilder(8 << 20);
        while (sb.length() < 8 << 20) {
            switch (rnd.nextInt(5)) {
                case 0 -> sb.append(words(rnd, 5 + rnd.nextInt(200))).append(". ");
                case 1 -> sb.append("![img](data:image/png;base64,").append(random(rnd, BASE64, rnd.nextInt(300_000))).append(")\n");
                case 2 -> sb.append("a.".repeat(rnd.nextInt(50_000))).append('\n');
                case 3 -> sb.append(words(rnd, 1 + rnd.nextInt(20))).append("\n\n");
                default -> sb.append(random(rnd, "ab,;. \n", rnd.nextInt(20_000)));
            }
        }
        String body = sb.toString();
        AtomicLong read = new AtomicLong();
        Chunker chunker = new Chunker(charged(ChunkerTest::wordPieces, read, 40L * body.length()), 256, 32);
        List<Chunk> chunks = chunker.split("Eight megabytes", body);
        checkInvariants(chunker, ChunkerTest::wordPieces, body, chunks);
        System.out.printf("%,d characters: %,d chunks, %.1f characters read per character%n", body.length(),
                chunks.size(), read.get() / (double) body.length());
    }

    @Test
    void chunk_and_embed_gives_each_chunk_the_vector_of_its_embedding_text_in_batches() {
        Instant t = Instant.EPOCH;
        List<Note> notes = List.of(
                new Note("a", "T".repeat(Note.MAX_TITLE_LENGTH + 5), words(new Random(1), 60), List.of(), "", t, t),
                new Note("b", "", "", List.of(), "", t, t),
                new Note("c", "Short", words(new Random(2), 30), List.of(), "", t, t));
        List<String> seen = new ArrayList<>();
        List<Integer> batches = new ArrayList<>();
        List<int[]> progress = new ArrayList<>();
        List<ChunkedNote> out = SMALL.chunkAndEmbed(notes, texts -> {
            batches.add(texts.size());
            seen.addAll(texts);
            // vector: the text's index among all texts embedded, and its length
            List<float[]> vs = new ArrayList<>();
            for (String x : texts) {
                vs.add(new float[] {seen.size() - texts.size() + vs.size(), x.length()});
            }
            return vs;
        }, 4, (done, total) -> progress.add(new int[] {done, total}));

        assertEquals(3, out.size());
        assertEquals(Note.MAX_TITLE_LENGTH, out.get(0).note().title().length(), "the title is bounded as on add");
        int k = 0;
        for (int n = 0; n < out.size(); n++) {
            ChunkedNote cn = out.get(n);
            assertEquals(SMALL.split(notes.get(n).withBoundedTitle()), cn.chunks());
            for (int c = 0; c < cn.chunks().size(); c++) {
                assertEquals(k, (int) cn.vectors().get(c)[0], "vectors in chunk order");
                assertEquals(cn.chunks().get(c).embeddingText(), seen.get(k));
                k++;
            }
        }
        assertEquals(seen.size(), k);
        for (int i = 0; i < batches.size(); i++) {
            assertEquals(Math.min(4, seen.size() - 4 * i), batches.get(i));
            assertEquals(4 * i, progress.get(i)[0]);
        }
        assertEquals(batches.size() + 1, progress.size(), "told before each batch and at the end");
        assertEquals(seen.size(), progress.get(progress.size() - 1)[0]);
        assertEquals(seen.size(), progress.get(0)[1]);
    }

    @Test
    void chunk_and_embed_stops_when_progress_gives_up_and_rejects_a_short_answer() {
        Instant t = Instant.EPOCH;
        List<Note> notes = List.of(new Note("a", "", words(new Random(3), 80), List.of(), "", t, t));
        AtomicInteger embedded = new AtomicInteger();
        assertThrows(java.util.concurrent.CancellationException.class, () -> SMALL.chunkAndEmbed(notes, texts -> {
            embedded.addAndGet(texts.size());
            return texts.stream().map(x -> new float[] {1}).toList();
        }, 2, (done, total) -> {
            if (done >= 2) {
                throw new java.util.concurrent.CancellationException("stop");
            }
        }));
        assertEquals(2, embedded.get());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> SMALL.chunkAndEmbed(notes, texts -> List.of(), 2, null));
        assertTrue(e.getMessage().contains("0 vectors for 2 texts"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SMALL.chunkAndEmbed(notes, texts -> List.of(), 0, null));
    }

    /**
     * A stand-in for a word-piece tokenizer: 2 special tokens plus one token per run of letters or
     * digits and one per other non-space character.
     */
    static int countTokens(String s) {
        int n = 2;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (Character.isLetterOrDigit(c)) {
                while (i < s.length() && Character.isLetterOrDigit(s.charAt(i))) {
                    i++;
                }
                n++;
            } else {
                i++;
                n++;
            }
        }
        return n;
    }

    /** {@code n} seeded words from a small vocabulary, a full stop after every ninth and at the end. */
    static String words(Random rnd, int n) {
        String[] vocab = {"alpha", "beta", "gamma", "delta", "river", "mountain", "cloud", "engine", "protein",
            "market", "garden", "signal", "window", "quartz", "violin", "harbor", "lantern", "meadow"};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(i % 9 == 0 ? ". " : " ");
            }
            sb.append(vocab[rnd.nextInt(vocab.length)]);
        }
        return sb.append('.').toString();
    }
}
