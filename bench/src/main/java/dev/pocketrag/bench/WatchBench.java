package dev.pocketrag.bench;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.retrieval.FolderChange;
import dev.pocketrag.retrieval.FolderWatcher;
import dev.pocketrag.retrieval.ImportListener;
import dev.pocketrag.retrieval.Notebook;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench/run watch [--copies N] [--edits N]}: how long the notebook is held for one edited
 * file, kept in sync by {@link FolderWatcher} (the changed path read, its note embedded again,
 * committed; the notebook opened and closed around it) vs by running {@code import} of the whole
 * folder again (the peer: what a user without watch does; opened and closed the same way).
 *
 * <p>The folder is {@code examples/notes} copied {@code --copies} times (default 5: 300 files). Each
 * edit appends a line to one note; the watcher's hold is timed inside its access to the notebook,
 * the import's around open + import + close. Prints the median of {@code --edits} (default 7) of
 * each and their ratio. The time from the edit to the note being searchable is the debounce
 * ({@code --quiet-for}, 1.5 s by default) plus the watcher's hold, and is not measured here.
 */
final class WatchBench {
    private WatchBench() {}

    static int run(String[] args) throws Exception {
        int copies = 5;
        int edits = 7;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--copies") && i + 1 < args.length) {
                copies = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--edits") && i + 1 < args.length) {
                edits = Integer.parseInt(args[++i]);
            } else {
                System.err.println("error: unknown argument '" + args[i] + "'; usage: bench/run watch [--copies N]"
                        + " [--edits N]");
                return 2;
            }
        }
        if (copies < 1 || edits < 1) {
            System.err.println("error: --copies and --edits must be at least 1");
            return 2;
        }
        Path root = GenerationBench.benchTarget().getParent().getParent();
        Path sample = root.resolve("examples/notes");
        if (!Files.isDirectory(sample)) {
            System.err.println("error: " + sample + " not found (run from a pocketrag checkout)");
            return 2;
        }
        Path tmp = Files.createTempDirectory("pocketrag-watch-bench");
        try (Embedder e = Embedders.miniLm()) {
            Path folder = tmp.resolve("notes");
            for (int c = 0; c < copies; c++) {
                copy(sample, folder.resolve("copy-" + c));
            }
            Path dir = tmp.resolve("nb");
            Path edited = Files.list(folder.resolve("copy-0")).filter(Files::isDirectory).sorted().findFirst()
                    .flatMap(d -> {
                        try (var s = Files.list(d)) {
                            return s.filter(f -> f.toString().endsWith(".md")).sorted().findFirst();
                        } catch (IOException ex) {
                            return java.util.Optional.empty();
                        }
                    }).orElseThrow();
            long files;
            try (var s = Files.walk(folder)) {
                files = s.filter(Files::isRegularFile).count();
            }

            LinkedBlockingQueue<FolderChange> changes = new LinkedBlockingQueue<>();
            List<Long> holds = java.util.Collections.synchronizedList(new ArrayList<>());
            FolderWatcher.Access reopening = FolderWatcher.reopening(dir, e);
            FolderWatcher.Access timed = task -> {
                long t0 = System.nanoTime();
                try {
                    reopening.use(task);
                } finally {
                    holds.add(System.nanoTime() - t0);
                }
            };
            List<Long> watchHolds = new ArrayList<>();
            try (FolderWatcher w = new FolderWatcher(dir, List.of(folder), FolderWatcher.Options.defaults(), timed,
                    changes::add)) {
                w.start();
                await(changes, FolderChange.Kind.SCANNED, "");
                System.out.printf(Locale.ROOT, "first scan: %d files imported in %d parts, the notebook held %.1f s%n",
                        files, holds.size(), holds.stream().mapToLong(Long::longValue).sum() / 1e9);
                String source = FolderWatcher.pathOf(edited);
                for (int i = 0; i < edits; i++) {
                    holds.clear();
                    Files.writeString(edited, "\nedit " + i + " by the watch bench\n", StandardOpenOption.APPEND);
                    await(changes, FolderChange.Kind.UPDATED, source);
                    watchHolds.add(holds.stream().mapToLong(Long::longValue).sum());
                }
            }
            List<Long> importHolds = new ArrayList<>();
            for (int i = 0; i < edits; i++) {
                Files.writeString(edited, "\nedit " + i + " by the watch bench, imported\n", StandardOpenOption.APPEND);
                long t0 = System.nanoTime();
                try (Notebook nb = Notebook.builder(dir).embedder(e).build()) {
                    nb.importFolder(folder, ImportListener.NONE);
                }
                importHolds.add(System.nanoTime() - t0);
            }
            double watchMs = median(watchHolds) / 1e6;
            double importMs = median(importHolds) / 1e6;
            System.out.printf(Locale.ROOT, "notebook held per edited file (%d files, median of %d; noisy when others"
                    + " use the machine):%n", files, edits);
            System.out.printf(Locale.ROOT, "  watch (the changed path)   %8.1f ms%n", watchMs);
            System.out.printf(Locale.ROOT, "  import (the whole folder)  %8.1f ms   (peer)%n", importMs);
            System.out.printf(Locale.ROOT, "  import / watch             %8.1fx%n", importMs / watchMs);
            return 0;
        } finally {
            try (var s = Files.walk(tmp)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static void await(LinkedBlockingQueue<FolderChange> changes, FolderChange.Kind kind, String path)
            throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (System.nanoTime() < end) {
            FolderChange c = changes.poll(1, TimeUnit.SECONDS);
            if (c != null && c.kind() == kind && (path.isEmpty() || c.path().equals(path))) {
                return;
            }
        }
        throw new IllegalStateException("the watcher did not report " + kind + " " + path + " in 10 minutes");
    }

    private static double median(List<Long> xs) {
        List<Long> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2.0;
    }

    private static void copy(Path from, Path to) throws IOException {
        try (var s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }
}
