package dev.pocketrag.generation;

import dev.pocketrag.generation.gguf.GgufFormatException;
import dev.pocketrag.generation.gguf.GgufHeader;
import dev.pocketrag.generation.gguf.GgufMetadata;
import dev.pocketrag.generation.gguf.GgufReader;
import dev.pocketrag.generation.gguf.GgufTensorInfo;
import dev.pocketrag.generation.gguf.GgufValue;
import dev.pocketrag.generation.gguf.GgufValueType;
import dev.pocketrag.generation.gguf.GgufWriter;
import dev.pocketrag.generation.gguf.ModelMetadataValidator;
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
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A GGUF file opened for reading: validated metadata and tensor infos on the heap, tensor data
 * mapped read-only with FFM (no copy, no 2 GiB limit; a 7 GB file opens in milliseconds).
 * {@link #writer()} writes new files.
 *
 * <pre>{@code
 * try (Gguf gguf = Gguf.open(Path.of("model.gguf"))) {
 *     String arch = gguf.getString("general.architecture");
 *     List<String> tokens = gguf.getStringList("tokenizer.ggml.tokens");
 *     GgufTensorInfo t = gguf.tensor("token_embd.weight");   // type, ne(0..3), offset, byteSize
 *     MemorySegment bytes = gguf.tensorData(t);              // read-only slice of the mapping
 * }
 * }</pre>
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
 *     byte size fit a signed 64-bit integer; type a ggml type id ({@link dev.pocketrag.generation.gguf.GgmlType});
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
public final class Gguf implements AutoCloseable {
    private final Path path;
    private final String source;
    private final Arena arena;
    private final MemorySegment file;
    private final GgufHeader header;
    private final Map<String, GgufTensorInfo> byName;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Gguf(Path path, String source, Arena arena, MemorySegment file, GgufHeader header) {
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
    public static Gguf open(Path path) throws IOException {
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
                Gguf g = new Gguf(path, source, arena, seg, h);
                ok = true;
                return g;
            } finally {
                if (!ok) {
                    arena.close();
                }
            }
        }
    }

    /** A writer for a new GGUF v3 file. */
    public static GgufWriter writer() {
        return new GgufWriter();
    }

    // ------------------------------------------------------------------ file

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

    /** All metadata, with the typed getters also offered below. */
    public GgufMetadata metadata() {
        return header.metadata();
    }

    public boolean has(String key) {
        return metadata().has(key);
    }

    /** Metadata keys in file order. */
    public Set<String> keys() {
        return metadata().keys();
    }

    /** The raw value of {@code key}; {@link GgufFormatException} if absent. */
    public GgufValue get(String key) {
        return metadata().get(key);
    }

    /** The raw value of {@code key}, or empty. */
    public Optional<GgufValue> find(String key) {
        return metadata().find(key);
    }

    /** The type of {@code key}'s value, or empty. */
    public Optional<GgufValueType> typeOf(String key) {
        return metadata().typeOf(key);
    }

    public String getString(String key) {
        return metadata().getString(key);
    }

    public String getString(String key, String defaultValue) {
        return metadata().getString(key, defaultValue);
    }

    /** Any integer type whose value fits an int. */
    public int getInt(String key) {
        return metadata().getInt(key);
    }

    public int getInt(String key, int defaultValue) {
        return metadata().getInt(key, defaultValue);
    }

    /** Any integer type whose value fits a long. */
    public long getLong(String key) {
        return metadata().getLong(key);
    }

    public long getLong(String key, long defaultValue) {
        return metadata().getLong(key, defaultValue);
    }

    /** FLOAT32, FLOAT64 or an integer, as float. */
    public float getFloat(String key) {
        return metadata().getFloat(key);
    }

    public float getFloat(String key, float defaultValue) {
        return metadata().getFloat(key, defaultValue);
    }

    public double getDouble(String key) {
        return metadata().getDouble(key);
    }

    public boolean getBool(String key) {
        return metadata().getBool(key);
    }

    public boolean getBool(String key, boolean defaultValue) {
        return metadata().getBool(key, defaultValue);
    }

    /** A special token id ({@code tokenizer.ggml.*_token_id}); empty if absent or llama.cpp's "no token" (-1). */
    public OptionalInt getTokenId(String key) {
        return metadata().getTokenId(key);
    }

    /** A STRING array, unmodifiable, not copied. */
    public List<String> getStringList(String key) {
        return metadata().getStringList(key);
    }

    /** A STRING array (a copy). */
    public String[] getStringArray(String key) {
        return metadata().getStringArray(key);
    }

    /** A FLOAT32 (or FLOAT64) array (a copy). */
    public float[] getFloatArray(String key) {
        return metadata().getFloatArray(key);
    }

    /** An integer array as int[] (a copy); every element must fit an int. */
    public int[] getIntArray(String key) {
        return metadata().getIntArray(key);
    }

    /** An integer array as long[] (a copy). */
    public long[] getLongArray(String key) {
        return metadata().getLongArray(key);
    }

    /** Element count of the array at {@code key}. */
    public int getArrayLength(String key) {
        return metadata().getArrayLength(key);
    }

    /** {@code general.architecture}, or empty. */
    public Optional<String> architecture() {
        return has("general.architecture") ? Optional.of(getString("general.architecture")) : Optional.empty();
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
        return "Gguf[" + source + ", v" + version() + ", " + metadata().size() + " keys, " + tensors().size()
                + " tensors]";
    }
}
