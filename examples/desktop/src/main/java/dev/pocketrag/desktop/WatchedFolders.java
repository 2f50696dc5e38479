package dev.pocketrag.desktop;

import dev.pocketrag.retrieval.FolderWatcher;
import dev.pocketrag.retrieval.Sources;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The notebook's watched folders while the app runs: those its sources file lists (watched
 * before, by the app or by {@code pocketrag watch}), plus those added in Settings. One {@link
 * FolderWatcher} watches them all through the {@link NotebookSession} (so the notebook is open
 * only while it writes, and a notebook held by another process is waited for); it is started
 * again when the list changes. Thread-safe; the listener is called on the watcher's thread.
 */
final class WatchedFolders implements AutoCloseable {
    private final NotebookSession session;
    private final FolderWatcher.Options options;
    private final FolderWatcher.Listener listener;
    /** The watched folders, as {@link FolderWatcher#pathOf} names them -> the path to watch. */
    private final Map<String, Path> roots = new LinkedHashMap<>();
    private FolderWatcher watcher;
    private boolean closed;

    WatchedFolders(NotebookSession session, FolderWatcher.Options options, FolderWatcher.Listener listener) {
        this.session = Objects.requireNonNull(session, "session");
        this.options = Objects.requireNonNull(options, "options");
        this.listener = Objects.requireNonNull(listener, "listener");
        for (Sources.Root r : Sources.read(session.directory()).roots()) {
            roots.put(r.path(), Path.of(r.path()));
        }
    }

    /** Starts watching the folders the notebook lists (nothing if none). */
    synchronized void start() throws IOException {
        restart();
    }

    /** How many folders are watched. */
    synchronized int count() {
        return roots.size();
    }

    /**
     * The watched folders: what the watcher knows now, else what the sources file says (a folder
     * just added and not scanned yet shows as online with no counts).
     */
    synchronized Sources status() {
        Sources file = Sources.read(session.directory());
        Map<String, Sources.Root> out = new LinkedHashMap<>();
        for (String p : roots.keySet()) {
            out.put(p, new Sources.Root(p, true, null, 0, 0, 0, List.of()));
        }
        for (Sources.Root r : file.roots()) {
            if (out.containsKey(r.path())) {
                out.put(r.path(), r);
            }
        }
        if (watcher != null) {
            for (Sources.Root r : watcher.status().roots()) {
                if (out.containsKey(r.path()) && (r.lastScan() != null || !r.online())) {
                    out.put(r.path(), r);
                }
            }
        }
        return new Sources(new ArrayList<>(out.values()), file.warning());
    }

    /**
     * Watches {@code folder} too (it is scanned at once).
     *
     * @throws IllegalArgumentException if it is not a folder, or lies inside a watched one (or
     *     holds one)
     */
    synchronized void add(Path folder) throws IOException {
        if (!java.nio.file.Files.isDirectory(folder)) {
            throw new IllegalArgumentException("not a folder: " + folder);
        }
        String p = FolderWatcher.pathOf(folder);
        if (roots.containsKey(p)) {
            return;
        }
        Path a = folder.toAbsolutePath().normalize();
        for (Path r : roots.values()) {
            if (a.startsWith(r) || r.startsWith(a)) {
                throw new IllegalArgumentException(a + " and the watched folder " + r
                        + " lie one in the other: watch one of them");
            }
        }
        roots.put(p, a);
        restart();
    }

    /**
     * Stops watching the folder named {@code path} (as {@link #status()} names it) and deletes
     * its notes from the notebook (the files stay); how many notes were deleted.
     */
    synchronized int remove(String path) throws Exception {
        Path root = roots.remove(path);
        if (root == null) {
            root = Path.of(path);
        }
        stopWatcher();
        Path r = root;
        try {
            return session.call(nb -> FolderWatcher.remove(nb, r));
        } finally {
            restart();
        }
    }

    private void restart() throws IOException {
        stopWatcher();
        if (closed || roots.isEmpty()) {
            return;
        }
        FolderWatcher.Access access = task -> {
            try {
                session.call(nb -> {
                    task.run(nb);
                    return null;
                });
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e.getMessage(), e);
            }
        };
        watcher = new FolderWatcher(session.directory(), roots.values(), options, access, listener);
        watcher.start();
    }

    private void stopWatcher() throws IOException {
        if (watcher != null) {
            FolderWatcher w = watcher;
            watcher = null;
            w.close();
        }
    }

    /** Asks the watcher to stop without waiting (before the session closes). */
    void stopSoon() {
        FolderWatcher w;
        synchronized (this) {
            closed = true;
            w = watcher;
        }
        if (w != null) {
            try {
                w.stopSoon();
            } catch (IOException ignored) {
                // closed below
            }
        }
    }

    /** Stops watching; waits for a write under way. Idempotent. */
    @Override
    public synchronized void close() throws IOException {
        closed = true;
        stopWatcher();
    }
}
