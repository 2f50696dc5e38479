package dev.pocketrag.server;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.sun.net.httpserver.HttpExchange;
import dev.pocketrag.remote.OpenAiWire;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reading requests and writing JSON answers. */
final class Http {
    private Http() {}

    /**
     * Reads the request body, at most {@code limit} bytes.
     *
     * @throws ApiError 413 if the body (by Content-Length or as read) is larger than {@code limit}
     */
    static byte[] readBody(HttpExchange ex, long limit) throws IOException {
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            try {
                if (Long.parseLong(declared.strip()) > limit) {
                    throw ApiError.tooLarge(limit);
                }
            } catch (NumberFormatException e) {
                throw ApiError.badRequest("bad Content-Length: " + declared, null);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[16384];
        InputStream in = ex.getRequestBody();
        int n;
        while ((n = in.read(buf)) > 0) {
            if (out.size() + (long) n > limit) {
                throw ApiError.tooLarge(limit);
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    /**
     * The request body as a JSON object: strict JSON (no comments, no unquoted names, one value),
     * UTF-8.
     *
     * @throws ApiError 400 if it is not valid UTF-8, not JSON, or not an object; 413 if too large
     */
    static JsonObject readJsonObject(HttpExchange ex, long limit) throws IOException {
        byte[] body = readBody(ex, limit);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw ApiError.badRequest("the request body is not valid UTF-8", null);
        }
        if (text.isBlank()) {
            throw ApiError.badRequest("the request body is empty; expected a JSON object", null);
        }
        JsonElement root;
        try (JsonReader r = new JsonReader(new StringReader(text))) {
            r.setStrictness(Strictness.STRICT);
            root = Json.GSON.getAdapter(JsonElement.class).read(r);
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw ApiError.badRequest("the request body has more than one JSON value", null);
            }
        } catch (JsonParseException | IOException | IllegalStateException e) {
            // gson's messages start with advice for programmers; keep only where it stopped
            java.util.regex.Matcher at = java.util.regex.Pattern.compile("line \\d+ column \\d+").matcher(String.valueOf(e.getMessage()));
            throw ApiError.badRequest("the request body is not valid JSON" + (at.find() ? " (error at " + at.group() + ")" : ""),
                    null);
        }
        if (root == null || !root.isJsonObject()) {
            throw ApiError.badRequest("the request body must be a JSON object", null);
        }
        return root.getAsJsonObject();
    }

    /** Writes {@code body} as JSON with {@code status} and closes the exchange. */
    static void sendJson(HttpExchange ex, int status, Object body) throws IOException {
        byte[] bytes = Json.of(body).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
        ex.close();
    }

    /** OpenAI's error shape ({@link OpenAiWire#error}): {@code {"error": {"message", "type", "param", "code"}}}. */
    static JsonObject errorBody(ApiError e) {
        return OpenAiWire.error(e.getMessage(), e.type, e.param, e.code);
    }

    static void sendError(HttpExchange ex, ApiError e) throws IOException {
        if (e.status == 413) {
            // the rest of the body was not read: do not reuse the connection
            ex.getResponseHeaders().set("Connection", "close");
        }
        sendJson(ex, e.status, errorBody(e));
    }

    /**
     * The parameters of a query string ({@code a=1&b=x%20y}), decoded as UTF-8; a name may repeat.
     *
     * @throws ApiError 400 if an escape is malformed
     */
    static Map<String, List<String>> query(String rawQuery) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return out;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq), true);
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1), true);
            out.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return out;
    }

    /**
     * Percent-decodes {@code s} as UTF-8 ({@code +} is a space only in query strings).
     *
     * @throws ApiError 400 if an escape is malformed or the bytes are not UTF-8
     */
    static String decode(String s, boolean plusIsSpace) {
        if (s.indexOf('%') < 0 && (!plusIsSpace || s.indexOf('+') < 0)) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw ApiError.badRequest("malformed percent-escape at offset " + i + " of '" + s + "'", null);
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw ApiError.badRequest("malformed percent-escape at offset " + i + " of '" + s + "'", null);
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else if (c == '+' && plusIsSpace) {
                out.write(' ');
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
                    b = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
                    i++;
                }
                out.writeBytes(b);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(out.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw ApiError.badRequest("percent-escapes of '" + s + "' are not UTF-8", null);
        }
    }

    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        String t = nl < 0 ? s : s.substring(0, nl);
        return t.length() <= 300 ? t : t.substring(0, 297) + "...";
    }
}
