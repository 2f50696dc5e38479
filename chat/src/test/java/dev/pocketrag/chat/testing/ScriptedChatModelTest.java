package dev.pocketrag.chat.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.GenerationParams;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The scripted model obeys the contract (pieces of 1..4 characters from a seeded generator), and its own knobs work. */
class ScriptedChatModelTest extends ChatModelContract {
    static final long SEED = Long.getLong("pocketrag.test.seed", System.nanoTime());

    @BeforeAll
    static void printSeed() {
        System.out.println("ScriptedChatModelTest seed " + SEED + " (replay with -Dpocketrag.test.seed=" + SEED + ")");
    }

    @Override
    protected ChatModel open() {
        return new ScriptedChatModel("scripted", 4096, "Once upon a time there was a cat called Tom. He liked milk.")
                .randomPieces(SEED, 4);
    }

    @Test
    void word_pieces_and_the_prompt_surcharge() {
        ScriptedChatModel m = new ScriptedChatModel("w", 100, "one two three").pieceWords();
        m.promptSurcharge = 2;
        List<String> pieces = new ArrayList<>();
        ChatCompletion c = m.chat(List.of(ChatMessage.user("a b c d")), GenerationParams.greedy().withMaxTokens(2),
                p -> pieces.add(p));
        assertEquals(List.of("one ", "two "), pieces);
        assertEquals(ChatCompletion.FinishReason.LENGTH, c.finishReason());
        assertEquals(11 + 11 / 2, c.usage().promptTokens(), "3 + 4 + 4 words, plus half");
        assertEquals(1, m.calls.size());
    }
}
