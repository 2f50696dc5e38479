package dev.pocketrag.server;

import dev.pocketrag.index.Note;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.SearchOptions;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the MCP tools ({@link McpNotes}) do to a notebook, and how: {@code serve} works on the
 * notebook it holds, through its queues ({@link ServerAccess}); {@code pocketrag mcp} opens the
 * notebook for each call, to read without a lock and to write only while a note is added
 * ({@link LocalAccess}).
 */
interface NotebookAccess extends AutoCloseable {
    /** The best passages, one per note. */
    List<SearchHit> search(String query, SearchOptions options) throws IOException;

    /**
     * Answers {@code question} ({@code thread}: the stored thread it continues or starts, null for
     * none), as {@code ask --json} prints it, with {@code "thread": {"name", "started", "turns"}}
     * in a thread.
     */
    Map<String, Object> ask(String question, AskOptions options, String thread) throws IOException;

    /** Adds the note, durable when this returns. */
    Note add(Note note) throws IOException;

    Optional<Note> get(String id) throws IOException;

    /** Notes, most recently updated first. */
    List<Note> list(SearchFilter filter, int offset, int limit) throws IOException;

    /** Notes in the notebook (0 for one not made yet). */
    long count() throws IOException;

    @Override
    default void close() {}
}
