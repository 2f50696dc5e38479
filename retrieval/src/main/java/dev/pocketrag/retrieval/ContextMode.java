package dev.pocketrag.retrieval;

import java.util.Locale;

/**
 * What of the retrieved passages {@link Notebook#ask} puts into a chat model's prompt.
 *
 * <p>Focused packing gives the model far fewer tokens to read (reading the prompt is most of the
 * time to the first word on a CPU) and, measured on the questions of {@code examples/QUESTIONS.md},
 * loses none of the facts the answers need. Either way the passages that do not fit in the model's
 * window are left out and reported, never cut further.
 */
public enum ContextMode {
    /** Each passage as retrieved: a whole chunk of its note (up to 256 word pieces). */
    WHOLE,
    /**
     * From each passage, the sentences that matter to the question (scored with the embedder and
     * the question's words, as the extractive answer is), with their neighbours and the headings
     * they stand under, in their original order, cuts marked with {@code …}; the note's title and
     * date come with each. A short passage is kept whole.
     */
    FOCUSED;

    /** The name used by the CLI and the HTTP API: {@code whole}, {@code focused}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The mode named {@code name} ({@code whole} or {@code focused}, any case).
     *
     * @throws IllegalArgumentException naming the value if it is neither
     */
    public static ContextMode parse(String name) {
        for (ContextMode m : values()) {
            if (m.name().equalsIgnoreCase(name.strip())) {
                return m;
            }
        }
        throw new IllegalArgumentException("context must be whole or focused; got '" + name + "'");
    }
}
