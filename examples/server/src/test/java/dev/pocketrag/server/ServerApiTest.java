package dev.pocketrag.server;

import static dev.pocketrag.server.TestSupport.delete;
import static dev.pocketrag.server.TestSupport.get;
import static dev.pocketrag.server.TestSupport.json;
import static dev.pocketrag.server.TestSupport.post;
import static dev.pocketrag.server.TestSupport.postStream;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.chat.testing.ScriptedChatModel;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.retrieval.Notebook;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every endpoint through java.net.http against a server on a free loopback port. */
class ServerApiTest {
    static final String REPLY = "The booking reference is KY-48213 [1]. Check-in is from 15:00 [1].";

    @TempDir
    static Path dir;

    static ScriptedChatModel model;
    static Notebook notebook;
    static PocketragServer server;
    static URI base;

    @BeforeAll
    static void start() throws IOException {
        model = new ScriptedChatModel("scripted-model", 2048, REPLY);
        notebook = TestSupport.notebook(dir, model);
        server = PocketragServer.builder(notebook).port(0).start();
        base = server.uri();
    }

    @AfterAll
    static void stop() throws IOException {
        server.close();
        notebook.close();
    }

    @BeforeEach
    void resetModel() {
        model.failWith = null;
        model.reply = REPLY;
        model.pieceChars = 3;
        model.calls.clear();
    }

    // ---- /v1/models

    @Test
    void models_lists_the_chat_model_with_its_window_and_the_embedder() throws Exception {
        HttpResponse<String> r = get(base, "/v1/models");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonObject o = json(r);
        assertEquals("list", o.get("object").getAsString());
        JsonArray data = o.getAsJsonArray("data");
        assertEquals(2, data.size());
        JsonObject chat = data.get(0).getAsJsonObject();
        assertEquals("scripted-model", chat.get("id").getAsString());
        assertEquals("model", chat.get("object").getAsString());
        assertEquals(2048, chat.get("context_length").getAsInt());
        JsonObject emb = data.get(1).getAsJsonObject();
        assertEquals(notebook.embedder().modelId(), emb.get("id").getAsString());
        assertEquals(384, emb.get("dimensions").getAsInt());

        assertEquals(200, get(base, "/v1/models/scripted-model").statusCode());
        assertError(get(base, "/v1/models/gpt-4"), 404, null);
    }

    // ---- /v1/chat/completions

    @Test
    void chat_completion_without_streaming_has_openai_shape_and_passes_every_parameter() throws Exception {
        HttpResponse<String> r = post(base, "/v1/chat/completions", """
                {"model": "anything", "messages": [
                   {"role": "system", "content": "Be brief."},
                   {"role": "user", "content": "Hello there"}],
                 "temperature": 0.3, "top_p": 0.9, "max_tokens": 200, "seed": 7, "stop": "15:00",
                 "top_k": 12, "min_p": 0.1, "presence_penalty": 0.5, "repeat_penalty": 1.2, "repeat_last_n": 32}
                """);
        assertEquals(200, r.statusCode(), r.body());
        JsonObject o = json(r);
        assertEquals("chat.completion", o.get("object").getAsString());
        assertTrue(o.get("id").getAsString().startsWith("chatcmpl-"));
        assertEquals("scripted-model", o.get("model").getAsString());
        JsonObject choice = o.getAsJsonArray("choices").get(0).getAsJsonObject();
        assertEquals(0, choice.get("index").getAsInt());
        assertEquals("assistant", choice.getAsJsonObject("message").get("role").getAsString());
        assertEquals("The booking reference is KY-48213 [1]. Check-in is from ",
                choice.getAsJsonObject("message").get("content").getAsString());
        assertEquals("stop", choice.get("finish_reason").getAsString());
        JsonObject usage = o.getAsJsonObject("usage");
        // 3 + (4 + "Be brief." 2 words) + (4 + "Hello there" 2 words)
        assertEquals(15, usage.get("prompt_tokens").getAsInt());
        assertEquals(usage.get("prompt_tokens").getAsInt() + usage.get("completion_tokens").getAsInt(),
                usage.get("total_tokens").getAsInt());

        ScriptedChatModel.Call call = model.calls.getLast();
        assertEquals(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hello there")), call.messages());
        GenerationParams p = call.params();
        assertEquals(0.3f, p.temperature());
        assertEquals(0.9f, p.topP());
        assertEquals(200, p.maxTokens());
        assertEquals(7, p.seed());
        assertEquals(List.of("15:00"), p.stop());
        assertEquals(12, p.topK());
        assertEquals(0.1f, p.minP());
        assertEquals(0.5f, p.presencePenalty());
        assertEquals(1.2f, p.repeatPenalty());
        assertEquals(32, p.repeatLastN());
    }

    @Test
    void chat_completion_defaults_max_tokens_to_the_rest_of_the_window() throws Exception {
        HttpResponse<String> r = post(base, "/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "one two three"}]}""");
        assertEquals(200, r.statusCode(), r.body());
        // window 2048 - (3 + 4 + 3)
        assertEquals(2048 - 10, model.calls.getLast().params().maxTokens());
        assertEquals(GenerationParams.DEFAULT_SEED, model.calls.getLast().params().seed(), "no seed: the model's own");
        assertEquals(200, post(base, "/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"seed\": -1}").statusCode());
        assertEquals(GenerationParams.DEFAULT_SEED, model.calls.getLast().params().seed(), "llama.cpp's -1");
    }

    @Test
    void chat_completion_streams_sse_chunks_ending_with_done() throws Exception {
        HttpResponse<InputStream> r = postStream(base, "/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Where do I stay in Kyoto?"}],
                 "stream": true, "stream_options": {"include_usage": true}, "temperature": 0}""");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<TestSupport.Event> events = TestSupport.readEvents(r.body());
        assertEquals("[DONE]", events.getLast().data());
        StringBuilder text = new StringBuilder();
        String id = null;
        int contentChunks = 0;
        String finish = null;
        JsonObject usage = null;
        for (TestSupport.Event e : events.subList(0, events.size() - 1)) {
            JsonObject o = e.json();
            assertEquals("chat.completion.chunk", o.get("object").getAsString());
            id = id == null ? o.get("id").getAsString() : id;
            assertEquals(id, o.get("id").getAsString(), "one id for every chunk");
            JsonArray choices = o.getAsJsonArray("choices");
            if (choices.isEmpty()) {
                usage = o.getAsJsonObject("usage");
                continue;
            }
            JsonObject c = choices.get(0).getAsJsonObject();
            JsonObject delta = c.getAsJsonObject("delta");
            if (delta.has("content")) {
                text.append(delta.get("content").getAsString());
                if (!delta.get("content").getAsString().isEmpty()) {
                    contentChunks++;
                }
            }
            if (!c.get("finish_reason").isJsonNull()) {
                finish = c.get("finish_reason").getAsString();
            }
        }
        assertEquals("assistant", events.getFirst().json().getAsJsonArray("choices").get(0).getAsJsonObject()
                .getAsJsonObject("delta").get("role").getAsString());
        assertEquals(REPLY, text.toString());
        assertEquals((REPLY.length() + 2) / 3, contentChunks, "one chunk per piece the model wrote");
        assertEquals("stop", finish);
        assertNotNull(usage, "include_usage sends a usage chunk");
        assertEquals(contentChunks, usage.get("completion_tokens").getAsInt());
        assertEquals(0f, model.calls.getLast().params().temperature());
    }

    @Test
    void chat_completion_reports_length_when_max_tokens_runs_out_and_stops_at_any_stop_string() throws Exception {
        JsonObject o = json(post(base, "/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 3}"""));
        JsonObject c = o.getAsJsonArray("choices").get(0).getAsJsonObject();
        assertEquals("length", c.get("finish_reason").getAsString());
        assertEquals(REPLY.substring(0, 9), c.getAsJsonObject("message").get("content").getAsString());

        o = json(post(base, "/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "hi"}], "stop": ["[1]", "KY"]}"""));
        c = o.getAsJsonArray("choices").get(0).getAsJsonObject();
        assertEquals("stop", c.get("finish_reason").getAsString());
        assertEquals("The booking reference is ", c.getAsJsonObject("message").get("content").getAsString());
        assertEquals(List.of("[1]", "KY"), model.calls.getLast().params().stop());
    }

    @Test
    void chat_completion_accepts_text_parts_and_the_developer_role() throws Exception {
        HttpResponse<String> r = post(base, "/v1/chat/completions", """
                {"messages": [{"role": "developer", "content": "Rules."},
                              {"role": "user", "content": [{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}]},
                              {"role": "assistant", "content": null},
                              {"role": "user", "content": "again"}]}""");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(List.of(ChatMessage.system("Rules."), ChatMessage.user("Hello"), ChatMessage.assistant(""),
                ChatMessage.user("again")), model.calls.getLast().messages());
    }

    @Test
    void chat_completion_rejects_bad_parameters_naming_them() throws Exception {
        String user = "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]";
        Object[][] cases = {
            {"{}", "messages"},
            {"{\"messages\": []}", "messages"},
            {"{\"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}", "messages"},
            {"{\"messages\": [{\"content\": \"x\"}]}", "messages"},
            {"{\"messages\": [{\"role\": \"user\"}]}", "messages"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\", \"image_url\": {}}]}]}", "messages"},
            {"{" + user + ", \"temperature\": \"hot\"}", "temperature"},
            {"{" + user + ", \"temperature\": 3}", "temperature"},
            {"{" + user + ", \"top_p\": 0}", "top_p"},
            {"{" + user + ", \"top_p\": 1.5}", "top_p"},
            {"{" + user + ", \"max_tokens\": 0}", "max_tokens"},
            {"{" + user + ", \"max_tokens\": 2.5}", "max_tokens"},
            {"{" + user + ", \"n\": 2}", "n"},
            {"{" + user + ", \"seed\": 1.5}", "seed"},
            {"{" + user + ", \"stream\": \"yes\"}", "stream"},
            {"{" + user + ", \"stop\": [\"\"]}", "stop"},
            {"{" + user + ", \"stop\": 5}", "stop"},
            {"{" + user + ", \"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]}", "stop"},
            {"{" + user + ", \"frequency_penalty\": 0.5}", "frequency_penalty"},
            {"{" + user + ", \"tools\": [{\"type\": \"function\"}]}", "tools"},
        };
        for (Object[] c : cases) {
            HttpResponse<String> r = post(base, "/v1/chat/completions", (String) c[0]);
            assertError(r, 400, (String) c[1]);
        }
        assertTrue(model.calls.isEmpty(), "no bad request reached the model");
    }

    @Test
    void chat_completion_longer_than_the_window_is_400_context_length_exceeded() throws Exception {
        HttpResponse<String> r = post(base, "/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5000}""");
        JsonObject err = assertError(r, 400, "messages");
        assertEquals("context_length_exceeded", err.get("code").getAsString());
        assertTrue(err.get("message").getAsString().contains("2048"), err.toString());
    }

    // ---- /tokenize

    @Test
    void tokenize_counts_with_the_chat_models_tokenizer() throws Exception {
        JsonObject o = json(post(base, "/tokenize", "{\"model\": \"x\", \"prompt\": \"one two three\"}"));
        assertEquals(3, o.get("count").getAsInt());
        assertEquals(2048, o.get("max_model_len").getAsInt());
        o = json(post(base, "/v1/tokenize", """
                {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there"}],
                 "add_generation_prompt": true}"""));
        assertEquals(model.countPromptTokens(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hello there"))),
                o.get("count").getAsInt());
        assertError(post(base, "/tokenize", "{}"), 400, "prompt");
        assertError(get(base, "/tokenize"), 405, null);
    }

    // ---- /v1/embeddings

    @Test
    void embeddings_of_a_string_and_of_a_batch_equal_the_embedders_vectors() throws Exception {
        Embedder e = notebook.embedder();
        JsonObject one = json(post(base, "/v1/embeddings", """
                {"model": "x", "input": "When is the dentist appointment?"}"""));
        assertEquals("list", one.get("object").getAsString());
        assertEquals(e.modelId(), one.get("model").getAsString());
        JsonObject d0 = one.getAsJsonArray("data").get(0).getAsJsonObject();
        assertEquals("embedding", d0.get("object").getAsString());
        assertEquals(0, d0.get("index").getAsInt());
        assertArrayEquals(e.embed("When is the dentist appointment?"), floats(d0.getAsJsonArray("embedding")));

        List<String> texts = List.of("sourdough bread", "car insurance renewal", "Kyoto hotel booking");
        JsonObject batch = json(post(base, "/v1/embeddings", "{\"input\": " + TestSupport.jsonArray(texts) + "}"));
        JsonArray data = batch.getAsJsonArray("data");
        assertEquals(3, data.size());
        int tokens = 0;
        for (int i = 0; i < 3; i++) {
            JsonObject d = data.get(i).getAsJsonObject();
            assertEquals(i, d.get("index").getAsInt());
            assertArrayEquals(e.embed(texts.get(i)), floats(d.getAsJsonArray("embedding")));
            tokens += e.countTokens(texts.get(i));
        }
        assertEquals(tokens, batch.getAsJsonObject("usage").get("prompt_tokens").getAsInt());

        JsonObject b64 = json(post(base, "/v1/embeddings", """
                {"input": ["sourdough bread"], "encoding_format": "base64"}"""));
        byte[] raw = Base64.getDecoder().decode(b64.getAsJsonArray("data").get(0).getAsJsonObject().get("embedding").getAsString());
        float[] v = new float[raw.length / 4];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        assertArrayEquals(e.embed("sourdough bread"), v);
    }

    @Test
    void embeddings_reject_bad_input() throws Exception {
        assertError(post(base, "/v1/embeddings", "{}"), 400, "input");
        assertError(post(base, "/v1/embeddings", "{\"input\": []}"), 400, "input");
        assertError(post(base, "/v1/embeddings", "{\"input\": [[1, 2, 3]]}"), 400, "input");
        assertError(post(base, "/v1/embeddings", "{\"input\": [\"ok\", \"\"]}"), 400, "input");
        assertError(post(base, "/v1/embeddings", "{\"input\": 42}"), 400, "input");
        assertError(post(base, "/v1/embeddings", "{\"input\": \"x\", \"encoding_format\": \"int8\"}"), 400, "encoding_format");
        assertError(post(base, "/v1/embeddings", "{\"input\": \"x\", \"dimensions\": 100}"), 400, "dimensions");
    }

    // ---- /v1/notes and /v1/search

    @Test
    void a_note_added_over_http_is_found_read_and_deleted() throws Exception {
        HttpResponse<String> r = post(base, "/v1/notes", """
                {"title": "Gym", "text": "The gym membership costs 29 euros a month; cancel by 30 September.",
                 "tags": ["money", "sport"]}""");
        assertEquals(201, r.statusCode(), r.body());
        JsonObject created = json(r);
        String id = created.get("id").getAsString();
        assertEquals("note", created.get("object").getAsString());
        assertEquals("Gym", created.get("title").getAsString());

        JsonObject search = json(get(base, "/v1/search?q=" + enc("how much does the gym membership cost") + "&k=3"));
        JsonObject top = search.getAsJsonArray("data").get(0).getAsJsonObject();
        assertEquals(id, top.get("note_id").getAsString());
        assertEquals("Gym", top.get("title").getAsString());
        assertTrue(top.get("passage").getAsString().contains("29 euros"));
        assertEquals(List.of("money", "sport"), strings(top.getAsJsonArray("tags")));

        JsonObject note = json(get(base, "/v1/notes/" + id));
        assertEquals("The gym membership costs 29 euros a month; cancel by 30 September.", note.get("text").getAsString());

        HttpResponse<String> del = delete(base, "/v1/notes/" + id);
        assertEquals(200, del.statusCode());
        assertTrue(json(del).get("deleted").getAsBoolean());
        assertError(get(base, "/v1/notes/" + id), 404, null);
        assertError(delete(base, "/v1/notes/" + id), 404, null);
        JsonArray after = json(get(base, "/v1/search?q=" + enc("gym membership") + "&k=10")).getAsJsonArray("data");
        for (JsonElement h : after) {
            assertFalse(h.getAsJsonObject().get("note_id").getAsString().equals(id), "deleted note still found");
        }
    }

    @Test
    void search_and_ask_json_say_the_page_and_section_of_a_passage() throws Exception {
        // a paged body (form feeds, as a PDF's text is stored) with headings
        HttpResponse<String> r = post(base, "/v1/notes", "{\"title\": \"Boiler manual\", \"text\": "
                + "\"# Safety\\nKeep the vents clear.\\n\\f# Servicing\\nThe boiler pressure gauge should read 1.5 bar when cold.\\n\\f\"}");
        assertEquals(201, r.statusCode(), r.body());
        String id = json(r).get("id").getAsString();
        try {
            JsonObject top = json(get(base, "/v1/search?q=" + enc("boiler pressure gauge bar") + "&k=1"))
                    .getAsJsonArray("data").get(0).getAsJsonObject();
            assertEquals(id, top.get("note_id").getAsString());
            assertEquals(2, top.get("page").getAsInt(), top::toString);
            assertEquals("Servicing", top.get("section").getAsString(), top::toString);

            JsonObject a = json(post(base, "/v1/ask",
                    "{\"question\": \"What should the boiler pressure gauge read?\", \"stream\": false, \"k\": 3}"));
            JsonObject p = null;
            for (JsonElement e : a.getAsJsonArray("passages")) {
                if (e.getAsJsonObject().get("note_id").getAsString().equals(id)
                        && e.getAsJsonObject().get("passage").getAsString().contains("pressure gauge")) {
                    p = e.getAsJsonObject();
                }
            }
            assertTrue(p != null, a::toString);
            assertEquals(2, p.get("page").getAsInt(), p::toString);
            assertEquals("Servicing", p.get("section").getAsString(), p::toString);
            // the model sees the page in the passage's header
            String prompt = model.calls.getLast().messages().getLast().content();
            assertTrue(prompt.contains("title=\"Boiler manual\" date=\"")
                    && prompt.contains("\" page=\"2\" section=\"Servicing\">"), prompt);
        } finally {
            delete(base, "/v1/notes/" + id);
        }
    }

    @Test
    void note_ids_with_slashes_and_spaces_work_in_paths() throws Exception {
        HttpResponse<String> r = post(base, "/v1/notes", """
                {"id": "trips/2025 lisbon", "text": "Lisbon: tram 28 starts at Martim Moniz."}""");
        assertEquals(201, r.statusCode(), r.body());
        JsonObject n = json(get(base, "/v1/notes/trips%2F2025%20lisbon"));
        assertEquals("trips/2025 lisbon", n.get("id").getAsString());
        assertEquals("Lisbon: tram 28 starts at Martim Moniz.", n.get("title").getAsString(), "title defaults to the first line");
        assertEquals(200, delete(base, "/v1/notes/trips%2F2025%20lisbon").statusCode());
    }

    @Test
    void notes_reject_bad_fields() throws Exception {
        assertError(post(base, "/v1/notes", "{\"title\": \"x\"}"), 400, "text");
        assertError(post(base, "/v1/notes", "{\"text\": \"   \"}"), 400, "text");
        assertError(post(base, "/v1/notes", "{\"text\": \"x\", \"tags\": \"one\"}"), 400, "tags");
        assertError(post(base, "/v1/notes", "{\"text\": \"x\", \"tags\": [\"bad\\u0007tag\"]}"), 400, "tags");
        assertError(post(base, "/v1/notes", "{\"text\": 5}"), 400, "text");
    }

    @Test
    void notes_list_pages_through_the_notes() throws Exception {
        JsonArray two = json(get(base, "/v1/notes?limit=2")).getAsJsonArray("data");
        assertEquals(2, two.size());
        JsonArray all = json(get(base, "/v1/notes?limit=1000")).getAsJsonArray("data");
        assertTrue(all.size() >= TestSupport.NOTES.size());
        assertError(get(base, "/v1/notes?limit=0"), 400, "limit");
    }

    @Test
    void search_ranks_the_matching_note_first_and_filters_by_tag() throws Exception {
        HttpResponse<String> r = get(base, "/v1/search?q=" + enc("hotel booking reference in Kyoto") + "&k=3");
        assertEquals(200, r.statusCode());
        JsonArray data = json(r).getAsJsonArray("data");
        assertTrue(data.size() >= 1 && data.size() <= 3, data.toString());
        JsonObject top = data.get(0).getAsJsonObject();
        assertEquals("kyoto", top.get("note_id").getAsString());
        assertEquals(1, top.get("rank").getAsInt());
        for (String key : List.of("rank", "note_id", "title", "tags", "source", "passage", "start", "end", "score")) {
            assertTrue(top.has(key), key);
        }
        for (JsonElement h : json(get(base, "/v1/search?q=" + enc("appointment exercises") + "&tag=health")).getAsJsonArray("data")) {
            assertTrue(strings(h.getAsJsonObject().getAsJsonArray("tags")).contains("health"));
        }
        assertError(get(base, "/v1/search"), 400, "q");
        assertError(get(base, "/v1/search?q=%20"), 400, "q");
        assertError(get(base, "/v1/search?q=x&k=0"), 400, "k");
        assertError(get(base, "/v1/search?q=x&k=many"), 400, "k");
        assertError(get(base, "/v1/search?q=x&mode=fuzzy"), 400, "mode");
        assertError(get(base, "/v1/search?q=%E0%A4"), 400, null);
    }

    // ---- /v1/ask

    @Test
    void ask_streams_the_answer_then_the_citations_as_ask_json() throws Exception {
        HttpResponse<InputStream> r = postStream(base, "/v1/ask", """
                {"question": "What is the booking reference for the hotel in Kyoto?"}""");
        assertEquals(200, r.statusCode());
        List<TestSupport.Event> events = TestSupport.readEvents(r.body());
        assertEquals("[DONE]", events.getLast().data());
        StringBuilder streamed = new StringBuilder();
        int deltas = 0;
        JsonObject answer = null;
        for (TestSupport.Event e : events.subList(0, events.size() - 1)) {
            if (e.event().equals("delta")) {
                assertTrue(answer == null, "no delta after the answer");
                streamed.append(e.json().get("delta").getAsString());
                deltas++;
            } else {
                assertEquals("answer", e.event());
                answer = e.json();
            }
        }
        assertTrue(deltas > 3, "the answer came in pieces: " + deltas);
        assertNotNull(answer);
        assertEquals(List.of("answer", "kind", "context", "citations", "passages", "left_out", "timings", "note",
                "searched_for"),
                new ArrayList<>(answer.keySet()), "the keys of ask --json, in order");
        assertEquals(REPLY, answer.get("answer").getAsString());
        assertEquals(REPLY, streamed.toString());
        assertEquals("generated", answer.get("kind").getAsString());
        JsonArray citations = answer.getAsJsonArray("citations");
        assertEquals(1, citations.size());
        JsonObject c = citations.get(0).getAsJsonObject();
        assertEquals(1, c.get("n").getAsInt());
        assertEquals("kyoto", c.get("note_id").getAsString());
        assertEquals("Kyoto trip", c.get("title").getAsString());
        assertTrue(c.get("passage").getAsString().contains("KY-48213"));
        JsonObject p1 = answer.getAsJsonArray("passages").get(0).getAsJsonObject();
        assertEquals("kyoto", p1.get("note_id").getAsString());
        assertTrue(answer.getAsJsonObject("timings").has("total_ms"));
        assertTrue(answer.getAsJsonObject("timings").get("first_token_ms").getAsDouble() > 0, answer.toString());
        assertEquals("focused", answer.get("context").getAsString(), "focused packing unless asked otherwise");
        // the model saw the question and the passage in its prompt
        String prompt = model.calls.getLast().messages().toString();
        assertTrue(prompt.contains("What is the booking reference for the hotel in Kyoto?") && prompt.contains("KY-48213"));
    }

    @Test
    void ask_without_streaming_returns_the_ask_json_object() throws Exception {
        HttpResponse<String> r = post(base, "/v1/ask", """
                {"question": "When is the dentist appointment?", "stream": false, "k": 3, "max_tokens": 100,
                 "temperature": 0, "seed": 5}""");
        assertEquals(200, r.statusCode(), r.body());
        JsonObject a = json(r);
        assertEquals(REPLY, a.get("answer").getAsString());
        assertEquals("dentist", a.getAsJsonArray("citations").get(0).getAsJsonObject().get("note_id").getAsString());
        assertTrue(a.getAsJsonArray("passages").size() <= 3);
        GenerationParams p = model.calls.getLast().params();
        assertEquals(100, p.maxTokens());
        assertEquals(0f, p.temperature());
        assertEquals(5, p.seed());
    }

    @Test
    void ask_takes_the_packing_mode_and_says_which_it_used() throws Exception {
        for (String mode : List.of("whole", "focused", "WHOLE")) {
            HttpResponse<String> r = post(base, "/v1/ask", """
                    {"question": "When is the dentist appointment?", "stream": false, "context": "%s"}""".formatted(mode));
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(mode.toLowerCase(java.util.Locale.ROOT), json(r).get("context").getAsString());
            String user = model.calls.getLast().messages().get(1).content();
            assertTrue(user.contains(" date=\""), "whole or focused, each note comes with its date: " + user);
        }
        HttpResponse<String> bad = post(base, "/v1/ask", "{\"question\": \"x\", \"context\": \"summary\"}");
        assertError(bad, 400, "context");
        assertTrue(bad.body().contains("'summary'"), bad.body());
    }

    @Test
    void ask_rejects_a_missing_or_empty_question() throws Exception {
        assertError(post(base, "/v1/ask", "{}"), 400, "question");
        assertError(post(base, "/v1/ask", "{\"question\": \"  \"}"), 400, "question");
        assertError(post(base, "/v1/ask", "{\"question\": \"x\", \"k\": 0}"), 400, "k");
        assertError(post(base, "/v1/ask", "{\"question\": \"x\", \"tags\": \"a\"}"), 400, "tags");
    }

    // ---- errors

    @Test
    void malformed_bodies_are_400_in_openai_error_shape() throws Exception {
        String deep = "{\"messages\": " + "[".repeat(200_000) + "]".repeat(200_000) + "}";
        for (String body : List.of("{not json", "[1, 2]", "{} {}", "", "{\"messages\": [}", "{'single': 1}", deep)) {
            assertError(post(base, "/v1/chat/completions", body), 400, null);
        }
        HttpResponse<String> r = TestSupport.CLIENT.send(HttpRequest.newBuilder(base.resolve("/v1/notes"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {'{', '"', 't', 'e', 'x', 't', '"', ':', '"',
                            (byte) 0xC3, (byte) 0x28, '"', '}'})).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonObject err = assertError(r, 400, null);
        assertTrue(err.get("message").getAsString().contains("UTF-8"), err.toString());
    }

    @Test
    void unknown_paths_are_404_and_wrong_methods_405_with_allow() throws Exception {
        assertError(get(base, "/v1/nothing-here"), 404, null);
        assertError(get(base, "/nothing-here"), 404, null);
        HttpResponse<String> r = get(base, "/v1/chat/completions");
        assertError(r, 405, null);
        assertEquals("POST", r.headers().firstValue("Allow").orElse(""));
        r = delete(base, "/v1/search?q=x");
        assertError(r, 405, null);
        assertEquals("GET", r.headers().firstValue("Allow").orElse(""));
        r = post(base, "/v1/models", "{}");
        assertError(r, 405, null);
    }

    @Test
    void bodies_over_the_limit_are_413_with_or_without_content_length() throws Exception {
        try (Notebook nb = Notebook.builder(dir.resolve("small")).embedder(TestSupport.embedder()).build();
             PocketragServer small = PocketragServer.builder(nb).port(0).maxBodyBytes(1024).start()) {
            String big = "{\"text\": \"" + "x".repeat(4000) + "\"}";
            assertError(post(small.uri(), "/v1/notes", big), 413, null);
            HttpResponse<String> chunked = TestSupport.CLIENT.send(HttpRequest.newBuilder(small.uri().resolve("/v1/notes"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofInputStream(
                                    () -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertError(chunked, 413, null);
            assertEquals(0, nb.stats().notes(), "nothing was stored");
            assertEquals(201, post(small.uri(), "/v1/notes", "{\"text\": \"small enough\"}").statusCode());
        }
    }

    @Test
    void cross_site_requests_are_refused() throws Exception {
        HttpResponse<String> r = TestSupport.CLIENT.send(HttpRequest.newBuilder(base.resolve("/v1/notes"))
                        .header("Content-Type", "text/plain")
                        .header("Origin", "http://evil.example")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"text\": \"injected\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(r, 403, null);
        for (String origin : List.of("null", "http://" + base.getAuthority() + ".evil.example", "file://")) {
            assertError(TestSupport.CLIENT.send(HttpRequest.newBuilder(base.resolve("/v1/notes/kyoto"))
                    .header("Origin", origin).DELETE().build(), HttpResponse.BodyHandlers.ofString()), 403, null);
        }
        assertTrue(notebook.get("kyoto").isPresent());
        // same origin is fine, also behind a proxy that speaks https
        assertEquals(201, TestSupport.CLIENT.send(HttpRequest.newBuilder(base.resolve("/v1/notes"))
                        .header("Content-Type", "application/json").header("Origin", "https://" + base.getAuthority())
                        .POST(HttpRequest.BodyPublishers.ofString("{\"id\": \"same-origin\", \"text\": \"ok\"}")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(200, delete(base, "/v1/notes/same-origin").statusCode());
        r = TestSupport.CLIENT.send(HttpRequest.newBuilder(base.resolve("/v1/search?q=x"))
                        .header("Origin", "http://" + base.getAuthority()).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        // DNS rebinding: a foreign Host name on a loopback server (java.net.http will not send a Host header of ours)
        try (Socket s = new Socket(base.getHost(), base.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /v1/models HTTP/1.1\r\nHost: rebind.evil.example:" + base.getPort()
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 403"), response);
            assertTrue(response.contains("\"error\""), response);
        }
    }

    @Test
    void a_failing_model_is_a_500_and_the_server_goes_on() throws Exception {
        model.failWith = new IllegalStateException("tensor exploded");
        JsonObject err = assertError(post(base, "/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"), 500, null);
        assertEquals("server_error", err.get("type").getAsString());
        assertTrue(err.get("message").getAsString().contains("tensor exploded"), err.toString());
        // streaming: the headers are gone already, so the error is an event, then [DONE]
        HttpResponse<InputStream> r = postStream(base, "/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stream\": true}");
        List<TestSupport.Event> events = TestSupport.readEvents(r.body());
        assertEquals("[DONE]", events.getLast().data());
        JsonObject streamed = events.get(events.size() - 2).json().getAsJsonObject("error");
        assertEquals("server_error", streamed.get("type").getAsString());
        assertTrue(streamed.get("message").getAsString().contains("tensor exploded"), streamed.toString());
        model.failWith = null;
        assertEquals(200, post(base, "/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}").statusCode());
    }

    // ---- the page

    @Test
    void the_page_is_served_at_root_with_a_strict_policy_and_no_outside_urls() throws Exception {
        HttpResponse<String> page = get(base, "/");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"), csp);
        assertTrue(page.body().contains("<script src=\"/app.js\"></script>"));
        for (String path : List.of("/", "/app.js", "/style.css")) {
            HttpResponse<String> r = get(base, path);
            assertEquals(200, r.statusCode(), path);
            assertFalse(r.body().contains("http://") || r.body().contains("https://") || r.body().contains("src=\"//")
                    || r.body().contains("@import"), path + " refers to something outside this server");
        }
        assertTrue(get(base, "/app.js").headers().firstValue("Content-Type").orElse("").startsWith("text/javascript"));
        assertEquals(204, get(base, "/favicon.ico").statusCode());
    }

    // ---- helpers

    /** Asserts an OpenAI-shaped error with {@code status} (and {@code param} unless null); returns the error object. */
    static JsonObject assertError(HttpResponse<String> r, int status, String param) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().toString());
        JsonObject o = json(r);
        assertEquals(List.of("error"), new ArrayList<>(o.keySet()));
        JsonObject err = o.getAsJsonObject("error");
        assertEquals(List.of("message", "type", "param", "code"), new ArrayList<>(err.keySet()));
        assertFalse(err.get("message").getAsString().isBlank());
        assertFalse(err.get("type").getAsString().isBlank());
        if (param != null) {
            assertEquals(param, err.get("param").isJsonNull() ? null : err.get("param").getAsString(), err.toString());
        }
        return err;
    }

    static float[] floats(JsonArray a) {
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).getAsFloat();
        }
        return v;
    }

    static List<String> strings(JsonArray a) {
        List<String> out = new ArrayList<>();
        a.forEach(e -> out.add(e.getAsString()));
        return out;
    }

    static String enc(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
