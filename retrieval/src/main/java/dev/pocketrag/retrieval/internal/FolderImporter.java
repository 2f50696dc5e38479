package dev.pocketrag.retrieval.internal;

import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.retrieval.ImportListener;
import dev.pocketrag.retrieval.ImportProgress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Imports a folder of note files into an index, incrementally and resumably.
 *
 * <p>Each file becomes the note with id {@code file:<first 24 hex digits of sha256(absolute
 * path)>} and source = its absolute path. The index itself is the import state: a file whose
 * parsed title, body and tags equal the stored note's is unchanged and not embedded again; any
 * other is (re-)embedded and put, keeping the stored note's {@code created}. Notes whose source lies
 * under the folder but whose file is gone are deleted. The importer commits every
 * {@value #COMMIT_EVERY} files, so after a crash a new run redoes at most those.
 */
public final class FolderImporter {
    static final int COMMIT_EVERY = 16;
    /** Notes are embedded together until they hold this many chunks (one parallel embedding pass). */
    static final int BATCH_CHUNKS = 48;

    private final NoteIndex index;
    private final Function<List<Note>, List<ChunkedNote>> chunkAndEmbed;

    public FolderImporter(NoteIndex index, Function<List<Note>, List<ChunkedNote>> chunkAndEmbed) {
        this.index = index;
        this.chunkAndEmbed = chunkAndEmbed;
    }

    /** The id of the note imported from {@code file}. */
    public static String noteId(Path file) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(
                    file.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
            return "file:" + HexFormat.of().formatHex(d, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    private int total, done, added, updated, unchanged, deleted, skipped, failed;
    private long chunks;

    public ImportProgress run(Path folder, ImportListener listener) throws IOException {
        Path root = folder.toAbsolutePath().normalize();
        if (!Files.exists(root)) {
            throw new NoSuchFileException(folder.toString(), null, "folder not found");
        }
        if (!Files.isDirectory(root)) {
            throw new NotDirectoryException(folder.toString());
        }
        List<Path> files = listFiles(root);
        total = files.size();
        if (!listener.onProgress(progress(""))) {
            return progress("");
        }
        List<Note> batch = new ArrayList<>();
        int batchChunks = 0;
        int sinceCommit = 0;
        boolean stop = false;
        for (Path file : files) {
            Note note = read(file);
            if (note != null) {
                batch.add(note);
                batchChunks += Math.max(1, note.body().length() / 800);
            }
            done++;
            sinceCommit++;
            if (batchChunks >= BATCH_CHUNKS) {
                flush(batch);
                batchChunks = 0;
            }
            if (sinceCommit >= COMMIT_EVERY) {
                flush(batch);
                batchChunks = 0;
                index.commit();
                sinceCommit = 0;
            }
            if (!listener.onProgress(progress(file.toString()))) {
                stop = true;
                break;
            }
        }
        flush(batch);
        if (!stop) {
            deleteMissing(root, new HashSet<>(files));
        }
        index.commit();
        ImportProgress end = progress("");
        listener.onProgress(end);
        return end;
    }

    /** Reads a file; returns the note to (re-)index, or null when unchanged, skipped or failed. */
    private Note read(Path file) {
        byte[] bytes;
        try {
            if (Files.size(file) > NoteFiles.MAX_BYTES) {
                skipped++;
                return null;
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException | SecurityException e) {
            failed++;
            return null;
        }
        NoteFiles.Parsed p;
        try {
            p = NoteFiles.parse(file, bytes);
        } catch (NoteFiles.NotText e) {
            skipped++;
            return null;
        }
        String id = noteId(file);
        Instant modified;
        try {
            modified = Files.getLastModifiedTime(file).toInstant();
        } catch (IOException e) {
            modified = Instant.now();
        }
        try {
            var old = index.get(id);
            if (old.isPresent()) {
                Note o = old.get();
                if (o.title().equals(p.title()) && o.body().equals(p.body())
                        && o.tags().equals(List.copyOf(new TreeSet<>(p.tags())))) {
                    unchanged++;
                    return null;
                }
                updated++;
                Instant upd = modified.isBefore(o.created()) ? o.created() : modified;
                return new Note(id, p.title(), p.body(), p.tags(), file.toString(), o.created(), upd);
            }
            added++;
            Instant created = p.date().filter(d -> !d.isAfter(Instant.now())).orElse(modified);
            Instant upd = modified.isBefore(created) ? created : modified;
            return new Note(id, p.title(), p.body(), p.tags(), file.toString(), created, upd);
        } catch (IOException | IllegalArgumentException e) {
            failed++;
            return null;
        }
    }

    private void flush(List<Note> batch) throws IOException {
        if (batch.isEmpty()) {
            return;
        }
        List<ChunkedNote> ready = chunkAndEmbed.apply(batch);
        index.putAll(ready);
        for (ChunkedNote c : ready) {
            chunks += c.chunks().size();
        }
        batch.clear();
    }

    private void deleteMissing(Path root, Set<Path> present) throws IOException {
        String prefix = root.toString().endsWith("/") ? root.toString() : root + "/";
        List<String> gone = new ArrayList<>();
        int offset = 0;
        while (true) {
            List<Note> page = index.list(SearchFilter.NONE, offset, 1000);
            for (Note n : page) {
                if (n.id().startsWith("file:") && n.source().startsWith(prefix) && !present.contains(Path.of(n.source()))) {
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

    private static List<Path> listFiles(Path root) throws IOException {
        List<Path> files = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return !dir.equals(root) && dir.getFileName().toString().startsWith(".")
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String name = file.getFileName().toString();
                if (attrs.isRegularFile() && !name.startsWith(".")
                        && NoteFiles.EXTENSIONS.contains(NoteFiles.extension(file))) {
                    files.add(file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                return FileVisitResult.CONTINUE;
            }
        });
        files.sort(null);
        return files;
    }

    private ImportProgress progress(String current) {
        return new ImportProgress(total, done, added, updated, unchanged, deleted, skipped, failed, chunks, current);
    }
}
