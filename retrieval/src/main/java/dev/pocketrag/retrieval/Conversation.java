package dev.pocketrag.retrieval;

import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.TokenListener;
import dev.pocketrag.retrieval.Answer.Passage;
import dev.pocketrag.retrieval.internal.FollowUps;
import dev.pocketrag.retrieval.internal.ModelRewrite;
import dev.pocketrag.retrieval.internal.PromptBuilder;
import dev.pocketrag.retrieval.internal.ThreadFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A thread of questions about the notes, where a follow-up keeps the context of the turns before it.
 *
 * <pre>{@code
 * try (Conversation c = notebook.conversation("atlas")) {  // continues the thread, or starts it
 *     c.ask("When is the Atlas cut-over?");
 *     Answer a = c.ask("Who owns the rollback?");          // searched for with the Atlas context
 *     a.searchedFor();                                      // "Who owns the rollback? atlas cut-over ..."
 * }
 * }</pre>
 *
 * <p>Each turn searches the notes for a standalone query: with a chat model, the model rewrites
 * the question from the recent turns (a short, bounded prompt; when the reply is empty, too
 * long, or shares no word with the conversation, the rules below decide); without one, rules: a question that points back ("it", "that"), is elliptical
 * ("and the budget?") or stays on the previous turn's topic gets the previous query's words and
 * the first cited note's title added; a new topic carries nothing (see {@code FollowUps}). After
 * a follow-up, the passages the previous answer cited stay candidates. A chat model's prompt
 * carries the last {@link #PROMPT_TURNS} turns within its budget (oldest left out first, listed in
 * {@link Answer#leftOut()}).
 *
 * <p>A named conversation is kept in {@code threads/NAME.thread} of the notebook directory,
 * rewritten crash-safe after every turn (at most {@link #MAX_TURNS} turns, oldest dropped); a
 * damaged file is set aside (see {@link #warning()}) and the thread starts again. An unnamed one
 * ({@link Notebook#conversation()}) lives in memory only. Not thread-safe: one asker at a time.
 */
public final class Conversation implements AutoCloseable {
    /** The most turns a thread keeps; the oldest are dropped first. */
    public static final int MAX_TURNS = ThreadFile.MAX_TURNS;
    /** The most earlier turns a chat model's answer prompt carries (fewer if they do not fit). */
    public static final int PROMPT_TURNS = 6;

    /**
     * One turn of a conversation.
     *
     * @param question the question as asked
     * @param searchedFor the standalone query the notes were searched for
     * @param answer the answer's text
     * @param at when it was answered
     * @param cited the passages the answer cited, in citation order (their {@code similarity} is
     *     NaN once read back from disk)
     */
    public record Turn(String question, String searchedFor, String answer, Instant at, List<Passage> cited) {
        public Turn {
            Objects.requireNonNull(question, "question");
            Objects.requireNonNull(searchedFor, "searchedFor");
            Objects.requireNonNull(answer, "answer");
            Objects.requireNonNull(at, "at");
            cited = List.copyOf(cited);
        }
    }

    /**
     * A stored thread, as {@link Notebook#threads()} lists it.
     *
     * @param name its name
     * @param turns how many turns it has (-1 if its file is damaged)
     * @param updated when its file was last written
     * @param firstQuestion its first question (empty if none or damaged)
     */
    public record Info(String name, int turns, Instant updated, String firstQuestion) {}

    private final Notebook notebook;
    private final String name;
    private final Path file;
    private final List<Turn> turns = new ArrayList<>();
    /** Turns asked here and not yet written to the file. */
    private final List<Turn> unsaved = new ArrayList<>();
    private final String warning;
    private String notSaved;
    private final boolean started;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Conversation(Notebook notebook, String name, Path file, List<Turn> turns, String warning, boolean started) {
        this.notebook = notebook;
        this.name = name;
        this.file = file;
        this.turns.addAll(turns);
        this.warning = warning;
        this.started = started;
    }

    /** An unnamed conversation kept in memory. */
    static Conversation inMemory(Notebook notebook) {
        return new Conversation(notebook, "", null, List.of(), null, true);
    }

    /** An unnamed conversation kept in memory that continues {@code earlier} (the last MAX_TURNS). */
    static Conversation inMemory(Notebook notebook, List<Turn> earlier) {
        List<Turn> kept = List.copyOf(earlier); // also: no null turns
        kept = kept.subList(Math.max(0, kept.size() - MAX_TURNS), kept.size());
        return new Conversation(notebook, "", null, kept, null, kept.isEmpty());
    }

    /** The thread {@code name} in {@code dir}: read if its file exists, else started. */
    static Conversation open(Notebook notebook, Path dir, String name) throws IOException {
        ThreadFile.checkName(name);
        Path file = dir.resolve(name + ThreadFile.SUFFIX);
        List<Turn> turns = new ArrayList<>();
        String warning = null;
        boolean started = false;
        try {
            for (ThreadFile.StoredTurn t : ThreadFile.read(file)) {
                turns.add(new Turn(t.question(), t.searchedFor(), t.answer(), t.at(), t.cited()));
            }
        } catch (NoSuchFileException e) {
            started = true;
        } catch (ThreadFile.DamagedThreadException e) {
            Path aside = ThreadFile.setAside(file);
            warning = e.getMessage() + "; set aside as " + aside + ", the thread starts again";
            started = true;
        }
        return new Conversation(notebook, name, file, turns, warning, started);
    }

    /**
     * Returns {@code name} if a thread may have it: 1 to 64 letters, digits, '.', '_' or '-',
     * starting with a letter or digit.
     *
     * @throws IllegalArgumentException naming the name otherwise
     */
    public static String checkName(String name) {
        return ThreadFile.checkName(name);
    }

    /** Its name; empty for an unnamed conversation. */
    public String name() {
        return name;
    }

    /** Whether it was started by this open (no stored thread of that name, or a damaged one). */
    public boolean isNew() {
        return started;
    }

    /** What went wrong reading its file (damaged, set aside), if anything. */
    public Optional<String> warning() {
        return Optional.ofNullable(warning);
    }

    /**
     * Why the last turn could not be written to the thread's file (a read-only folder, a full
     * disk), if it could not: the answer was given and the turn is kept in this conversation, but
     * a later open of the thread will not have it.
     */
    public Optional<String> notSaved() {
        return Optional.ofNullable(notSaved);
    }

    /** The turns so far, oldest first. */
    public List<Turn> history() {
        return List.copyOf(turns);
    }

    /** {@code ask(question, AskOptions.defaults(), TokenListener.NONE)}. */
    public Answer ask(String question) throws IOException {
        return ask(question, AskOptions.defaults(), TokenListener.NONE);
    }

    /**
     * Answers the next question of the conversation (see {@link Notebook#ask(String, AskOptions,
     * TokenListener)}; the answer's {@link Answer#searchedFor()} is the standalone query), then
     * records the turn (and, for a named thread, writes its file; if that fails, see {@link
     * #notSaved()}).
     *
     * @throws IllegalArgumentException if the question is blank or too long
     */
    public Answer ask(String question, AskOptions options, TokenListener listener) throws IOException {
        return ask(question, options, listener, () -> {});
    }

    /**
     * {@link #ask(String, AskOptions, TokenListener)} for a caller that queues for the chat model
     * (a server): {@code turn.await()} is called before the model rewrites a follow-up, then
     * {@code turn.release()} once the rewrite is done (retrieval needs no model), then {@code
     * turn.await()} again just before the model writes the answer (see {@link
     * Notebook#ask(String, AskOptions, TokenListener, Notebook.ModelTurn)}).
     *
     * @throws java.io.InterruptedIOException if interrupted while waiting for the turn
     */
    public Answer ask(String question, AskOptions options, TokenListener listener, Notebook.ModelTurn turn)
            throws IOException {
        Objects.requireNonNull(turn, "turn");
        checkOpen();
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(listener, "listener");
        if (question.isBlank()) {
            throw new IllegalArgumentException("the question is empty");
        }
        if (question.length() > Notebook.MAX_QUESTION_CHARS) {
            throw new IllegalArgumentException("the question has " + question.length() + " characters; at most "
                    + Notebook.MAX_QUESTION_CHARS + " are allowed");
        }
        Turn last = turns.isEmpty() ? null : turns.get(turns.size() - 1);
        String query = question.strip();
        boolean followUp = false;
        if (last != null) {
            Optional<ChatModel> model = notebook.chatModel();
            String rewritten = null;
            if (model.isPresent()) {
                List<ModelRewrite.Turn> recent = new ArrayList<>();
                for (Turn t : turns.subList(Math.max(0, turns.size() - ModelRewrite.TURNS), turns.size())) {
                    recent.add(new ModelRewrite.Turn(t.question(), t.answer()));
                }
                try {
                    turn.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while waiting for the chat model");
                }
                try {
                    rewritten = ModelRewrite.rewrite(model.get(), question, recent, options.generation().seed());
                } finally {
                    turn.release();
                }
                StringBuilder said = new StringBuilder(question);
                for (ModelRewrite.Turn t : recent) {
                    said.append('\n').append(t.question()).append('\n').append(t.answer());
                }
                if (rewritten != null && !FollowUps.grounded(rewritten, said.toString())) {
                    rewritten = null; // not one word of the conversation: the rules decide
                }
            }
            FollowUps.Rewrite rules = rewritten != null ? null
                    : FollowUps.rewrite(question, previous(last), () -> aloneSimilarity(question, options));
            if (rewritten != null) {
                query = rewritten.length() > Notebook.MAX_QUESTION_CHARS
                        ? rewritten.substring(0, Notebook.MAX_QUESTION_CHARS) : rewritten;
                followUp = !query.equalsIgnoreCase(question.strip());
            } else {
                query = rules.query();
                followUp = rules.followUp();
            }
        }
        List<Passage> carried = followUp ? last.cited() : List.of();
        List<PromptBuilder.Exchange> history = new ArrayList<>();
        for (Turn t : turns.subList(Math.max(0, turns.size() - PROMPT_TURNS), turns.size())) {
            history.add(new PromptBuilder.Exchange(t.question(), t.answer()));
        }
        Answer a = notebook.answer(question, query, carried, history, options, listener, turn);
        List<Passage> cited = new ArrayList<>();
        for (Answer.Citation c : a.citations()) {
            if (!cited.contains(c.passage())) {
                cited.add(c.passage());
            }
        }
        Turn asked = new Turn(question.strip(), query, a.text(), Instant.now(), cited);
        turns.add(asked);
        if (file != null) {
            unsaved.add(asked);
            if (unsaved.size() > MAX_TURNS) {
                unsaved.remove(0);
            }
        }
        while (turns.size() > MAX_TURNS) {
            turns.remove(0);
        }
        if (file != null) {
            try {
                save();
                notSaved = null;
            } catch (IOException e) { // the answer stands; the turn stays in this conversation
                notSaved = "the thread was not saved to " + file + " (" + e.getClass().getSimpleName() + ": "
                        + e.getMessage() + ")";
            }
        }
        return a;
    }

    /** The cosine similarity of the best passage for {@code question} alone (-1 if none). */
    private double aloneSimilarity(String question, AskOptions options) {
        try {
            double best = -1;
            for (dev.pocketrag.index.SearchHit h : notebook.search(question,
                    SearchOptions.defaults().withK(5).withFilter(options.filter()))) {
                if (!Double.isNaN(h.denseScore())) {
                    best = Math.max(best, 2 * h.denseScore() - 1); // the index reports (1 + cos) / 2
                }
            }
            return best;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static FollowUps.Previous previous(Turn t) {
        List<String> titles = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (Passage p : t.cited()) {
            titles.add(p.title());
            text.append(p.text()).append('\n');
        }
        return new FollowUps.Previous(t.searchedFor(), t.answer(), titles, text.toString());
    }

    /**
     * Writes the thread, keeping the turns another conversation on the same thread (another process,
     * another window) wrote since this one read it: under a lock, the file is read again and this
     * conversation's unsaved turns are added after its turns (the newest {@link #MAX_TURNS} kept);
     * that becomes this conversation's history.
     */
    private void save() throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Object local = SAVING.computeIfAbsent(dir.normalize(), d -> new Object());
        synchronized (local) { // a FileLock is per process: threads of this one wait here
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dir.resolve(LOCK_FILE),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
                    java.nio.channels.FileLock lock = ch.lock()) {
                List<Turn> merged = new ArrayList<>();
                try {
                    for (ThreadFile.StoredTurn t : ThreadFile.read(file)) {
                        merged.add(new Turn(t.question(), t.searchedFor(), t.answer(), t.at(), t.cited()));
                    }
                    merged.addAll(unsaved); // the file as it is now, then this conversation's new turns
                } catch (NoSuchFileException | ThreadFile.DamagedThreadException e) {
                    merged = new ArrayList<>(turns); // nothing (readable) there: this conversation's turns
                }
                List<Turn> kept = merged.subList(Math.max(0, merged.size() - MAX_TURNS), merged.size());
                List<ThreadFile.StoredTurn> stored = new ArrayList<>(kept.size());
                for (Turn t : kept) {
                    stored.add(new ThreadFile.StoredTurn(t.question(), t.searchedFor(), t.answer(), t.at(), t.cited()));
                }
                ThreadFile.write(file, stored);
                List<Turn> now = List.copyOf(kept);
                turns.clear();
                turns.addAll(now);
                unsaved.clear();
            }
        }
    }

    /** One lock file per threads folder, held while a thread is read again and written. */
    private static final String LOCK_FILE = ".lock";
    private static final java.util.concurrent.ConcurrentMap<Path, Object> SAVING = new java.util.concurrent.ConcurrentHashMap<>();

    /** The stored threads in {@code dir}, by name. */
    static List<Info> list(Path dir) throws IOException {
        List<Info> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String fn = f.getFileName().toString();
                if (!fn.endsWith(ThreadFile.SUFFIX) || fn.startsWith(".")) {
                    continue;
                }
                String n = fn.substring(0, fn.length() - ThreadFile.SUFFIX.length());
                Instant updated = Files.getLastModifiedTime(f).toInstant();
                try {
                    List<ThreadFile.StoredTurn> t = ThreadFile.read(f);
                    out.add(new Info(n, t.size(), updated, t.isEmpty() ? "" : t.get(0).question()));
                } catch (ThreadFile.DamagedThreadException e) {
                    out.add(new Info(n, -1, updated, ""));
                }
            }
        }
        return out;
    }

    /** Deletes the thread {@code name} in {@code dir}; whether it existed. */
    static boolean delete(Path dir, String name) throws IOException {
        ThreadFile.checkName(name);
        return Files.deleteIfExists(dir.resolve(name + ThreadFile.SUFFIX));
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("conversation '" + name + "' is closed");
        }
    }

    /** Ends the conversation (its file is written after every turn already); idempotent. */
    @Override
    public void close() {
        closed.set(true);
    }
}
