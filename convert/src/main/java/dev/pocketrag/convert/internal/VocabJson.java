package dev.pocketrag.convert.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.pocketrag.convert.ConvertException;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reading the tokenizer's JSON files with every type checked, and quoting their text for error
 * messages. A file's text is data: it reaches a message only through {@link #quote}, escaped and cut
 * short, so a token or template can never write control characters or pages of text to a terminal.
 */
final class VocabJson {
    /** The largest tokenizer file read (a 256k-token tokenizer.json is about 35 MB). */
    static final long MAX_FILE_BYTES = 512L << 20;
    /** Code points of file text a message shows before cutting it. */
    private static final int QUOTE_LIMIT = 60;

    private VocabJson() {}

    /** The bytes of {@code file}, at most {@link #MAX_FILE_BYTES}. */
    static byte[] readBytes(Path file) throws ConvertException {
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new ConvertException(file + ": " + size + " bytes, more than the " + MAX_FILE_BYTES
                        + " bytes a tokenizer file may have");
            }
            return Files.readAllBytes(file);
        } catch (ConvertException e) {
            throw e;
        } catch (IOException e) {
            throw new ConvertException(file + ": cannot be read (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    /** {@code file} parsed as a JSON object; the file must exist. */
    static JsonObject readObject(Path file) throws ConvertException {
        if (!Files.isRegularFile(file)) {
            throw new ConvertException(file + (Files.exists(file) ? ": not a regular file" : ": missing"));
        }
        byte[] bytes = readBytes(file);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ConvertException(file + ": not valid UTF-8", e);
        }
        JsonElement root;
        try (Reader r = new StringReader(text)) {
            root = JsonParser.parseReader(r);
        } catch (JsonParseException | IOException e) {
            Throwable cause = e;
            while (cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause();
            }
            String why = String.valueOf(cause.getMessage());
            int nl = why.indexOf('\n'); // gson appends a troubleshooting link on a second line
            throw new ConvertException(file + ": not valid JSON (" + quote(nl < 0 ? why : why.substring(0, nl), 120)
                    + ")", e);
        }
        if (!root.isJsonObject()) {
            throw new ConvertException(file + ": a JSON object was expected, not " + kind(root));
        }
        return root.getAsJsonObject();
    }

    /** {@code file} parsed as a JSON object, or {@code null} if there is no such file. */
    static JsonObject readObjectIfPresent(Path file) throws ConvertException {
        return Files.exists(file) ? readObject(file) : null;
    }

    /** The member {@code key} of {@code o} as an object, or {@code null} if absent or JSON null. */
    static JsonObject object(JsonObject o, String key, Path file) throws ConvertException {
        JsonElement e = o == null ? null : o.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonObject()) {
            throw new ConvertException(file + ": \"" + key + "\" must be an object, not " + kind(e));
        }
        return e.getAsJsonObject();
    }

    /** The member {@code key} of {@code o} as an array, or {@code null} if absent or JSON null. */
    static JsonArray array(JsonObject o, String key, Path file) throws ConvertException {
        JsonElement e = o == null ? null : o.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonArray()) {
            throw new ConvertException(file + ": \"" + key + "\" must be an array, not " + kind(e));
        }
        return e.getAsJsonArray();
    }

    /** The member {@code key} of {@code o} as a string, or {@code null} if absent or JSON null. */
    static String string(JsonObject o, String key, Path file) throws ConvertException {
        JsonElement e = o == null ? null : o.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!(e instanceof JsonPrimitive p) || !p.isString()) {
            throw new ConvertException(file + ": \"" + key + "\" must be a string, not " + kind(e));
        }
        return p.getAsString();
    }

    /** The member {@code key} of {@code o} if it is a boolean, else {@code null} (as llama.cpp ignores other types). */
    static Boolean boolOrNull(JsonObject o, String key) {
        JsonElement e = o == null ? null : o.get(key);
        return e instanceof JsonPrimitive p && p.isBoolean() ? p.getAsBoolean() : null;
    }

    /** The member {@code key} of {@code o} if it is an integer number, else {@code null}. */
    static Long integerOrNull(JsonObject o, String key) {
        JsonElement e = o == null ? null : o.get(key);
        return e == null ? null : integerOrNull(e);
    }

    /** {@code e} if it is an integer number (no fraction, fits a long), else {@code null}. */
    static Long integerOrNull(JsonElement e) {
        if (!(e instanceof JsonPrimitive p) || !p.isNumber()) {
            return null;
        }
        try {
            BigDecimal d = p.getAsBigDecimal();
            return d.stripTrailingZeros().scale() <= 0 ? d.longValueExact() : null;
        } catch (ArithmeticException | NumberFormatException x) {
            return null;
        }
    }

    /**
     * A token id: an integer in [0, {@code limit}).
     *
     * @param what names the value for the message ({@code "added_tokens[3].id"})
     */
    static int tokenId(JsonElement e, int limit, Path file, String what) throws ConvertException {
        Long v = integerOrNull(e);
        if (v == null) {
            throw new ConvertException(file + ": " + what + " must be an integer token id, not " + kind(e));
        }
        if (v < 0 || v >= limit) {
            throw new ConvertException(file + ": " + what + " = " + v + " is out of range: ids must be 0.." + (limit - 1)
                    + " (vocab_size " + limit + ")");
        }
        return (int) (long) v;
    }

    /** {@code config.json}'s {@code vocab_size}, or {@code null} if absent. */
    static Integer vocabSize(JsonObject config, Path dir) throws ConvertException {
        JsonElement v = config == null ? null : config.get("vocab_size");
        if (v == null || v.isJsonNull()) {
            return null;
        }
        Long n = integerOrNull(v);
        if (n == null || n < 1 || n > Integer.MAX_VALUE - 8) {
            throw new ConvertException(dir.resolve("config.json") + ": vocab_size must be a positive integer, not "
                    + kind(v));
        }
        return (int) (long) n;
    }

    /** What {@code e} is, for messages: {@code "a string"}, {@code "the number 3"}, {@code "an array"} ... */
    static String kind(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return "null";
        }
        if (e.isJsonObject()) {
            return "an object";
        }
        if (e.isJsonArray()) {
            return "an array";
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        if (p.isBoolean()) {
            return "the boolean " + p.getAsBoolean();
        }
        if (p.isNumber()) {
            return "the number " + quote(p.getAsString());
        }
        return "the string " + quote(p.getAsString());
    }

    /**
     * {@code s} as a Java-style quoted literal for a message: quotes, backslashes, control and
     * format characters, line and paragraph separators and anything outside the Basic Multilingual
     * Plane escaped, cut after {@value #QUOTE_LIMIT} code points with {@code ...}.
     */
    static String quote(String s) {
        return quote(s, QUOTE_LIMIT);
    }

    /** {@link #quote(String)} cut after {@code limit} code points. */
    static String quote(String s, int limit) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), limit) + 8).append('"');
        int count = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (count++ == limit) {
                b.append("...");
                break;
            }
            switch (cp) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    int t = Character.getType(cp);
                    boolean unsafe = t == Character.CONTROL || t == Character.FORMAT || t == Character.LINE_SEPARATOR
                            || t == Character.PARAGRAPH_SEPARATOR || t == Character.UNASSIGNED
                            || t == Character.SURROGATE || t == Character.PRIVATE_USE || cp > 0xFFFF;
                    if (unsafe) {
                        if (cp > 0xFFFF) {
                            b.append(String.format("\\u%04x\\u%04x", (int) Character.highSurrogate(cp),
                                    (int) Character.lowSurrogate(cp)));
                        } else {
                            b.append(String.format("\\u%04x", cp));
                        }
                    } else {
                        b.appendCodePoint(cp);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
