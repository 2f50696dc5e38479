package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Settings;

import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.retrieval.FolderWatcher;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.server.PocketragServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.URI;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve the notebook over HTTP: a chat page and an OpenAI-compatible API.",
                "Runs until Ctrl-C: a chat page at /, an OpenAI-compatible API (/v1/models, "
                        + "/v1/chat/completions, /v1/embeddings), the notebook (/v1/notes, /v1/search, /v1/ask) and MCP"
                        + " over streamable HTTP at /mcp.",
                "Loopback only unless --host says otherwise; then every request needs the API key."})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    NotebookOptions notebook;

    @Mixin
    EmbedderOption embedder;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 = every interface, needs --api-key).")
    String host;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0 = any free one).")
    int port;

    @Option(names = "--api-key", paramLabel = "KEY",
            description = "Key every request must carry (Authorization: Bearer KEY; the page asks for it as a password). "
                    + "Default: $POCKETRAG_API_KEY, which is better: a key on the command line is visible to every "
                    + "user of the machine in ps. Required when --host is not loopback.")
    String apiKey;

    @Option(names = "--api-key-file", paramLabel = "FILE",
            description = "Read the API key from FILE (its first line) instead of the command line.")
    java.nio.file.Path apiKeyFile;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "8",
            description = "Requests that may wait for the chat model; more get 429 (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--read-only",
            description = "MCP clients at /mcp can only search, ask and read: no add_note tool.")
    boolean readOnly;

    @Option(names = "--watch", paramLabel = "DIR",
            description = "Keep the notebook in sync with this folder while serving, as `pocketrag watch` does"
                    + " (repeatable; changes are printed, GET /v1/sources shows each folder's state).")
    java.util.List<java.nio.file.Path> watch = new java.util.ArrayList<>();

    @Option(names = "--rescan-every", paramLabel = "DURATION", defaultValue = "10m",
            converter = WatchCommand.DurationConverter.class,
            description = "With --watch: how often every folder is scanned whole (default: ${DEFAULT-VALUE}).")
    java.time.Duration rescanEvery;

    @Spec
    CommandSpec spec;

    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile URI started;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (port < 0 || port > 65535) {
            throw new UserException("--port must be in 0..65535; got " + port);
        }
        if (queue < 0 || queue > 10_000) {
            throw new UserException("--queue must be in 0..10000; got " + queue);
        }
        // a request must arrive whole within a minute (the JDK server's default is forever)
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty("sun.net.httpserver.maxReqTime", "60");
        }
        Settings config = Settings.load();
        if (apiKey != null && apiKeyFile != null) {
            throw new UserException("give the API key with --api-key or --api-key-file, not both");
        }
        String key = apiKey != null ? apiKey : apiKeyFile != null ? readKey(apiKeyFile)
                : config.env().get("POCKETRAG_API_KEY");
        if (key != null && key.isBlank()) {
            key = null;
        }
        PrintWriter out = spec.commandLine().getOut();
        if (!watch.isEmpty()) {
            WatchCommand.checkFolders(notebook.directory(config), watch, "--watch: ");
        }
        java.net.URI indexUrl = notebook.indexUrl(config);
        if (indexUrl != null) {
            // an index that cannot be reached says so now, before a chat model loads for nothing
            Notebook.recordedModel(notebook.directory(config), indexUrl);
        }
        ChatModel model = modelOptions.load(config, notebook.directory(config).resolve(ChatModels.PROMPT_CACHE));
        try {
            serve(config, model, key, out);
        } finally {
            finished.countDown();
        }
        return 0;
    }

    private void serve(Settings config, ChatModel model, String key, PrintWriter out) throws IOException, InterruptedException {
        try (Notebook nb = notebook.openToEmbed(config, model, embedder.resolve(config))) {
            PocketragServer server;
            try {
                server = PocketragServer.builder(nb).host(host).port(port).apiKey(key).queueCapacity(queue)
                        .mcp(true, readOnly).start();
            } catch (BindException e) {
                throw new UserException("cannot listen on " + host + ":" + port + ": " + e.getMessage()
                        + " (another server there? try --port)");
            }
            // Ctrl-C: stop serving, and let this thread close the server and the notebook
            Thread hook = new Thread(() -> {
                stop.countDown();
                try {
                    finished.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException ignored) {
                    // exit anyway
                }
            }, "pocketrag-serve-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try (server) {
                nb.describeHolder("pocketrag serve at " + server.uri()
                        + " (use its API, e.g. POST /v1/notes, or stop it; search, list, stats and ask work meanwhile)");
                out.println("pocketrag serve: " + server.uri() + "  (notebook " + nb.directory()
                        + nb.indexUrl().map(u -> ", index at " + u).orElse("") + "; "
                        + (model == null ? "no chat model: extractive answers" : "model " + model.name()) + ")");
                if (!server.isLoopback()) {
                    out.println("listening on " + host + ": every request needs the API key");
                }
                out.println("Ctrl-C to stop.");
                out.flush();
                try (FolderWatcher watcher = watch.isEmpty() ? null : new FolderWatcher(nb.directory(), watch,
                        FolderWatcher.Options.defaults().withRescanEvery(rescanEvery), FolderWatcher.holding(nb),
                        new WatchCommand.Printer(out, false))) {
                    if (watcher != null) {
                        watcher.start();
                    }
                    started = server.uri();
                    stop.await();
                } catch (IllegalArgumentException e) {
                    throw new UserException("--watch: " + e.getMessage());
                }
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException ignored) {
                    // shutting down already
                }
            }
        }
    }

    /** The first line of {@code file}, without surrounding spaces; a clear error when it cannot be read or is empty. */
    static String readKey(java.nio.file.Path file) {
        String text;
        try {
            if (java.nio.file.Files.size(file) > 4096) {
                throw new UserException("--api-key-file " + file + " is larger than 4 KiB: it should hold just the key");
            }
            text = java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new UserException("--api-key-file " + file + " does not exist");
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new UserException("cannot read --api-key-file " + file + ": " + e.getMessage());
        }
        String key = text.lines().findFirst().orElse("").strip();
        if (key.isEmpty()) {
            throw new UserException("--api-key-file " + file + " is empty");
        }
        return key;
    }

    /** The server's URI once it listens (for tests), waiting at most {@code seconds}; null if not started. */
    URI awaitStarted(long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (started == null && System.nanoTime() < deadline && stop.getCount() > 0) {
            Thread.sleep(10);
        }
        return started;
    }

    /** Stops the server as Ctrl-C does (for tests). */
    void stop() {
        stop.countDown();
    }
}
