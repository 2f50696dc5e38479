package dev.pocketrag.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

/** The one JSON writer of the CLI: no HTML escaping, nulls kept, floats as Java prints them. */
final class Json {
    static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    private Json() {}

    static String of(Object o) {
        return GSON.toJson(o);
    }
}
