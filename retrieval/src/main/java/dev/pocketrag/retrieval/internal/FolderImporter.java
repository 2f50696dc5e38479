package dev.pocketrag.retrieval.internal;

import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.SearchFilter;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Imports a folder of note files into an index, incrementally and resumably.
 *
 * <p>Each file becomes the note with id {@code file:<first 24 hex digits of sha256(absolute
 * path)>} and source = its absolute path, where the path is the bytes the file system holds (not
 * characters decoded in the JVM's locale, so the id is the same under {@code LC_ALL=C} and
 * {@code en_US.UTF-8}, and a name that is not valid UTF-8 still has one id; such bytes show as
 * U+FFFD in the source). A folder that is a symbolic link is followed: the ids stay those of the
 * path the user named. Links inside the folder are not followed.
 *
 * <p>The index itself is the import state: each note keeps the fingerprint {@value
 * #FINGERPRINT_VERSION} + sha-256 of its file's bytes, and a file whose bytes give the stored
 * fingerprint is unchanged without being parsed. Any other is parsed; if its title, body and tags
 * equal the stored note's, only the fingerprint (and the file's date) is stored (no embedding); else
 * it is (re-)embedded and put. A note's {@code created} is the file's date ({@link NoteFiles#parse}:
 * front matter, else a date in the title, else one in the file name; one in the future is not
 * taken), else the stored note's {@code created}, else, for a new note, the file's modification
 * time; {@code updated} is the modification time (not before {@code created}). Notes whose source lies under the folder but
 * whose file is gone are deleted - never those under a folder that could not be read, which count
 * as failed. The importer commits every {@value #COMMIT_EVERY} files, so after a crash a new run
 * redoes at most those.
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

    private int total, done, added, updated, unchanged, deleted, skipped, failed;
    private long chunks;
    private final List<Problem> problems = new ArrayList<>();
    private List<Problem> problemsView = List.of();
    /** Folders (as sources, ending in '/') that could not be read: their notes are kept. */
    private final List<String> unreadFolders = new ArrayList<>();
    /** Ids of the files found (whatever became of them): their notes are not deleted. */
    private final Set<String> seen = new HashSet<>();
    private Path root;

    public ImportProgress run(Path folder, ImportListener listener) throws IOException {
        root = folder.toAbsolutePath().normalize();
        if (!Files.exists(root)) {
            throw new NoSuchFileException(folder.toString(), null, "folder not found");
        }
        if (!Files.isDirectory(root)) {
            throw new NotDirectoryException(folder.toString());
        }
        List<Path> files = listFiles();
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
                index.commit();
                sinceCommit = 0;
            }
            if (!listener.onProgress(progress(display(file)))) {
                stop = true;
                break;
            }
        }
        flush(batch, fingerprints);
        if (!stop) {
            deleteMissing();
        }
        index.commit();
        ImportProgress end = progress("");
        listener.onProgress(end);
        return end;
    }

    /**
     * Reads a file; returns the note to (re-)index, or null when unchanged, skipped or failed.
     * The fingerprint of a returned note goes into {@code fingerprints}.
     */
    private Note read(Path file, Map<String, String> fingerprints) throws IOException {
        byte[] bytes;
        try {
            long size = Files.size(file);
            long max = NoteFiles.maxBytes(file);
            if (size > max) {
                problem(file, false, "larger than " + (max >> 20) + " MiB (" + size + " bytes)");
                return null;
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException | SecurityException e) {
            problem(file, true, "not readable (" + reason(e) + "); its note, if any, is kept");
            return null;
        }
        String id = noteId(file);
        String fingerprint = FINGERPRINT_VERSION + HexFormat.of().formatHex(sha256(bytes));
        if (index.fingerprint(id).filter(fingerprint::equals).isPresent()) {
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
        Instant modified;
        try {
            modified = Files.getLastModifiedTime(file).toInstant();
        } catch (IOException e) {
            modified = Instant.now();
        }
        String source = source(file);
        // the file's own date (front matter, title, file name), unless it lies in the future
        Optional<Instant> written = p.date().filter(d -> !d.isAfter(Instant.now()));
        try {
            Optional<Note> old = index.get(id);
            if (old.isPresent()) {
                Note o = old.get();
                Instant created = written.orElse(o.created());
                Instant upd = modified.isBefore(created) ? created : modified;
                Note n = new Note(id, p.title(), p.body(), p.tags(), source, created, upd).withBoundedTitle();
                if (o.title().equals(n.title()) && o.body().equals(n.body())
                        && o.tags().equals(List.copyOf(new TreeSet<>(n.tags())))) {
                    // the same note (a file touched, or imported by a version without fingerprints
                    // or that read no date in titles): keep its chunks and vectors, store the
                    // fingerprint and the file's date
                    Optional<ChunkedNote> stored = index.getChunked(id);
                    if (stored.isPresent()) {
                        ChunkedNote s = stored.get();
                        Note keep = s.note();
                        if (!keep.created().equals(created)) {
                            keep = new Note(keep.id(), keep.title(), keep.body(), keep.tags(), keep.source(), created,
                                    keep.updated().isBefore(created) ? created : keep.updated());
                        }
                        // chunks stored before they had locations get theirs (read from the body)
                        index.put(new ChunkedNote(keep, Locations.locate(keep.title(), keep.body(), s.chunks()),
                                s.vectors(), fingerprint));
                    }
                    unchanged++;
                    return null;
                }
                updated++;
                fingerprints.put(id, fingerprint);
                return n;
            }
            Instant created = written.orElse(modified);
            Instant upd = modified.isBefore(created) ? created : modified;
            Note n = new Note(id, p.title(), p.body(), p.tags(), source, created, upd).withBoundedTitle();
            added++;
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
    }

    /** Deletes the notes of files under the folder that were not found, except under unread folders. */
    private void deleteMissing() throws IOException {
        String rootSource = source(root);
        String prefix = rootSource.endsWith("/") ? rootSource : rootSource + "/";
        List<String> gone = new ArrayList<>();
        int offset = 0;
        while (true) {
            List<Note> page = index.list(SearchFilter.NONE, offset, 1000);
            for (Note n : page) {
                if (n.id().startsWith("file:") && n.source().startsWith(prefix) && !seen.contains(n.id())
                        && unreadFolders.stream().noneMatch(n.source()::startsWith)) {
                    gone.add(n.id());
                }
            }
            if (page.size() < 1000) {
                break;
            }
            offset += page.size();
        }
        if (!gone.isEmpty()) {
            index.deleteAll(gone);
            deleted += gone.size();
        }
    }

    /**
     * The note files under the root, as paths under the root as named (a root that is a link is
     * walked at its target). Folders that cannot be read are recorded, not skipped silently.
     */
    private List<Path> listFiles() throws IOException {
        Path walkRoot = root.toRealPath();
        List<Path> files = new ArrayList<>();
        walker.walk(walkRoot, new SimpleFileVisitor<Path>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return !dir.equals(walkRoot) && dir.getFileName().toString().startsWith(".")
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (isNoteFile(file) && attrs.isRegularFile()) {
                    Path named = named(file);
                    files.add(named);
                    seen.add(noteId(named));
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
                    seen.add(noteId(named));
                    problem(named, true, "not readable (" + reason(exc) + "); its note, if any, is kept");
                } else if (!file.equals(walkRoot) && file.getFileName().toString().startsWith(".")) {
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

    private static boolean isNoteFile(Path file) {
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
        if (isFailure) {
            failed++;
        } else {
            skipped++;
        }
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
        return new ImportProgress(total, done, added, updated, unchanged, deleted, skipped, failed, chunks, current,
                problemsView);
    }
}
