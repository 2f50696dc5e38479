package dev.pocketrag.cli;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.EmbedderModel;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.index.RecordedModel;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.ReindexProgress;
import dev.pocketrag.retrieval.ReindexProgress.Phase;
import dev.pocketrag.retrieval.Settings;
import dev.pocketrag.server.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pocketrag reindex --embedder NAME}: every note embedded again with another model. */
@Command(name = "reindex", mixinStandardHelpOptions = true,
        description = {"Move the notebook to another embedding model: every note is embedded again with it.",
                "The new index is built beside the old one, and the notebook stays searchable on the old vectors until"
                        + " the switch (search, ask, list and export work meanwhile, in other processes too).",
                "Stopped (Ctrl-C, a crash), it carries on where it stopped when run again. At the end every note is on"
                        + " the new model and the old index is deleted."})
final class ReindexCommand implements Callable<Integer> {
    @Mixin
    NotebookOptions notebook;

    @Option(names = "--embedder", paramLabel = "NAME", required = true,
            description = "The embedding model to move to: minilm, bge-small or e5-small.")
    String embedder;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        EmbedderModel target;
        try {
            target = Embedders.model(embedder);
        } catch (IllegalArgumentException e) {
            throw new UserException("--embedder: " + e.getMessage());
        }
        Settings config = Settings.load();
        PrintWriter out = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        ReindexProgress p;
        // Ctrl-C: stop after the batch under way (what is saved stays for the next run)
        try (StopOnCtrlC ctrlC = new StopOnCtrlC("pocketrag-reindex-shutdown")) {
            // the notebook's own embedder is never loaded: notes are read, and embedded with the new one
            try (Embedder e = Embedders.namedInBackground(target.name()); Notebook nb = notebook.open(config)) {
                StatusLine line = new StatusLine(System.console() != null && !json);
                p = nb.reindex(e, progress -> {
                    line.show(status(progress, target.name(), (System.nanoTime() - t0) / 1e9),
                            progress.phase() != Phase.EMBEDDING);
                    return !ctrlC.requested();
                });
                line.end();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (json) {
            out.println(Json.of(json(notebook.directory(config), p, seconds)));
        } else {
            out.println(summary(notebook.directory(config), p, seconds));
        }
        return 0;
    }

    /** The built-in name of {@code m} (with its own recipe), else its model id. */
    static String name(RecordedModel m) {
        return builtIn(m).map(EmbedderModel::name).orElse(m.modelId());
    }

    static Optional<EmbedderModel> builtIn(RecordedModel m) {
        return Embedders.modelWithId(m.modelId())
                .filter(b -> m.recipe().isEmpty() || m.recipe().equals(b.recipe().recipe()));
    }

    static String summary(java.nio.file.Path dir, ReindexProgress p, double seconds) {
        return switch (p.phase()) {
            case UNCHANGED -> String.format(Locale.ROOT, "%s already uses %s: nothing to do%s", dir, name(p.to()),
                    p.discarded() ? " (an unfinished re-index to another model was deleted)" : "");
            case STOPPED -> String.format(Locale.ROOT, "stopped: %d of %d notes are on %s so far (%d embedded now);"
                    + " the notebook is still on %s. Run `pocketrag reindex --embedder %s` again to carry on.",
                    p.saved(), p.total(), name(p.to()), p.embedded(), name(p.from()), name(p.to()));
            default -> String.format(Locale.ROOT, "%s moved from %s to %s: %d notes embedded (%d chunks) in %.1f s%s%s;"
                    + " the old index is deleted", dir, name(p.from()), name(p.to()), p.embedded(), p.chunks(), seconds,
                    p.kept() > 0 ? ", " + p.kept() + " kept from an interrupted run" : "",
                    p.deleted() > 0 ? ", " + p.deleted() + " deleted meanwhile" : "");
        };
    }

    static Map<String, Object> json(java.nio.file.Path dir, ReindexProgress p, double seconds) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("directory", dir.toAbsolutePath().toString());
        o.put("phase", p.phase().name().toLowerCase(Locale.ROOT));
        o.put("from", model(p.from()));
        o.put("to", model(p.to()));
        o.put("notes", p.total());
        o.put("embedded", p.embedded());
        o.put("kept", p.kept());
        o.put("deleted", p.deleted());
        o.put("chunks", p.chunks());
        o.put("saved", p.saved());
        o.put("discarded_unfinished", p.discarded());
        o.put("seconds", Math.round(seconds * 10) / 10.0);
        return o;
    }

    static Map<String, Object> model(RecordedModel m) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("name", builtIn(m).map(EmbedderModel::name).orElse(null));
        o.put("model_id", m.modelId());
        o.put("dimension", m.dimension());
        o.put("recipe", m.recipe());
        return o;
    }

    /** The status line of a re-index to {@code to}: phase, bar, counts and rate. */
    static String status(ReindexProgress p, String to, double seconds) {
        String what = p.phase() == Phase.CATCHING_UP ? "catching up" : p.phase() == Phase.DONE ? "switched" : "reindexing";
        return String.format(Locale.ROOT, "%s to %s %s %d/%d notes, %d embedded, %d kept (%.1f notes/s)", what, to,
                StatusLine.bar(p.done(), Math.max(p.total(), p.done())), p.done(), p.total(), p.embedded(), p.kept(),
                seconds <= 0 ? 0 : p.embedded() / seconds);
    }
}
