package dev.pocketrag.retrieval.internal;

import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.retrieval.Answer.LeftOut;
import dev.pocketrag.retrieval.Answer.Passage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Chooses the passages that fit in the chat model's window.
 *
 * <p>Budget: {@code contextLength - maxAnswerTokens} tokens for the whole rendered prompt
 * (template, system message, passages, question), counted with the model's own tokenizer.
 * Passages are considered highest-ranked first and taken whole or not at all: one that does not
 * fit is reported in {@code leftOut} with its size and the room left, and smaller lower-ranked
 * ones may still fit after it. The final prompt is counted again as rendered, and the lowest
 * ranked passages are dropped (and reported) until it fits, so the budget holds even where token
 * counts are not additive.
 */
public final class ContextPacker {
    private ContextPacker() {}

    /**
     * What goes into the prompt.
     *
     * @param passages the passages given to the model, numbered 1..n in rank order
     * @param leftOut the candidates that did not fit
     * @param messages the rendered messages
     * @param promptTokens the tokens of {@code messages} as the model counts them
     */
    public record Packed(List<Passage> passages, List<LeftOut> leftOut, List<ChatMessage> messages,
            int promptTokens) {}

    /**
     * @param candidates passages in rank order (their {@code n} is ignored and reassigned)
     * @throws IllegalArgumentException if not even the question fits (the message gives the sizes)
     */
    public static Packed pack(ChatModel model, String question, List<Passage> candidates, int maxAnswerTokens) {
        return pack(model, question, candidates, maxAnswerTokens, Map.of());
    }

    /**
     * @param candidates passages in rank order (their {@code n} is ignored and reassigned)
     * @param dates the date shown with a note, by note id ({@link PromptBuilder#messages(String, List, Map)})
     * @throws IllegalArgumentException if not even the question fits (the message gives the sizes)
     */
    public static Packed pack(ChatModel model, String question, List<Passage> candidates, int maxAnswerTokens,
            Map<String, String> dates) {
        int window = model.contextLength();
        int budget = window - maxAnswerTokens;
        if (budget <= 0) {
            throw new IllegalArgumentException("the answer budget of " + maxAnswerTokens
                    + " tokens leaves no room for a prompt in the model's " + window + "-token window");
        }
        int base = model.countPromptTokens(PromptBuilder.messages(question, List.of()));
        if (base > budget) {
            throw new IllegalArgumentException("the question needs " + base + " prompt tokens, but the model's "
                    + window + "-token window minus " + maxAnswerTokens + " answer tokens leaves " + budget);
        }
        List<Passage> chosen = new ArrayList<>();
        List<LeftOut> leftOut = new ArrayList<>();
        int used = base;
        for (Passage c : candidates) {
            int n = chosen.size() + 1;
            // + 2 for the blank line that separates blocks
            int cost = model.countTokens(block(n, c, dates)) + 2;
            if (used + cost <= budget) {
                chosen.add(renumber(c, n));
                used += cost;
            } else {
                leftOut.add(new LeftOut(c.noteId(), c.title(), cost, "did not fit in the context window: needs "
                        + cost + " tokens, " + Math.max(0, budget - used) + " left"));
            }
        }
        List<ChatMessage> messages = PromptBuilder.messages(question, chosen, dates);
        int actual = model.countPromptTokens(messages);
        while (actual > budget && !chosen.isEmpty()) {
            Passage last = chosen.remove(chosen.size() - 1);
            int cost = model.countTokens(block(last.n(), last, dates)) + 2;
            leftOut.add(new LeftOut(last.noteId(), last.title(), cost,
                    "did not fit in the context window once the prompt was rendered (" + actual + " of "
                            + budget + " prompt tokens)"));
            messages = PromptBuilder.messages(question, chosen, dates);
            actual = model.countPromptTokens(messages);
        }
        if (actual > budget) {
            throw new IllegalArgumentException("the question needs " + actual + " prompt tokens, but the model's "
                    + window + "-token window minus " + maxAnswerTokens + " answer tokens leaves " + budget);
        }
        return new Packed(List.copyOf(chosen), List.copyOf(leftOut), messages, actual);
    }

    private static String block(int n, Passage p, Map<String, String> dates) {
        return PromptBuilder.block(n, p.title(), dates.getOrDefault(p.noteId(), ""), p.text());
    }

    static Passage renumber(Passage p, int n) {
        return new Passage(n, p.noteId(), p.title(), p.source(), p.text(), p.start(), p.end(), p.similarity());
    }
}
