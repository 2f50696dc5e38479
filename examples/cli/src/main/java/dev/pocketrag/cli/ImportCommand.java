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
        ProgressLine line = new ProgressLine(interactive);
        ImportProgress result = nb.importFolder(folder, p -> {
            line.update(p, (System.nanoTime() - t0) / 1e9);
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

    /** A one-line progress display on stderr: bar, counts and rate. */
    static final class ProgressLine {
        private final boolean interactive;
        private long lastDraw;
        private String last = "";

        ProgressLine(boolean interactive) {
            this.interactive = interactive;
        }

        void update(ImportProgress p, double seconds) {
            int width = 24;
            int filled = p.total() == 0 ? width : width * p.done() / p.total();
            last = String.format(Locale.ROOT, "importing [%s%s] %d/%d files, %d embedded, %d unchanged, %d skipped (%.1f files/s)",
                    "#".repeat(filled), " ".repeat(width - filled), p.done(), p.total(), p.embedded(), p.unchanged(),
                    p.skipped() + p.failed(), seconds <= 0 ? 0 : p.done() / seconds);
            long now = System.nanoTime();
            if (interactive && now - lastDraw > 100_000_000L) {
                lastDraw = now;
                System.err.print("\r" + last);
                System.err.flush();
            }
        }

        void end() {
            if (interactive) {
                System.err.print("\r" + last + "\n");
                System.err.flush();
            }
        }
    }
}
