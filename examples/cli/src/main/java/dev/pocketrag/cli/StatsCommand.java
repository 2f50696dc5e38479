package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Settings;

import dev.pocketrag.index.IndexStats;
import dev.pocketrag.retrieval.Notebook;
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

@Command(name = "stats", mixinStandardHelpOptions = true, description = "Notes, chunks, index size and embedding model.")
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
        try (Notebook nb = notebook.openToRead(config)) {
            s = nb.stats();
        }
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("directory", notebook.directory(config).toAbsolutePath().toString());
        o.put("notes", s.notes());
        o.put("chunks", s.chunks());
        o.put("index_bytes", s.sizeOnDisk());
        o.put("model_id", s.modelId());
        o.put("dimension", s.dimension());
        o.put("vector_format", s.vectorFormat().name().toLowerCase(Locale.ROOT));
        if (json) {
            out.println(Json.of(o));
        } else {
            out.printf(Locale.ROOT, "directory   %s%nnotes       %d%nchunks      %d%nindex size  %s%nmodel       %s (%d dimensions, %s vectors)%n",
                    o.get("directory"), s.notes(), s.chunks(), human(s.sizeOnDisk()), s.modelId(), s.dimension(),
                    o.get("vector_format"));
        }
        return 0;
    }

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
