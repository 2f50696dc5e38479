package dev.pocketrag.retrieval.internal;

import dev.pocketrag.retrieval.ImportProgress.Problem;
import dev.pocketrag.retrieval.Sources;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The watched folders of a notebook on disk: {@code sources.dat} in the notebook directory,
 * replaced whole with {@link AtomicFiles#write} by the process that holds the notebook.
 *
 * <p>Layout (big-endian), version 1:
 * <pre>
 * magic     4 bytes  "PRSR"
 * version   int32    1
 * roots     int32    0..{@link #MAX_ROOTS}
 * per root:
 *   path          string
 *   online        byte    1 or 0
 *   lastScan      int64   epoch milliseconds, -1 for never
 *   notes, skipped, failed   int32 each, not negative
 *   problems      int32   0..{@link dev.pocketrag.retrieval.ImportProgress#MAX_PROBLEMS}, then per problem:
 *     path, reason   string
 *     failed         byte   1 or 0
 * crc32     int64    CRC32 of every byte before it
 * string = int32 length in bytes (0..{@link #MAX_STRING_BYTES}) + UTF-8 bytes
 * </pre>
 *
 * <p>Read defensively: every length and count is checked against its bound and the bytes that
 * remain, the CRC32 against the content. A file that fails is moved aside to {@code
 * sources.dat.damaged-<millis>} and reading goes on with no watched folders (a watcher scans its
 * folders again), the warning naming where it went.
 */
public final class SourcesFile {
    /** The file's name in the notebook directory. */
    public static final String NAME = "sources.dat";
    static final int MAGIC = 0x50525352; // "PRSR"
    static final int VERSION = 1;
    static final int MAX_ROOTS = 1000;
    static final int MAX_STRING_BYTES = 1 << 16;

    private SourcesFile() {}

    /** A file that is not a sources file of this version, or is damaged. */
    static final class DamagedException extends IOException {
        private static final long serialVersionUID = 1L;

        DamagedException(String why) {
            super(why);
        }
    }

    /** See {@link Sources#read}. */
    public static Sources read(Path notebook) {
        Path file = notebook.resolve(NAME);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Sources.NONE;
        } catch (IOException | SecurityException e) {
            return new Sources(List.of(), "cannot read the watched folders' file " + file + ": " + e.getMessage());
        }
        try {
            return new Sources(decode(bytes), "");
        } catch (DamagedException e) {
            Path aside = file.resolveSibling(NAME + ".damaged-" + System.currentTimeMillis());
            try {
                Files.move(file, aside);
                return new Sources(List.of(), "the watched folders' file " + file + " was damaged (" + e.getMessage()
                        + "); set aside as " + aside + "; watched folders are scanned again");
            } catch (IOException | SecurityException m) {
                return new Sources(List.of(), "the watched folders' file " + file + " is damaged (" + e.getMessage()
                        + ") and could not be set aside (" + m.getMessage() + ")");
            }
        }
    }

    /** Replaces the file with {@code roots}, crash-safe. */
    public static void write(Path notebook, List<Sources.Root> roots) throws IOException {
        AtomicFiles.write(notebook.resolve(NAME), encode(roots));
    }

    static byte[] encode(List<Sources.Root> roots) {
        if (roots.size() > MAX_ROOTS) {
            throw new IllegalArgumentException("at most " + MAX_ROOTS + " watched folders; roots=" + roots.size());
        }
        return CheckedRecords.encode(MAGIC, VERSION, out -> {
            out.writeInt(roots.size());
            for (Sources.Root r : roots) {
                CheckedRecords.string(out, MAX_STRING_BYTES, r.path());
                out.writeByte(r.online() ? 1 : 0);
                out.writeLong(r.lastScan() == null ? -1 : r.lastScan().toEpochMilli());
                out.writeInt(r.notes());
                out.writeInt(r.skipped());
                out.writeInt(r.failed());
                List<Problem> ps = r.problems().subList(0,
                        Math.min(r.problems().size(), dev.pocketrag.retrieval.ImportProgress.MAX_PROBLEMS));
                out.writeInt(ps.size());
                for (Problem p : ps) {
                    CheckedRecords.string(out, MAX_STRING_BYTES, p.path());
                    CheckedRecords.string(out, MAX_STRING_BYTES, p.reason());
                    out.writeByte(p.failed() ? 1 : 0);
                }
            }
        });
    }

    static List<Sources.Root> decode(byte[] bytes) throws DamagedException {
        try {
            CheckedRecords.Reader r = CheckedRecords.Reader.open(bytes, MAGIC, "sources file", VERSION, VERSION,
                    MAX_STRING_BYTES);
            ByteBuffer in = r.in;
            int n = CheckedRecords.count(in.getInt(), MAX_ROOTS, "roots");
            List<Sources.Root> roots = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String path = r.string();
                boolean online = r.flag("online");
                long last = in.getLong();
                if (last < -1) {
                    throw new DamagedException("last scan time " + last);
                }
                int notes = CheckedRecords.count(in.getInt(), Integer.MAX_VALUE, "notes");
                int skipped = CheckedRecords.count(in.getInt(), Integer.MAX_VALUE, "skipped");
                int failed = CheckedRecords.count(in.getInt(), Integer.MAX_VALUE, "failed");
                int pn = CheckedRecords.count(in.getInt(), dev.pocketrag.retrieval.ImportProgress.MAX_PROBLEMS,
                        "problems");
                List<Problem> problems = new ArrayList<>(pn);
                for (int j = 0; j < pn; j++) {
                    problems.add(new Problem(r.string(), r.string(), r.flag("failed")));
                }
                roots.add(new Sources.Root(path, online, last == -1 ? null : Instant.ofEpochMilli(last), notes,
                        skipped, failed, problems));
            }
            r.end("root");
            return roots;
        } catch (CheckedRecords.Damaged e) {
            throw new DamagedException(e.getMessage());
        } catch (BufferUnderflowException e) {
            throw new DamagedException("truncated");
        }
    }
}
