package dev.pocketrag.cli;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.retrieval.FolderChange;
import dev.pocketrag.retrieval.FolderWatcher;
import dev.pocketrag.retrieval.ImportProgress;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.Settings;
import dev.pocketrag.retrieval.Sources;
import dev.pocketrag.server.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "watch", mixinStandardHelpOptions = true,
        description = {"Keep the notebook in sync with folders until Ctrl-C: each is imported whole at the start"
                + " and every --rescan-every, and in between the files that change are read once they have been"
                + " quiet for --quiet-for.",
                "The notebook is held only while watch writes: add, search and ask work meanwhile.",
                "A renamed file keeps its note (not embedded again); a file being written is read when it is done;"
                        + " a folder that disappears (an unmounted drive) keeps its notes and is shown offline"
                        + " until it is back, or removed with --remove."})
final class WatchCommand implements Callable<Integer> {
    @Mixin
    NotebookOptions notebook;

    @Mixin
    EmbedderOption embedder;

    @Parameters(paramLabel = "DIR", arity = "0..*", description = "The folders to watch.")
    List<Path> folders = new ArrayList<>();

    @Option(names = "--remove", paramLabel = "DIR",
            description = "Forget a watched folder and delete its notes (for one that will not come back), then exit.")
    List<Path> remove = new ArrayList<>();

    @Option(names = "--rescan-every", paramLabel = "DURATION", defaultValue = "10m",
            converter = DurationConverter.class,
            description = "How often every folder is scanned whole (events can be lost), e.g. 30s, 10m, 1h"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration rescanEvery;

    @Option(names = "--quiet-for", paramLabel = "DURATION", defaultValue = "1500ms",
            converter = DurationConverter.class,
            description = "How long files must stay unchanged before they are read (default: ${DEFAULT-VALUE}).")
    Duration quiet;

    @Option(names = "--json", description = "Print one JSON object per line per change.")
    boolean json;

    @Spec
    CommandSpec spec;

    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean started;

    @Override
    public Integer call() throws Exception {
        Settings config = Settings.load();
        Path dir = notebook.directory(config);
        PrintWriter out = spec.commandLine().getOut();
        if (!remove.isEmpty()) {
            if (!folders.isEmpty()) {
                throw new UserException("--remove forgets folders and exits; watch the others in another run");
            }
            try (Notebook nb = notebook.open(config)) {
                for (Path f : remove) {
                    int n = FolderWatcher.remove(nb, f);
                    print(out, json ? Json.of(object("event", "removed", "path", FolderWatcher.pathOf(f),
                            "notes_deleted", n)) : "removed  " + f.toAbsolutePath().normalize() + " (" + n
                            + " notes deleted)");
                }
            }
            return 0;
        }
        if (folders.isEmpty()) {
            throw new UserException("name the folders to watch (or --remove DIR)");
        }
        checkFolders(dir, folders, "");
        FolderWatcher.Options options;
        try {
            options = FolderWatcher.Options.defaults().withRescanEvery(rescanEvery).withQuiet(quiet);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        try (Embedder e = notebook.builder(config).embedder(embedder.resolve(config)).loadEmbedderInBackground()
                .resolveEmbedder()) {
            FolderWatcher.Access access = task -> {
                try (Notebook nb = notebook.builder(config).embedder(e).build()) {
                    try {
                        nb.describeHolder(NotebookOptions.WATCH_HOLDER);
                    } catch (IOException ignored) {
                        // others then say less about who holds it
                    }
                    task.run(nb);
                }
            };
            FolderWatcher watcher;
            try {
                watcher = new FolderWatcher(dir, folders, options, access, new Printer(out, json));
            } catch (IllegalArgumentException ex) {
                throw new UserException(ex.getMessage());
            }
            Thread hook = new Thread(() -> {
                stop.countDown();
                try {
                    finished.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException ignored) {
                    // exit anyway
                }
            }, "pocketrag-watch-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try (watcher) {
                if (!json) {
                    print(out, "pocketrag watch: " + folders.size() + " folder(s) into " + dir + "; Ctrl-C to stop.");
                }
                watcher.start();
                started = true;
                stop.await();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException ignored) {
                    // shutting down already
                }
            }
        } finally {
            finished.countDown();
        }
        return 0;
    }

    /**
     * Refuses a folder that is not there unless it was watched before (then it is offline); says
     * a warning of the watched folders' file on stderr.
     */
    static void checkFolders(Path dir, List<Path> folders, String option) {
        Sources known = Sources.read(dir);
        for (Path f : folders) {
            if (!Files.isDirectory(f) && known.root(FolderWatcher.pathOf(f)).isEmpty()) {
                throw new UserException(option + (Files.exists(f) ? "not a folder: " : "folder not found: ") + f
                        + " (only a folder watched before may be missing: it is watched as offline)");
            }
        }
        if (!known.warning().isEmpty()) {
            System.err.println("pocketrag: " + known.warning());
        }
    }

    /** A JSON object with its keys in this order. */
    private static Map<String, Object> object(Object... keysAndValues) {
        Map<String, Object> o = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            o.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return o;
    }

    private static synchronized void print(PrintWriter out, String line) {
        out.println(line);
        out.flush();
    }

    /** One line per change: {@code added   PATH}, or a JSON object. */
    static final class Printer implements FolderWatcher.Listener {
        private final PrintWriter out;
        private final boolean json;

        Printer(PrintWriter out, boolean json) {
            this.out = TerminalText.isTerminal() && !json ? TerminalText.forTerminal(out) : out;
            this.json = json;
        }

        @Override
        public void changed(FolderChange c) {
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("event", c.kind().name().toLowerCase(Locale.ROOT));
                o.put("path", c.path());
                if (!c.from().isEmpty()) {
                    o.put("from", c.from());
                }
                if (!c.reason().isEmpty()) {
                    o.put("reason", c.reason());
                }
                print(out, Json.of(o));
                return;
            }
            String kind = c.kind().name().toLowerCase(Locale.ROOT);
            String line = switch (c.kind()) {
                case RENAMED -> String.format(Locale.ROOT, "%-8s %s -> %s", kind, c.from(), c.path());
                case SKIPPED, FAILED, BUSY, OFFLINE, SCANNED -> String.format(Locale.ROOT, "%-8s %s: %s", kind,
                        c.path(), c.reason());
                default -> String.format(Locale.ROOT, "%-8s %s", kind, c.path());
            };
            print(out, line);
        }

        @Override
        public void notebookBusy(String message) {
            if (json) {
                print(out, Json.of(object("event", "waiting", "reason", message)));
            } else {
                print(out, "waiting  " + message + " (trying again)");
            }
        }

        @Override
        public void scanFailed(String root, Exception e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            if (json) {
                print(out, Json.of(object("event", "error", "path", root, "reason", m)));
            } else {
                print(out, "error    " + root + ": " + m + " (tried again later)");
            }
        }

        @Override
        public void progress(String root, ImportProgress p) {
            // one line per change is enough; the scan's end says the counts
        }
    }

    /** Whether the watcher runs (for tests). */
    boolean awaitStarted(long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!started && System.nanoTime() < deadline && finished.getCount() > 0) {
            Thread.sleep(10);
        }
        return started;
    }

    /** Stops watching as Ctrl-C does (for tests). */
    void stop() {
        stop.countDown();
    }

    /** {@code 500ms}, {@code 30s}, {@code 10m}, {@code 2h}, or ISO-8601 ({@code PT10M}). */
    static final class DurationConverter implements ITypeConverter<Duration> {
        private static final Pattern SHORT = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

        @Override
        public Duration convert(String value) {
            Matcher m = SHORT.matcher(value.strip().toLowerCase(Locale.ROOT));
            Duration d;
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                d = switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    default -> Duration.ofHours(n);
                };
            } else {
                try {
                    d = Duration.parse(value.strip());
                } catch (DateTimeParseException e) {
                    throw new picocli.CommandLine.TypeConversionException("'" + value
                            + "' is not a duration: use e.g. 500ms, 30s, 10m, 1h");
                }
            }
            if (d.isZero() || d.isNegative()) {
                throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a positive duration");
            }
            return d;
        }
    }
}
