package dev.pocketrag.desktop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.testing.ScriptedChatModel;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.retrieval.EmbedderMismatchException;
import dev.pocketrag.retrieval.ReindexListener;
import dev.pocketrag.retrieval.ReindexProgress;
import dev.pocketrag.retrieval.SearchOptions;
import dev.pocketrag.index.IndexInUseException;
import dev.pocketrag.index.Note;
import dev.pocketrag.chat.TokenListener;
import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.Conversation;
import dev.pocketrag.retrieval.Notebook;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session shares the notebook with other processes: it waits (and says so) while another
 * holder has it, and releases it when idle. "Another process" is another Notebook on the same
 * directory here: the index refuses a second writer in the same JVM exactly as across processes.
 */
class NotebookSessionTest {
    private static Embedder embedder;
    private static ExecutorService pool;

    @BeforeAll
    static void load() {
        embedder = Embedders.miniLm();
        pool = Executors.newCachedThreadPool();
    }

    @AfterAll
    static void unload() {
        pool.shutdownNow();
        embedder.close();
    }

    /** The shared embedder, not closed by the session (tests only: the app's session owns its own). */
    private static Supplier<Embedder> shared() {
        return () -> new Embedder() {
            @Override
            public String modelId() {
                return embedder.modelId();
            }

            @Override
            public int dimension() {
                return embedder.dimension();
            }

            @Override
            public int maxTokens() {
                return embedder.maxTokens();
            }

            @Override
            public int countTokens(String text) {
                return embedder.countTokens(text);
            }

            @Override
            public float[] embed(String text) {
                return embedder.embed(text);
            }

            @Override
            public float[] embedQuery(String text) {
                return embedder.embedQuery(text);
            }

            @Override
            public List<float[]> embedAll(List<String> texts) {
                return embedder.embedAll(texts);
            }

            @Override
            public Embedding embedWithInfo(String text) {
                return embedder.embedWithInfo(text);
            }

            @Override
            public void close() {
                // shared: closed once in @AfterAll
            }
        };
    }

    private record Event(String kind, int attempt) {}

    private static final class Recorder implements NotebookSession.Listener {
        final List<Event> events = new CopyOnWriteArrayList<>();
        final CountDownLatch twoBusy = new CountDownLatch(2);

        @Override
        public void busy(Path directory, int attempt, Duration retryIn) {
            events.add(new Event("busy", attempt));
            twoBusy.countDown();
        }

        @Override
        public void available(Path directory) {
            events.add(new Event("available", 0));
        }
    }

    @Test
    void waits_while_another_holder_has_the_notebook_says_so_and_then_opens_it(@TempDir Path dir) throws Exception {
        Recorder rec = new Recorder();
        Notebook holder = Notebook.builder(dir).embedder(embedder).build();
        holder.add(Note.of("n1", "Dentist", "Dentist appointment on 14 March at 09:30 with Dr. Sousa."));
        try (NotebookSession s = new NotebookSession(dir, shared(), Duration.ofMillis(100), Duration.ofMinutes(5), rec)) {
            Future<Long> notes = pool.submit(() -> s.call(nb -> nb.stats().notes()));
            assertTrue(rec.twoBusy.await(60, TimeUnit.SECONDS), "told twice that the notebook is busy: " + rec.events);
            assertFalse(notes.isDone(), "still waiting, not failed");
            holder.close();
            assertEquals(1L, notes.get(60, TimeUnit.SECONDS));
            assertEquals(new Event("busy", 1), rec.events.get(0));
            assertEquals(new Event("busy", 2), rec.events.get(1));
            assertEquals(new Event("available", 0), rec.events.get(rec.events.size() - 1));
            assertTrue(s.isNotebookOpen());
        } finally {
            holder.close();
        }
    }

    @Test
    void releases_the_notebook_when_idle_so_another_process_can_use_it(@TempDir Path dir) throws Exception {
        Recorder rec = new Recorder();
        try (NotebookSession s = new NotebookSession(dir, shared(), Duration.ofMillis(100), Duration.ofMillis(200), rec)) {
            s.call(nb -> nb.add(Note.of("n1", "Groceries", "Oat milk, eggs, coffee beans.")));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (s.isNotebookOpen() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertFalse(s.isNotebookOpen(), "closed after 200 ms without use");
            try (Notebook other = Notebook.builder(dir).embedder(embedder).build()) {
                assertEquals(1, other.stats().notes(), "another holder opens it and sees the note");
            }
            // and the session opens it again on next use
            long again = s.call(nb -> nb.stats().notes());
            assertEquals(1L, again);
        }
        assertTrue(rec.events.isEmpty(), "never busy: " + rec.events);
    }

    @Test
    void keeps_the_notebook_while_it_is_in_use(@TempDir Path dir) throws Exception {
        try (NotebookSession s = new NotebookSession(dir, shared(), Duration.ofMillis(100), Duration.ofMillis(50),
                new Recorder())) {
            s.call(nb -> {
                Thread.sleep(400); // far past idleAfter, but in use
                assertThrows(IndexInUseException.class, () -> Notebook.builder(dir).embedder(embedder).build());
                return null;
            });
        }
    }

    @Test
    void closing_stops_a_call_that_waits_for_a_busy_notebook(@TempDir Path dir) throws Exception {
        Recorder rec = new Recorder();
        try (Notebook holder = Notebook.builder(dir).embedder(embedder).build()) {
            NotebookSession s = new NotebookSession(dir, shared(), Duration.ofSeconds(30), Duration.ofMinutes(5), rec);
            Future<Long> waiting = pool.submit(() -> s.call(nb -> nb.stats().notes()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (rec.events.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertFalse(rec.events.isEmpty(), "the call is waiting");
            Future<?> closing = pool.submit(() -> {
                s.close();
                return null;
            });
            closing.get(10, TimeUnit.SECONDS); // not the 30 s retry interval
            ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage());
            assertThrows(IllegalStateException.class, () -> s.call(nb -> 1));
            s.close(); // idempotent
        }
    }

    @Test
    void a_new_chat_model_is_used_from_the_next_call_and_the_old_one_closed(@TempDir Path dir) throws Exception {
        try (NotebookSession s = new NotebookSession(dir, shared(), Duration.ofMillis(100), Duration.ofMinutes(5),
                new Recorder())) {
            s.call(nb -> nb.add(Note.of("n1", "Physio", "Clamshells: 3 x 15 each side, daily, with the band.")));
            boolean none = s.call(nb -> nb.chatModel().isEmpty());
            assertTrue(none);
            assertEquals(Answer.Kind.EXTRACTIVE, s.call(nb -> nb.ask("How many clamshells?")).kind());

            ScriptedChatModel first = new ScriptedChatModel("fake-model", 4096, "3 x 15 each side [1].");
            s.setChatModel(first);
            ChatModel used = s.call(nb -> nb.chatModel().orElseThrow());
            assertSame(first, used);
            Answer a = s.call(nb -> nb.ask("How many clamshells?"));
            assertEquals(Answer.Kind.GENERATED, a.kind());
            assertEquals("3 x 15 each side [1].", a.text());
            assertEquals("n1", a.citations().get(0).passage().noteId());

            ScriptedChatModel second = new ScriptedChatModel("fake-model", 4096, "other");
            s.setChatModel(second);
            assertTrue(first.closed, "the replaced model is closed");
            s.setChatModel(null);
            assertTrue(second.closed);
            assertEquals(Answer.Kind.EXTRACTIVE, s.call(nb -> nb.ask("How many clamshells?")).kind());

            ScriptedChatModel last = new ScriptedChatModel("fake-model", 4096, "x");
            s.setChatModel(last);
            s.close();
            assertTrue(last.closed, "closing the session closes its model");
        }
    }

    /** The Atlas note and a note on rollbacks in general, which the follow-up alone would find first. */
    static final List<Note> ATLAS_NOTES = List.of(
            Note.of("dentist", "Dentist", "Dentist appointment on 14 March at 09:30 with Dr. Sousa. Bring the X-rays."),
            Note.of("atlas", "Atlas cut-over",
                    "The Atlas migration cut-over is planned for the weekend of 7 June. Rollback owner is Priya."),
            Note.of("bread", "Sourdough", "Sourdough at 75% hydration: 500 g flour, 375 g water, 10 g salt, 100 g starter."),
            Note.of("release", "Release checklist", "Every release has a rollback owner on call and a go/no-go call."));

    private static void waitUntilClosed(NotebookSession s) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (s.isNotebookOpen() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(s.isNotebookOpen(), "closed when idle");
    }

    @Test
    void a_follow_up_continues_the_thread_across_the_notebook_closing_when_idle_and_is_stored(@TempDir Path dir)
            throws Exception {
        try (NotebookSession s = new NotebookSession(dir, shared(), Duration.ofMillis(100), Duration.ofMillis(200),
                new Recorder())) {
            s.call(nb -> nb.addAll(ATLAS_NOTES));
            AskThread t = s.askThread();
            Answer first = s.call(nb -> t.ask(nb, "When is the Atlas cut-over?", AskOptions.defaults(), TokenListener.NONE));
            assertEquals("atlas", first.citations().get(0).passage().noteId(), first::toString);
            waitUntilClosed(s); // the notebook (and any Conversation bound to it) is gone
            Answer second = s.call(nb -> t.ask(nb, "Who owns the rollback?", AskOptions.defaults(), TokenListener.NONE));
            assertTrue(second.searchedFor().toLowerCase(Locale.ROOT).contains("atlas"), second.searchedFor());
            assertEquals("atlas", second.citations().get(0).passage().noteId(), second::toString);
            assertNull(t.notSaved());
            assertTrue(t.name().startsWith("desktop-"), t.name());
            assertEquals(List.of("When is the Atlas cut-over?", "Who owns the rollback?"),
                    t.turns().stream().map(Conversation.Turn::question).toList());
            List<Conversation.Info> stored = s.call(Notebook::threads);
            assertEquals(1, stored.size(), stored::toString);
            assertEquals(t.name(), stored.get(0).name());
            assertEquals(2, stored.get(0).turns(), "the thread file has both turns");
        }
    }

    @Test
    void a_new_conversation_carries_nothing_and_keeps_the_old_thread(@TempDir Path dir) throws Exception {
        try (NotebookSession s = new NotebookSession(dir, shared(), Duration.ofMillis(100), Duration.ofMinutes(5),
                new Recorder())) {
            s.call(nb -> nb.addAll(ATLAS_NOTES));
            AskThread t = s.askThread();
            s.call(nb -> t.ask(nb, "When is the Atlas cut-over?", AskOptions.defaults(), TokenListener.NONE));
            String old = t.name();
            t.reset();
            assertEquals(List.of(), t.turns());
            Answer alone = s.call(nb -> t.ask(nb, "Who owns the rollback?", AskOptions.defaults(), TokenListener.NONE));
            assertEquals("Who owns the rollback?", alone.searchedFor(), "nothing of the Atlas turn carried");
            assertEquals("release", alone.citations().get(0).passage().noteId(),
                    "alone, the question finds the general note first: " + alone);
            assertEquals(1, t.turns().size());
            assertNotEquals(old, t.name(), "a new thread");
            List<Conversation.Info> stored = s.call(Notebook::threads);
            assertEquals(2, stored.size(), stored::toString);
            assertEquals(1, stored.get(0).turns());
            assertEquals(1, stored.get(1).turns());
        }
    }

    @Test
    void a_thread_that_cannot_be_written_goes_on_in_memory_and_says_so(@TempDir Path dir) throws Exception {
        try (NotebookSession s = new NotebookSession(dir, shared(), Duration.ofMillis(100), Duration.ofMinutes(5),
                new Recorder())) {
            s.call(nb -> nb.addAll(ATLAS_NOTES));
            java.nio.file.Files.writeString(dir.resolve("threads"), "a file where the folder should be");
            AskThread t = s.askThread();
            s.call(nb -> t.ask(nb, "When is the Atlas cut-over?", AskOptions.defaults(), TokenListener.NONE));
            assertNotNull(t.notSaved(), "says it is not saved");
            assertTrue(t.notSaved().contains(dir.resolve("threads").toString()), t.notSaved());
            Answer second = s.call(nb -> t.ask(nb, "Who owns the rollback?", AskOptions.defaults(), TokenListener.NONE));
            assertTrue(second.searchedFor().toLowerCase(Locale.ROOT).contains("atlas"), second.searchedFor());
            assertEquals("atlas", second.citations().get(0).passage().noteId(), second::toString);
            assertEquals(2, t.turns().size());
        }
    }

    @Test
    void settings_naming_another_embedder_are_refused_until_the_session_reindexes_then_it_uses_it(@TempDir Path dir)
            throws Exception {
        try (Notebook nb = Notebook.builder(dir).embedder(embedder).build()) {
            nb.addAll(ATLAS_NOTES);
        }
        try (NotebookSession s = new NotebookSession(dir, NotebookSession.BUILT_IN, "bge-small", Duration.ofMillis(100),
                Duration.ofMinutes(5), new Recorder())) {
            EmbedderMismatchException e = assertThrows(EmbedderMismatchException.class, () -> s.call(nb -> nb.stats()));
            assertEquals(java.util.Optional.of("minilm"), e.recordedName());
            assertEquals(java.util.Optional.of("bge-small"), e.wantedName());
            List<ReindexProgress.Phase> phases = new CopyOnWriteArrayList<>();
            ReindexProgress p = s.reindex(Embedders.named("bge-small"), progress -> phases.add(progress.phase()));
            assertEquals(ReindexProgress.Phase.DONE, p.phase());
            assertEquals(ATLAS_NOTES.size(), p.embedded());
            assertTrue(phases.contains(ReindexProgress.Phase.CATCHING_UP), phases::toString);
            String bge = Embedders.model("bge-small").modelId();
            assertEquals(bge, s.call(nb -> nb.embedder().modelId()));
            assertEquals("atlas", s.call(nb -> nb.search("Atlas cut-over weekend", SearchOptions.defaults()))
                    .get(0).noteId());
        }
        assertEquals(Embedders.model("bge-small").modelId(), Notebook.recordedModel(dir).orElseThrow().modelId());
    }

    @Test
    void a_notebook_reindexed_by_another_process_while_closed_opens_with_its_new_embedder(@TempDir Path dir)
            throws Exception {
        try (NotebookSession s = new NotebookSession(dir, NotebookSession.BUILT_IN, null, Duration.ofMillis(100),
                Duration.ofMillis(200), new Recorder())) {
            s.call(nb -> nb.addAll(ATLAS_NOTES));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (s.isNotebookOpen() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertFalse(s.isNotebookOpen(), "closed when idle");
            try (Embedder bge = Embedders.named("bge-small"); Notebook other = Notebook.open(dir)) { // as `pocketrag reindex`
                assertEquals(ReindexProgress.Phase.DONE, other.reindex(bge, ReindexListener.NONE).phase());
            }
            assertEquals(Embedders.model("bge-small").modelId(), s.call(nb -> nb.embedder().modelId()));
            assertEquals(ATLAS_NOTES.size(), (long) s.call(nb -> nb.stats().notes()));
        }
    }

    @Test
    void rejects_non_positive_intervals(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NotebookSession(dir, shared(), Duration.ZERO, Duration.ofSeconds(1), new Recorder()));
        assertTrue(e.getMessage().contains("retryEvery=PT0S"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new NotebookSession(dir, shared(), Duration.ofSeconds(1), Duration.ofSeconds(-1), new Recorder()));
        assertTrue(e.getMessage().contains("idleAfter=PT-1S"), e.getMessage());
    }
}
