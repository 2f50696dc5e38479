package dev.pocketrag.retrieval.internal;

import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.retrieval.FolderChange;
import dev.pocketrag.retrieval.ImportListener;
import dev.pocketrag.retrieval.ImportProgress;
import dev.pocketrag.retrieval.ImportProgress.Problem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Imports a folder of note files into an index, incrementally and resumably: the whole folder
 * ({@link #run}), or only the paths a watcher saw change ({@link #runPaths}).
 *
 * <p>A new file becomes the note with id {@code file:<first 24 hex digits of sha256(absolute
 * path)>} and source = its absolute path, where the path is the bytes the file system holds (not
 * characters decoded in the JVM's locale, so the id is the same under {@code LC_ALL=C} and
 * {@code en_US.UTF-8}, and a name that is not valid UTF-8 still has one id; such bytes show as
 * U+FFFD in the source). A stored note is found by its source, not by an id recomputed from the
 * path: a renamed file keeps the id it was given under its first path, and a new file whose
 * path's id is so taken gets the hash of its path and {@code "#1"} (then {@code "#2"}, ...). A
 * folder that is a symbolic link is followed: the sources stay those of the path the user named.
 * Links inside the folder are not followed.
 *
 * <p>The index itself is the import state: each note keeps the fingerprint {@value
 * #FINGERPRINT_VERSION} + sha-256 of its file's bytes, and a file whose bytes give the stored
 * fingerprint is unchanged without being parsed. Any other is parsed; if its title, body and tags
 * equal the stored note's, only the fingerprint (and the file's date) is stored (no embedding); else
 * it is (re-)embedded and put. A note's {@code created} is the file's date ({@link NoteFiles#parse}:
 * front matter, else a date in the title, else one in the file name; one in the future is not
 * taken), else the stored note's {@code created}, else, for a new note, the file's modification
 * time; {@code updated} is the modification time (not before {@code created}).
 *
 * <p>Notes whose source lies under the folder (or the touched paths) but whose file is gone are
 * deleted - never those under a folder that could not be read, which count as failed - unless a
 * new file in the same run has the bytes they had: that is a rename, and the note keeps its id,
 * chunks and vectors, with the new source (embedded again only if its title, taken from the file
 * name, changed). A file whose size or time changes while it is read, or that reads shorter than
 * its size, is not imported ({@link #busy()}: being written; counted as failed, its note kept), and
 * the run's deletions wait for it ({@link #deferred()}). The importer commits every {@value
 * #COMMIT_EVERY} files, so after a crash a new run redoes at most those; the changes it tells
 * ({@link #onChange}) are told once committed.
 */
public final class FolderImporter {
    static final int COMMIT_EVERY = 16;
    /** Notes are embedded together until they hold this many chunks (one parallel embedding pass). */
    static final int BATCH_CHUNKS = 48;
    /**
     * Names the way files become notes; a change of {@link NoteFiles}' output must change it, so
     * that unchanged files are read again once (2: dates in titles and file names; 3: chunks carry
     * their page and heading path, given to the stored chunks of an unchanged note without
     * embedding it again).
     */
    static final String FINGERPRINT_VERSION = "import-3 sha256:";

    private final NoteIndex index;
    private final Function<List<Note>, List<ChunkedNote>> chunkAndEmbed;
    private final Parser parser;
    private final Walker walker;
    private Reader reader = Files::readAllBytes;

    public FolderImporter(NoteIndex index, Function<List<Note>, List<ChunkedNote>> chunkAndEmbed) {
        this(index, chunkAndEmbed, NoteFiles::parse, Files::walkFileTree);
    }

    /** With another parser and folder walker (for tests: to count parses, to fail a folder). */
    FolderImporter(NoteIndex index, Function<List<Note>, List<ChunkedNote>> chunkAndEmbed, Parser parser,
            Walker walker) {
        this.index = index;
        this.chunkAndEmbed = chunkAndEmbed;
        this.parser = parser;
        this.walker = walker;
    }

    /** {@link NoteFiles#parse}. */
    @FunctionalInterface
    interface Parser {
        NoteFiles.Parsed parse(Path file, byte[] bytes) throws NoteFiles.NotText;
    }

    /** {@link Files#readAllBytes}. */
    @FunctionalInterface
    interface Reader {
        byte[] read(Path file) throws IOException;
    }

    /** Reads files with {@code r} (for tests: a writer busy with the file as it is read). */
    FolderImporter reader(Reader r) {
        this.reader = r;
        return this;
    }

    /** {@link Files#walkFileTree(Path, java.nio.file.FileVisitor)}. */
    @FunctionalInterface
    interface Walker {
        Path walk(Path start, java.nio.file.FileVisitor<? super Path> visitor) throws IOException;
    }

    /** The id of the note imported from {@code file} (made absolute and normalized). */
    public static String noteId(Path file) {
        return "file:" + HexFormat.of().formatHex(sha256(pathBytes(file.toAbsolutePath().normalize())), 0, 12);
    }

    /** The source of the note imported from {@code file}: its absolute path, decoded as UTF-8. */
    public static String source(Path file) {
        return new String(pathBytes(file.toAbsolutePath().normalize()), StandardCharsets.UTF_8);
    }

    /**
     * The bytes of an absolute path as the file system has them. {@link Path#toUri()} percent-encodes
     * those bytes (on Unix), whatever the JVM's file-name encoding; {@link Path#toString()} would
     * decode them in the locale's charset, and lose what it cannot decode.
     */
    static byte[] pathBytes(Path absolute) {
        String raw = absolute.toUri().getRawPath();
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' && i + 2 < raw.length()) {
                out.write(HexFormat.fromHexDigits(raw, i + 1, i + 3));
                i += 2;
            } else {
                out.write(c); // the URI's other characters are ASCII
            }
        }
        byte[] b = out.toByteArray();
        // toUri() ends a directory's path with '/'
        return b.length > 1 && b[b.length - 1] == '/' && !absolute.toString().endsWith("/")
                ? java.util.Arrays.copyOf(b, b.length - 1) : b;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    private int total, done, added, updated, renamed, unchanged, deleted, skipped, failed;
    private long chunks;
    private final List<Problem> problems = new ArrayList<>();
    private List<Problem> problemsView = List.of();
    /** Folders (as sources, ending in '/') that could not be read: their notes are kept. */
    private final List<String> unreadFolders = new ArrayList<>();
    /** Sources of the files found (whatever became of them): their notes are not deleted. */
    private final Set<String> seen = new HashSet<>();
    /** Source -> id of the stored file notes under the root (kept up to date as the run goes). */
    private final Map<String, String> bySource = new HashMap<>();
    /** Fingerprint -> ids of stored notes whose file was not found: candidates for renames. */
    private Map<String, java.util.ArrayDeque<String>> missingByFingerprint;
    /** Ids of stored notes whose file was not found (in the scanned scope), by source. */
    private final Map<String, String> missing = new HashMap<>();
    /** Files that changed while they were read: to read again later. */
    private final List<Path> busy = new ArrayList<>();
    private final List<Path> deferred = new ArrayList<>();
    /** Changes of the files in the batch being embedded: written with the batch. */
    private final List<FolderChange> batchChanges = new ArrayList<>();
    /** Changes written but not committed yet: told once they are durable (and visible to others). */
    private final List<FolderChange> uncommitted = new ArrayList<>();
    private Consumer<FolderChange> changes = c -> {};
    private Path root;

    private boolean refuseEmpty;

    /**
     * Makes a whole-folder run that finds no file at all (and no folder it could not read) while
     * notes of files under the folder are stored throw {@link EmptyFolderException} before changing
     * anything: for a watcher, whose folder may be the empty mount point of a drive not mounted.
     */
    public FolderImporter refuseEmpty() {
        this.refuseEmpty = true;
        return this;
    }

    /** A folder found empty where notes of its files are stored (see {@link #refuseEmpty()}). */
    public static final class EmptyFolderException extends IOException {
        private static final long serialVersionUID = 1L;
        private final int notes;

        EmptyFolderException(Path folder, int notes) {
            super("folder " + folder + " is empty while " + notes + " notes of its files are stored");
            this.notes = notes;
        }

        /** The notes of its files that are stored. */
        public int notes() {
            return notes;
        }
    }

    /** Tells {@code listener} of every added, updated, renamed, deleted, skipped, failed and busy file. */
    public FolderImporter onChange(Consumer<FolderChange> listener) {
        this.changes = java.util.Objects.requireNonNull(listener, "listener");
        return this;
    }

    /** The files that were changing while they were read (not imported; to be read again later). */
    public List<Path> busy() {
        return List.copyOf(busy);
    }

    /**
     * Paths of notes whose file was not found, not deleted because files were busy (one may be
     * where such a file moved): to look at again with those.
     */
    public List<Path> deferred() {
        return List.copyOf(deferred);
    }

    /** The file notes under the root after the run. */
    public int notesUnderRoot() {
        return bySource.size();
    }

    /** Imports the whole folder (see the class comment). */
    public ImportProgress run(Path folder, ImportListener listener) throws IOException {
        return run(folder, null, listener);
    }

    /**
     * Imports only {@code touched} paths under the folder (a watch's batch of events): each one that
     * is a folder is walked, each note file read, and the notes of those that are gone (files, or
     * every note under a folder that is gone) deleted - unless their bytes turn up under another
     * touched path (a rename). Paths outside the folder, or hidden below it, are ignored.
     */
    public ImportProgress runPaths(Path folder, Collection<Path> touched, ImportListener listener)
            throws IOException {
        return run(folder, java.util.Objects.requireNonNull(touched, "touched"), listener);
    }

    private ImportProgress run(Path folder, Collection<Path> touched, ImportListener listener) throws IOException {
        root = folder.toAbsolutePath().normalize();
        if (!Files.exists(root)) {
            throw new NoSuchFileException(folder.toString(), null, "folder not found");
        }
        if (!Files.isDirectory(root)) {
            throw new NotDirectoryException(folder.toString());
        }
        String rootPrefix = prefix(source(root));
        List<Path> files;
        List<String> scope = new ArrayList<>(); // sources: a file's exact, or a folder's with '/'
        if (touched == null) {
            files = listFiles(root);
            scope.add(rootPrefix);
        } else {
            Set<Path> found = new java.util.TreeSet<>();
            for (Path t : touched) {
                Path a = t.toAbsolutePath().normalize();
                if (!a.startsWith(root) || hiddenBelowRoot(a)) {
                    continue;
                }
                String s = source(a);
                if (a.equals(root)) {
                    found.addAll(listFiles(root));
                    scope.add(rootPrefix);
                } else if (Files.isDirectory(a, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    found.addAll(listFiles(a)); // links inside the folder are not followed, as in a walk
                    scope.add(prefix(s));
                    scope.add(s);
                } else if (Files.isRegularFile(a, java.nio.file.LinkOption.NOFOLLOW_LINKS) && isNoteFile(a)) {
                    found.add(a);
                    seen.add(s);
                    scope.add(s);
                } else {
                    scope.add(s);
                    scope.add(prefix(s));
                }
            }
            files = new ArrayList<>(found);
        }
        loadStored(rootPrefix, scope);
        if (refuseEmpty && touched == null && files.isEmpty() && unreadFolders.isEmpty() && failed == 0
                && !bySource.isEmpty()) {
            throw new EmptyFolderException(root, bySource.size());
        }
        total = files.size();
        if (!listener.onProgress(progress(""))) {
            return progress("");
        }
        List<Note> batch = new ArrayList<>();
        Map<String, String> fingerprints = new HashMap<>(); // note id -> fingerprint, for the batch
        int batchChunks = 0;
        int sinceCommit = 0;
        boolean stop = false;
        for (Path file : files) {
            Note note = read(file, fingerprints);
            if (note != null) {
                batch.add(note);
                batchChunks += Math.max(1, note.body().length() / 800);
            }
            done++;
            sinceCommit++;
            if (batchChunks >= BATCH_CHUNKS) {
                flush(batch, fingerprints);
                batchChunks = 0;
            }
            if (sinceCommit >= COMMIT_EVERY) {
                flush(batch, fingerprints);
                batchChunks = 0;
                commit();
                sinceCommit = 0;
            }
            if (!listener.onProgress(progress(display(file)))) {
                stop = true;
                break;
            }
        }
        flush(batch, fingerprints);
        if (!stop && busy.isEmpty()) {
            deleteMissing();
        } else if (!busy.isEmpty()) {
            // a file being written may be one of these moved: they wait for its next reading
            for (String s : missing.keySet()) {
                deferred.add(Path.of(s));
            }
        }
        commit();
        ImportProgress end = progress("");
        listener.onProgress(end);
        return end;
    }

    /** Commits, then tells the changes it made durable. */
    private void commit() throws IOException {
        index.commit();
        for (FolderChange c : uncommitted) {
            changes.accept(c);
        }
        uncommitted.clear();
    }

    private static String prefix(String source) {
        return source.endsWith("/") ? source : source + "/";
    }

    /** Whether a name below the root starts with '.' (hidden: never imported). */
    private boolean hiddenBelowRoot(Path a) {
        for (Path part : root.relativize(a)) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reads the stored file notes under the root ({@link #bySource}) and those in {@code scope}
     * whose file was not found ({@link #missing}), except under folders that could not be read.
     */
    private void loadStored(String rootPrefix, List<String> scope) throws IOException {
        int offset = 0;
        while (true) {
            List<Note> page = index.list(SearchFilter.NONE, offset, 1000);
            for (Note n : page) {
                String s = n.source();
                if (!n.id().startsWith("file:") || !s.startsWith(rootPrefix)) {
                    continue;
                }
                bySource.put(s, n.id());
                if (!seen.contains(s) && inScope(s, scope) && unreadFolders.stream().noneMatch(s::startsWith)) {
                    missing.put(s, n.id());
                }
            }
            if (page.size() < 1000) {
                break;
            }
            offset += page.size();
        }
    }

    private static boolean inScope(String source, List<String> scope) {
        for (String s : scope) {
            if (s.endsWith("/") ? source.startsWith(s) : source.equals(s)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The id for a new note of {@code file}: {@link #noteId}, unless a stored note of another
     * source has it (a note renamed away from this path keeps the id it was given here): then
     * the first free one of the same hash over the path and "#1", "#2", ...
     */
    private String freeId(Path file) throws IOException {
        String id = noteId(file);
        String s = source(file);
        byte[] path = pathBytes(file.toAbsolutePath().normalize());
        for (int k = 1; ; k++) {
            Optional<Note> taken = index.get(id);
            if (taken.isEmpty() || taken.get().source().equals(s)) {
                return id;
            }
            byte[] salted = java.util.Arrays.copyOf(path, path.length + 12);
            byte[] tail = ("#" + k).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(tail, 0, salted, path.length, tail.length);
            id = "file:" + HexFormat.of().formatHex(sha256(java.util.Arrays.copyOf(salted, path.length + tail.length)),
                    0, 12);
        }
    }

    /** A stored note whose file was not found and whose bytes had {@code fingerprint}; taken once. */
    private Optional<String> takeMissing(String fingerprint) throws IOException {
        if (missing.isEmpty()) {
            return Optional.empty();
        }
        if (missingByFingerprint == null) {
            missingByFingerprint = new HashMap<>();
            for (String id : missing.values()) {
                index.fingerprint(id).filter(f -> !f.isEmpty()).ifPresent(f -> missingByFingerprint
                        .computeIfAbsent(f, x -> new java.util.ArrayDeque<>()).add(id));
            }
        }
        java.util.ArrayDeque<String> ids = missingByFingerprint.get(fingerprint);
        if (ids == null || ids.isEmpty()) {
            return Optional.empty();
        }
        String id = ids.poll();
        missing.values().remove(id);
        return Optional.of(id);
    }

    /**
     * Reads a file; returns the note to (re-)index, or null when unchanged, renamed without
     * embedding, skipped, failed or busy. The fingerprint of a returned note goes into {@code
     * fingerprints}.
     */
    private Note read(Path file, Map<String, String> fingerprints) throws IOException {
        byte[] bytes;
        BasicFileAttributes before;
        try {
            before = Files.readAttributes(file, BasicFileAttributes.class);
            long size = before.size();
            long max = NoteFiles.maxBytes(file);
            if (size > max) {
                problem(file, false, "larger than " + (max >> 20) + " MiB (" + size + " bytes)");
                return null;
            }
            bytes = reader.read(file);
            BasicFileAttributes after = Files.readAttributes(file, BasicFileAttributes.class);
            if (bytes.length != before.size() || after.size() != before.size()
                    || !after.lastModifiedTime().equals(before.lastModifiedTime())) {
                // two looks disagree: a program is writing it; a half file is never imported
                busy.add(file);
                problem(file, FolderChange.Kind.BUSY, "changing while read (being written); tried again later");
                return null;
            }
        } catch (NoSuchFileException e) {
            // gone between the listing and the reading: deleted (or renamed) meanwhile
            seen.remove(source(file));
            String gone = bySource.get(source(file));
            if (gone != null) {
                missing.put(source(file), gone);
                missingByFingerprint = null;
            }
            return null;
        } catch (IOException | SecurityException e) {
            problem(file, true, "not readable (" + reason(e) + "); its note, if any, is kept");
            return null;
        }
        String source = source(file);
        String storedId = bySource.get(source);
        String fingerprint = FINGERPRINT_VERSION + HexFormat.of().formatHex(sha256(bytes));
        if (storedId != null && index.fingerprint(storedId).filter(fingerprint::equals).isPresent()) {
            unchanged++; // the same bytes as last time: not even parsed
            return null;
        }
        NoteFiles.Parsed p;
        try {
            p = parser.parse(file, bytes);
        } catch (NoteFiles.NotText e) {
            problem(file, false, e.getMessage());
            return null;
        }
        Instant modified = before.lastModifiedTime().toInstant();
        // the file's own date (front matter, title, file name), unless it lies in the future
        Optional<Instant> written = p.date().filter(d -> !d.isAfter(Instant.now()));
        try {
            String renamedFrom = null;
            String id = storedId;
            if (id == null) {
                Optional<String> moved = takeMissing(fingerprint);
                if (moved.isPresent()) {
                    id = moved.get();
                    renamedFrom = index.get(id).map(Note::source).orElse("");
                }
            }
            Optional<Note> old = id == null ? Optional.empty() : index.get(id);
            if (old.isPresent()) {
                Note o = old.get();
                Instant created = written.orElse(o.created());
                Instant upd = modified.isBefore(created) ? created : modified;
                Note n = new Note(id, p.title(), p.body(), p.tags(), source, created, upd).withBoundedTitle();
                if (renamedFrom != null) {
                    bySource.remove(renamedFrom);
                    bySource.put(source, id);
                    renamed++;
                }
                if (o.title().equals(n.title()) && o.body().equals(n.body())
                        && o.tags().equals(List.copyOf(new TreeSet<>(n.tags())))) {
                    // the same note (a file touched or moved, or imported by a version without
                    // fingerprints or that read no date in titles): keep its chunks and vectors,
                    // store the fingerprint, the file's date and path
                    Optional<ChunkedNote> stored = index.getChunked(id);
                    if (stored.isPresent()) {
                        ChunkedNote s = stored.get();
                        Note keep = s.note();
                        Instant keepUpdated = keep.updated().isBefore(created) ? created : keep.updated();
                        if (!keep.created().equals(created) || !keep.source().equals(source)) {
                            keep = new Note(keep.id(), keep.title(), keep.body(), keep.tags(), source, created,
                                    keepUpdated);
                        }
                        // chunks stored before they had locations get theirs (read from the body)
                        index.put(new ChunkedNote(keep, Locations.locate(keep.title(), keep.body(), s.chunks()),
                                s.vectors(), fingerprint));
                    }
                    if (renamedFrom != null) {
                        uncommitted.add(new FolderChange(FolderChange.Kind.RENAMED, source, renamedFrom, ""));
                    } else {
                        unchanged++;
                    }
                    return null;
                }
                // renamed with another title (one taken from the file name): the same id, embedded again
                if (renamedFrom == null) {
                    updated++;
                }
                batchChanges.add(renamedFrom != null
                        ? new FolderChange(FolderChange.Kind.RENAMED, source, renamedFrom, "")
                        : FolderChange.of(FolderChange.Kind.UPDATED, source));
                fingerprints.put(id, fingerprint);
                return n;
            }
            id = freeId(file);
            Instant created = written.orElse(modified);
            Instant upd = modified.isBefore(created) ? created : modified;
            Note n = new Note(id, p.title(), p.body(), p.tags(), source, created, upd).withBoundedTitle();
            added++;
            bySource.put(source, id);
            batchChanges.add(FolderChange.of(FolderChange.Kind.ADDED, source));
            fingerprints.put(id, fingerprint);
            return n;
        } catch (IllegalArgumentException e) {
            problem(file, true, e.getMessage());
            return null;
        }
    }

    private void flush(List<Note> batch, Map<String, String> fingerprints) throws IOException {
        if (batch.isEmpty()) {
            return;
        }
        List<ChunkedNote> ready = new ArrayList<>(batch.size());
        for (ChunkedNote c : chunkAndEmbed.apply(batch)) {
            ready.add(c.withFingerprint(fingerprints.getOrDefault(c.note().id(), "")));
        }
        index.putAll(ready);
        for (ChunkedNote c : ready) {
            chunks += c.chunks().size();
        }
        batch.clear();
        fingerprints.clear();
        uncommitted.addAll(batchChanges);
        batchChanges.clear();
    }

    /** Deletes the notes of files in scope that were not found (nor renamed), except under unread folders. */
    private void deleteMissing() throws IOException {
        List<String> gone = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        for (Map.Entry<String, String> e : missing.entrySet()) {
            if (!seen.contains(e.getKey()) && unreadFolders.stream().noneMatch(e.getKey()::startsWith)) {
                gone.add(e.getValue());
                sources.add(e.getKey());
            }
        }
        if (!gone.isEmpty()) {
            index.deleteAll(gone);
            deleted += gone.size();
            sources.sort(null);
            for (String s : sources) {
                bySource.remove(s);
                uncommitted.add(FolderChange.of(FolderChange.Kind.DELETED, s));
            }
        }
    }

    /**
     * The note files under the root, as paths under the root as named (a root that is a link is
     * walked at its target). Folders that cannot be read are recorded, not skipped silently.
     */
    private List<Path> listFiles(Path start) throws IOException {
        Path walkRoot = root.toRealPath();
        Path walkStart = walkRoot.resolve(root.relativize(start));
        List<Path> files = new ArrayList<>();
        walker.walk(walkStart, new SimpleFileVisitor<Path>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return !dir.equals(walkStart) && dir.getFileName().toString().startsWith(".")
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (isNoteFile(file) && attrs.isRegularFile()) {
                    Path named = named(file);
                    files.add(named);
                    seen.add(source(named));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                // a folder that cannot be opened, or an entry that cannot be looked at
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // gone while we looked: deleted
                }
                Path named = named(file);
                if (isNoteFile(file) && !Files.isDirectory(file)) {
                    seen.add(source(named));
                    problem(named, true, "not readable (" + reason(exc) + "); its note, if any, is kept");
                } else if (!file.equals(walkStart) && file.getFileName().toString().startsWith(".")) {
                    return FileVisitResult.CONTINUE; // hidden: would have been skipped anyway
                } else {
                    unreadFolder(named, exc);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) {
                if (exc != null) { // the listing broke off half way
                    unreadFolder(named(dir), exc);
                }
                return FileVisitResult.CONTINUE;
            }

            private Path named(Path walked) {
                return root.resolve(walkRoot.relativize(walked));
            }
        });
        files.sort(null);
        return files;
    }

    /** Whether {@code file} is one an import reads: not hidden, with a note file's extension. */
    public static boolean isNoteFile(Path file) {
        Path name = file.getFileName();
        return name != null && !name.toString().startsWith(".")
                && NoteFiles.EXTENSIONS.contains(NoteFiles.extension(file));
    }

    private void unreadFolder(Path folder, IOException exc) {
        String s = source(folder);
        unreadFolders.add(s.endsWith("/") ? s : s + "/");
        problem(folder, true, "folder not readable (" + reason(exc) + "); its notes are kept");
    }

    private static String reason(Exception e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemLoopException) {
            return "a link loop";
        }
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    private void problem(Path path, boolean isFailure, String reason) {
        problem(path, isFailure ? FolderChange.Kind.FAILED : FolderChange.Kind.SKIPPED, reason);
    }

    /** A file skipped, failed or busy (counted as failed), told and listed. */
    private void problem(Path path, FolderChange.Kind kind, String reason) {
        boolean isFailure = kind != FolderChange.Kind.SKIPPED;
        if (isFailure) {
            failed++;
        } else {
            skipped++;
        }
        changes.accept(new FolderChange(kind, source(path), "", reason));
        if (problems.size() < ImportProgress.MAX_PROBLEMS) {
            String p = display(path);
            problems.add(new Problem(Files.isDirectory(path) && !p.endsWith("/") ? p + "/" : p, reason, isFailure));
            problemsView = List.copyOf(problems);
        }
    }

    /** A path relative to the root, decoded as UTF-8, for messages. */
    private String display(Path path) {
        if (path.equals(root)) {
            return ".";
        }
        String s = source(path);
        String r = source(root);
        return s.startsWith(r + "/") ? s.substring(r.length() + 1) : s;
    }

    private ImportProgress progress(String current) {
        return new ImportProgress(total, done, added, updated, renamed, unchanged, deleted, skipped, failed, chunks, current,
                problemsView);
    }
}
