package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.chat.TokenListener;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.generation.GgufTokenizer;
import dev.pocketrag.generation.Tokenizers;
import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.ContextMode;
import dev.pocketrag.retrieval.ImportListener;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.internal.PromptBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Context recall of {@code ask}'s packing on the sample notes: for each question of
 * {@code examples/QUESTIONS.md}, the share of its expected answer's key facts (the test resource
 * {@code question-key-facts.tsv}, derived from that file) present in the prompt the chat model
 * gets, for whole-chunk and focused packing under the same budget: a 4096-token window with 384
 * answer tokens, counted with the real Qwen2 tokenizer (from ../shared) through the chatml
 * template, passages retrieved with the real MiniLM embedder. (It lives here, not in retrieval,
 * because it needs the GGUF engine's tokenizer and retrieval knows only the ChatModel contract.)
 */
class ContextRecallTest {
    static final Path VOCAB = Path.of(System.getProperty("pocketrag.shared", "../shared"),
            "reference/vocab/ggml-vocab-qwen2.gguf");
    static final Path NOTES = Path.of("../notes");
    static final int WINDOW = 4096;

    @TempDir
    static Path dir;

    static Embedder embedder;
    static Notebook notebook;
    static PromptRecorder model;

    /**
     * A chat model that only counts tokens (Qwen2's tokenizer, chatml template, as a Qwen2.5 GGUF
     * would) and records the prompts it is given; it answers nothing.
     */
    static final class PromptRecorder implements ChatModel {
        final GgufTokenizer tokenizer;
        final List<List<ChatMessage>> prompts = new ArrayList<>();

        PromptRecorder(GgufTokenizer tokenizer) {
            this.tokenizer = tokenizer;
        }

        @Override
        public String name() {
            return "qwen2-tokenizer";
        }

        @Override
        public int contextLength() {
            return WINDOW;
        }

        @Override
        public int countTokens(String text) {
            return tokenizer.countTokens(text);
        }

        @Override
        public int countPromptTokens(List<ChatMessage> messages) {
            return tokenizer.promptTokens(messages).length;
        }

        @Override
        public ChatCompletion chat(List<ChatMessage> messages, GenerationParams params, TokenListener listener) {
            int prompt = countPromptTokens(messages);
            assertTrue(prompt + params.maxTokens() <= WINDOW, "prompt " + prompt + " over the budget");
            prompts.add(messages);
            return new ChatCompletion("", ChatCompletion.FinishReason.STOP, new ChatCompletion.Usage(prompt, 0),
                    ChatCompletion.Timings.NONE);
        }

        @Override
        public void close() {}
    }

    /** A question of QUESTIONS.md and the key facts of its expected answer. */
    record Question(int n, String text, List<String> facts) {}

    static List<Question> questions() throws IOException {
        List<Question> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                ContextRecallTest.class.getResourceAsStream("question-key-facts.tsv"), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t");
                out.add(new Question(Integer.parseInt(f[0]), f[1], List.of(f[2].split("\\s*;\\s*"))));
            }
        }
        return out;
    }

    /** Lower case, without markdown emphasis, white space runs as one space. */
    static String normalize(String s) {
        return s.replace("**", "").replace("__", "").replace("`", "").replace("*", "")
                .replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }

    static int found(List<String> facts, String text) {
        String t = normalize(text);
        int n = 0;
        for (String f : facts) {
            if (t.contains(normalize(f))) {
                n++;
            }
        }
        return n;
    }

    @BeforeAll
    static void importTheSampleNotes() throws IOException {
        assumeTrue(Files.exists(VOCAB), () -> "skipped: " + VOCAB + " not found (../shared beside the checkout is absent)");
        assumeTrue(Files.isDirectory(NOTES), () -> "skipped: " + NOTES + " not found");
        embedder = Embedders.miniLm();
        model = new PromptRecorder(Tokenizers.open(VOCAB));
        notebook = Notebook.builder(dir).embedder(embedder).chatModel(model).build();
        notebook.importFolder(NOTES, ImportListener.NONE);
    }

    @AfterAll
    static void close() throws IOException {
        if (notebook != null) {
            notebook.close();
        }
        if (embedder != null) {
            embedder.close();
        }
    }

    /** What one packing gave the model for one question. */
    record Packed(int found, int prompt, String user) {}

    static Packed pack(Question q, ContextMode mode) throws IOException {
        int before = model.prompts.size();
        Answer a = notebook.ask(q.text(), AskOptions.defaults().withContext(mode));
        assertEquals(Answer.Kind.GENERATED, a.kind(), q.text());
        assertEquals(mode, a.context());
        assertEquals(before + 1, model.prompts.size());
        List<ChatMessage> prompt = model.prompts.get(before);
        String user = prompt.get(1).content();
        return new Packed(found(q.facts(), user), model.countPromptTokens(prompt), user);
    }

    @Test
    void every_key_fact_is_written_in_the_sample_notes() throws IOException {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.walk(NOTES)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                all.append(Files.readString(f)).append('\n');
            }
        }
        for (Question q : questions()) {
            for (String f : q.facts()) {
                assertEquals(1, found(List.of(f), all.toString()), "question " + q.n() + ": '" + f + "' is in no note");
            }
        }
        assertEquals(12, questions().size());
    }

    @Test
    void focused_packing_keeps_every_fact_whole_chunks_give_with_far_fewer_tokens() throws IOException {
        int facts = 0;
        int wholeFound = 0;
        int focusedFound = 0;
        long wholeTokens = 0;
        long focusedTokens = 0;
        System.out.println("question | facts | whole found / prompt tokens | focused found / prompt tokens");
        for (Question q : questions()) {
            Packed whole = pack(q, ContextMode.WHOLE);
            Packed focused = pack(q, ContextMode.FOCUSED);
            System.out.printf(Locale.ROOT, "%2d | %d | %d / %d | %d / %d%n", q.n(), q.facts().size(), whole.found(),
                    whole.prompt(), focused.found(), focused.prompt());
            facts += q.facts().size();
            wholeFound += whole.found();
            focusedFound += focused.found();
            wholeTokens += whole.prompt();
            focusedTokens += focused.prompt();
            assertTrue(focused.found() >= whole.found(), () -> "question " + q.n() + ": focused packing lost a fact of "
                    + q.facts() + " that whole chunks had:\n--- focused\n" + focused.user() + "\n--- whole\n" + whole.user());
        }
        double factor = (double) wholeTokens / focusedTokens;
        System.out.println("prompt without passages: "
                + model.countPromptTokens(PromptBuilder.messages("When?", List.of())));
        System.out.printf(Locale.ROOT, "recall: whole %d/%d = %.3f, focused %d/%d = %.3f; prompt tokens: whole %d,"
                        + " focused %d (%.2fx fewer)%n", wholeFound, facts, (double) wholeFound / facts, focusedFound, facts,
                (double) focusedFound / facts, wholeTokens, focusedTokens, factor);
        assertTrue(focusedFound >= wholeFound, "recall: focused " + focusedFound + " < whole " + wholeFound);
        // measured: 2.03x (19,462 against 9,585 tokens over the 12 questions; whole chunks carry dates too)
        assertTrue(factor >= 1.8, "focused prompts should take far fewer tokens than whole ones: whole "
                + wholeTokens + ", focused " + focusedTokens);
    }
}
