package dev.pocketrag.server;

import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.Conversation;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.SearchOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code pocketrag mcp}'s tools on a notebook directory: each call opens the notebook to read (no
 * lock, so {@code serve}, the desktop app or {@code pocketrag add} may hold it meanwhile, and every
 * call sees their last commit), and {@code add_note} opens it to write just while it adds the note
 * (the lock held only then, as the desktop app does). The embedder and the chat model are loaded
 * once and shared by the calls; one question at a time uses the chat model.
 */
final class LocalAccess implements NotebookAccess {
    private final Path directory;
    /** Where the notes are when not in {@link #directory} (null: there). */
    private final java.net.URI indexUrl;
    private final Embedder embedder;
    private final ChatModel model;
    private final ReentrantLock modelTurn = new ReentrantLock(true);

    /** The caller keeps {@code embedder} and {@code model} (may be null: extractive answers) open. */
    LocalAccess(Path directory, java.net.URI indexUrl, Embedder embedder, ChatModel model) {
        this.directory = directory;
        this.indexUrl = indexUrl;
        this.embedder = embedder;
        this.model = model;
    }

    @FunctionalInterface
    private interface Read<T> {
        T run(Notebook nb) throws IOException;
    }

    /** {@code r} on the notebook opened to read; {@code empty} for a notebook not made yet. */
    private <T> T read(Read<T> r, T empty) throws IOException {
        if (Notebook.recordedModel(directory, indexUrl).isEmpty()) {
            return empty;
        }
        try (Notebook nb = Notebook.builder(directory).indexUrl(indexUrl).readOnly().embedder(embedder, false).chatModel(model, false)
                .build()) {
            return r.run(nb);
        }
    }

    @Override
    public List<SearchHit> search(String query, SearchOptions options) throws IOException {
        return read(nb -> nb.search(query, options), List.of());
    }

    @Override
    public Map<String, Object> ask(String question, AskOptions options, String thread) throws IOException {
        if (Notebook.recordedModel(directory, indexUrl).isEmpty()) {
            throw new McpNotes.ToolError("the notebook " + directory + " has no notes yet: add some first");
        }
        modelTurn.lock();
        try {
            return read(nb -> {
                if (thread == null) {
                    return NotebookApi.json(nb.ask(question, options), null);
                }
                try (Conversation c = nb.conversation(thread)) {
                    return NotebookApi.json(c.ask(question, options, piece -> true), c);
                }
            }, null);
        } finally {
            modelTurn.unlock();
        }
    }

    @Override
    public Note add(Note note) throws IOException {
        try (Notebook nb = Notebook.builder(directory).indexUrl(indexUrl).embedder(embedder, false).build()) {
            try {
                nb.describeHolder("pocketrag mcp, adding a note (it takes a few seconds at most)");
            } catch (IOException e) {
                // others then say less
            }
            return nb.add(note);
        }
    }

    @Override
    public Optional<Note> get(String id) throws IOException {
        return read(nb -> nb.get(id), Optional.empty());
    }

    @Override
    public List<Note> list(SearchFilter filter, int offset, int limit) throws IOException {
        return read(nb -> nb.list(filter, offset, limit), List.of());
    }

    @Override
    public long count() throws IOException {
        return read(nb -> nb.stats().notes(), 0L);
    }
}
