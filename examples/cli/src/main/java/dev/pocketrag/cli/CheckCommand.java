package dev.pocketrag.cli;

import dev.pocketrag.index.IndexCheck;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.Settings;
import dev.pocketrag.server.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pocketrag check [--repair]}: is the notebook's index sound; keep what can be read if not. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Check the notebook's index: every file's checksum, every segment (Lucene's CheckIndex), and"
                + " every note's chunks and vectors. Exit code 0 if sound, 1 if damaged.",
                "With --repair: copy the index to a backup folder first, then drop what cannot be read and embed"
                        + " again the notes whose text survived; says how many notes were lost."})
final class CheckCommand implements Callable<Integer> {
    /** Exit code of a check that found damage (a repair that ran exits 0). */
    static final int EXIT_DAMAGED = 1;

    @Mixin
    NotebookOptions notebook;

    @Option(names = "--repair", description = "Repair a damaged index (after a backup).")
    boolean repair;

    @Option(names = "--backup", paramLabel = "DIR",
            description = "Where --repair copies the index first; must not exist (default: DIR/backups/index-<time>).")
    Path backup;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Settings config = Settings.load();
        Path dir = notebook.directory(config);
        if (backup != null && !repair) {
            throw new UserException("--backup goes with --repair");
        }
        IndexCheck c;
        Path to = null;
        if (repair) {
            to = backup != null ? backup : dir.resolve("backups").resolve("index-" + DateTimeFormatter
                    .ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT).format(Instant.now().truncatedTo(ChronoUnit.SECONDS)
                            .atOffset(ZoneOffset.UTC)));
            c = notebook.builder(config).repair(to); // the embedding model loads only if a note is rebuilt
        } else {
            c = notebook.builder(config).check();
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.of(json(dir, c)));
        } else {
            print(out, dir, c);
        }
        out.flush();
        return c.healthy() || c.repaired() ? 0 : EXIT_DAMAGED;
    }

    static Map<String, Object> json(Path dir, IndexCheck c) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("directory", dir.toAbsolutePath().toString());
        o.put("healthy", c.healthy());
        o.put("repaired", c.repaired());
        o.put("notes", c.notes());
        o.put("sound", c.sound());
        o.put("rebuilt", c.rebuilt());
        o.put("lost", c.lost());
        o.put("unidentified_chunks", c.unidentified());
        o.put("chunks", c.chunks());
        o.put("problem_count", c.problemCount());
        o.put("problems", c.problems());
        List<Map<String, String>> lost = new ArrayList<>();
        for (IndexCheck.NoteRef r : c.lostNotes()) {
            lost.add(Map.of("id", r.id(), "title", r.title()));
        }
        o.put("lost_notes", lost);
        o.put("backup", c.backup().map(p -> p.toAbsolutePath().toString()).orElse(null));
        o.put("embedder", c.model().map(ReindexCommand::model).orElse(null));
        return o;
    }

    private static void print(PrintWriter out, Path dir, IndexCheck c) {
        String model = c.model().map(m -> "; embedder " + ReindexCommand.name(m)).orElse("");
        if (c.healthy()) {
            out.printf(Locale.ROOT, "%s: sound (%d notes, %d chunks%s)%n", dir, c.sound(), c.chunks(), model);
            return;
        }
        out.printf(Locale.ROOT, "%s: %d problem%s%s%n", dir, c.problemCount(), c.problemCount() == 1 ? "" : "s",
                model.isEmpty() ? "" : " (" + model.substring(2) + ")");
        for (String p : c.problems()) {
            out.println("  " + p);
        }
        if (c.problemCount() > c.problems().size()) {
            out.printf(Locale.ROOT, "  ... and %d more%n", c.problemCount() - c.problems().size());
        }
        String verb = c.repaired() ? "" : "would be ";
        out.printf(Locale.ROOT, "notes: %d sound, %d %srebuilt from their text, %d %slost%s%n", c.sound(), c.rebuilt(),
                verb, c.lost(), verb, c.unidentified() > 0 ? " (" + c.unidentified() + " chunks could not be read at all)" : "");
        for (IndexCheck.NoteRef r : c.lostNotes()) {
            out.println("  lost: " + r.id() + (r.title().isEmpty() ? "" : "  " + r.title()));
        }
        if (c.repaired()) {
            c.backup().ifPresent(b -> out.println("repaired; the index as it was is in " + b));
        } else {
            out.println("run `pocketrag check --repair` to keep every note that can still be read (it writes a backup first);"
                    + " `pocketrag export DIR` writes them out as Markdown");
        }
    }
}
