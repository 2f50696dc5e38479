package dev.pocketrag.generation.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The core of a GGUF file opened for reading, below the facade {@code dev.pocketrag.generation.Gguf}:
 * the validated header (metadata and tensor infos) on the heap, the tensor data mapped read-only with
 * FFM (no copy, no 2 GiB limit; a 7 GB file opens in milliseconds). The engine's forward pass reads
 * its weights through this class; applications use the facade.
 *
 * <h2>File layout (GGUF v2 and v3; v1 and big-endian files are rejected)</h2>
 * All integers little-endian. {@code string} = {@code u64 length} + that many UTF-8 bytes (no NUL).
 * <table>
 * <caption>GGUF file</caption>
 * <tr><th>field</th><th>type</th><th>rule (violations throw {@link GgufFormatException})</th></tr>
 * <tr><td>magic</td><td>u8[4]</td><td>"GGUF" (0x47 0x47 0x55 0x46)</td></tr>
 * <tr><td>version</td><td>u32</td><td>2 or 3 (v2 and v3 share this layout; v3 only adds big-endian
 *     files, which are rejected: a byte-swapped version 0x03000000 is reported as such)</td></tr>
 * <tr><td>n_tensors</td><td>u64</td><td>at most bytes left / 32 (the smallest tensor info)</td></tr>
 * <tr><td>n_kv</td><td>u64</td><td>at most bytes left / 13 (the smallest key/value pair)</td></tr>
 * <tr><td>kv[n_kv]</td><td>key: string, type: u32, value</td><td>key non-empty and unique; type 0..12</td></tr>
 * <tr><td>tensor_info[n_tensors]</td><td>name: string, n_dims: u32, ne: i64[n_dims], type: u32,
 *     offset: u64</td><td>name 1..63 bytes, unique; n_dims 1..4; every ne &gt;= 1, their product and the
 *     byte size fit a signed 64-bit integer; type a ggml type id ({@link GgmlType});
 *     ne[0] a multiple of the type's block size; offset a multiple of the alignment, not before the end
 *     of the previous tensor (in order, no overlap), offset + size within the file</td></tr>
 * <tr><td>padding</td><td>u8[]</td><td>zeros up to the next multiple of the alignment</td></tr>
 * <tr><td>data</td><td>u8[]</td><td>tensor bytes at data start + offset; each tensor padded to the
 *     alignment by writers</td></tr>
 * </table>
 * Value encodings (type id: name, bytes): 0 UINT8 1, 1 INT8 1, 2 UINT16 2, 3 INT16 2, 4 UINT32 4,
 * 5 INT32 4, 6 FLOAT32 4, 7 BOOL 1 (0 or 1), 8 STRING (string), 9 ARRAY, 10 UINT64 8, 11 INT64 8,
 * 12 FLOAT64 8. ARRAY = element type u32 (any but ARRAY) + count u64 + count values; count x the
 * smallest element size must fit in the bytes left. Strings are at most 1 GiB.
 * {@code general.alignment}, if present, must be a UINT32 non-zero power of two (default 32).
 * Tensor byte size = {@code ne[0] / block_size * type_size * ne[1] * ne[2] * ne[3]}.
 *
 * <p>After the container checks, {@link ModelMetadataValidator} checks the well-known
 * {@code tokenizer.ggml.*} and {@code <arch>.*} keys (array types and lengths, special token ids
 * inside the vocabulary, sane layer and head counts), so code reading them can rely on them.
 *
 * <p>Thread-safe for reading. {@link #close()} (idempotent) unmaps the file: metadata stays
 * readable, but tensor segments obtained before become inaccessible (accessing them throws
 * {@link IllegalStateException}, never crashes the JVM).
 */
public final class GgufFile implements AutoCloseable {
    private final Path path;
    private final String source;
    private final Arena arena;
    private final MemorySegment file;
    private final GgufHeader header;
    private final Map<String, GgufTensorInfo> byName;
    private final AtomicBoolean closed = new AtomicBoolean();

    private GgufFile(Path path, String source, Arena arena, MemorySegment file, GgufHeader header) {
        this.path = path;
        this.source = source;
        this.arena = arena;
        this.file = file;
        this.header = header;
        Map<String, GgufTensorInfo> m = new HashMap<>();
        for (GgufTensorInfo t : header.tensors()) {
            m.put(t.name(), t);
        }
        this.byName = m;
    }

    /**
     * Opens, maps and validates a GGUF file.
     *
     * @throws GgufFormatException if the file is not a valid GGUF v2/v3 file (message names field, value, offset)
     * @throws IOException         if the file cannot be read (missing, a directory, no permission)
     */
    public static GgufFile open(Path path) throws IOException {
        String source = path.getFileName() == null ? path.toString() : path.getFileName().toString();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            Arena arena = Arena.ofShared();
            boolean ok = false;
            try {
                MemorySegment seg;
                if (size < 64) { // too small to be worth mapping (and mapping 0 bytes is platform-dependent)
                    ByteBuffer b = ByteBuffer.allocate((int) size);
                    while (b.hasRemaining() && ch.read(b) >= 0) {
                        // read all
                    }
                    seg = MemorySegment.ofArray(b.array()).asReadOnly();
                } else {
                    seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                }
                GgufHeader h = GgufReader.parse(seg, source);
                ModelMetadataValidator.validate(h.metadata(), source);
                GgufFile g = new GgufFile(path, source, arena, seg, h);
                ok = true;
                return g;
            } finally {
                if (!ok) {
                    arena.close();
                }
            }
        }
    }

    // ------------------------------------------------------------------ file

    /** The file name, as error messages name it. */
    public String source() {
        return source;
    }

    /** The path this file was opened from. */
    public Path path() {
        return path;
    }

    /** GGUF version (2 or 3). */
    public int version() {
        return header.version();
    }

    /** Data alignment in bytes. */
    public long alignment() {
        return header.alignment();
    }

    /** File offset of the data section. */
    public long dataOffset() {
        return header.dataOffset();
    }

    /** File size in bytes. */
    public long fileSize() {
        return header.fileSize();
    }

    /** The parsed header (version, alignment, metadata, tensor infos, data offset). */
    public GgufHeader header() {
        return header;
    }

    /** The whole file, mapped read-only. */
    public MemorySegment segment() {
        checkOpen();
        return file;
    }

    // ------------------------------------------------------------------ metadata

    /** All metadata (validated: see the class comment). */
    public GgufMetadata metadata() {
        return header.metadata();
    }

    // ------------------------------------------------------------------ tensors

    /** Tensor infos in file order. */
    public List<GgufTensorInfo> tensors() {
        return header.tensors();
    }

    public boolean hasTensor(String name) {
        return byName.containsKey(name);
    }

    /** The tensor named {@code name}, or empty. */
    public Optional<GgufTensorInfo> findTensor(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The tensor named {@code name}; {@link GgufFormatException} if there is none. */
    public GgufTensorInfo tensor(String name) {
        GgufTensorInfo t = byName.get(name);
        if (t == null) {
            throw new GgufFormatException(source, "tensor '" + name + "'", "(absent)", -1, "required tensor is missing");
        }
        return t;
    }

    /** The bytes of {@code t} (a tensor of this file): a read-only slice of the mapping, no copy. */
    public MemorySegment tensorData(GgufTensorInfo t) {
        checkOpen();
        if (byName.get(t.name()) != t && !t.equals(byName.get(t.name()))) {
            throw new IllegalArgumentException("tensor " + t + " is not a tensor of " + source);
        }
        return file.asSlice(header.dataOffset() + t.offset(), t.byteSize());
    }

    /** The bytes of the tensor named {@code name}. */
    public MemorySegment tensorData(String name) {
        return tensorData(tensor(name));
    }

    /** File offset of the first byte of {@code t}. */
    public long fileOffset(GgufTensorInfo t) {
        return header.dataOffset() + t.offset();
    }

    /** Unmaps the file; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException(source + " is closed");
        }
    }

    @Override
    public String toString() {
        return "GgufFile[" + source + ", v" + version() + ", " + metadata().size() + " keys, " + tensors().size()
                + " tensors]";
    }
}
