package dev.pocketrag.retrieval.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.testing.ScriptedChatModel;
import dev.pocketrag.retrieval.Answer.LeftOut;
import dev.pocketrag.retrieval.Answer.Passage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The earlier turns of a conversation in the answer prompt. */
class HistoryPackingTest {
    static final long SEED = Long.getLong("pocketrag.seed", 20261202L);

    static String words(String prefix, int n, Random rnd) {
        StringBuilder sb = new StringBuilder(prefix);
        for (int i = 0; i < n; i++) {
            sb.append(" h").append(rnd.nextInt(1000));
        }
        return sb.toString();
    }

    @Test
    void history_packing_never_exceeds_the_window_and_drops_the_oldest_turns_first() {
        System.out.println("HistoryPackingTest seed=" + SEED + " (-Dpocketrag.seed=" + SEED + " repeats it)");
        Random rnd = new Random(SEED);
        int withHistory = 0;
        int withDropped = 0;
        for (int iter = 0; iter < 1500; iter++) {
            int window = 64 + rnd.nextInt(4000);
            int answer = 1 + rnd.nextInt(Math.max(1, window / 3));
            ScriptedChatModel model = ContextPackerTest.wordModel(window);
            List<Passage> candidates = new ArrayList<>();
            for (int i = 1, n = rnd.nextInt(8); i <= n; i++) {
                candidates.add(ContextPackerTest.passage(i, 1 + rnd.nextInt(300), rnd));
            }
            List<PromptBuilder.Exchange> history = new ArrayList<>();
            for (int i = 0, n = rnd.nextInt(10); i < n; i++) {
                history.add(new PromptBuilder.Exchange(words("q" + i, rnd.nextInt(40), rnd),
                        words("a" + i, rnd.nextInt(rnd.nextBoolean() ? 30 : 400), rnd) + " [1]"));
            }
            String question = "question " + "word ".repeat(rnd.nextInt(20));
            ContextPacker.Packed packed;
            try {
                packed = ContextPacker.pack(model, question, candidates, answer, history);
            } catch (IllegalArgumentException e) {
                int bare = model.countPromptTokens(PromptBuilder.messages(question, List.of()));
                assertTrue(bare > window - answer, "iteration " + iter + ": " + e.getMessage());
                continue;
            }
            String ctx = "iteration " + iter + " (seed " + SEED + ")";
            assertTrue(packed.promptTokens() + answer <= window, ctx + ": prompt " + packed.promptTokens()
                    + " + answer " + answer + " > window " + window);
            assertEquals(model.countPromptTokens(packed.messages()), packed.promptTokens(), ctx);
            // the turns kept are the newest ones, in order; every dropped one is reported, oldest first
            List<PromptBuilder.Exchange> kept = packed.history();
            assertEquals(history.subList(history.size() - kept.size(), history.size()), kept, ctx);
            List<LeftOut> turnsOut = packed.leftOut().stream().filter(l -> l.noteId().isEmpty()).toList();
            assertEquals(history.size() - kept.size(), turnsOut.size(), ctx);
            for (int i = 0; i < turnsOut.size(); i++) {
                assertTrue(turnsOut.get(i).title().startsWith("turn " + (i + 1) + ": "), ctx + " " + turnsOut);
            }
            assertEquals(candidates.size(), packed.passages().size() + packed.leftOut().size() - turnsOut.size(), ctx);
            // the messages: system, then a user/assistant pair per kept turn, then the question
            List<ChatMessage> m = packed.messages();
            assertEquals(2 + 2 * kept.size(), m.size(), ctx);
            for (int i = 0; i < kept.size(); i++) {
                assertEquals(ChatMessage.Role.USER, m.get(1 + 2 * i).role(), ctx);
                assertEquals(ChatMessage.Role.ASSISTANT, m.get(2 + 2 * i).role(), ctx);
                assertTrue(!m.get(2 + 2 * i).content().contains("[1]"), "old citation numbers removed: " + ctx);
            }
            withHistory += kept.isEmpty() ? 0 : 1;
            withDropped += turnsOut.isEmpty() ? 0 : 1;
        }
        assertTrue(withHistory > 100 && withDropped > 100, "both cases are exercised: " + withHistory + ", " + withDropped);
    }

    @Test
    void the_prompt_of_the_next_turn_starts_with_the_prompt_of_this_one_up_to_its_last_message() {
        Random rnd = new Random(SEED);
        ScriptedChatModel model = ContextPackerTest.wordModel(8192);
        List<Passage> p = List.of(ContextPackerTest.passage(1, 50, rnd));
        List<PromptBuilder.Exchange> h1 = List.of(new PromptBuilder.Exchange("When is the cut-over?", "On 6 June [1]."));
        List<PromptBuilder.Exchange> h2 = List.of(h1.get(0), new PromptBuilder.Exchange("Who owns it?", "Priya [1]."));
        List<ChatMessage> turn2 = ContextPacker.pack(model, "Who owns it?", p, 100, h1).messages();
        List<ChatMessage> turn3 = ContextPacker.pack(model, "And if it slips?", p, 100, h2).messages();
        assertEquals(turn2.subList(0, turn2.size() - 1), turn3.subList(0, turn2.size() - 1),
                "a stable prefix the engine's KV cache can reuse");
    }
}
