package dev.pocketrag.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.List;

/** Typed access to the fields of a JSON request; every error names the field and the value. */
final class Params {
    private Params() {}

    static boolean present(JsonObject o, String name) {
        JsonElement e = o.get(name);
        return e != null && !e.isJsonNull();
    }

    static String string(JsonObject o, String name, String fallback) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        if (e instanceof JsonPrimitive p && p.isString()) {
            return p.getAsString();
        }
        throw ApiError.badRequest("'" + name + "' must be a string; got " + show(e), name);
    }

    static String requiredString(JsonObject o, String name) {
        String s = string(o, name, null);
        if (s == null) {
            throw ApiError.badRequest("'" + name + "' is required", name);
        }
        return s;
    }

    static boolean bool(JsonObject o, String name, boolean fallback) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        if (e instanceof JsonPrimitive p && p.isBoolean()) {
            return p.getAsBoolean();
        }
        throw ApiError.badRequest("'" + name + "' must be true or false; got " + show(e), name);
    }

    /** An integer in {@code min..max}. */
    static long integer(JsonObject o, String name, long min, long max, long fallback) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        return integer(e, name, min, max);
    }

    static long integer(JsonElement e, String name, long min, long max) {
        if (e instanceof JsonPrimitive p && p.isNumber()) {
            java.math.BigDecimal d;
            try {
                d = p.getAsBigDecimal();
            } catch (NumberFormatException ex) {
                throw ApiError.badRequest("'" + name + "' must be an integer in " + min + ".." + max + "; got " + show(e), name);
            }
            if (d.stripTrailingZeros().scale() <= 0 && d.compareTo(java.math.BigDecimal.valueOf(min)) >= 0
                    && d.compareTo(java.math.BigDecimal.valueOf(max)) <= 0) {
                return d.longValueExact();
            }
        }
        throw ApiError.badRequest("'" + name + "' must be an integer in " + min + ".." + max + "; got " + show(e), name);
    }

    /** A finite number in {@code min..max}. */
    static double number(JsonObject o, String name, double min, double max, double fallback) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        if (e instanceof JsonPrimitive p && p.isNumber()) {
            double d = p.getAsDouble();
            if (Double.isFinite(d) && d >= min && d <= max) {
                return d;
            }
        }
        throw ApiError.badRequest("'" + name + "' must be a number in " + min + ".." + max + "; got " + show(e), name);
    }

    /** An array of strings (at most {@code maxItems}); empty if absent. */
    static List<String> list(JsonObject o, String name, int maxItems) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return List.of();
        }
        if (e instanceof JsonArray a) {
            return stringList(a, name, maxItems);
        }
        throw ApiError.badRequest("'" + name + "' must be an array of strings; got " + show(e), name);
    }

    private static List<String> stringList(JsonArray a, String name, int maxItems) {
        if (a.size() > maxItems) {
            throw ApiError.badRequest("'" + name + "' may have at most " + maxItems + " items; got " + a.size(), name);
        }
        List<String> out = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            if (!(a.get(i) instanceof JsonPrimitive p && p.isString())) {
                throw ApiError.badRequest("'" + name + "[" + i + "]' must be a string; got " + show(a.get(i)), name);
            }
            out.add(p.getAsString());
        }
        return out;
    }

    /** A short rendering of a value for error messages. */
    static String show(JsonElement e) {
        String s = String.valueOf(e);
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
