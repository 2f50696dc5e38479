package dev.pocketrag.cli;

import dev.pocketrag.retrieval.MigrateProgress;
import dev.pocketrag.retrieval.MigrateProgress.Phase;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.RemoteIndexException;
import dev.pocketrag.retrieval.Settings;
import dev.pocketrag.server.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pocketrag migrate --to URL | --from URL}: the notebook's index copied to or from an index at a URL. */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = {"Copy the notebook's own index (in its directory) to the index at a URL, or back.",
                "--to URL copies every note with its chunks and vectors into the index at URL (a search cluster, or"
                        + " file:/path/to/index), made with the notebook's embedding model if it is new; --from URL"
                        + " copies the index at URL into the notebook directory.",
                "Nothing is embedded again, and both sides must hold vectors of the same model. Stopped (Ctrl-C, a"
                        + " crash), it carries on when run again: notes already copied unchanged are skipped.",
                "Afterwards use the index with --index-url URL, or index-url=URL in the config file."})
final class MigrateCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR",
            description = "Notebook directory (default: $POCKETRAG_DIR, dir= in the config file, "
                    + "$XDG_DATA_HOME/pocketrag or ~/.local/share/pocketrag).")
    Path dir;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Direction direction;

    /** Exactly one of {@code --to} and {@code --from}. */
    static final class Direction {
        @Option(names = "--to", paramLabel = "URL", required = true,
                description = "Copy the notebook's notes into the index at URL.")
        String to;

        @Option(names = "--from", paramLabel = "URL", required = true,
                description = "Copy the notes of the index at URL into the notebook.")
        String from;
    }

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        boolean into = direction.to != null;
        String option = into ? "--to" : "--from";
        URI url = parse(option, into ? direction.to : direction.from);
        Settings config = Settings.load();
        Path directory = config.dataDir(dir);
        PrintWriter out = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        // Ctrl-C: stop after the batch under way (what is committed stays, and the next run skips it)
        MigrateProgress p;
        try (StopOnCtrlC ctrlC = new StopOnCtrlC("pocketrag-migrate-shutdown")) {
            StatusLine line = new StatusLine(System.console() != null && !json);
            dev.pocketrag.retrieval.MigrateListener listener = progress -> {
                line.show(status(progress, (System.nanoTime() - t0) / 1e9), progress.phase() != Phase.COPYING);
                return !ctrlC.requested();
            };
            // the notebook written to (--from) or a file: index may be held by `pocketrag watch` for a moment
            boolean[] said = {false};
            Notebook.Builder b = Notebook.builder(directory).waitWhileHeld(busy -> {
                if (busy.holder() == null || !busy.holder().contains(NotebookOptions.WATCH_HOLDER)) {
                    return false;
                }
                if (!said[0]) {
                    spec.commandLine().getErr().println("pocketrag: `pocketrag watch` is writing to the notebook;"
                            + " waiting for it to let go");
                    spec.commandLine().getErr().flush();
                    said[0] = true;
                }
                return true;
            }, java.time.Duration.ofSeconds(NotebookOptions.WAIT_FOR_WATCH_SECONDS));
            p = into ? b.migrateTo(url, listener) : b.migrateFrom(url, listener);
            line.end();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (json) {
            out.println(Json.of(json(into, p, seconds)));
        } else {
            out.println(summary(directory, into, option, url, p, seconds));
        }
        return 0;
    }

    /** The URL given to {@code option}; a clear error naming it when it is not one. */
    static URI parse(String option, String value) {
        try {
            return Settings.parseIndexUrl(option, value);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }

    static String summary(Path directory, boolean into, String option, URI url, MigrateProgress p, double seconds) {
        URI shown = RemoteIndexException.redacted(url);
        String from = into ? "notebook " + directory : p.from().toString();
        String to = into ? p.to().toString() : "notebook " + directory;
        if (p.phase() == Phase.STOPPED) {
            return String.format(Locale.ROOT, "stopped: %d of %d notes copied from %s to %s so far (%d in this run);"
                    + " run `pocketrag migrate %s %s` again to carry on", p.done(), p.total(), from, to, p.copied(),
                    option, shown);
        }
        return String.format(Locale.ROOT, "copied %d notes (%d chunks) from %s to %s in %.1f s; %d were there already%s",
                p.copied(), p.chunks(), from, to, seconds, p.skipped(),
                into ? ". Use it with --index-url " + shown + " (or index-url=" + shown + " in the config file)" : "");
    }

    static Map<String, Object> json(boolean into, MigrateProgress p, double seconds) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("direction", into ? "to" : "from");
        o.put("phase", p.phase().name().toLowerCase(Locale.ROOT));
        o.put("from", p.from().toString());
        o.put("to", p.to().toString());
        o.put("model", ReindexCommand.model(p.model()));
        o.put("notes", p.total());
        o.put("done", p.done());
        o.put("copied", p.copied());
        o.put("skipped", p.skipped());
        o.put("chunks", p.chunks());
        o.put("saved", p.saved());
        o.put("seconds", Math.round(seconds * 10) / 10.0);
        return o;
    }

    /** The status line of a copy: bar, counts and rate. */
    static String status(MigrateProgress p, double seconds) {
        return String.format(Locale.ROOT, "copying %s %d/%d notes, %d copied, %d already there (%.1f notes/s)",
                StatusLine.bar(p.done(), Math.max(p.total(), p.done())), p.done(), p.total(), p.copied(), p.skipped(),
                seconds <= 0 ? 0 : p.copied() / seconds);
    }
}
