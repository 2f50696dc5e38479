package dev.pocketrag.retrieval;

import dev.pocketrag.retrieval.ImportProgress.Problem;
import dev.pocketrag.retrieval.internal.SourcesFile;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The folders a notebook watches ({@code pocketrag watch}, {@code serve --watch}, the desktop
 * app) and how each stands, as the last watcher recorded it in the notebook directory's {@value
 * #FILE_NAME} file (see {@code SourcesFile} for its layout).
 *
 * @param roots the watched folders, by path
 * @param warning empty, or what went wrong reading the file (a damaged file is set aside, named
 *     here, and the folders are scanned again: never fatal)
 */
public record Sources(List<Root> roots, String warning) {

    /** The file in the notebook directory. */
    public static final String FILE_NAME = SourcesFile.NAME;

    public Sources {
        roots = List.copyOf(roots);
        Objects.requireNonNull(warning, "warning");
    }

    /** No watched folders. */
    public static final Sources NONE = new Sources(List.of(), "");

    /**
     * One watched folder.
     *
     * @param path its absolute path as the user named it
     * @param online false when the folder was gone or not a folder at the last look (an unmounted
     *     drive): its notes are kept until it comes back or is removed
     * @param lastScan when it was last scanned whole; null if never
     * @param notes notes from files under it
     * @param skipped files under it that are not notes (empty, binary, ...)
     * @param failed files and folders under it that could not be read, or were being written
     * @param problems what was skipped or failed and why (paths relative to the folder), at most
     *     {@link ImportProgress#MAX_PROBLEMS}
     */
    public record Root(String path, boolean online, Instant lastScan, int notes, int skipped, int failed,
            List<Problem> problems) {
        public Root {
            Objects.requireNonNull(path, "path");
            problems = List.copyOf(problems);
            if (notes < 0 || skipped < 0 || failed < 0) {
                throw new IllegalArgumentException("negative count: notes=" + notes + ", skipped=" + skipped
                        + ", failed=" + failed);
            }
        }
    }

    /**
     * The watched folders of the notebook in {@code notebookDirectory}; none if it never watched
     * any. Never fails: a file that cannot be read is said in {@link #warning()}, and a damaged one
     * is set aside first.
     */
    public static Sources read(Path notebookDirectory) {
        return SourcesFile.read(notebookDirectory);
    }

    /**
     * As JSON-ready maps ({@code stats --json}'s {@code "sources"}, {@code GET /v1/sources}):
     * {@code {"roots": [{"path", "online", "last_scan" (ISO-8601 or null), "notes", "skipped",
     * "failed", "problems": [{"path", "reason", "failed"}]}], "warning"}}.
     */
    public java.util.Map<String, Object> toMap() {
        List<Object> rs = new java.util.ArrayList<>();
        for (Root r : roots) {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("path", r.path());
            m.put("online", r.online());
            m.put("last_scan", r.lastScan() == null ? null : r.lastScan().toString());
            m.put("notes", r.notes());
            m.put("skipped", r.skipped());
            m.put("failed", r.failed());
            List<Object> ps = new java.util.ArrayList<>();
            for (Problem p : r.problems()) {
                java.util.Map<String, Object> pm = new java.util.LinkedHashMap<>();
                pm.put("path", p.path());
                pm.put("reason", p.reason());
                pm.put("failed", p.failed());
                ps.add(pm);
            }
            m.put("problems", ps);
            rs.add(m);
        }
        java.util.Map<String, Object> o = new java.util.LinkedHashMap<>();
        o.put("roots", rs);
        o.put("warning", warning);
        return o;
    }

    /** The root with this path, if watched. */
    public java.util.Optional<Root> root(String path) {
        return roots.stream().filter(r -> r.path().equals(path)).findFirst();
    }
}
