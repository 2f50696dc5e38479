package dev.pocketrag.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.GenerationParams;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The wire format round trip: what one side of {@link OpenAiWire} writes, the other side reads back
 * as the same value, sent through JSON text (as on the wire). The client encodes requests and the
 * server decodes them; the server encodes chunks, usage, errors, models and counts and the client
 * decodes them.
 */
class OpenAiWireTest {
    static final long SEED = Long.getLong("pocketrag.test.seed", System.nanoTime());

    @BeforeAll
    static void printSeed() {
        System.out.println("OpenAiWireTest seed " + SEED + " (replay with -Dpocketrag.test.seed=" + SEED + ")");
    }

    /** Through JSON text, as the bytes on the wire. */
    static JsonObject wire(JsonObject o) {
        return JsonParser.parseString(o.toString()).getAsJsonObject();
    }

    static String randomText(SplittableRandom rnd) {
        String[] parts = {"Hello", " wörld", "\n", "\"quoted\"", "日本語", "😀", "<|im_end|>", "\\", "\t", "", "data: [DONE]"};
        StringBuilder sb = new StringBuilder();
        for (int i = rnd.nextInt(6); i > 0; i--) {
            sb.append(parts[rnd.nextInt(parts.length)]);
        }
        return sb.toString();
    }

    /** Sampling parameters inside the ranges the API accepts (temperature 0..2, presence penalty -2..2, 32-bit seeds). */
    static GenerationParams randomParams(SplittableRandom rnd) {
        List<String> stop = new ArrayList<>();
        for (int i = rnd.nextInt(4); i > 0; i--) {
            stop.add("stop" + rnd.nextInt(100) + (rnd.nextBoolean() ? "\n" : "</s>"));
        }
        boolean penalty = rnd.nextBoolean();
        return new GenerationParams(
                1 + rnd.nextInt(1_000_000),
                rnd.nextInt(201) / 100f,
                rnd.nextInt(200),
                rnd.nextInt(1, 101) / 100f,
                rnd.nextInt(101) / 100f,
                penalty ? rnd.nextInt(1, 1001) / 100f : 1f,
                penalty ? rnd.nextInt(65537) : GenerationParams.defaults().repeatLastN(),
                rnd.nextBoolean() ? 0f : rnd.nextInt(-200, 201) / 100f,
                rnd.nextBoolean() ? GenerationParams.DEFAULT_SEED : rnd.nextLong(1L << 32),
                stop);
    }

    @Test
    void a_request_the_client_encodes_decodes_on_the_server_to_the_same_messages_and_params() {
        SplittableRandom rnd = new SplittableRandom(SEED);
        ChatMessage.Role[] roles = ChatMessage.Role.values();
        for (int i = 0; i < 500; i++) {
            List<ChatMessage> messages = new ArrayList<>();
            for (int m = 1 + rnd.nextInt(4); m > 0; m--) {
                messages.add(new ChatMessage(roles[rnd.nextInt(roles.length)], randomText(rnd)));
            }
            GenerationParams params = randomParams(rnd);
            OpenAiWire.ChatRequest back = OpenAiWire.decodeRequest(
                    wire(OpenAiWire.encodeRequest("the-model", messages, params, true)));
            assertEquals(messages, back.messages(), "case " + i + ", seed " + SEED);
            assertEquals(params, back.params(back.maxTokens()), "case " + i + ", seed " + SEED);
            assertEquals(params.maxTokens(), back.maxTokens());
            assertEquals("the-model", back.model());
            assertEquals(true, back.stream());
            assertEquals(true, back.includeUsage());
        }
    }

    @Test
    void without_extensions_the_server_reads_its_defaults_for_llama_cpp_fields() {
        GenerationParams params = GenerationParams.greedy().withTopK(7).withMinP(0.5f).withRepeatPenalty(1.3f, 10);
        OpenAiWire.ChatRequest back = OpenAiWire.decodeRequest(
                wire(OpenAiWire.encodeRequest("m", List.of(ChatMessage.user("hi")), params, false)));
        GenerationParams defaults = GenerationParams.defaults();
        assertEquals(params.withTopK(defaults.topK()).withMinP(defaults.minP())
                .withRepeatPenalty(defaults.repeatPenalty(), defaults.repeatLastN()), back.params(params.maxTokens()));
    }

    @Test
    void a_seed_travels_as_its_low_32_bits() {
        GenerationParams params = GenerationParams.greedy().withSeed(-5L);
        OpenAiWire.ChatRequest back = OpenAiWire.decodeRequest(
                wire(OpenAiWire.encodeRequest("m", List.of(ChatMessage.user("hi")), params, true)));
        assertEquals(0xFFFF_FFFBL, back.params(1).seed());
    }

    @Test
    void stream_chunks_the_server_encodes_decode_on_the_client_to_the_same_pieces_reason_usage_and_timings() {
        SplittableRandom rnd = new SplittableRandom(SEED + 1);
        for (int i = 0; i < 200; i++) {
            String piece = randomText(rnd) + "x";
            int prompt = rnd.nextInt(100_000);
            ChatCompletion.Usage usage = new ChatCompletion.Usage(prompt, rnd.nextInt(10_000), rnd.nextInt(prompt + 1));
            ChatCompletion.Timings timings = new ChatCompletion.Timings(rnd.nextInt(1_000_000) / 8.0,
                    rnd.nextInt(1_000_000) / 4.0, rnd.nextInt(100_000), rnd.nextInt(10_000));
            ChatCompletion.FinishReason reason = ChatCompletion.FinishReason.values()[rnd.nextInt(3)];
            ChatCompletion c = new ChatCompletion(piece, reason, usage, timings);

            OpenAiWire.Chunk role = OpenAiWire.decodeChunk(OpenAiWire.roleChunk("id", 1, "m").toString());
            assertEquals("", role.content());
            assertNull(role.finishReason());

            OpenAiWire.Chunk content = OpenAiWire.decodeChunk(OpenAiWire.contentChunk("id", 1, "m", piece).toString());
            assertEquals(piece, content.content(), "seed " + SEED);
            assertNull(content.finishReason());
            assertNull(content.usage());
            assertNull(content.error());

            OpenAiWire.Chunk last = OpenAiWire.decodeChunk(OpenAiWire.finalChunk("id", 1, "m", c).toString());
            assertEquals(reason, OpenAiWire.decodeFinishReason(last.finishReason()));
            assertEquals(timings, last.timings());
            assertEquals(usage.cachedPromptTokens(), last.cacheN());
            assertNull(last.content());

            OpenAiWire.Chunk u = OpenAiWire.decodeChunk(OpenAiWire.usageChunk("id", 1, "m", usage).toString());
            assertEquals(new ChatCompletion.Usage(usage.promptTokens(), usage.completionTokens()), u.usage());
            assertEquals(usage.cachedPromptTokens(), u.cachedTokens());

            OpenAiWire.Chunk whole = OpenAiWire.decodeChunk(OpenAiWire.completion("id", 1, "m", c).toString());
            assertEquals(piece, whole.content());
            assertEquals(reason, OpenAiWire.decodeFinishReason(whole.finishReason()));
            assertEquals(new ChatCompletion.Usage(usage.promptTokens(), usage.completionTokens()), whole.usage());
            assertEquals(usage.cachedPromptTokens(), whole.cachedTokens());
            assertEquals(timings, whole.timings());
        }
    }

    @Test
    void an_error_the_server_encodes_is_the_message_the_client_reports() {
        String message = "'top_p' must be in (0, 1]; got 0";
        JsonObject error = OpenAiWire.error(message, "invalid_request_error", "top_p", "invalid_value");
        assertEquals(message, OpenAiWire.errorMessage(error.toString()));
        assertEquals(message, OpenAiWire.decodeChunk(error.toString()).error());
        JsonObject bare = OpenAiWire.error("no chat model", "server_error", null, null);
        assertEquals("no chat model", OpenAiWire.errorMessage(bare.toString()));
        // other servers' shapes
        assertEquals("model not found", OpenAiWire.errorMessage("{\"error\": \"model not found\"}"));
        assertEquals("bad input", OpenAiWire.errorMessage("{\"detail\": \"bad input\"}"));
        assertEquals("Bad Gateway", OpenAiWire.errorMessage("  Bad\n Gateway "));
    }

    @Test
    void a_request_the_server_cannot_honour_is_refused_naming_the_field() {
        JsonObject req = OpenAiWire.encodeRequest("m", List.of(ChatMessage.user("hi")), GenerationParams.greedy(), true);
        req.addProperty("top_p", 0);
        OpenAiWire.BadRequest e = assertThrows(OpenAiWire.BadRequest.class, () -> OpenAiWire.decodeRequest(req));
        assertEquals("top_p", e.param());
        assertEquals("'top_p' must be in (0, 1]; got 0", e.getMessage());
        req.addProperty("top_p", 0.5);
        req.addProperty("n", 2);
        assertEquals("n", assertThrows(OpenAiWire.BadRequest.class, () -> OpenAiWire.decodeRequest(req)).param());
        req.remove("n");
        req.add("messages", new JsonArray());
        assertEquals("messages", assertThrows(OpenAiWire.BadRequest.class, () -> OpenAiWire.decodeRequest(req)).param());
    }

    @Test
    void the_model_entry_and_token_counts_read_back() {
        JsonObject list = new JsonObject();
        JsonArray data = new JsonArray();
        data.add(OpenAiWire.modelEntry("qwen", 1_700_000_000L, 32768));
        list.add("data", data);
        assertEquals(List.of(new OpenAiWire.ModelInfo("qwen", 32768)), OpenAiWire.decodeModels(list.toString()));
        assertEquals(List.of(new OpenAiWire.ModelInfo("v", 8192)),
                OpenAiWire.decodeModels("{\"data\": [{\"object\": \"model\"}, {\"id\": \"v\", \"max_model_len\": 8192}]}"));
        assertThrows(IllegalArgumentException.class, () -> OpenAiWire.decodeModels("{\"models\": []}"));

        List<ChatMessage> messages = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hello"));
        assertEquals(messages, OpenAiWire.decodeMessages(wire(OpenAiWire.tokenizeMessages("m", messages))));
        assertEquals("Hello", wire(OpenAiWire.tokenizeText("m", "Hello")).get("prompt").getAsString());
        assertEquals(42, wire(OpenAiWire.countAnswer(42, 4096)).get("count").getAsInt());
    }
}
