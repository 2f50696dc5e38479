package dev.pocketrag.chat;

/** Receives generated text as it is decoded. */
@FunctionalInterface
public interface TokenListener {
    /** A listener that ignores everything and never cancels. */
    TokenListener NONE = piece -> true;

    /**
     * Called with each newly decoded piece of text (one or more tokens; never half a UTF-8
     * character).
     *
     * @return {@code true} to continue, {@code false} to stop generating
     */
    boolean onText(String piece);
}
