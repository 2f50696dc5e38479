package dev.pocketrag.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.chat.TokenListener;
import dev.pocketrag.generation.gguf.GgmlType;
import dev.pocketrag.generation.gguf.GgufFormatException;
import dev.pocketrag.generation.gguf.GgufValue;
import dev.pocketrag.generation.gguf.GgufWriter;
import dev.pocketrag.generation.gguf.UnsupportedModelException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The public API on the real stories260K model (../shared/models) and on small synthetic models. */
class GgufChatModelTest {
    private static Path shared;
    private static GgufChatModel stories;

    @BeforeAll
    static void load() throws IOException {
        String s = System.getProperty("pocketrag.shared");
        assumeTrue(s != null && Files.isDirectory(Path.of(s)), "pocketrag.shared is not set: skipping");
        shared = Path.of(s);
        stories = GgufChatModel.load(shared.resolve("models/stories260K.gguf"),
                GgufChatModel.Options.defaults().withThreads(2).withSeed(7));
    }

    @AfterAll
    static void close() {
        if (stories != null) {
            stories.close();
        }
    }

    /** The greedy sample published with the model, from ../shared/models/README.md (its fenced block). */
    private static String publishedStory() throws IOException {
        String readme = Files.readString(shared.resolve("models/README.md"), StandardCharsets.UTF_8);
        int intro = readme.indexOf("Greedy decoding");
        int start = readme.indexOf("```\n", intro) + 4;
        int end = readme.indexOf("\n```", start);
        assertTrue(intro >= 0 && start > intro && end > start, "README has the published sample");
        return readme.substring(start, end); // the line break before the closing fence is Markdown, not text
    }

    @Test
    void greedy_stories260K_prints_the_published_story_byte_for_byte() throws IOException {
        String expected = publishedStory();
        String prompt = "Once upon a time";
        int[] ids = stories.tokenizer().encode(prompt, true, false);
        // The published sample is llama2.c's "run stories260K.bin -t 0" with its default of 256 steps:
        // position 0 is BOS, every later position prints one token, the first ones being the prompt's.
        int maxTokens = 256 - (ids.length - 1);
        StringBuilder streamed = new StringBuilder(prompt);
        ChatCompletion c = stories.complete(prompt, GenerationParams.greedy().withMaxTokens(maxTokens), piece -> {
            streamed.append(piece);
            return true;
        });
        assertEquals(expected, prompt + c.text());
        assertEquals(prompt + c.text(), streamed.toString());
        assertEquals(ChatCompletion.FinishReason.LENGTH, c.finishReason());
        assertEquals(ids.length, c.usage().promptTokens());
        assertEquals(maxTokens, c.usage().completionTokens());
    }

    @Test
    void greedy_output_is_the_same_with_one_thread_and_small_batches() throws IOException {
        String prompt = "Lily and Tom went to the park.";
        GenerationParams p = GenerationParams.greedy().withMaxTokens(40);
        String expected = stories.complete(prompt, p).text();
        try (GgufChatModel m = GgufChatModel.load(shared.resolve("models/stories260K.gguf"),
                GgufChatModel.Options.defaults().withThreads(1).withBatchSize(3))) {
            assertEquals(expected, m.complete(prompt, p).text());
        }
    }

    @Test
    void same_seed_gives_the_same_sampled_text_and_another_seed_another() {
        GenerationParams p = GenerationParams.defaults().withTemperature(1.0f).withMaxTokens(60).withSeed(1234);
        String a = stories.complete("The little dog", p).text();
        String b = stories.complete("The little dog", p).text();
        String c = stories.complete("The little dog", p.withSeed(99)).text();
        assertEquals(a, b);
        assertNotEquals(a, c);
    }

    @Test
    void default_seed_draws_from_the_model_seed() throws IOException {
        GenerationParams p = GenerationParams.defaults().withTemperature(1.0f).withMaxTokens(40);
        List<String> first = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            try (GgufChatModel m = GgufChatModel.load(shared.resolve("models/stories260K.gguf"),
                    GgufChatModel.Options.defaults().withThreads(1).withSeed(5))) {
                String x = m.complete("One day", p).text();
                String y = m.complete("One day", p).text();
                assertNotEquals(x, y, "each call draws a new seed from the model's generator");
                first.add(x + "|" + y);
            }
        }
        assertEquals(first.get(0), first.get(1), "same model seed, same sequence of outputs");
    }

    @Test
    void prompt_and_max_tokens_beyond_the_context_is_an_error_naming_both() throws IOException {
        try (GgufChatModel m = GgufChatModel.load(shared.resolve("models/stories260K.gguf"),
                GgufChatModel.Options.defaults().withContextLength(32).withThreads(1))) {
            assertEquals(32, m.contextLength());
            int n = m.tokenizer().encode("Once upon a time", true, false).length;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.complete("Once upon a time", GenerationParams.greedy().withMaxTokens(30)));
            assertTrue(e.getMessage().contains(n + " tokens") && e.getMessage().contains((n + 30) + " tokens")
                    && e.getMessage().contains("32 tokens"), e.getMessage());
            // exactly filling the context is fine
            ChatCompletion c = m.complete("Once upon a time", GenerationParams.greedy().withMaxTokens(32 - n));
            assertEquals(32 - n, c.usage().completionTokens());
        }
    }

    @Test
    void default_context_is_the_trained_one_up_to_4096() {
        assertEquals(Math.min(2048, GgufChatModel.DEFAULT_CONTEXT), stories.contextLength());
    }

    @Test
    void stop_string_ends_generation_and_is_never_streamed() {
        GenerationParams p = GenerationParams.greedy().withMaxTokens(100);
        String full = stories.complete("Once upon a time", p).text();
        // "little girl" spans several tokens of this 512-token vocabulary
        int at = full.indexOf("little girl");
        assertTrue(at > 0, full);
        StringBuilder streamed = new StringBuilder();
        ChatCompletion c = stories.complete("Once upon a time", p.withStop(List.of("little girl", "zzz")), piece -> {
            streamed.append(piece);
            return true;
        });
        assertEquals(full.substring(0, at), c.text());
        assertEquals(c.text(), streamed.toString());
        assertEquals(ChatCompletion.FinishReason.STOP, c.finishReason());
    }

    @Test
    void listener_returning_false_cancels() {
        int[] calls = {0};
        ChatCompletion c = stories.complete("Once upon a time", GenerationParams.greedy().withMaxTokens(100),
                piece -> ++calls[0] < 3);
        assertEquals(ChatCompletion.FinishReason.CANCELLED, c.finishReason());
        assertEquals(3, calls[0]);
        assertTrue(c.usage().completionTokens() < 10, c.usage().toString());
    }

    @Test
    void chat_without_template_falls_back_to_chatml_and_counts_its_prompt() {
        assertEquals(dev.pocketrag.generation.chat.ChatTemplate.Family.CHATML, stories.chatTemplate().family());
        assertFalse(stories.chatTemplate().recognised());
        List<ChatMessage> msgs = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"));
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                stories.renderPrompt(msgs));
        int n = stories.countPromptTokens(msgs);
        ChatCompletion c = stories.chat(msgs, GenerationParams.greedy().withMaxTokens(5));
        assertEquals(n, c.usage().promptTokens());
    }

    @Test
    void concurrent_callers_are_serialised_and_get_their_own_results() throws Exception {
        GenerationParams p = GenerationParams.greedy().withMaxTokens(30);
        String a = stories.complete("Once upon a time", p).text();
        String b = stories.complete("The little dog was very sad because", p).text();
        ExecutorService ex = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> fs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String prompt = i % 2 == 0 ? "Once upon a time" : "The little dog was very sad because";
                fs.add(ex.submit(() -> stories.complete(prompt, p).text()));
            }
            for (int i = 0; i < 8; i++) {
                assertEquals(i % 2 == 0 ? a : b, fs.get(i).get());
            }
        } finally {
            ex.shutdown();
        }
    }

    @Test
    void reusing_the_cached_prefix_gives_the_same_text() {
        GenerationParams p = GenerationParams.greedy().withMaxTokens(20);
        String once = stories.complete("Lily and Tom went to the park. They", p).text();
        stories.complete("Lily and Tom went to the park.", p); // leaves a shared prefix in the cache
        ChatCompletion again = stories.complete("Lily and Tom went to the park. They", p);
        assertEquals(once, again.text());
        assertTrue(again.timings().promptTokens() < again.usage().promptTokens(), "prefix reused: " + again.timings());
    }

    @Test
    void close_is_idempotent_and_calls_after_close_fail() throws IOException {
        GgufChatModel m = GgufChatModel.load(shared.resolve("models/stories260K.gguf"),
                GgufChatModel.Options.defaults().withThreads(2));
        m.close();
        m.close();
        assertThrows(IllegalStateException.class, () -> m.complete("Once", GenerationParams.greedy().withMaxTokens(2)));
    }

    @Test
    void load_says_model_file_not_found_and_refuses_a_folder_by_name(@TempDir Path dir) {
        Path missing = dir.resolve("nope.gguf");
        java.nio.file.NoSuchFileException e = assertThrows(java.nio.file.NoSuchFileException.class,
                () -> GgufChatModel.load(missing));
        assertEquals(missing.toString(), e.getFile());
        assertEquals("model file not found", e.getReason());
        IllegalArgumentException folder = assertThrows(IllegalArgumentException.class, () -> GgufChatModel.load(dir));
        assertEquals("model " + dir + " is a folder, not a .gguf file", folder.getMessage());
    }

    @Test
    void unsupported_architecture_names_the_supported_ones(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("gpt2.gguf");
        GgufWriter w = tinyModel("gpt2", 2);
        w.write(f);
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> GgufChatModel.load(f));
        assertTrue(e.getMessage().contains("'gpt2'") && e.getMessage().contains("llama, qwen2, qwen3, phi3"),
                e.getMessage());
    }

    @Test
    void end_of_generation_token_stops_and_is_not_text(@TempDir Path dir) throws IOException {
        // a model whose only possible next token is EOS (id 2): zero attention and FFN weights, and an
        // output matrix with a single non-zero row
        Path f = dir.resolve("eos.gguf");
        tinyModel("llama", 2).write(f);
        try (GgufChatModel m = GgufChatModel.load(f, GgufChatModel.Options.defaults().withThreads(1))) {
            GgufChatModel.Generation g = m.generate(m.tokenizer().encode("Once", true, false),
                    GenerationParams.defaults().withMaxTokens(10).withSeed(1), TokenListener.NONE);
            assertArrayEquals(new int[] {2}, g.tokens());
            assertEquals("", g.completion().text());
            assertEquals(ChatCompletion.FinishReason.STOP, g.completion().finishReason());
        }
    }

    @Test
    void nan_weights_fail_with_an_error_naming_the_model_instead_of_an_empty_answer(@TempDir Path dir)
            throws IOException {
        Path f = dir.resolve("damaged.gguf");
        tinyModel("llama", 2).write(f);
        long at;
        int n;
        try (Gguf g = Gguf.open(f)) {
            var t = g.tensor("output_norm.weight");
            at = g.dataOffset() + t.offset();
            n = (int) (t.byteSize() / 4);
        }
        java.nio.ByteBuffer nan = java.nio.ByteBuffer.allocate(4 * n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            nan.putFloat(i == 3 ? Float.POSITIVE_INFINITY : Float.NaN);
        }
        nan.flip();
        try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(nan, at);
        }
        try (GgufChatModel m = GgufChatModel.load(f, GgufChatModel.Options.defaults().withThreads(1))) {
            NonFiniteLogitsException e = assertThrows(NonFiniteLogitsException.class,
                    () -> m.chat(List.of(ChatMessage.user("Once")), GenerationParams.greedy().withMaxTokens(5)));
            assertTrue(e.getMessage().contains("damaged.gguf") && e.getMessage().contains("NaN"), e.getMessage());
        }
    }

    @Test
    void missing_tensor_is_a_format_error_naming_it(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("broken.gguf");
        GgufWriter w = tinyModel("llama", 2);
        w.write(f);
        // rewrite without blk.0.ffn_down.weight
        try (Gguf g = Gguf.open(f)) {
            GgufWriter w2 = new GgufWriter().metadata(g.file().metadata());
            for (var t : g.tensors()) {
                if (!t.name().equals("blk.0.ffn_down.weight")) {
                    w2.addTensor(t.name(), t.type(), t.dims(), g.tensorData(t));
                }
            }
            w2.write(dir.resolve("broken2.gguf"));
        }
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufChatModel.load(dir.resolve("broken2.gguf")));
        assertTrue(e.getMessage().contains("blk.0.ffn_down.weight"), e.getMessage());
    }

    /**
     * A one-layer F32 model with the stories260K vocabulary: embeddings all ones, attention and FFN
     * weights zero, output row {@code eos} ones and every other row zero, so EOS always wins.
     */
    private static GgufWriter tinyModel(String arch, int eos) throws IOException {
        GgufWriter w = new GgufWriter();
        int vocab;
        try (Gguf v = Gguf.open(shared.resolve("models/stories260K.gguf"))) {
            vocab = v.getArrayLength("tokenizer.ggml.tokens");
            for (String k : v.keys()) {
                if (k.startsWith("tokenizer.")) {
                    w.put(k, v.get(k));
                }
            }
        }
        int dim = 32;
        int ff = 64;
        String a = arch + ".";
        w.put("general.architecture", GgufValue.ofString(arch));
        w.put(a + "context_length", GgufValue.ofUint32(128));
        w.put(a + "embedding_length", GgufValue.ofUint32(dim));
        w.put(a + "block_count", GgufValue.ofUint32(1));
        w.put(a + "feed_forward_length", GgufValue.ofUint32(ff));
        w.put(a + "attention.head_count", GgufValue.ofUint32(4));
        w.put(a + "attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        float[] emb = new float[dim * vocab];
        java.util.Arrays.fill(emb, 1f);
        float[] out = new float[dim * vocab];
        java.util.Arrays.fill(out, eos * dim, (eos + 1) * dim, 1f);
        float[] ones = new float[dim];
        java.util.Arrays.fill(ones, 1f);
        w.addTensor("token_embd.weight", new long[] {dim, vocab}, emb);
        w.addTensor("output.weight", new long[] {dim, vocab}, out);
        w.addTensor("output_norm.weight", new long[] {dim}, ones);
        w.addTensor("blk.0.attn_norm.weight", new long[] {dim}, ones);
        w.addTensor("blk.0.ffn_norm.weight", new long[] {dim}, ones);
        for (String n : List.of("attn_q", "attn_k", "attn_v", "attn_output")) {
            w.addTensor("blk.0." + n + ".weight", new long[] {dim, dim}, new float[dim * dim]);
        }
        w.addTensor("blk.0.ffn_gate.weight", new long[] {dim, ff}, new float[dim * ff]);
        w.addTensor("blk.0.ffn_up.weight", new long[] {dim, ff}, new float[dim * ff]);
        w.addTensor("blk.0.ffn_down.weight", GgmlType.F32, new long[] {ff, dim}, new byte[4 * ff * dim]);
        return w;
    }
}
