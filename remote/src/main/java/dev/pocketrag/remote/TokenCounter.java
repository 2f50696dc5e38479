package dev.pocketrag.remote;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.pocketrag.chat.ChatMessage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * Token counts of a remote model: the server's own where it has a tokenizer endpoint, else an
 * estimate (see {@link OpenAiCompatibleChatModel}'s class comment). Thread-safe; the last
 * {@link OpenAiCompatibleChatModel#COUNT_CACHE} counts are cached.
 */
final class TokenCounter {
    /** How token counts are obtained. */
    enum Counting {
        /** POST /tokenize answers {"count"} for a prompt or messages (vLLM, pocketrag). */
        SERVER_COUNT,
        /** POST /tokenize {"content"} answers {"tokens": [...]} (llama-server). */
        LLAMA_TOKENS,
        /** No tokenizer endpoint: estimates. */
        ESTIMATE
    }

    private final Counting counting;
    private final HttpClient client;
    private final URI tokenizeUri;
    private final String model;
    private final String apiKey;
    private final Duration timeout;
    private final BooleanSupplier closed;
    private final String closedMessage;
    private final Map<String, Integer> counts = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
            return size() > OpenAiCompatibleChatModel.COUNT_CACHE;
        }
    };

    TokenCounter(Counting counting, HttpClient client, URI tokenizeUri, String model, String apiKey, Duration timeout,
            BooleanSupplier closed, String closedMessage) {
        this.counting = counting;
        this.client = client;
        this.tokenizeUri = tokenizeUri;
        this.model = model;
        this.apiKey = apiKey;
        this.timeout = timeout;
        this.closed = closed;
        this.closedMessage = closedMessage;
    }

    /** {root}/tokenize: the base URL without a final /v1. */
    static URI tokenizeUri(URI base) {
        String s = base.toString();
        if (s.endsWith("/v1")) {
            s = s.substring(0, s.length() - 3);
        }
        return URI.create(s + "/tokenize");
    }

    /** Which tokenizer endpoint the server has, if any; never fails (no endpoint: estimates). */
    static Counting probe(HttpClient client, URI uri, String model, Duration timeout, String apiKey) {
        JsonObject answer = tryPost(client, uri, OpenAiWire.tokenizeText(model, "Hello world"), timeout, apiKey);
        if (answer != null && answer.get("count") instanceof JsonPrimitive c && c.isNumber() && c.getAsInt() > 0) {
            return Counting.SERVER_COUNT;
        }
        JsonObject llama = new JsonObject();
        llama.addProperty("content", "Hello world");
        answer = tryPost(client, uri, llama, timeout, apiKey);
        if (answer != null && answer.get("tokens") instanceof JsonArray t && !t.isEmpty()) {
            return Counting.LLAMA_TOKENS;
        }
        return Counting.ESTIMATE;
    }

    /** POSTs JSON; the answer if it is a 200 with a JSON object, else null (never throws). */
    private static JsonObject tryPost(HttpClient client, URI uri, JsonObject body, Duration timeout, String apiKey) {
        try {
            HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(timeout)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
            if (apiKey != null) {
                rb.header("Authorization", "Bearer " + apiKey);
            }
            HttpResponse<String> r = client.send(rb.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (r.statusCode() != 200 || r.body().length() > Transport.MAX_LINE_CHARS) {
                return null;
            }
            JsonElement e = JsonParser.parseString(r.body());
            return e.isJsonObject() ? e.getAsJsonObject() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Whether counts come from the server's tokenizer (else they are estimates). */
    boolean exact() {
        return counting != Counting.ESTIMATE;
    }

    /** The tokens of {@code text} inside a message. */
    int countTokens(String text) {
        Objects.requireNonNull(text, "text");
        if (counting == Counting.ESTIMATE || text.isEmpty()) {
            return estimateTokens(text);
        }
        return cached("t:" + text, () -> {
            if (counting == Counting.SERVER_COUNT) {
                return countField(postForCount(OpenAiWire.tokenizeText(model, text)), "count");
            }
            JsonObject req = new JsonObject();
            req.addProperty("content", text);
            return countField(postForCount(req), "tokens");
        });
    }

    /** The tokens of the prompt of {@code messages}, assistant header included. */
    int countPromptTokens(List<ChatMessage> messages) {
        if (counting == Counting.SERVER_COUNT) {
            JsonObject req = OpenAiWire.tokenizeMessages(model, messages);
            String key = "m:" + req;
            return cached(key, () -> countField(postForCount(req), "count"));
        }
        long n = OpenAiCompatibleChatModel.PER_PROMPT_TOKENS;
        for (ChatMessage m : messages) {
            n += OpenAiCompatibleChatModel.PER_MESSAGE_TOKENS + countTokens(m.content());
        }
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    /** One token per 3 UTF-8 bytes, at least one per whitespace-separated word. */
    static int estimateTokens(String text) {
        long bytes = 0;
        int words = 0;
        boolean inWord = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                bytes += 2; // + 2 for the low surrogate: 4 in all
            } else {
                bytes += Character.isLowSurrogate(c) ? 2 : 3;
            }
            boolean space = Character.isWhitespace(c);
            if (!space && !inWord) {
                words++;
            }
            inWord = !space;
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(words, (bytes + 2) / 3));
    }

    private int cached(String key, IntSupplier compute) {
        synchronized (counts) {
            Integer n = counts.get(key);
            if (n != null) {
                return n;
            }
        }
        int n = compute.getAsInt();
        synchronized (counts) {
            counts.put(key, n);
        }
        return n;
    }

    private JsonObject postForCount(JsonObject req) {
        if (closed.getAsBoolean()) {
            throw new IllegalStateException(closedMessage);
        }
        HttpRequest.Builder rb = HttpRequest.newBuilder(tokenizeUri).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(req.toString(), StandardCharsets.UTF_8));
        if (apiKey != null) {
            rb.header("Authorization", "Bearer " + apiKey);
        }
        HttpResponse<InputStream> resp = Transport.send(client, rb.build(), tokenizeUri, timeout);
        String body = Transport.readLimited(resp.body(), tokenizeUri);
        if (resp.statusCode() != 200) {
            throw new RemoteModelException(tokenizeUri, resp.statusCode(), "chat server " + tokenizeUri + " answered "
                    + resp.statusCode() + " when counting tokens: " + OpenAiWire.errorMessage(body), null);
        }
        try {
            return OpenAiWire.parseObject(body);
        } catch (IllegalArgumentException e) {
            throw new RemoteModelException(tokenizeUri, 200, "chat server " + tokenizeUri
                    + " sent something that is not a JSON object: " + OpenAiWire.abbreviate(body), null);
        }
    }

    /** {"count": n} or {"tokens": [...]}: the number. */
    private int countField(JsonObject o, String field) {
        JsonElement e = o.get(field);
        if (field.equals("tokens") && e instanceof JsonArray a) {
            return a.size();
        }
        if (e instanceof JsonPrimitive p && p.isNumber() && p.getAsDouble() >= 0
                && p.getAsDouble() <= Integer.MAX_VALUE) {
            return p.getAsInt();
        }
        throw new RemoteModelException(tokenizeUri, 200, "chat server " + tokenizeUri + " sent no token count ('" + field
                + "'): " + OpenAiWire.abbreviate(o.toString()), null);
    }
}
