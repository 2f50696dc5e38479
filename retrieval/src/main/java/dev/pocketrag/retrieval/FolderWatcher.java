package dev.pocketrag.retrieval;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.index.IndexInUseException;
import dev.pocketrag.retrieval.ImportProgress.Problem;
import dev.pocketrag.retrieval.internal.FolderImporter;
import dev.pocketrag.retrieval.internal.SourcesFile;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a notebook in sync with folders: a full scan of each at the start and every {@link
 * Options#rescanEvery()} (watch events can be lost), and in between the paths the file system's
 * {@link WatchService} names, once nothing has changed for {@link Options#quiet()} (a debounce: a
 * file being saved or copied is read once, when it is done). Subfolders are watched as they
 * appear; an {@code OVERFLOW} (events lost) means a full scan.
 *
 * <p>It uses the notebook only while it writes, through an {@link Access} ({@link #reopening}
 * opens the notebook for each scan and closes it after, so other processes can add, search and
 * ask in between; when one holds it, the watcher waits {@link Options#retryBusy()} and tries
 * again). What the importer does per file ({@link FolderImporter}: content fingerprints, renames
 * keep their note's id and vectors, a file changing while it is read is read again later) is
 * told to the {@link Listener} as {@link FolderChange}s; the state of each folder is kept in the
 * notebook directory ({@link Sources}).
 *
 * <p>A folder that is gone or not a folder any more (an unmounted drive) is {@linkplain
 * FolderChange.Kind#OFFLINE offline}: its notes are kept, and it is looked for every {@link
 * Options#rootCheckEvery()}; when it is back it is scanned whole. {@link #remove} forgets a folder
 * and deletes its notes.
 *
 * <p>One thread, started by {@link #start()}, stopped by {@link #close()} (which waits for a write
 * under way to end).
 */
public final class FolderWatcher implements AutoCloseable {

    /** How the watcher gets the notebook to write to. */
    @FunctionalInterface
    public interface Access {
        /**
         * Runs {@code task} on the notebook, open for writing.
         *
         * @throws IndexInUseException if another process holds the notebook (the watcher tries
         *     again later)
         */
        void use(Task task) throws IOException;
    }

    /** Work on the open notebook. */
    @FunctionalInterface
    public interface Task {
        void run(Notebook notebook) throws IOException;
    }

    /** Hears what the watcher does; called on the watcher's thread. */
    public interface Listener {
        /** A file or folder changed (one line of {@code pocketrag watch}). */
        void changed(FolderChange change);

        /** Another process holds the notebook: the watcher waits and tries again. */
        default void notebookBusy(String message) {}

        /** A scan's progress: called after each file it reads. */
        default void progress(String root, ImportProgress progress) {}

        /** A scan could not be done (it is tried again at the next event or rescan). */
        default void scanFailed(String root, Exception e) {}
    }

    /**
     * Timings of a watcher.
     *
     * @param rescanEvery how often every folder is scanned whole (events can be lost)
     * @param quiet how long nothing may change before the changed paths are read (the debounce)
     * @param retryBusy how long to wait before trying a notebook held by another process again
     * @param rootCheckEvery how often offline folders are looked for (and online ones checked)
     * @param holdAtMost how long one scan keeps the notebook before it commits, lets go for a
     *     moment (so others can write) and carries on (a first import of a large folder)
     */
    public record Options(Duration rescanEvery, Duration quiet, Duration retryBusy, Duration rootCheckEvery,
            Duration holdAtMost) {
        public Options {
            positive(rescanEvery, "rescanEvery");
            positive(quiet, "quiet");
            positive(retryBusy, "retryBusy");
            positive(rootCheckEvery, "rootCheckEvery");
            positive(holdAtMost, "holdAtMost");
        }

        private static void positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive; " + name + "=" + d);
            }
        }

        /**
         * Scan whole every 10 minutes, read changes after 1.5 s of quiet, retry a busy notebook
         * every 2 s, look for offline folders every 5 s, hold the notebook at most about 5 s at a
         * time.
         */
        public static Options defaults() {
            return new Options(Duration.ofMinutes(10), Duration.ofMillis(1500), Duration.ofSeconds(2),
                    Duration.ofSeconds(5), Duration.ofSeconds(5));
        }

        public Options withRescanEvery(Duration d) {
            return new Options(d, quiet, retryBusy, rootCheckEvery, holdAtMost);
        }

        public Options withQuiet(Duration d) {
            return new Options(rescanEvery, d, retryBusy, rootCheckEvery, holdAtMost);
        }

        public Options withRetryBusy(Duration d) {
            return new Options(rescanEvery, quiet, d, rootCheckEvery, holdAtMost);
        }

        public Options withRootCheckEvery(Duration d) {
            return new Options(rescanEvery, quiet, retryBusy, d, holdAtMost);
        }

        public Options withHoldAtMost(Duration d) {
            return new Options(rescanEvery, quiet, retryBusy, rootCheckEvery, d);
        }
    }

    /**
     * Opens the notebook in {@code directory} with {@code embedder} (which the caller owns and
     * closes) for each task, and closes it after: the notebook is held only while the watcher
     * writes.
     */
    public static Access reopening(Path directory, Embedder embedder) {
        return reopening(directory, null, embedder);
    }

    /**
     * {@link #reopening(Path, Embedder)} for a notebook whose index is at {@code indexUrl} (see
     * {@link Notebook.Builder#indexUrl}; null: in {@code directory}).
     */
    public static Access reopening(Path directory, java.net.URI indexUrl, Embedder embedder) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(embedder, "embedder");
        return task -> {
            try (Notebook nb = Notebook.builder(directory).indexUrl(indexUrl).embedder(embedder).build()) {
                task.run(nb);
            }
        };
    }

    /** Uses a notebook the caller keeps open (a server). */
    public static Access holding(Notebook notebook) {
        Objects.requireNonNull(notebook, "notebook");
        return task -> task.run(notebook);
    }

    /** How long a scan that held the notebook {@link Options#holdAtMost()} leaves it free before it goes on. */
    private static final long LET_GO_MILLIS = 300;

    /** Longest wait for events to stop before changed paths are read anyway (a long copy). */
    private static final long MAX_DEBOUNCE_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final Path directory;
    private final Options options;
    private final Access access;
    private final Listener listener;
    private final List<RootState> roots = new ArrayList<>();
    private final WatchService watchService;
    private final Map<WatchKey, Watched> keys = new HashMap<>();
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean stopping;
    private volatile List<Sources.Root> snapshot = List.of();
    private final Path notebookReal;
    /** What reading the sources file at the start said (a damaged file set aside), told first. */
    private final String fileWarning;

    /** A watched folder: the root it belongs to and its path under the root as named. */
    private record Watched(RootState root, Path dir) {}

    /** A root and what the watcher knows of it; used on the watcher's thread only. */
    private static final class RootState {
        final Path root;
        final String source;
        Path real;
        boolean online = true;
        boolean needsFull = true;
        /** The full scan due is only the periodic one: skipped when no file looks changed. */
        boolean periodic;
        /** Offline because it was found empty while it had notes (a mount point left behind). */
        boolean offlineEmpty;
        /** The counts of the parts of a full scan done so far (it let go of the notebook between). */
        ImportProgress carried;
        /** Note files under the root at the last full scan -> size and modification time. */
        Map<Path, String> seen;
        Instant lastScan;
        int notes;
        /** Source -> the change that made it a problem (SKIPPED, FAILED or BUSY). */
        final Map<String, FolderChange> problems = new TreeMap<>();
        final Set<Path> pending = new HashSet<>();
        final Set<Path> retry = new HashSet<>();
        long retryAt;

        RootState(Path root) {
            this.root = root;
            this.source = FolderImporter.source(root);
        }
    }

    /**
     * A watcher of {@code folders} for the notebook in {@code directory}; {@link #start()} starts
     * it.
     *
     * @throws IllegalArgumentException if no folder is given, or one lies inside another
     * @throws IOException if the file system cannot watch
     */
    public FolderWatcher(Path directory, Collection<Path> folders, Options options, Access access, Listener listener)
            throws IOException {
        this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize();
        this.options = Objects.requireNonNull(options, "options");
        this.access = Objects.requireNonNull(access, "access");
        this.listener = Objects.requireNonNull(listener, "listener");
        if (folders.isEmpty()) {
            throw new IllegalArgumentException("no folder to watch");
        }
        List<Path> named = new ArrayList<>();
        for (Path f : folders) {
            Path a = f.toAbsolutePath().normalize();
            if (!named.contains(a)) {
                named.add(a);
            }
        }
        for (Path a : named) {
            for (Path b : named) {
                if (a != b && a.startsWith(b)) {
                    throw new IllegalArgumentException("folder " + a + " lies inside " + b
                            + ", which is watched already; watch one of them");
                }
            }
        }
        Path real;
        try {
            real = this.directory.toRealPath();
        } catch (IOException e) {
            real = this.directory;
        }
        this.notebookReal = real;
        Map<String, Sources.Root> known = new HashMap<>();
        Sources file = Sources.read(this.directory);
        this.fileWarning = file.warning();
        for (Sources.Root r : file.roots()) {
            known.put(r.path(), r);
        }
        for (Path a : named) {
            RootState rs = new RootState(a);
            Sources.Root k = known.get(rs.source);
            if (k != null) {
                rs.lastScan = k.lastScan();
                rs.notes = k.notes();
            }
            roots.add(rs);
        }
        this.watchService = FileSystems.getDefault().newWatchService();
        this.thread = new Thread(this::loop, "pocketrag-watch");
        this.thread.setDaemon(true);
        publish();
    }

    /** Starts watching on a thread of its own. */
    public void start() {
        thread.start();
    }

    /** The watched folders as they stand now (live, not what was last written). */
    public Sources status() {
        return new Sources(snapshot, "");
    }

    /**
     * Forgets the watched folder {@code folder} and deletes the notes of the files under it (the
     * user removes a folder that will not come back); returns how many notes were deleted. The
     * notebook must be open for writing. A watcher of that folder running in another process
     * would record it again: stop it first.
     */
    public static int remove(Notebook notebook, Path folder) throws IOException {
        Path a = folder.toAbsolutePath().normalize();
        String source = FolderImporter.source(a);
        int deleted = notebook.deleteFileNotesUnder(a);
        List<Sources.Root> kept = new ArrayList<>(Sources.read(notebook.directory()).roots());
        if (kept.removeIf(r -> r.path().equals(source))) {
            SourcesFile.write(notebook.directory(), kept);
        }
        return deleted;
    }

    /**
     * How {@link Sources} and {@link FolderChange} name {@code path}: absolute, normalized, its
     * bytes decoded as UTF-8 (a note's source).
     */
    public static String pathOf(Path path) {
        return FolderImporter.source(path.toAbsolutePath().normalize());
    }

    /**
     * Asks the watcher to stop, without waiting: a scan under way stops after the file it is on.
     * For an owner that must first release what the watcher may be waiting for (a notebook
     * session), then {@link #close()}.
     */
    public void stopSoon() throws IOException {
        stopping = true;
        stop.countDown();
        watchService.close();
    }

    /** Stops watching; waits for a write under way to end. Idempotent. */
    @Override
    public void close() throws IOException {
        try {
            stopSoon();
        } finally {
            if (thread.isAlive() && Thread.currentThread() != thread) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    // ---- the watcher's thread

    // when things are due, on the watcher's thread (System.nanoTime())
    private long nextRescan;
    private long nextRootCheck;
    private long lastEvent;
    private long firstPending;

    private void loop() {
        long now = System.nanoTime();
        nextRescan = now + options.rescanEvery().toNanos();
        nextRootCheck = now;
        if (!fileWarning.isEmpty()) {
            listener.changed(new FolderChange(FolderChange.Kind.FAILED, directory.resolve(SourcesFile.NAME).toString(),
                    "", fileWarning));
        }
        try {
            while (!stopping) {
                try {
                    step();
                } catch (ClosedWatchServiceException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // a bug or a file system gone strange: said, and the watcher goes on after a pause
                    listener.scanFailed(directory.toString(), e);
                    stop.await(1, TimeUnit.SECONDS);
                }
            }
        } catch (ClosedWatchServiceException | InterruptedException e) {
            // stopped
        }
    }

    /** Does what is due (root checks, scans, debounced changes), then waits for events. */
    private void step() throws InterruptedException {
        long now = System.nanoTime();
        if (now - nextRootCheck >= 0) {
            checkRoots();
            nextRootCheck = now + options.rootCheckEvery().toNanos();
        }
        if (now - nextRescan >= 0) {
            for (RootState rs : roots) {
                rs.periodic = !rs.needsFull;
                rs.needsFull = true;
            }
            nextRescan = now + options.rescanEvery().toNanos();
        }
        for (RootState rs : roots) {
            if (stopping) {
                return;
            }
            if (rs.online && rs.needsFull) {
                scan(rs, null);
            }
        }
        now = System.nanoTime();
        boolean anyPending = false;
        for (RootState rs : roots) {
            if (!rs.retry.isEmpty() && now - rs.retryAt >= 0) {
                rs.pending.addAll(rs.retry);
                rs.retry.clear();
                lastEvent = now - options.quiet().toNanos(); // read them now
            }
            anyPending |= !rs.pending.isEmpty();
        }
        if (anyPending && (now - lastEvent >= options.quiet().toNanos() || now - firstPending >= MAX_DEBOUNCE_NANOS)) {
            for (RootState rs : roots) {
                if (stopping) {
                    return;
                }
                if (!rs.pending.isEmpty() && rs.online) {
                    List<Path> touched = new ArrayList<>(rs.pending);
                    rs.pending.clear();
                    scan(rs, touched);
                }
            }
            anyPending = false;
        }
        // wait for events, or the next thing due
        now = System.nanoTime();
        long due = Math.min(nextRescan - now, nextRootCheck - now);
        if (anyPending) {
            due = Math.min(due, lastEvent + options.quiet().toNanos() - now);
        }
        for (RootState rs : roots) {
            if (!rs.retry.isEmpty()) {
                due = Math.min(due, rs.retryAt - now);
            }
        }
        WatchKey key = watchService.poll(Math.max(10, TimeUnit.NANOSECONDS.toMillis(due)), TimeUnit.MILLISECONDS);
        while (key != null) {
            long t = System.nanoTime();
            boolean wasPending = roots.stream().anyMatch(r -> !r.pending.isEmpty());
            if (handle(key)) {
                if (!wasPending) {
                    firstPending = t;
                }
                lastEvent = t;
            }
            key = watchService.poll();
        }
    }

    /** Takes a key's events; whether any path changed. */
    private boolean handle(WatchKey key) {
        Watched w = keys.get(key);
        boolean changed = false;
        for (WatchEvent<?> e : key.pollEvents()) {
            if (w == null) {
                continue;
            }
            if (e.kind() == StandardWatchEventKinds.OVERFLOW) {
                w.root().needsFull = true; // events were lost
                w.root().periodic = false;
                continue;
            }
            Path child = w.dir().resolve((Path) e.context());
            if (ignored(e.kind(), child)) {
                continue;
            }
            w.root().pending.add(child);
            changed = true;
            if (e.kind() == StandardWatchEventKinds.ENTRY_CREATE
                    && Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                register(w.root(), child); // a new folder: watched from now on (the scan walks it)
            }
        }
        if (!key.reset()) {
            keys.remove(key); // its folder is gone (or the drive unmounted)
            if (w != null && w.dir().equals(w.root().root) && !Files.isDirectory(w.root().root)) {
                offline(w.root());
            }
        }
        return changed;
    }

    /**
     * Whether an event cannot change the notebook: a hidden name (an editor's swap file), or a
     * file created or changed that an import does not read. A deletion counts (it may have been a
     * folder).
     */
    private static boolean ignored(WatchEvent.Kind<?> kind, Path child) {
        Path name = child.getFileName();
        if (name == null || name.toString().startsWith(".")) {
            return true;
        }
        return kind != StandardWatchEventKinds.ENTRY_DELETE && !FolderImporter.isNoteFile(child)
                && !Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS);
    }

    /** Looks whether offline roots are back and online ones still there. */
    private void checkRoots() {
        for (RootState rs : roots) {
            boolean there = Files.isDirectory(rs.root);
            if (rs.online && !there) {
                offline(rs);
            } else if (!rs.online && there && rs.offlineEmpty) {
                Map<Path, String> now = look(rs);
                there = now != null && !now.isEmpty(); // back when its files are
            }
            if (!rs.online && there) {
                rs.online = true;
                rs.offlineEmpty = false;
                rs.needsFull = true;
                rs.periodic = false;
                listener.changed(FolderChange.of(FolderChange.Kind.ONLINE, rs.source));
            }
        }
    }

    private void offline(RootState rs) {
        offline(rs, "gone or not a folder (unmounted?); its notes are kept");
    }

    private void offline(RootState rs, String why) {
        if (!rs.online) {
            return;
        }
        rs.online = false;
        rs.pending.clear();
        rs.retry.clear();
        keys.entrySet().removeIf(e -> {
            if (e.getValue().root() == rs) {
                e.getKey().cancel();
                return true;
            }
            return false;
        });
        listener.changed(new FolderChange(FolderChange.Kind.OFFLINE, rs.source, "", why));
        writeQuietly(nb -> writeSources());
    }

    /** Registers {@code dir} (a folder under the root, as named) and the folders below it. */
    private void register(RootState rs, Path dir) {
        Path start = rs.real.resolve(rs.root.relativize(dir));
        try {
            Files.walkFileTree(start, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    if (!d.equals(start) && d.getFileName().toString().startsWith(".") || d.startsWith(notebookReal)) {
                        return FileVisitResult.SKIP_SUBTREE; // hidden (not imported), or the notebook's own files
                    }
                    Path named = rs.root.resolve(rs.real.relativize(d));
                    try {
                        WatchKey k = d.register(watchService, StandardWatchEventKinds.ENTRY_CREATE,
                                StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY);
                        keys.put(k, new Watched(rs, named));
                    } catch (IOException e) {
                        // e.g. the system's limit of watched folders: the periodic scans still see it
                        listener.changed(new FolderChange(FolderChange.Kind.FAILED, FolderImporter.source(named), "",
                                "cannot be watched (" + e.getMessage() + "); changes found by the next full scan"));
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException exc) {
                    return FileVisitResult.CONTINUE; // the scan says what cannot be read
                }
            });
        } catch (IOException e) {
            // gone meanwhile: the scan finds out
        }
    }

    /**
     * Scans a root: whole ({@code touched} null: registers its folders first) or the touched paths;
     * writes the watched folders' file after it.
     */
    private void scan(RootState rs, List<Path> touched) {
        if (!Files.isDirectory(rs.root)) {
            offline(rs);
            return;
        }
        Map<Path, String> looked = null;
        if (touched == null) {
            looked = look(rs);
            boolean periodic = rs.periodic;
            rs.periodic = false;
            if (periodic && looked != null && looked.equals(rs.seen) && rs.problems.values().stream()
                    .allMatch(c -> c.kind() == FolderChange.Kind.SKIPPED)) {
                // no file added, gone or touched since the last full scan, none to retry: the
                // notebook is not even opened
                rs.needsFull = false;
                rs.lastScan = Instant.now();
                publish();
                return;
            }
        }
        if (touched == null) {
            rs.needsFull = false;
            rs.pending.clear();
            try {
                rs.real = rs.root.toRealPath();
            } catch (IOException e) {
                offline(rs);
                return;
            }
            keys.entrySet().removeIf(e -> {
                if (e.getValue().root() == rs) {
                    e.getKey().cancel();
                    return true;
                }
                return false;
            });
            register(rs, rs.root); // before the walk: what changes during it comes as events
        }
        Map<Path, String> lookedFinal = looked;
        boolean[] letGo = {false};
        Map<String, FolderChange> found = new LinkedHashMap<>();
        ImportProgress[] result = new ImportProgress[1];
        FolderImporter[] used = new FolderImporter[1];
        boolean done;
        try {
            done = write(nb -> nb.withImporter(importer -> {
                found.clear();
                used[0] = importer;
                importer.onChange(c -> {
                    switch (c.kind()) {
                        case SKIPPED, FAILED, BUSY -> {
                            FolderChange before = rs.problems.get(c.path());
                            found.put(c.path(), c);
                            if (before == null || before.kind() != c.kind() || !before.reason().equals(c.reason())) {
                                listener.changed(c); // told once, not at every scan
                            }
                        }
                        default -> listener.changed(c);
                    }
                });
                long held = System.nanoTime();
                ImportListener progress = p -> {
                    listener.progress(rs.source, p);
                    if (stopping) {
                        return false;
                    }
                    if (p.done() < p.total() && System.nanoTime() - held > options.holdAtMost().toNanos()
                            && p.added() + p.updated() + p.renamed() > 0) {
                        letGo[0] = true; // long enough: commit, let others in, carry on (each part embeds something)
                        return false;
                    }
                    return true;
                };
                result[0] = touched == null ? importer.refuseEmpty().run(rs.root, progress)
                        : importer.runPaths(rs.root, touched, progress);
                if (letGo[0]) {
                    // a part done and committed: the problems met so far stand; the rest follows
                    rs.problems.putAll(found);
                    rs.notes = importer.notesUnderRoot();
                    publish();
                    return null;
                }
                // what the folder holds now
                if (touched == null) {
                    rs.problems.clear();
                    rs.lastScan = Instant.now();
                } else {
                    for (Path t : touched) {
                        String s = FolderImporter.source(t.toAbsolutePath().normalize());
                        rs.problems.keySet().removeIf(k -> k.equals(s) || k.startsWith(s + "/"));
                    }
                }
                rs.problems.putAll(found);
                rs.notes = importer.notesUnderRoot();
                if (touched == null) {
                    rs.seen = lookedFinal;
                } else {
                    rs.seen = null; // changed since: the next periodic scan imports
                }
                writeSources();
                return null;
            }));
        } catch (FolderImporter.EmptyFolderException e) {
            // no file at all where there were notes: the mount point of a drive not mounted (or
            // every file deleted while nothing watched); nothing is deleted
            rs.offlineEmpty = true;
            offline(rs, "empty while it had " + e.notes() + " notes (a drive not mounted?); its notes are kept"
                    + " until its files are back, or `watch --remove` forgets it");
            return;
        } catch (NoSuchFileException | NotDirectoryException e) {
            offline(rs);
            return;
        } catch (IOException | RuntimeException e) {
            listener.scanFailed(rs.source, e);
            if (touched == null) {
                rs.needsFull = false; // tried again at the next rescan, not in a loop
            } else {
                rs.retry.addAll(touched);
                rs.retryAt = System.nanoTime() + options.rescanEvery().toNanos() / 10;
            }
            return;
        }
        if (!done || used[0] == null) {
            return; // stopped
        }
        if (letGo[0]) {
            ImportProgress p = result[0];
            if (touched == null) {
                rs.needsFull = true; // carries on: what is done is unchanged now, and quick to pass
                rs.periodic = false;
                rs.carried = rs.carried == null ? p : sum(rs.carried, p);
            } else {
                rs.pending.addAll(touched);
                lastEvent = System.nanoTime() - options.quiet().toNanos();
            }
            try {
                stop.await(LET_GO_MILLIS, TimeUnit.MILLISECONDS); // the notebook is free meanwhile
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        List<Path> again = new ArrayList<>(used[0].busy());
        again.addAll(used[0].deferred());
        if (!again.isEmpty()) {
            rs.retry.addAll(again);
            rs.retryAt = System.nanoTime() + Math.max(options.quiet().toNanos(), TimeUnit.MILLISECONDS.toNanos(500));
        }
        if (touched == null && result[0] != null) {
            ImportProgress p = rs.carried == null ? result[0] : sum(rs.carried, result[0]);
            rs.carried = null;
            listener.changed(new FolderChange(FolderChange.Kind.SCANNED, rs.source, "", String.format(
                    java.util.Locale.ROOT, "%d files: %d added, %d updated, %d renamed, %d deleted, %d unchanged,"
                            + " %d skipped, %d failed", p.total(), p.added(), p.updated(), p.renamed(), p.deleted(),
                    p.unchanged(), p.skipped(), p.failed())));
        }
    }

    /** The counts of a scan done in parts: its last part's totals, the changes of all. */
    private static ImportProgress sum(ImportProgress a, ImportProgress b) {
        return new ImportProgress(b.total(), b.done(), a.added() + b.added(), a.updated() + b.updated(),
                a.renamed() + b.renamed(), b.unchanged() - a.added() - a.updated() - a.renamed(),
                a.deleted() + b.deleted(), b.skipped(), b.failed(), a.chunks() + b.chunks(), "", b.problems());
    }

    /**
     * The note files under a root (as named) with their size and modification time, walked as an
     * import walks (hidden folders and the notebook's own skipped); null if the walk failed.
     */
    private Map<Path, String> look(RootState rs) {
        Map<Path, String> out = new HashMap<>();
        Path start;
        try {
            start = rs.root.toRealPath();
        } catch (IOException e) {
            return null;
        }
        try {
            Files.walkFileTree(start, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    return !d.equals(start) && d.getFileName().toString().startsWith(".") || d.startsWith(notebookReal)
                            ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile() && FolderImporter.isNoteFile(f)) {
                        out.put(rs.root.resolve(start.relativize(f)), attrs.size() + ":" + attrs.lastModifiedTime().to(
                                TimeUnit.NANOSECONDS));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException exc) {
                    out.put(rs.root.resolve(start.relativize(f)), "unreadable");
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            return null;
        }
        return out;
    }

    /**
     * Runs {@code task} through the access, waiting while another process holds the notebook;
     * false if stopped first.
     */
    private boolean write(Task task) throws IOException {
        boolean told = false;
        while (!stopping) {
            try {
                access.use(task);
                return true;
            } catch (IndexInUseException e) {
                if (!told) {
                    listener.notebookBusy(e.getMessage());
                    told = true;
                }
                try {
                    stop.await(options.retryBusy().toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return false;
    }

    /** {@link #write(Task)} for a task whose failure is only reported. */
    private void writeQuietly(Task task) {
        try {
            write(task);
        } catch (IOException | RuntimeException e) {
            listener.scanFailed(directory.toString(), e);
        }
    }

    /** Publishes the roots' state and writes it to the notebook's sources file (with the notebook held). */
    private void writeSources() throws IOException {
        publish();
        Map<String, Sources.Root> all = new LinkedHashMap<>();
        for (Sources.Root r : Sources.read(directory).roots()) {
            all.put(r.path(), r);
        }
        for (Sources.Root r : snapshot) {
            all.put(r.path(), r);
        }
        SourcesFile.write(directory, new ArrayList<>(all.values()));
    }

    private void publish() {
        List<Sources.Root> out = new ArrayList<>(roots.size());
        for (RootState rs : roots) {
            int skipped = 0;
            int failed = 0;
            List<Problem> problems = new ArrayList<>();
            for (FolderChange c : rs.problems.values()) {
                boolean f = c.kind() != FolderChange.Kind.SKIPPED;
                if (f) {
                    failed++;
                } else {
                    skipped++;
                }
                if (problems.size() < ImportProgress.MAX_PROBLEMS) {
                    String p = c.path().startsWith(rs.source + "/") ? c.path().substring(rs.source.length() + 1)
                            : c.path();
                    problems.add(new Problem(p, c.reason(), f));
                }
            }
            out.add(new Sources.Root(rs.source, rs.online, rs.lastScan, rs.notes, skipped, failed, problems));
        }
        snapshot = List.copyOf(out);
    }
}
