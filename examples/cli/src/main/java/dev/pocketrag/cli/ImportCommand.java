package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Settings;

import dev.pocketrag.retrieval.ImportProgress;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.server.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Import the .md, .markdown, .txt, .html, .pdf, .docx, .odt and .epub files of a folder"
                + " (recursively).",
                "Incremental: unchanged files are skipped, changed ones re-indexed, deleted ones removed.",
                "Empty, binary or non-UTF-8 files, and encrypted, damaged, image-only (no OCR) or too large documents,"
                        + " are skipped and counted with the reason."})
final class ImportCommand implements Callable<Integer> {
    @Mixin
    NotebookOptions notebook;

    @Mixin
    EmbedderOption embedder;

    @Parameters(paramLabel = "DIR", description = "The folder of notes.")
    Path folder;

    @Option(names = "--json", description = "Print the counts as one JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!Files.exists(folder)) {
            throw new UserException("folder not found: " + folder);
        }
        if (!Files.isDirectory(folder)) {
            throw new UserException("not a folder: " + folder);
        }
        Settings config = Settings.load();
        long t0 = System.nanoTime();
        ImportProgress result;
        try (Notebook nb = notebook.open(config, null, embedder.resolve(config))) {
            result = run(nb, folder, System.console() != null && !json);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.of(result));
        } else {
            out.println(summary(result, seconds));
            problems(out, result);
        }
        return 0;
    }

    /** One line per file skipped or failed, with the reason ({@code skipped scan.pdf: no text layer: ...}). */
    static void problems(PrintWriter out, ImportProgress p) {
        for (ImportProgress.Problem pr : p.problems()) {
            out.println("  " + (pr.failed() ? "failed " : "skipped ") + pr.path() + ": "
                    + pr.reason());
        }
        int more = p.skipped() + p.failed() - p.problems().size();
        if (more > 0) {
            out.println("  ... and " + more + " more (--json lists the first " + ImportProgress.MAX_PROBLEMS + ")");
        }
    }

    /** Runs an import with a progress bar on stderr (redrawn when it is a terminal). */
    static ImportProgress run(Notebook nb, Path folder, boolean interactive) throws IOException {
        long t0 = System.nanoTime();
        StatusLine line = new StatusLine(interactive);
        ImportProgress result = nb.importFolder(folder, p -> {
            line.show(status(p, (System.nanoTime() - t0) / 1e9), false);
            return true;
        });
        line.end();
        return result;
    }

    static String summary(ImportProgress p, double seconds) {
        return String.format(Locale.ROOT,
                "%d files: %d added, %d updated, %s%d unchanged, %d deleted, %d skipped, %d failed; "
                        + "%d notes embedded (%d chunks) in %.1f s",
                p.total(), p.added(), p.updated(), p.renamed() > 0 ? p.renamed() + " renamed, " : "", p.unchanged(),
                p.deleted(), p.skipped(), p.failed(),
                p.embedded(), p.chunks(), seconds);
    }

    /** The status line of an import: bar, counts and rate. */
    static String status(ImportProgress p, double seconds) {
        return String.format(Locale.ROOT, "importing %s %d/%d files, %d embedded, %d unchanged, %d skipped (%.1f files/s)",
                StatusLine.bar(p.done(), p.total()), p.done(), p.total(), p.embedded(), p.unchanged(),
                p.skipped() + p.failed(), seconds <= 0 ? 0 : p.done() / seconds);
    }
}
