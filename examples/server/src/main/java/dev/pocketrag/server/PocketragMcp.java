package dev.pocketrag.server;

import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.embedder.Embedder;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
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
    private static final System.Logger LOG = System.getLogger(PocketragMcp.class.getName());
    /** How often the resource list looks for notes added or deleted by others. */
    static final Duration REFRESH = Duration.ofSeconds(5);
    /** How long requests read before stdin closed may still take to be answered. */
    static final Duration LAST_ANSWERS = Duration.ofMinutes(10);

    private PocketragMcp() {}

    /**
     * Serves MCP on {@code in} / {@code out} until {@code in} ends (the client closed it) or this
     * thread is interrupted.
     *
     * @param directory the notebook directory (it may not exist yet: the first note makes it)
     * @param embedder the notebook's embedding model; the caller closes it after this returns
     * @param model the chat model for {@code ask_notes} (null: extractive answers); the caller closes it
     * @param readOnly whether to leave out {@code add_note}
     * @param in the client's messages, one JSON-RPC message a line (stdin)
     * @param out where the responses go, one a line, and nothing else (stdout)
     * @throws InterruptedException if this thread is interrupted while it serves
     */
    public static void serveStdio(Path directory, Embedder embedder, ChatModel model, boolean readOnly, InputStream in,
            OutputStream out) throws InterruptedException {
        serveStdio(directory, null, embedder, model, readOnly, in, out);
    }

    /**
     * {@link #serveStdio(Path, Embedder, ChatModel, boolean, InputStream, OutputStream)} for a
     * notebook whose notes are in the index at {@code indexUrl} ({@link dev.pocketrag.retrieval.Notebook.Builder#indexUrl};
     * null: in {@code directory}).
     */
    public static void serveStdio(Path directory, java.net.URI indexUrl, Embedder embedder, ChatModel model,
            boolean readOnly, InputStream in, OutputStream out) throws InterruptedException {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(embedder, "embedder");
        McpJsonMapper mapper = McpJsonDefaults.getMapper();
        CountDownLatch ended = new CountDownLatch(1);
        CountDownLatch released = new CountDownLatch(1);
        Pending pending = new Pending(mapper);
        OutputStream counted = new FilterOutputStream(Objects.requireNonNull(out, "out")) {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                pending.written(b, off, len);
            }
        };
        // the end of input is seen by the transport only after the requests read are answered (it stops writing
        // then): serveStdio waits for them, not the reading thread, which the transport's scheduler may interrupt
        InputStream watched = new StdioLines(Objects.requireNonNull(in, "in"), mapper, pending::opened, why -> {
            LOG.log(System.Logger.Level.WARNING, "left out " + why);
            String error = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":" + McpSchema.ErrorCodes.PARSE_ERROR
                    + ",\"message\":" + Json.of("left out " + why) + "}}\n";
            try {
                synchronized (counted) { // as the transport writes: one message a line, never two interleaved
                    counted.write(error.getBytes(StandardCharsets.UTF_8));
                    counted.flush();
                }
            } catch (IOException e) {
                // the client is gone
            }
        }, () -> {
            ended.countDown();
            awaitUninterruptibly(released);
        });
        McpNotes notes = new McpNotes(new LocalAccess(directory, indexUrl, embedder, model), readOnly, mapper,
                ConcurrentHashMap.newKeySet());
        McpSyncServer server = notes.build(McpServer.sync(new StdioServerTransportProvider(mapper, watched, counted)));
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
            pending.awaitAnswered(LAST_ANSWERS);
        } finally {
            released.countDown();
            refresher.interrupt();
            server.closeGracefully();
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The ids of the requests read from the client and not yet answered (the stdio transport stops
     * writing once its input ends, so the end of input waits for them); each line written is one
     * JSON-RPC message.
     */
    private static final class Pending {
        private final McpJsonMapper mapper;
        private final Set<String> open = new HashSet<>();
        private final ByteArrayOutputStream outLine = new ByteArrayOutputStream();

        Pending(McpJsonMapper mapper) {
            this.mapper = mapper;
        }

        /** A request read and passed on to the transport. */
        synchronized void opened(Object id) {
            open.add(String.valueOf(id));
        }

        /** Bytes the transport wrote: the responses among its lines close their requests. */
        synchronized void written(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                if (b[i] != '\n') {
                    outLine.write(b[i]);
                    continue;
                }
                String text = outLine.toString(StandardCharsets.UTF_8);
                outLine.reset();
                try {
                    if (McpSchema.deserializeJsonRpcMessage(mapper, text) instanceof McpSchema.JSONRPCResponse r
                            && r.id() != null) {
                        open.remove(String.valueOf(r.id()));
                    }
                } catch (IOException | RuntimeException e) {
                    // not a response of ours: nothing to close
                }
            }
            notifyAll();
        }

        /** Waits until every request read has its response written, or {@code max} passed. */
        synchronized void awaitAnswered(Duration max) {
            long deadline = System.nanoTime() + max.toNanos();
            try {
                while (!open.isEmpty()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        LOG.log(System.Logger.Level.WARNING, "stdin closed; requests " + open + " not answered in " + max);
                        return;
                    }
                    wait(Math.max(1, left / 1_000_000));
                }
            } catch (InterruptedException e) {
                LOG.log(System.Logger.Level.WARNING, "interrupted while requests " + open + " were being answered");
                Thread.currentThread().interrupt();
            }
        }
    }
}
