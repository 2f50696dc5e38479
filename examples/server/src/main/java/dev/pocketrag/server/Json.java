package dev.pocketrag.server;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

/**
 * The one JSON writer of the apps: the server's bodies and events and the CLI's {@code --json}
 * (the maps come from {@code dev.pocketrag.retrieval.AnswerJson} and the commands). No HTML
 * escaping, nulls kept, floats as Java prints them.
 */
public final class Json {
    /** The Gson behind {@link #of}; also the server's reader of request bodies. */
    static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    private Json() {}

    /**
     * {@code o} as JSON. Every control character in a string is escaped ({@code \u001b}; Gson
     * escapes C0, this also DEL and C1): the text is exact, and nothing in it acts on a terminal.
     */
    public static String of(Object o) {
        String json = GSON.toJson(o);
        StringBuilder b = null;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c >= 0x7F && c <= 0x9F) {
                if (b == null) {
                    b = new StringBuilder(json.length() + 16).append(json, 0, i);
                }
                b.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
            } else if (b != null) {
                b.append(c);
            }
        }
        return b == null ? json : b.toString();
    }
}
