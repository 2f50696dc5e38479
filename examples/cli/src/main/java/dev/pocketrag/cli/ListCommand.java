package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Settings;

import dev.pocketrag.index.Note;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.server.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "list", mixinStandardHelpOptions = true, description = "List notes, most recently updated first.")
final class ListCommand implements Callable<Integer> {
    @Mixin
    NotebookOptions notebook;

    @Option(names = "--tag", paramLabel = "TAG", description = "Only notes with this tag; repeat for several.")
    List<String> tags = new ArrayList<>();

    @Option(names = {"-n", "--limit"}, defaultValue = "50", description = "At most this many (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--offset", defaultValue = "0", description = "Skip this many first.")
    int offset;

    @Option(names = "--json", description = "Print a JSON array.")
    boolean json;

    @Spec
    CommandSpec spec;

    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneId.systemDefault());

    @Override
    public Integer call() throws IOException {
        if (limit < 1 || limit > 100_000 || offset < 0) {
            throw new UserException("--limit must be in 1..100000 and --offset >= 0; got limit=" + limit + ", offset=" + offset);
        }
        List<Note> notes;
        try (Notebook nb = notebook.openToRead(Settings.load())) {
            notes = nb.list(tags.isEmpty() ? SearchFilter.NONE : SearchFilter.NONE.withAllTags(tags), offset, limit);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Note n : notes) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("id", n.id());
                o.put("title", n.title());
                o.put("tags", n.tags());
                o.put("source", n.source());
                o.put("created", n.created().toString());
                o.put("updated", n.updated().toString());
                o.put("chars", n.body().length());
                o.put("text", n.body());
                rows.add(o);
            }
            out.println(Json.of(rows));
            return 0;
        }
        if (notes.isEmpty()) {
            out.println("no notes");
        }
        for (Note n : notes) {
            out.printf("%s  %-40s  %s%s%n", DAY.format(n.updated()), n.title().isEmpty() ? "(untitled)" : n.title(),
                    n.id(), n.tags().isEmpty() ? "" : "  #" + String.join(" #", n.tags()));
        }
        return 0;
    }
}
