package dev.pocketrag.bench;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

/** JSON output of benchmarks. */
final class Jsons {
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    private Jsons() {}

    static String of(Object o) {
        return GSON.toJson(o);
    }
}
