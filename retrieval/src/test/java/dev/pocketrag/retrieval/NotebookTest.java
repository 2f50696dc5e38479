package dev.pocketrag.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.testing.ScriptedChatModel;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.index.SearchHit;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NotebookTest {

    /**
     * The scripted model as these tests want it: one token per word plus a template overhead and a
     * little non-additivity (n / 50), the reply streamed in pieces of 1..4 characters drawn with {@code seed}.
     */
    static ScriptedChatModel fakeModel(int window, String reply, long seed) {
        ScriptedChatModel m = new ScriptedChatModel("fake", window, reply).randomPieces(seed, 4);
        m.promptSurcharge = 50;
        return m;
    }
    static Embedder embedder;

    @BeforeAll
    static void load() {
        embedder = Embedders.miniLm();
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    static final List<Note> NOTES = List.of(
            Note.of("dentist", "Dentist", "Dentist appointment on 14 March at 09:30 with Dr. Sousa. Bring the X-rays."),
            Note.of("atlas", "Atlas cut-over",
                    "The Atlas migration cut-over is planned for the weekend of 7 June. Rollback owner is Priya."),
            Note.of("bread", "Sourdough", "Sourdough at 75% hydration: 500 g flour, 375 g water, 10 g salt, 100 g starter."),
            Note.of("kyoto", "Kyoto hotel", "Hotel Kanra in Kyoto, check-in from 15:00, booking reference KX-4471."));

    Notebook open(Path dir) throws Exception {
        return Notebook.builder(dir).embedder(embedder).build();
    }

    @Test
    void notes_added_are_found_by_meaning_and_by_words_and_survive_reopening(@TempDir Path dir) throws Exception {
        try (Notebook nb = open(dir)) {
            nb.addAll(NOTES);
            List<SearchHit> hits = nb.search("when do I see the dentist", SearchOptions.defaults().withK(3));
            assertEquals("dentist", hits.get(0).noteId());
            hits = nb.search("KX-4471", SearchOptions.defaults().withK(3).withMode(dev.pocketrag.index.SearchMode.BM25));
            assertEquals("kyoto", hits.get(0).noteId());
        }
        try (Notebook nb = open(dir)) {
            assertEquals(4, nb.stats().notes());
            assertEquals("Sourdough", nb.get("bread").orElseThrow().title());
            assertEquals(4, nb.list(SearchFilter.NONE, 0, 10).size());
        }
    }

    @Test
    void ask_without_a_model_answers_extractively_with_a_citation_of_the_right_note(@TempDir Path dir) throws Exception {
        try (Notebook nb = open(dir)) {
            nb.addAll(NOTES);
            StringBuilder streamed = new StringBuilder();
            Answer a = nb.ask("When is the Atlas cut-over?", AskOptions.defaults(), p -> {
                streamed.append(p);
                return true;
            });
            assertEquals(Answer.Kind.EXTRACTIVE, a.kind());
            assertEquals(a.text(), streamed.toString());
            assertTrue(a.text().contains("7 June"), a.text());
            assertFalse(a.citations().isEmpty(), a.toString());
            assertEquals("atlas", a.citations().get(0).passage().noteId());
            assertTrue(a.text().contains("[" + a.citations().get(0).n() + "]"), a.text());
            assertTrue(a.note().contains("--model"), a.note());
        }
    }

    @Test
    void nothing_relevant_says_so_instead_of_asking_the_model(@TempDir Path dir) throws Exception {
        ScriptedChatModel model = fakeModel(2048, "made up [1]", 1);
        try (Notebook nb = Notebook.builder(dir).embedder(embedder).chatModel(model).build()) {
            nb.addAll(NOTES);
            Answer a = nb.ask("What is the airspeed velocity of an unladen swallow in the Andes?");
            assertEquals(Answer.Kind.NOTHING_RELEVANT, a.kind(), a::toString);
            assertTrue(a.text().contains("couldn't find"), a.text());
            assertTrue(model.prompts.isEmpty(), "the model must not be asked to guess");
            assertTrue(a.citations().isEmpty());
        }
        assertTrue(model.closed, "the notebook closes the chat model it was given to own");
    }

    @Test
    void an_empty_notebook_says_there_is_nothing_to_answer_from(@TempDir Path dir) throws Exception {
        try (Notebook nb = open(dir)) {
            Answer a = nb.ask("anything?");
            assertEquals(Answer.Kind.NOTHING_RELEVANT, a.kind(), a::toString);
        }
    }

    @Test
    void generated_answer_streams_with_invented_citations_dropped(@TempDir Path dir) throws Exception {
        ScriptedChatModel model = fakeModel(4096, "The cut-over is on 7 June [1] [7]. Priya owns rollback [1][9].", 3);
        try (Notebook nb = Notebook.builder(dir).embedder(embedder).chatModel(model).build()) {
            nb.addAll(NOTES);
            StringBuilder streamed = new StringBuilder();
            Answer a = nb.ask("When is the Atlas cut-over?", AskOptions.defaults().withPassages(2), p -> {
                streamed.append(p);
                return true;
            });
            assertEquals(Answer.Kind.GENERATED, a.kind());
            assertEquals("The cut-over is on 7 June [1]. Priya owns rollback [1].", a.text());
            assertEquals(a.text(), streamed.toString().strip());
            assertEquals(1, a.citations().size());
            assertEquals("atlas", a.citations().get(0).passage().noteId());
            assertEquals(2, a.passages().size());
            // the prompt fenced the passages as data and carried the question
            List<ChatMessage> prompt = model.prompts.get(0);
            // (focused by default: the short notes are kept whole, with their dates)
            assertTrue(prompt.get(1).content().contains("<note n=\"1\" title=\"Atlas cut-over\" date=\""),
                    prompt.get(1).content());
            assertTrue(prompt.get(1).content().endsWith("Question: When is the Atlas cut-over?"));
        }
    }

    @Test
    void the_model_turn_is_awaited_after_retrieval_and_only_when_the_model_writes(@TempDir Path dir) throws Exception {
        ScriptedChatModel model = fakeModel(4096, "On 7 June [1].", 3);
        try (Notebook nb = Notebook.builder(dir).embedder(embedder).chatModel(model).build()) {
            nb.addAll(NOTES);
            List<String> events = new ArrayList<>();
            Answer a = nb.ask("When is the Atlas cut-over?", AskOptions.defaults(), p -> {
                events.add("text");
                return true;
            }, () -> events.add("turn (prompts so far: " + model.prompts.size() + ")"));
            assertEquals(Answer.Kind.GENERATED, a.kind());
            assertEquals("turn (prompts so far: 0)", events.get(0), "awaited once, before the model: " + events);
            assertEquals(1, events.stream().filter(e -> e.startsWith("turn")).count());
            events.clear();
            Answer none = nb.ask("What is the airspeed velocity of an unladen swallow?", AskOptions.defaults(),
                    p -> true, () -> events.add("turn"));
            assertEquals(Answer.Kind.NOTHING_RELEVANT, none.kind());
            assertEquals(List.of(), events, "no model, no turn");
            assertThrows(java.io.InterruptedIOException.class, () -> nb.ask("When is the Atlas cut-over?",
                    AskOptions.defaults(), p -> true, () -> {
                        throw new InterruptedException();
                    }));
            assertTrue(Thread.interrupted(), "the interrupt is kept");
        }
    }

    @Test
    void questions_and_queries_longer_than_the_limit_are_refused_naming_it(@TempDir Path dir) throws Exception {
        try (Notebook nb = open(dir)) {
            nb.addAll(NOTES);
            String longOne = "why ".repeat(Notebook.MAX_QUESTION_CHARS / 4 + 1);
            var e = assertThrows(IllegalArgumentException.class, () -> nb.ask(longOne));
            assertEquals("the question has " + longOne.length() + " characters; at most 4000 are allowed", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> nb.search(longOne, SearchOptions.defaults()));
            assertTrue(e.getMessage().startsWith("the query has "), e.getMessage());
            assertFalse(nb.ask("why ".repeat(990) + "Atlas cut-over?").text().isEmpty(), "a question under the limit is answered");
        }
    }

    /** Sentences about the migration that do not say when the cut-over is. */
    static final List<String> ATLAS_FILLER = List.of(
            "The accounts database moves from the old MySQL cluster to the managed Postgres service.",
            "Billing sync writes in batches every five minutes and has to be paused during the freeze.",
            "Shadow reads compare five percent of the read traffic between the two databases.",
            "The rollback plan keeps a reverse stream running for seven days after the flip.",
            "Row counts and checksums are compared every hour by a small job that alerts on drift.",
            "The ledger export reads everything that changed in the last day and runs at night.",
            "Email lookups become case sensitive, so the service gets a lower-case unique index.",
            "The audit table is copied separately because it is huge, cold and append-only.");

    @Test
    void focused_answers_cite_the_passages_as_shown_and_point_into_the_note(@TempDir Path dir) throws Exception {
        List<Note> notes = new ArrayList<>();
        String key = "The Atlas cut-over moved to Saturday 6 June at 06:00 Lisbon time.";
        for (int i = 0; i < 6; i++) {
            StringBuilder body = new StringBuilder();
            for (int j = 0; j < 12; j++) {
                body.append(ATLAS_FILLER.get((i + j) % ATLAS_FILLER.size())).append(j % 3 == 2 ? "\n" : " ");
                if (i == 0 && j == 7) {
                    body.append(key).append(' ');
                }
            }
            Instant written = Instant.parse("2026-04-2" + i + "T10:00:00Z");
            notes.add(new Note("atlas-" + i, "Atlas notes " + i, body.toString(), List.of(), "", written, written));
        }
        ScriptedChatModel model = fakeModel(4096, "Saturday 6 June at 06:00 [1].", 11);
        try (Notebook nb = Notebook.builder(dir).embedder(embedder).chatModel(model).build()) {
            nb.addAll(notes);
            Answer a = nb.ask("When is the Atlas cut-over?");
            assertEquals(ContextMode.FOCUSED, a.context());
            String user = model.prompts.get(0).get(1).content();
            Answer.Passage cited = a.citations().get(0).passage();
            assertEquals("atlas-0", cited.noteId(), a::toString);
            assertTrue(cited.text().contains(key), cited.text());
            // the passages are what the model saw: cut, marked, each in the prompt as shown, with its date
            assertTrue(a.passages().stream().anyMatch(p -> p.text().contains("…")), a::toString);
            for (Answer.Passage p : a.passages()) {
                assertTrue(user.contains(p.text()), p.text());
                String body = nb.get(p.noteId()).orElseThrow().body();
                String first = p.text().replaceFirst("^… ", "").lines().findFirst().orElseThrow();
                first = first.contains(" … ") ? first.substring(0, first.indexOf(" … ")) : first;
                assertTrue(body.substring(p.start(), p.end()).startsWith(first.replaceFirst(" …$", "")),
                        "start/end point at the shown text in the note: " + p);
            }
            assertTrue(user.contains("title=\"Atlas notes 0\" date=\"2026-04-20\">"), user);
            int focusedPrompt = model.countPromptTokens(model.prompts.get(0));

            Answer w = nb.ask("When is the Atlas cut-over?", AskOptions.defaults().withContext(ContextMode.WHOLE));
            assertEquals(ContextMode.WHOLE, w.context());
            for (Answer.Passage p : w.passages()) {
                assertEquals(nb.get(p.noteId()).orElseThrow().body().substring(p.start(), p.end()), p.text());
            }
            List<ChatMessage> whole = model.prompts.get(1);
            assertTrue(whole.get(1).content().contains("title=\"Atlas notes 0\" date=\"2026-04-20\">"),
                    "whole chunks carry their note's date too");
            assertTrue(model.countPromptTokens(whole) > focusedPrompt, "focused " + focusedPrompt + " vs whole "
                    + model.countPromptTokens(whole));
        }
    }

    @Test
    void passages_that_do_not_fit_are_reported_not_silently_cut(@TempDir Path dir) throws Exception {
        List<Note> notes = new ArrayList<>(NOTES);
        notes.add(Note.of("atlas-long", "Atlas design", ("The Atlas migration moves billing to the new cluster. ").repeat(30)));
        ScriptedChatModel model = fakeModel(260, "Cut-over on 7 June [1].", 5);
        try (Notebook nb = Notebook.builder(dir).embedder(embedder).chatModel(model).build()) {
            nb.addAll(notes);
            Answer a = nb.ask("When is the Atlas migration cut-over?", AskOptions.defaults().withMaxAnswerTokens(64));
            assertEquals(Answer.Kind.GENERATED, a.kind());
            assertFalse(a.leftOut().isEmpty(), a::toString);
            assertTrue(a.note().contains("did not fit"), a.note());
            int prompt = model.countPromptTokens(model.prompts.get(0));
            assertTrue(prompt + 64 <= 260, "prompt " + prompt);
        }
    }

    @Test
    void cancelling_the_stream_stops_generation(@TempDir Path dir) throws Exception {
        ScriptedChatModel model = fakeModel(4096, "one two three four five six seven eight nine ten [1].", 9);
        try (Notebook nb = Notebook.builder(dir).embedder(embedder).chatModel(model).build()) {
            nb.addAll(NOTES);
            StringBuilder streamed = new StringBuilder();
            Answer a = nb.ask("When is the Atlas cut-over?", AskOptions.defaults(), p -> {
                streamed.append(p);
                return streamed.length() < 10;
            });
            assertTrue(a.text().length() < 20, a.text());
        }
    }

    @Test
    void update_replaces_the_note_and_keeps_created_and_delete_removes_it(@TempDir Path dir) throws Exception {
        try (Notebook nb = open(dir)) {
            nb.addAll(NOTES);
            Note old = nb.get("dentist").orElseThrow();
            Note changed = old.withBody("Dentist moved to 21 March at 11:00.", Instant.now());
            nb.update(changed);
            Note now = nb.get("dentist").orElseThrow();
            assertEquals(old.created(), now.created());
            assertEquals("Dentist moved to 21 March at 11:00.", now.body());
            assertEquals("dentist", nb.search("dentist 21 March", SearchOptions.defaults().withK(1)).get(0).noteId());
            assertTrue(nb.delete("dentist"));
            assertFalse(nb.delete("dentist"));
            assertTrue(nb.get("dentist").isEmpty());
            var e = assertThrows(IllegalArgumentException.class, () -> nb.update(changed));
            assertEquals("no note with id 'dentist' to update", e.getMessage());
        }
    }

    @Test
    void import_is_incremental_skips_bad_files_and_removes_deleted_ones(@TempDir Path dir, @TempDir Path notes)
            throws Exception {
        Files.createDirectories(notes.resolve("work"));
        Files.writeString(notes.resolve("work/atlas.md"), "---\ntags: [work, atlas]\n---\n# Atlas\nCut-over on 7 June.\n");
        Files.writeString(notes.resolve("shopping.txt"), "Shopping\noat milk, eggs, coffee\n");
        Files.write(notes.resolve("photo.md"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 1});
        Files.write(notes.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9});
        Files.writeString(notes.resolve("empty.md"), "");
        Files.writeString(notes.resolve("ignored.pdf.bin"), "not imported");
        Files.createDirectories(notes.resolve(".git"));
        Files.writeString(notes.resolve(".git/HEAD.md"), "hidden folders are skipped");
        try (Notebook nb = open(dir)) {
            List<ImportProgress> seen = new ArrayList<>();
            ImportProgress p = nb.importFolder(notes, pr -> seen.add(pr));
            assertEquals(5, p.total(), p::toString);
            assertEquals(2, p.added(), p::toString);
            assertEquals(3, p.skipped(), p::toString);
            assertEquals(0, p.failed());
            assertTrue(seen.size() >= 6, "progress after every file");
            Note atlas = nb.list(SearchFilter.tags("atlas"), 0, 10).get(0);
            assertEquals("Atlas", atlas.title());
            assertEquals(notes.resolve("work/atlas.md").toAbsolutePath().toString(), atlas.source());

            ImportProgress again = nb.importFolder(notes, ImportListener.NONE);
            assertEquals(0, again.embedded(), again::toString);
            assertEquals(2, again.unchanged(), again::toString);

            Files.writeString(notes.resolve("shopping.txt"), "Shopping\noat milk, eggs, coffee, bread\n");
            Files.delete(notes.resolve("work/atlas.md"));
            ImportProgress third = nb.importFolder(notes, ImportListener.NONE);
            assertEquals(1, third.updated(), third::toString);
            assertEquals(1, third.deleted(), third::toString);
            assertEquals(1, nb.stats().notes());
            assertTrue(nb.list(SearchFilter.NONE, 0, 10).get(0).body().contains("bread"));
        }
    }

    /** The real embedder, failing on any text that contains {@code poison}. */
    record FailingEmbedder(Embedder real, String poison) implements Embedder {
        public float[] embed(String t) {
            return embedWithInfo(t).vector();
        }

        public Embedding embedWithInfo(String t) {
            check(t);
            return real.embedWithInfo(t);
        }

        public List<float[]> embedAll(List<String> texts) {
            texts.forEach(this::check);
            return real.embedAll(texts);
        }

        private void check(String t) {
            if (t.contains(poison)) {
                throw new IllegalStateException("simulated crash while embedding");
            }
        }

        public int dimension() {
            return real.dimension();
        }

        public int maxTokens() {
            return real.maxTokens();
        }

        public String modelId() {
            return real.modelId();
        }

        public int countTokens(String t) {
            return real.countTokens(t);
        }

        public void close() {}
    }

    @Test
    void an_import_that_dies_half_way_is_resumed_by_the_next_one(@TempDir Path dir, @TempDir Path notes) throws Exception {
        for (int i = 0; i < 40; i++) {
            Files.writeString(notes.resolve(String.format("note-%02d.md", i)),
                    "# Note " + i + "\nThis is note number " + i + (i == 30 ? " POISON" : "") + ".\n");
        }
        try (Notebook nb = Notebook.builder(dir).embedder(new FailingEmbedder(embedder, "POISON")).build()) {
            var e = assertThrows(IllegalStateException.class, () -> nb.importFolder(notes, ImportListener.NONE));
            assertEquals("simulated crash while embedding", e.getMessage());
        }
        try (Notebook nb = open(dir)) {
            long before = nb.stats().notes();
            assertTrue(before >= 16 && before < 40, "the commits before the failure survive: " + before);
            ImportProgress p = nb.importFolder(notes, ImportListener.NONE);
            assertEquals(40, p.total());
            assertEquals(before, p.unchanged(), p::toString);
            assertEquals(40 - before, p.added(), p::toString);
            assertEquals(40, nb.stats().notes(), "every note exactly once");
        }
    }

    @Test
    void importing_a_missing_folder_is_a_clear_error(@TempDir Path dir) throws Exception {
        try (Notebook nb = open(dir)) {
            assertThrows(NoSuchFileException.class, () -> nb.importFolder(dir.resolve("nope"), ImportListener.NONE));
        }
    }

    @Test
    void close_is_idempotent_and_use_after_close_fails_clearly(@TempDir Path dir) throws Exception {
        Notebook nb = open(dir);
        nb.close();
        nb.close();
        var e = assertThrows(IllegalStateException.class, () -> nb.ask("x"));
        assertTrue(e.getMessage().contains("closed"));
    }
}
