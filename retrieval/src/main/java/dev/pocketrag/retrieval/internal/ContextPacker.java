package dev.pocketrag.retrieval.internal;

import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.retrieval.Answer.LeftOut;
import dev.pocketrag.retrieval.Answer.Passage;
import java.util.ArrayList;
import java.util.List;

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
     * @param leftOut the earlier turns that did not fit (oldest first), then the candidates that did not fit
     * @param messages the rendered messages
     * @param promptTokens the tokens of {@code messages} as the model counts them
     * @param history the earlier turns carried in the prompt, oldest first
     */
    public record Packed(List<Passage> passages, List<LeftOut> leftOut, List<ChatMessage> messages,
            int promptTokens, List<PromptBuilder.Exchange> history) {
        public Packed(List<Passage> passages, List<LeftOut> leftOut, List<ChatMessage> messages, int promptTokens) {
            this(passages, leftOut, messages, promptTokens, List.of());
        }
    }

    /**
     * The most of the prompt budget the earlier turns of a conversation may take: the passages
     * answer the question, the turns only explain it.
     */
    static final double HISTORY_SHARE = 0.35;

    /**
     * @param candidates passages in rank order (their {@code n} is ignored and reassigned)
     * @throws IllegalArgumentException if not even the question fits (the message gives the sizes)
     */
    public static Packed pack(ChatModel model, String question, List<Passage> candidates, int maxAnswerTokens) {
        return pack(model, question, candidates, maxAnswerTokens, List.of());
    }

    /**
     * Packs the earlier turns of a conversation too: newest first, each whole or not at all, within
     * {@link #HISTORY_SHARE} of the prompt budget; the oldest that do not fit are left out (and
     * reported first in {@code leftOut}). Then the passages, as without history. If the rendered
     * prompt is still too long, the lowest-ranked passages go first, then the oldest turns.
     *
     * @param history earlier turns, oldest first
     */
    public static Packed pack(ChatModel model, String question, List<Passage> candidates, int maxAnswerTokens,
            List<PromptBuilder.Exchange> history) {
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
        int used = base;
        // earlier turns: newest first within their share; an older one never skips past a newer one left out
        int historyBudget = (int) Math.min(budget - base, budget * HISTORY_SHARE);
        int keepFrom = history.size();
        int historyUsed = 0;
        while (keepFrom > 0) {
            int cost = exchangeTokens(model, history.get(keepFrom - 1));
            if (historyUsed + cost > historyBudget) {
                break;
            }
            historyUsed += cost;
            keepFrom--;
        }
        List<PromptBuilder.Exchange> kept = new ArrayList<>(history.subList(keepFrom, history.size()));
        List<LeftOut> turnsOut = new ArrayList<>();
        for (int i = 0; i < keepFrom; i++) {
            turnsOut.add(turnLeftOut(model, history, i, "an earlier turn: did not fit in the context window"
                    + " (turns take at most " + historyBudget + " tokens)"));
        }
        used += historyUsed;
        List<Passage> chosen = new ArrayList<>();
        List<LeftOut> leftOut = new ArrayList<>();
        for (Passage c : candidates) {
            int n = chosen.size() + 1;
            // + 2 for the blank line that separates blocks
            int cost = model.countTokens(block(n, c)) + 2;
            if (used + cost <= budget) {
                chosen.add(renumber(c, n));
                used += cost;
            } else {
                leftOut.add(new LeftOut(c.noteId(), c.title(), cost, "did not fit in the context window: needs "
                        + cost + " tokens, " + Math.max(0, budget - used) + " left"));
            }
        }
        List<ChatMessage> messages = PromptBuilder.messages(question, chosen, kept);
        int actual = model.countPromptTokens(messages);
        while (actual > budget && (!chosen.isEmpty() || !kept.isEmpty())) {
            if (!chosen.isEmpty()) {
                Passage last = chosen.remove(chosen.size() - 1);
                int cost = model.countTokens(block(last.n(), last)) + 2;
                leftOut.add(new LeftOut(last.noteId(), last.title(), cost,
                        "did not fit in the context window once the prompt was rendered (" + actual + " of "
                                + budget + " prompt tokens)"));
            } else {
                turnsOut.add(turnLeftOut(model, history, history.size() - kept.size(),
                        "an earlier turn: did not fit in the context window once the prompt was rendered ("
                                + actual + " of " + budget + " prompt tokens)"));
                kept.remove(0);
            }
            messages = PromptBuilder.messages(question, chosen, kept);
            actual = model.countPromptTokens(messages);
        }
        if (actual > budget) {
            throw new IllegalArgumentException("the question needs " + actual + " prompt tokens, but the model's "
                    + window + "-token window minus " + maxAnswerTokens + " answer tokens leaves " + budget);
        }
        List<LeftOut> allOut = new ArrayList<>(turnsOut);
        allOut.addAll(leftOut);
        return new Packed(List.copyOf(chosen), List.copyOf(allOut), messages, actual, List.copyOf(kept));
    }

    /** Tokens one earlier turn adds to a prompt (its two messages, template included). */
    private static int exchangeTokens(ChatModel model, PromptBuilder.Exchange e) {
        // the prompt of the two messages alone: a few tokens more than they add (BOS, the assistant
        // header), so the estimate errs on the safe side; the rendered prompt is counted at the end
        return model.countPromptTokens(PromptBuilder.exchange(e));
    }

    private static LeftOut turnLeftOut(ChatModel model, List<PromptBuilder.Exchange> history, int i, String reason) {
        PromptBuilder.Exchange e = history.get(i);
        String q = e.question().strip();
        String title = "turn " + (i + 1) + ": " + (q.length() > 80 ? q.substring(0, 79) + "…" : q);
        return new LeftOut("", title, exchangeTokens(model, e), reason);
    }

    /** A passage's block as counted (without the mark of a conflict's newest: the rendered prompt is counted at the end). */
    private static String block(int n, Passage p) {
        return PromptBuilder.block(n, p.title(), p.date(), false, p.text(), p.page(), p.section());
    }

    public static Passage renumber(Passage p, int n) {
        return new Passage(n, p.noteId(), p.title(), p.source(), p.text(), p.start(), p.end(), p.similarity(),
                p.date(), p.page(), p.section());
    }
}
