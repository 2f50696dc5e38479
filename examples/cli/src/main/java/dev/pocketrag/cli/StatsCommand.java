package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Settings;

import dev.pocketrag.index.IndexStats;
import dev.pocketrag.index.RecordedModel;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.Sources;
import dev.pocketrag.server.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "stats", mixinStandardHelpOptions = true,
        description = "Notes, chunks, index size and the embedding model (name, id and recipe).")
final class StatsCommand implements Callable<Integer> {
    @Mixin
    NotebookOptions notebook;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Settings config = Settings.load();
        IndexStats s;
        String recipe;
        java.util.Optional<RecordedModel> unfinished;
        java.util.Optional<java.net.URI> indexUrl;
        try (Notebook nb = notebook.openToRead(config)) {
            s = nb.stats();
            indexUrl = nb.indexUrl();
            // an index written before recipes were recorded: its model's own (the embedder chosen for it)
            recipe = s.recipe().isEmpty() ? nb.embedder().recipe() : s.recipe();
            unfinished = nb.unfinishedReindex();
        }
        RecordedModel model = new RecordedModel(s.modelId(), s.dimension(), recipe);
        String name = ReindexCommand.builtIn(model).map(m -> m.name()).orElse(null);
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("directory", notebook.directory(config).toAbsolutePath().toString());
        o.put("index_url", indexUrl.map(java.net.URI::toString).orElse(null));
        o.put("notes", s.notes());
        o.put("chunks", s.chunks());
        o.put("index_bytes", s.sizeOnDisk());
        o.put("embedder", name);
        o.put("model_id", s.modelId());
        o.put("dimension", s.dimension());
        o.put("recipe", recipe);
        o.put("vector_format", s.vectorFormat().name().toLowerCase(Locale.ROOT));
        o.put("reindex_unfinished", unfinished.map(ReindexCommand::model).orElse(null));
        Sources sources = Sources.read(notebook.directory(config));
        o.put("sources", sources.toMap());
        if (json) {
            out.println(Json.of(o));
        } else {
            out.printf(Locale.ROOT, "directory   %s%n", o.get("directory"));
            indexUrl.ifPresent(u -> out.printf(Locale.ROOT, "index       %s%n", u));
            out.printf(Locale.ROOT, "notes       %d%nchunks      %d%nindex size  %s%nembedder    %s%nmodel       %s (%d dimensions, %s vectors)%nrecipe      %s%n",
                    s.notes(), s.chunks(), human(s.sizeOnDisk()), name == null ? "(not built in)" : name,
                    s.modelId(), s.dimension(), o.get("vector_format"), recipe);
            unfinished.ifPresent(u -> out.printf(Locale.ROOT, "reindex     unfinished, to %s: `pocketrag reindex --embedder %s`"
                    + " carries on%n", ReindexCommand.name(u), ReindexCommand.name(u)));
            printSources(out, sources);
        }
        return 0;
    }

    /** The watched folders: one line each, then up to {@value #PROBLEMS_SHOWN} of their problems. */
    static void printSources(PrintWriter out, Sources sources) {
        if (!sources.warning().isEmpty()) {
            out.printf(Locale.ROOT, "watched     %s%n", sources.warning());
        }
        for (Sources.Root r : sources.roots()) {
            out.printf(Locale.ROOT, "watched     %s  %s, %d notes, %d skipped, %d failed, %s%n", r.path(),
                    r.online() ? "online" : "OFFLINE (notes kept; `pocketrag watch --remove` forgets it)", r.notes(),
                    r.skipped(), r.failed(), r.lastScan() == null ? "never scanned" : "scanned " + r.lastScan());
            r.problems().stream().limit(PROBLEMS_SHOWN).forEach(p -> out.printf(Locale.ROOT, "              %s %s: %s%n",
                    p.failed() ? "failed " : "skipped", p.path(), p.reason()));
            int more = r.skipped() + r.failed() - (int) Math.min(PROBLEMS_SHOWN, r.problems().size());
            if (more > 0) {
                out.printf(Locale.ROOT, "              ... %d more (stats --json lists up to %d)%n", more,
                        dev.pocketrag.retrieval.ImportProgress.MAX_PROBLEMS);
            }
        }
    }

    static final int PROBLEMS_SHOWN = 5;

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
