package dev.pocketrag.server;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pocketrag.chat.testing.ScriptedChatModel;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.index.Note;
import dev.pocketrag.retrieval.Notebook;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Shared pieces of the server tests: the embedder, sample notes, an HTTP client, an SSE reader. */
final class TestSupport {
    private TestSupport() {}

    private static Embedder embedder;

    /** One MiniLM for the whole test JVM (loading it takes a second or two). */
    static synchronized Embedder embedder() {
        if (embedder == null) {
            embedder = Embedders.miniLm();
        }
        return embedder;
    }

    static final List<Note> NOTES = List.of(
            note("kyoto", "Kyoto trip", "Hotel Gion Ryokan in Kyoto: booking reference KY-48213. Check-in from 15:00 on 3 April,"
                    + " two nights, breakfast included.", "travel"),
            note("dentist", "Dentist", "Dentist appointment with Dr. Sousa on 14 March at 09:30. Bring the insurance card.",
                    "health"),
            note("knee", "Knee exercises", "The physio said: three sets of 15 clamshells a day for the left knee, and"
                    + " stretch the hamstrings after running.", "health"),
            note("car", "Car insurance", "The car insurance renews on 1 June. The premium is 412 euros a year with"
                    + " Allianz, policy AZ-77120.", "money"),
            note("bread", "Sourdough bread", "Sourdough: 500 g flour, 350 g water, 100 g starter, 10 g salt."
                    + " Bake at 230 degrees for 40 minutes.", "recipes"));

    private static Note note(String id, String title, String body, String tag) {
        Instant t = Instant.parse("2025-01-10T10:00:00Z");
        return new Note(id, title, body, List.of(tag), "", t, t);
    }

    /** A notebook in {@code dir} with the sample notes and {@code model} (not closed with it). */
    static Notebook notebook(Path dir, ScriptedChatModel model) throws IOException {
        Notebook nb = Notebook.builder(dir).embedder(embedder()).chatModel(model, false).build();
        nb.addAll(NOTES);
        return nb;
    }

    static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    static HttpResponse<String> get(URI base, String path) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    static HttpResponse<String> post(URI base, String path, String json) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    static HttpResponse<InputStream> postStream(URI base, String path, String json) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                        .header("Content-Type", "application/json")
                        .header("Accept", "text/event-stream")
                        .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
    }

    static HttpResponse<String> delete(URI base, String path) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60)).DELETE().build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    static String jsonArray(List<String> items) {
        com.google.gson.JsonArray a = new com.google.gson.JsonArray();
        items.forEach(a::add);
        return a.toString();
    }

    static JsonObject json(HttpResponse<String> r) {
        JsonElement e = JsonParser.parseString(r.body());
        return e.getAsJsonObject();
    }

    /** One server-sent event. */
    record Event(String event, String data) {
        JsonObject json() {
            return JsonParser.parseString(data).getAsJsonObject();
        }
    }

    /**
     * Reads server-sent events the way a browser's EventSource does: lines ending in LF or CR LF;
     * {@code field: value} (one space after the colon dropped); {@code data} lines of one event
     * joined by LF; comments ({@code :...}) ignored; a blank line dispatches the event. Reads to
     * the end of the stream.
     */
    static List<Event> readEvents(InputStream in) throws IOException {
        List<Event> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            EventReader er = new EventReader(r);
            Event e;
            while ((e = er.next()) != null) {
                out.add(e);
            }
        }
        return out;
    }

    /** Reads events one at a time (for clients that stop early). */
    static final class EventReader {
        private final BufferedReader in;

        EventReader(BufferedReader in) {
            this.in = in;
        }

        /** The next event, or null at the end of the stream. */
        Event next() throws IOException {
            String event = "message";
            StringBuilder data = null;
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data != null) {
                        return new Event(event, data.toString());
                    }
                    event = "message";
                    continue;
                }
                if (line.startsWith(":")) {
                    continue;
                }
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                if (field.equals("event")) {
                    event = value;
                } else if (field.equals("data")) {
                    if (data == null) {
                        data = new StringBuilder(value);
                    } else {
                        data.append('\n').append(value);
                    }
                }
            }
            return data == null ? null : new Event(event, data.toString());
        }
    }
}
