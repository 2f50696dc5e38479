package dev.pocketrag.retrieval.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.retrieval.Answer.Passage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.ToIntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class FocusedPassagesTest {
    static final long SEED = Long.getLong("pocketrag.seed", 20261202L);

    /** One token per word. */
    static final ToIntFunction<String> WORDS = t -> t.isBlank() ? 0 : t.strip().split("\\s+").length;

    /**
     * An embedder for tests: a text's vector is its words hashed into 64 buckets, unit length, so
     * sentences sharing words with the question are close to it; words listed in {@code unlike}
     * push a text away from everything else.
     */
    record BagOfWords(List<String> unlike) implements Embedder {
        BagOfWords() {
            this(List.of());
        }

        @Override
        public float[] embed(String text) {
            float[] v = new float[64];
            for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
                if (!w.isEmpty()) {
                    v[Math.floorMod(w.hashCode(), 60)] += 1;
                    if (unlike.contains(w)) {
                        v[60 + Math.floorMod(w.hashCode(), 4)] += 50;
                    }
                }
            }
            double n = 0;
            for (float x : v) {
                n += x * x;
            }
            for (int i = 0; i < v.length; i++) {
                v[i] = n == 0 ? 0 : (float) (v[i] / Math.sqrt(n));
            }
            return v;
        }

        @Override
        public Embedding embedWithInfo(String text) {
            return new Embedding(embed(text), 1, 1);
        }

        @Override
        public List<float[]> embedAll(List<String> texts) {
            return texts.stream().map(this::embed).toList();
        }

        @Override
        public int dimension() {
            return 64;
        }

        @Override
        public int maxTokens() {
            return 256;
        }

        @Override
        public String modelId() {
            return "bag-of-words";
        }

        @Override
        public int countTokens(String text) {
            return WORDS.applyAsInt(text);
        }

        @Override
        public void close() {}
    }

    static final BagOfWords EMBEDDER = new BagOfWords();

    /** A passage of sentences "sN filler ..." numbered from {@code first}, one per line or several per line. */
    static Passage passage(int n, String noteId, int first, int count, Random rnd, String... special) {
        StringBuilder sb = new StringBuilder("# Title " + noteId + "\n\n");
        for (int i = 0; i < count; i++) {
            int id = first + i;
            sb.append(i < special.length && special[i] != null ? special[i] : "S" + id + " " + filler(rnd) + ".");
            sb.append(rnd.nextInt(3) == 0 ? "\n" : " ");
        }
        String text = sb.toString().strip();
        return new Passage(n, noteId, "Title " + noteId, "", text, 100, 100 + text.length(), 0.4);
    }

    static String filler(Random rnd) {
        String[] words = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
                "kilo", "lima", "mike", "november", "oscar", "papa"};
        StringBuilder sb = new StringBuilder();
        int n = 4 + rnd.nextInt(12);
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(words[rnd.nextInt(words.length)]);
        }
        return sb.toString();
    }

    static final Pattern ID = Pattern.compile("\\bS(\\d+)\\b");

    static List<Integer> ids(String text) {
        List<Integer> out = new ArrayList<>();
        Matcher m = ID.matcher(text);
        while (m.find()) {
            out.add(Integer.parseInt(m.group(1)));
        }
        return out;
    }

    @Test
    void focused_prompts_never_exceed_the_window_keep_order_and_mark_every_cut() {
        System.out.println("seed=" + SEED);
        Random rnd = new Random(SEED);
        for (int iter = 0; iter < 300; iter++) {
            String ctx = "iteration " + iter + " (seed " + SEED + ")";
            List<Passage> candidates = new ArrayList<>();
            int count = 1 + rnd.nextInt(8);
            for (int i = 0; i < count; i++) {
                candidates.add(passage(i + 1, "note-" + i, 1000 * i, 1 + rnd.nextInt(40), rnd));
            }
            String question = "what about " + filler(rnd) + "?";
            List<Passage> focused = FocusedPassages.focus(EMBEDDER, question, EMBEDDER.embedQuery(question), candidates,
                    WORDS);
            assertEquals(candidates.size(), focused.size(), ctx + ": one passage per chunk (no chunks overlap here)");
            for (int i = 0; i < focused.size(); i++) {
                Passage f = focused.get(i);
                Passage c = candidates.get(i);
                assertEquals(c.noteId(), f.noteId(), ctx + ": rank order kept");
                List<Integer> shown = ids(f.text());
                List<Integer> all = ids(c.text());
                assertFalse(shown.isEmpty(), ctx + ": every passage keeps at least its best sentence");
                for (int k = 1; k < shown.size(); k++) {
                    assertTrue(shown.get(k) > shown.get(k - 1), ctx + ": sentence order kept: " + f.text());
                }
                // a cut between two shown sentences, before the first or after the last is marked
                for (int k = 0; k <= shown.size(); k++) {
                    int before = k == 0 ? all.get(0) - 1 : shown.get(k - 1);
                    int after = k == shown.size() ? all.get(all.size() - 1) + 1 : shown.get(k);
                    String between = between(f.text(), k == 0 ? null : "S" + before, k == shown.size() ? null : "S" + after);
                    assertEquals(after - before > 1, between.contains(FocusedPassages.CUT),
                            ctx + ": S" + before + " .. S" + after + " in: " + f.text());
                }
                // the span shown is in the note where the passage says
                String body = " ".repeat(c.start()) + c.text(); // the passage's note body, as far as we know it
                String span = body.substring(f.start(), f.end());
                String inner = f.text().replaceFirst("^… ", "").replaceFirst(" …$", "");
                assertTrue(span.startsWith(inner.substring(0, 3)) && span.endsWith(inner.substring(inner.length() - 3)),
                        ctx + ": " + span + " vs " + f.text());
            }
            int window = 80 + rnd.nextInt(3000);
            int answer = 1 + rnd.nextInt(60);
            ContextPacker.Packed packed;
            try {
                packed = ContextPacker.pack(ContextPackerTest.wordModel(window), question, focused, answer);
            } catch (IllegalArgumentException e) {
                continue; // not even the question fits; ContextPackerTest covers that
            }
            assertTrue(packed.promptTokens() + answer <= window, ctx + ": over the window");
            assertEquals(focused.size(), packed.passages().size() + packed.leftOut().size(), ctx);
        }
    }

    /** The text between the first occurrence of {@code from} (null: start) and {@code to} (null: end). */
    static String between(String text, String from, String to) {
        Matcher a = from == null ? null : Pattern.compile("\\b" + from + "\\b").matcher(text);
        int s = 0;
        if (a != null) {
            assertTrue(a.find());
            s = a.end();
        }
        int e = text.length();
        if (to != null) {
            Matcher b = Pattern.compile("\\b" + to + "\\b").matcher(text);
            assertTrue(b.find(s));
            e = b.start();
        }
        // only the text after the sentence from's own words: up to the next sentence id or cut
        return text.substring(s, e).replaceAll("^[^.…]*\\.", "");
    }

    /** {@code count} sentences "S1 ...", "S2 ...", one per line; {@code special} replaces sentence i+1. */
    static Passage numbered(String noteId, int count, Map<Integer, String> special, String everyOther, Random rnd) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= count; i++) {
            sb.append(special.getOrDefault(i, "S" + i + " " + everyOther + filler(rnd) + ".")).append('\n');
        }
        String text = sb.toString();
        return new Passage(1, noteId, "Title " + noteId, "", text, 0, text.length(), 0.4);
    }

    @Test
    void keeps_the_sentence_with_the_query_terms_even_when_its_meaning_scores_low() {
        Random rnd = new Random(SEED);
        String needle = "S50 the car insurance renewal is on 1 September.";
        // every other sentence is closer in meaning (it says "date"), and there are more than the budget holds
        Passage p = numbered("a", 120, Map.of(50, needle), "date date ", rnd);
        // this embedder pushes texts with "insurance" away from everything, the question aside
        BagOfWords pushing = new BagOfWords(List.of("insurance"));
        String q = "car insurance renewal date";
        List<Passage> f = FocusedPassages.focus(pushing, q, EMBEDDER.embedQuery(q), List.of(p), WORDS);
        assertTrue(f.get(0).text().contains(needle), f.get(0).text());
        assertTrue(f.get(0).text().contains(FocusedPassages.CUT), "the rest is cut: " + f.get(0).text());
    }

    @Test
    void the_best_sentence_comes_with_its_neighbours() {
        Random rnd = new Random(SEED);
        Passage p = numbered("a", 120, Map.of(60, "S60 kyoto hotel booking reference KX-4471."), "", rnd);
        String q = "kyoto hotel booking reference";
        String text = FocusedPassages.focus(EMBEDDER, q, EMBEDDER.embedQuery(q), List.of(p), WORDS).get(0).text();
        assertTrue(ids(text).containsAll(List.of(59, 60, 61)), text);
        assertTrue(text.contains(FocusedPassages.CUT), "the rest is cut: " + text);
    }

    @Test
    void a_kept_sentence_brings_the_heading_it_stands_under() {
        String text = "# Allergies\n\n**Me**\n- Penicillin: hives as a child, tell every doctor and dentist.\n"
                + "- Hay fever from April to June, worst in May, cetirizine at night.\n"
                + "- Cats make my eyes itchy after an hour or so at a friend's flat.\n\n"
                + "**Tomás**\n- Shellfish, prawns and crab: throat swelling, he carries an EpiPen.\n"
                + "- Fish is fine, dashi is usually fine, but ask about shrimp in tempura.\n\n"
                + "**Pimenta**\n- Chicken makes her itchy, salmon-based food only for the dog.\n";
        Passage p = new Passage(1, "allergies", "Allergies", "", text, 0, text.length(), 0.5);
        // a long passage ranked first spends the budget, so the note keeps little more than its best line
        Passage big = numbered("big", 120, Map.of(), "shellfish prawns ", new Random(SEED));
        String q = "shellfish prawns crab EpiPen";
        Passage f = FocusedPassages.focus(EMBEDDER, q, EMBEDDER.embedQuery(q), List.of(big, p), WORDS).get(1);
        assertTrue(f.text().contains("**Tomás**\n- Shellfish, prawns and crab"), f.text());
        assertFalse(f.text().contains("Penicillin"), f.text());
        // the span in the note starts at the heading shown first and ends after the last sentence shown
        String shown = text.substring(f.start(), f.end());
        assertTrue(shown.startsWith("**Tomás**"), shown + "\n---\n" + f.text());
    }

    @Test
    void a_short_passage_is_kept_whole() {
        Random rnd = new Random(SEED);
        // a long passage ranked first spends the budget, so only the rule keeps the short one whole
        Passage big = numbered("big", 120, Map.of(), "dentist appointment ", rnd);
        String text = "Dentist on 14 March at 09:30 with Dr. Sousa. Bring the X-rays. Cancel a day ahead.";
        Passage small = new Passage(2, "dentist", "Dentist", "", text, 40, 40 + text.length(), 0.5);
        String q = "dentist appointment";
        List<Passage> f = FocusedPassages.focus(EMBEDDER, q, EMBEDDER.embedQuery(q), List.of(big, small), WORDS);
        assertTrue(f.get(0).text().contains(FocusedPassages.CUT), "the long one is cut: " + f.get(0).text());
        assertEquals(small, f.get(1));
    }

    @Test
    void overlapping_chunks_of_one_note_are_joined_and_no_sentence_is_shown_twice() {
        String body = "S1 alpha bravo charlie delta. S2 echo foxtrot golf hotel. S3 india juliet kilo lima. "
                + "S4 mike november oscar papa. S5 alpha echo india mike.";
        int cut1 = body.indexOf("S4");
        int cut2 = body.indexOf("S2");
        Passage first = new Passage(1, "n", "N", "", body.substring(cut2), cut2, body.length(), 0.3);
        Passage other = new Passage(2, "m", "M", "", "S9 unrelated words here.", 0, 24, 0.2);
        Passage second = new Passage(3, "n", "N", "", body.substring(0, cut1), 0, cut1, 0.6);
        List<Passage> merged = FocusedPassages.merge(List.of(first, other, second));
        assertEquals(2, merged.size());
        assertEquals(body, merged.get(0).text());
        assertEquals(0, merged.get(0).start());
        assertEquals(body.length(), merged.get(0).end());
        assertEquals(0.6, merged.get(0).similarity());
        assertEquals("m", merged.get(1).noteId());
    }

    @Test
    void focused_blocks_carry_the_title_and_the_date() {
        Random rnd = new Random(SEED);
        Passage undatedPassage = passage(1, "a", 1, 40, rnd);
        Passage p = new Passage(1, "a", undatedPassage.title(), "", undatedPassage.text(), undatedPassage.start(),
                undatedPassage.end(), undatedPassage.similarity(), "2026-04-29");
        String q = "alpha bravo";
        List<Passage> f = FocusedPassages.focus(EMBEDDER, q, EMBEDDER.embedQuery(q), List.of(p), WORDS);
        assertTrue(f.get(0).text().contains(FocusedPassages.CUT), "focused: " + f.get(0).text());
        assertEquals("2026-04-29", f.get(0).date(), "focusing keeps the note's date");
        ContextPacker.Packed packed = ContextPacker.pack(ContextPackerTest.wordModel(4096), q, f, 100);
        String user = packed.messages().get(1).content();
        assertTrue(user.contains("<note n=\"1\" title=\"Title a\" date=\"2026-04-29\">\n"), user);
        List<Passage> u = FocusedPassages.focus(EMBEDDER, q, EMBEDDER.embedQuery(q), List.of(undatedPassage), WORDS);
        List<ChatMessage> undated = ContextPacker.pack(ContextPackerTest.wordModel(4096), q, u, 100).messages();
        assertFalse(undated.get(1).content().contains("date="), "no date when the note's is unknown");
    }
}
