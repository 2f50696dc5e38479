package dev.pocketrag.retrieval.internal;

import dev.pocketrag.retrieval.Answer.Passage;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One conversation thread on disk: {@code threads/NAME.thread} in the notebook directory.
 *
 * <p>Layout (big-endian), version 2 (version 1, still read, has no page and section):
 * <pre>
 * magic     4 bytes  "PRTH"
 * version   int32    2
 * turns     int32    0..{@link #MAX_TURNS}
 * per turn:
 *   question     string
 *   searchedFor  string (the standalone query it searched for)
 *   answer       string
 *   at           int64  epoch milliseconds
 *   cited        int32  0..{@link #MAX_CITED}, then per passage:
 *     noteId, title, source, text  string
 *     start, end                   int32 (offsets in the note's body)
 *     page                         int32 (0: none; version 2 only)
 *     section                      string (heading path, empty: none; version 2 only)
 * crc32     int64    CRC32 of every byte before it
 * string = int32 length in bytes (0..{@link #MAX_STRING_BYTES}) + UTF-8 bytes
 * </pre>
 *
 * <p>Written crash-safe: to a temporary file in the same folder, forced to disk, then renamed over
 * the old file atomically (and the folder forced), so after a crash the file is the old version or
 * the new one, never a mix. Read defensively: every length is checked against the bytes that
 * remain, the CRC32 against the content; any failure is a {@link DamagedThreadException}.
 */
public final class ThreadFile {
    /** The most turns a thread keeps; older ones are dropped first. */
    public static final int MAX_TURNS = 200;
    static final int MAX_CITED = 100;
    static final int MAX_STRING_BYTES = 1 << 20;
    static final int MAGIC = 0x50525448; // "PRTH"
    static final int VERSION = 2;
    /** The oldest version read: 1, without page and section. */
    static final int FIRST_VERSION = 1;
    /** File name suffix of a thread. */
    public static final String SUFFIX = ".thread";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private ThreadFile() {}

    /** One stored turn. */
    public record StoredTurn(String question, String searchedFor, String answer, Instant at, List<Passage> cited) {
        public StoredTurn {
            Objects.requireNonNull(question, "question");
            Objects.requireNonNull(searchedFor, "searchedFor");
            Objects.requireNonNull(answer, "answer");
            Objects.requireNonNull(at, "at");
            cited = List.copyOf(cited);
        }
    }

    /** A thread file that cannot be read: wrong magic or version, truncated, or a checksum mismatch. */
    public static final class DamagedThreadException extends IOException {
        private static final long serialVersionUID = 1L;

        DamagedThreadException(Path file, String why) {
            super("thread file " + file + " is damaged: " + why);
        }
    }

    /**
     * Checks a thread name: 1 to 64 letters, digits, {@code .}, {@code _} or {@code -}, starting
     * with a letter or digit (so no path, no hidden file, no {@code ..}).
     *
     * @throws IllegalArgumentException naming the bad value
     */
    public static String checkName(String name) {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad thread name '" + name.replaceAll("\\p{Cntrl}", "?")
                    + "': use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return name;
    }

    /** The thread's bytes in the layout above. */
    static byte[] encode(List<StoredTurn> turns) {
        if (turns.size() > MAX_TURNS) {
            throw new IllegalArgumentException("a thread keeps at most " + MAX_TURNS + " turns; turns=" + turns.size());
        }
        return CheckedRecords.encode(MAGIC, VERSION, out -> {
            out.writeInt(turns.size());
            for (StoredTurn t : turns) {
                CheckedRecords.string(out, MAX_STRING_BYTES, t.question());
                CheckedRecords.string(out, MAX_STRING_BYTES, t.searchedFor());
                CheckedRecords.string(out, MAX_STRING_BYTES, t.answer());
                out.writeLong(t.at().toEpochMilli());
                List<Passage> cited = t.cited().subList(0, Math.min(MAX_CITED, t.cited().size()));
                out.writeInt(cited.size());
                for (Passage p : cited) {
                    CheckedRecords.string(out, MAX_STRING_BYTES, p.noteId());
                    CheckedRecords.string(out, MAX_STRING_BYTES, p.title());
                    CheckedRecords.string(out, MAX_STRING_BYTES, p.source());
                    CheckedRecords.string(out, MAX_STRING_BYTES, p.text());
                    out.writeInt(p.start());
                    out.writeInt(p.end());
                    out.writeInt(p.page());
                    CheckedRecords.string(out, MAX_STRING_BYTES, p.section());
                }
            }
        });
    }

    /** Reads a thread file written by {@link #write}. */
    public static List<StoredTurn> read(Path file) throws IOException {
        return decode(file, Files.readAllBytes(file));
    }

    static List<StoredTurn> decode(Path file, byte[] bytes) throws DamagedThreadException {
        try {
            CheckedRecords.Reader r = CheckedRecords.Reader.open(bytes, MAGIC, "thread file", FIRST_VERSION, VERSION,
                    MAX_STRING_BYTES);
            ByteBuffer in = r.in;
            int version = r.version;
            int count = CheckedRecords.count(in.getInt(), MAX_TURNS, "turns");
            List<StoredTurn> turns = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String question = r.string();
                String searchedFor = r.string();
                String answer = r.string();
                Instant at = Instant.ofEpochMilli(in.getLong());
                int cited = CheckedRecords.count(in.getInt(), MAX_CITED, "cited passages");
                List<Passage> passages = new ArrayList<>(cited);
                for (int j = 0; j < cited; j++) {
                    String noteId = r.string();
                    String title = r.string();
                    String source = r.string();
                    String text = r.string();
                    int start = in.getInt();
                    int end = in.getInt();
                    int page = 0;
                    String section = "";
                    if (version >= 2) {
                        page = in.getInt();
                        if (page < 0) {
                            throw new DamagedThreadException(file, "page " + page + " of a cited passage");
                        }
                        section = r.string();
                        if (section.length() > dev.pocketrag.index.Chunk.MAX_SECTION_LENGTH) {
                            section = ""; // not ours: no section rather than a refused thread
                        }
                    }
                    passages.add(new Passage(j + 1, noteId, title, source, text, start, end, Double.NaN, "", page,
                            section));
                }
                turns.add(new StoredTurn(question, searchedFor, answer, at, passages));
            }
            r.end("turn");
            return turns;
        } catch (CheckedRecords.Damaged e) {
            throw new DamagedThreadException(file, e.getMessage());
        } catch (BufferUnderflowException e) {
            throw new DamagedThreadException(file, "truncated");
        }
    }

    /**
     * Writes the thread crash-safe: a temporary file beside {@code file}, forced, then renamed over
     * it atomically; the folder is forced too where the platform allows.
     */
    public static void write(Path file, List<StoredTurn> turns) throws IOException {
        AtomicFiles.write(file, encode(turns));
    }

    /**
     * Moves a damaged thread file aside to {@code NAME.thread.damaged-<millis>} so the thread can
     * start again; returns where it went.
     */
    public static Path setAside(Path file) throws IOException {
        Path to = file.resolveSibling(file.getFileName() + ".damaged-" + System.currentTimeMillis());
        Files.move(file, to);
        return to;
    }
}
