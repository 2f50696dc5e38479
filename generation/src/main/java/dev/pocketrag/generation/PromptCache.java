package dev.pocketrag.generation;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * Keys and values of prompt prefixes worth keeping (the system turn of a chat prompt), for prompts
 * that start with the same tokens after the KV cache has moved on to other text: a few prefixes in
 * memory (least recently used dropped first, within a budget), and optionally the last one in a file
 * that a later process of the same model, context size and engine reads back. Not thread-safe: the
 * model's lock guards it.
 *
 * <h2>File format</h2>
 * One file per model file and context size ({@link #fileName}), little-endian, written to a
 * temporary file and moved into place, read whole and checked before use; a file that fails a check
 * (another model, context, engine or vector width, damaged, truncated) is ignored and replaced by the
 * next save.
 * <pre>
 * offset  size      field
 * 0       4         magic "PKVP" (0x50 0x4B 0x56 0x50)
 * 4       4         format version, {@value #VERSION}
 * 8       8         model file size in bytes
 * 16      8         model file last-modified time, ms since the epoch
 * 24      4         CRC32 of the model file's first 64 KiB (all of it when shorter): header and metadata
 * 28      4         context length the keys were computed for (RoPE scaling may depend on it)
 * 32      4         values per position: layers x (kDim + vDim)
 * 36      2 + a     engine: UTF-8 length, then text naming the vector width and the build of the
 *                   forward pass (the same prefix computed by another build may differ in last bits)
 * ..      4         n: tokens, 1 .. context
 * ..      4 n       token ids
 * ..      2 n v     f16 bit patterns, position after position, as {@code Transformer.readKv} orders them
 * end-4   4         CRC32 of every byte before it
 * </pre>
 */
final class PromptCache {
    static final int MAGIC = 0x50564B50; // "PKVP" read as a little-endian int
    static final int VERSION = 1;
    private static final int MAX_ENTRIES = 4;

    /** A saved prefix: its tokens and their keys and values ({@code tokens.length * perPosition} values). */
    record Prefix(int[] tokens, short[] kv) {
        Prefix {
            Objects.requireNonNull(tokens, "tokens");
            Objects.requireNonNull(kv, "kv");
        }
    }

    /** The saved prefix sharing the most leading tokens with a prompt, and how many it shares. */
    record Match(Prefix prefix, int length) {}

    /**
     * What a file must match to be used.
     *
     * @param modelSize  bytes of the model file
     * @param modelTime  its last-modified time in ms
     * @param headerCrc  CRC32 of its first 64 KiB
     * @param context    KV cache size in positions
     * @param perPosition f16 values per position
     * @param engine     the vector width and the build of the forward pass
     */
    record Identity(long modelSize, long modelTime, int headerCrc, int context, int perPosition, String engine) {
        Identity {
            Objects.requireNonNull(engine, "engine");
        }

        /** The identity of {@code model} with the given context, values per position and engine. */
        static Identity of(Path model, int context, int perPosition, String engine) throws IOException {
            long size = Files.size(model);
            long time = Files.getLastModifiedTime(model).toMillis();
            CRC32 crc = new CRC32();
            try (InputStream in = Files.newInputStream(model)) {
                crc.update(in.readNBytes(65536));
            }
            return new Identity(size, time, (int) crc.getValue(), context, perPosition, engine);
        }
    }

    private final int perPosition;
    private final long budget;
    private final List<Prefix> entries = new ArrayList<>(); // least recently used first
    private long used;

    /**
     * @param perPosition f16 values per position
     * @param budget      most f16 values held in memory over all prefixes
     */
    PromptCache(int perPosition, long budget) {
        if (perPosition < 1 || budget < 0) {
            throw new IllegalArgumentException("perPosition must be >= 1 and budget >= 0; perPosition=" + perPosition
                    + ", budget=" + budget);
        }
        this.perPosition = perPosition;
        this.budget = budget;
    }

    /** The entry sharing the most of {@code prompt[0..limit)}, or null when none shares any token. */
    Match best(int[] prompt, int limit) {
        Prefix best = null;
        int length = 0;
        for (Prefix p : entries) {
            int m = common(p.tokens(), p.tokens().length, prompt, limit);
            if (m > length) {
                best = p;
                length = m;
            }
        }
        if (best != null) {
            entries.remove(best);
            entries.add(best); // most recently used
        }
        return best == null ? null : new Match(best, length);
    }

    /** Whether an entry holds exactly {@code prompt[0..n)}. */
    boolean holds(int[] prompt, int n) {
        for (Prefix p : entries) {
            if (p.tokens().length == n && common(p.tokens(), n, prompt, n) == n) {
                return true;
            }
        }
        return false;
    }

    /** Keeps {@code p} (if it fits the budget), dropping the least recently used entries to make room. */
    void put(Prefix p) {
        long size = (long) p.tokens().length * perPosition;
        if (p.kv().length != size) {
            throw new IllegalArgumentException(p.tokens().length + " tokens need " + size + " values; got "
                    + p.kv().length);
        }
        if (size > budget) {
            return;
        }
        while (!entries.isEmpty() && (entries.size() >= MAX_ENTRIES || used + size > budget)) {
            used -= (long) entries.removeFirst().kv().length;
        }
        entries.add(p);
        used += size;
    }

    int size() {
        return entries.size();
    }

    /** Length of the common prefix of {@code a[0..na)} and {@code b[0..nb)}. */
    static int common(int[] a, int na, int[] b, int nb) {
        int n = Math.min(na, nb);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }

    // ------------------------------------------------------------------ file

    /** {@code <model file name>-ctx<context>.pkv}, the model's name made safe for any file system. */
    static String fileName(Path model, int context) {
        String name = String.valueOf(model.getFileName()).replaceAll("[^A-Za-z0-9._-]", "_");
        return name + "-ctx" + context + ".pkv";
    }

    /**
     * The prefix saved in {@code file} for {@code id}.
     *
     * @throws IOException if the file cannot be read
     * @throws StaleException if it is not a prefix file for {@code id} (the message says why)
     */
    static Prefix read(Path file, Identity id) throws IOException, StaleException {
        long size = Files.size(file);
        long most = 64L + 2L * 65535 + 4 + (long) id.context() * (4 + 2L * id.perPosition()) + 4;
        if (size > most) {
            throw new StaleException(file + ": " + size + " bytes, more than a prefix of this model can take (" + most + ")");
        }
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < 48) {
            throw new StaleException(file + ": truncated (" + bytes.length + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, bytes.length - 4);
        int stored = b.getInt(bytes.length - 4);
        if (stored != (int) crc.getValue()) {
            throw new StaleException(file + ": CRC32 " + Integer.toHexString((int) crc.getValue()) + " but the footer says "
                    + Integer.toHexString(stored));
        }
        b.limit(bytes.length - 4);
        int magic = b.getInt();
        if (magic != MAGIC) {
            throw new StaleException(file + ": magic 0x" + Integer.toHexString(magic) + ", not a prompt prefix file");
        }
        int version = b.getInt();
        if (version != VERSION) {
            throw new StaleException(file + ": format version " + version + ", this build reads " + VERSION);
        }
        long modelSize = b.getLong();
        long modelTime = b.getLong();
        int headerCrc = b.getInt();
        int context = b.getInt();
        int perPosition = b.getInt();
        String engine = string(b, file);
        Identity got = new Identity(modelSize, modelTime, headerCrc, context, perPosition, engine);
        if (!got.equals(id)) {
            throw new StaleException(file + ": saved for " + got + ", not " + id);
        }
        int n = b.remaining() >= 4 ? b.getInt() : -1;
        if (n < 1 || n > context) {
            throw new StaleException(file + ": token count " + n + " outside 1.." + context);
        }
        long need = 4L * n + 2L * n * perPosition;
        if (b.remaining() != need) {
            throw new StaleException(file + ": " + b.remaining() + " bytes of tokens and values, " + n + " tokens need "
                    + need);
        }
        int[] tokens = new int[n];
        b.asIntBuffer().get(tokens);
        b.position(b.position() + 4 * n);
        short[] kv = new short[n * perPosition];
        b.asShortBuffer().get(kv);
        return new Prefix(tokens, kv);
    }

    private static String string(ByteBuffer b, Path file) throws StaleException {
        if (b.remaining() < 2) {
            throw new StaleException(file + ": truncated header");
        }
        int len = Short.toUnsignedInt(b.getShort());
        if (len > b.remaining()) {
            throw new StaleException(file + ": a string of " + len + " bytes with " + b.remaining() + " left");
        }
        byte[] s = new byte[len];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    /** Writes {@code p} for {@code id} to {@code file} (through a temporary file in the same folder). */
    static void write(Path file, Identity id, Prefix p) throws IOException {
        byte[] engine = id.engine().getBytes(StandardCharsets.UTF_8);
        if (engine.length > 65535) {
            throw new IllegalArgumentException("engine description of " + engine.length + " bytes");
        }
        int n = p.tokens().length;
        long total = 36L + 2 + engine.length + 4 + 4L * n + 2L * p.kv().length + 4;
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a prefix of " + n + " tokens is too large for one file: " + total
                    + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(VERSION).putLong(id.modelSize()).putLong(id.modelTime()).putInt(id.headerCrc())
                .putInt(id.context()).putInt(id.perPosition());
        b.putShort((short) engine.length).put(engine);
        b.putInt(n);
        b.asIntBuffer().put(p.tokens());
        b.position(b.position() + 4 * n);
        b.asShortBuffer().put(p.kv());
        b.position(b.position() + 2 * p.kv().length);
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        boolean ok = false;
        try {
            Files.write(tmp, b.array());
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            ok = true;
        } finally {
            if (!ok) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** A prefix file that does not belong to this model, context or engine, or is damaged. */
    static final class StaleException extends Exception {
        private static final long serialVersionUID = 1L;

        StaleException(String message) {
            super(message);
        }
    }

    @Override
    public String toString() {
        return "PromptCache[" + entries.size() + " prefixes, " + used + " of " + budget + " values, tokens "
                + entries.stream().map(p -> String.valueOf(p.tokens().length)).toList() + "]";
    }

    /** For tests: the tokens of the entries, least recently used first. */
    List<int[]> tokens() {
        return entries.stream().map(p -> Arrays.copyOf(p.tokens(), p.tokens().length)).toList();
    }
}
