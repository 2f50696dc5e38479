package dev.pocketrag.server;

import dev.pocketrag.index.Note;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.Conversation;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.SearchOptions;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /mcp}'s tools on the notebook {@code serve} holds, through the same queues as the rest of
 * the API: embedding (a search, a question, a note) in the embedder's queue, answers in the chat
 * model's (full: a tool error saying so, as the API's 429).
 */
final class ServerAccess implements NotebookAccess {
    private final PocketragServer server;

    ServerAccess(PocketragServer server) {
        this.server = server;
    }

    private Notebook nb() {
        return server.notebook;
    }

    @Override
    public List<SearchHit> search(String query, SearchOptions options) throws IOException {
        try (ModelGate.Slot work = server.embedding.enter()) {
            return nb().search(query, options);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for the embedder");
        }
    }

    @Override
    public Map<String, Object> ask(String question, AskOptions options, String thread) throws IOException {
        NotebookApi.Turns admitted;
        try {
            admitted = server.notebookApi.admit();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for the embedder");
        }
        try (NotebookApi.Turns turns = admitted) {
            dev.pocketrag.chat.TokenListener go = piece -> !server.closing();
            if (thread == null) {
                return NotebookApi.json(nb().ask(question, options, go, turns), null);
            }
            // (McpNotes marked the thread busy in the set /v1/ask uses too)
            try (Conversation c = nb().conversation(thread)) {
                Answer a = c.ask(question, options, go, turns);
                return NotebookApi.json(a, c);
            }
        }
    }

    @Override
    public Note add(Note note) throws IOException {
        try (ModelGate.Slot work = server.embedding.enter()) {
            return nb().add(note);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for the embedder");
        }
    }

    @Override
    public Optional<Note> get(String id) throws IOException {
        return nb().get(id);
    }

    @Override
    public List<Note> list(SearchFilter filter, int offset, int limit) throws IOException {
        return nb().list(filter, offset, limit);
    }

    @Override
    public long count() throws IOException {
        return nb().stats().notes();
    }
}
