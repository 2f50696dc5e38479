package dev.pocketrag.server;

import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.embedder.Embedder;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * {@code pocketrag mcp}: a notebook as a Model Context Protocol server on a pair of streams
 * (stdin and stdout of a process an MCP client started), with the official MCP Java SDK's stdio
 * transport: one JSON-RPC message a line, nothing else on {@code out}.
 *
 * <pre>{@code
 * try (Embedder e = Notebook.builder(dir).loadEmbedderInBackground().resolveEmbedder()) {
 *     PocketragMcp.serveStdio(dir, e, null, false, System.in, System.out); // until stdin ends
 * }
 * }</pre>
 *
 * <p>Tools {@code search_notes}, {@code ask_notes}, {@code add_note} (not when read-only),
 * {@code get_note}, {@code list_notes}; the notes as resources {@code note://ID}. The notebook is
 * opened for each call: to read without its lock (so {@code serve}, the desktop app or {@code
 * pocketrag add} may hold it meanwhile, and each call sees their last commit), and to write only
 * while {@code add_note} adds a note (a notebook another process holds then is a tool error naming
 * that process). {@code serve} offers the same tools at {@code /mcp} (see {@link PocketragServer}).
 */
public final class PocketragMcp {
    /** How often the resource list looks for notes added or deleted by others. */
    static final Duration REFRESH = Duration.ofSeconds(5);

    private PocketragMcp() {}

    /**
     * Serves MCP on {@code in} / {@code out} until {@code in} ends (the client closed it) or this
     * thread is interrupted.
     *
     * @param directory the notebook directory (it may not exist yet: the first note makes it)
     * @param embedder the notebook's embedding model; the caller closes it after this returns
     * @param model the chat model for {@code ask_notes} (null: extractive answers); the caller closes it
     * @param readOnly whether to leave out {@code add_note}
     */
    public static void serveStdio(Path directory, Embedder embedder, ChatModel model, boolean readOnly, InputStream in,
            OutputStream out) throws InterruptedException {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(embedder, "embedder");
        CountDownLatch ended = new CountDownLatch(1);
        InputStream watched = new FilterInputStream(Objects.requireNonNull(in, "in")) {
            @Override
            public int read() throws IOException {
                return seen(super.read());
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return seen(super.read(b, off, len));
                } catch (IOException e) {
                    ended.countDown();
                    throw e;
                }
            }

            private int seen(int n) {
                if (n < 0) {
                    ended.countDown();
                }
                return n;
            }
        };
        McpJsonMapper mapper = McpJsonDefaults.getMapper();
        McpNotes notes = new McpNotes(new LocalAccess(directory, embedder, model), readOnly, mapper,
                ConcurrentHashMap.newKeySet());
        McpSyncServer server = notes.build(McpServer.sync(new StdioServerTransportProvider(mapper, watched,
                Objects.requireNonNull(out, "out"))));
        Thread refresher = Thread.ofVirtual().name("pocketrag-mcp-resources").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(REFRESH.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
                notes.refreshIfChanged(server);
            }
        });
        try {
            ended.await();
        } finally {
            refresher.interrupt();
            server.closeGracefully();
        }
    }
}
