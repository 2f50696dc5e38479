package dev.pocketrag.cli;

import dev.pocketrag.retrieval.ExportSummary;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.Settings;
import dev.pocketrag.server.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pocketrag export DIR}: every note as a Markdown file; your data is never locked in. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write every note to a folder as a Markdown file: title, tags and dates in front matter, then"
                + " the text byte for byte. `pocketrag import` of that folder gives the notes back.")
final class ExportCommand implements Callable<Integer> {
    @Mixin
    NotebookOptions notebook;

    @Parameters(paramLabel = "DIR", description = "A new or empty folder.")
    Path folder;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        ExportSummary s;
        try (Notebook nb = notebook.openToRead(Settings.load())) {
            s = nb.export(folder);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("folder", s.folder().toAbsolutePath().toString());
            o.put("notes", s.notes());
            o.put("bytes", s.bytes());
            o.put("differing_count", s.differingCount());
            o.put("differing", s.differing());
            out.println(Json.of(o));
        } else {
            out.printf(Locale.ROOT, "%d notes written to %s (%s)%n", s.notes(), s.folder(), StatsCommand.human(s.bytes()));
            if (s.differingCount() > 0) {
                out.printf(Locale.ROOT, "%d hold text that import reads differently (their files hold it as it is):%n",
                        s.differingCount());
                for (String d : s.differing()) {
                    out.println("  " + d);
                }
            }
        }
        return 0;
    }
}
