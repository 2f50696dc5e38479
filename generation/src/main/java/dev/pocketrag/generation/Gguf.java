package dev.pocketrag.generation;

import dev.pocketrag.generation.gguf.GgufFile;
import dev.pocketrag.generation.gguf.GgufFormatException;
import dev.pocketrag.generation.gguf.GgufMetadata;
import dev.pocketrag.generation.gguf.GgufTensorInfo;
import dev.pocketrag.generation.gguf.GgufValue;
import dev.pocketrag.generation.gguf.GgufValueType;
import dev.pocketrag.generation.gguf.GgufWriter;
import dev.pocketrag.generation.gguf.ModelMetadataValidator;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A GGUF file opened for reading: validated metadata and tensor infos on the heap, tensor data
 * mapped read-only with FFM (no copy, no 2 GiB limit; a 7 GB file opens in milliseconds).
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
 * <p>The file layout, field by field, and the checks made on open are in {@link GgufFile}, the
 * mapped-file core this facade delegates to; {@link ModelMetadataValidator} then checks the
 * well-known {@code tokenizer.ggml.*} and {@code <arch>.*} keys (array types and lengths, special
 * token ids inside the vocabulary, sane layer and head counts), so code reading them can rely on them.
 * New files are written with {@link GgufWriter}.
 *
 * <p>Thread-safe for reading. {@link #close()} (idempotent) unmaps the file: metadata stays
 * readable, but tensor segments obtained before become inaccessible (accessing them throws
 * {@link IllegalStateException}, never crashes the JVM).
 */
public final class Gguf implements AutoCloseable {
    private final GgufFile file;

    private Gguf(GgufFile file) {
        this.file = file;
    }

    /**
     * Opens, maps and validates a GGUF file.
     *
     * @throws GgufFormatException if the file is not a valid GGUF v2/v3 file (message names field, value, offset)
     * @throws IOException         if the file cannot be read (missing, a directory, no permission)
     */
    public static Gguf open(Path path) throws IOException {
        return new Gguf(GgufFile.open(path));
    }

    /** The mapped-file core, for the engine below this facade. */
    GgufFile file() {
        return file;
    }

    // ------------------------------------------------------------------ file

    /** The path this file was opened from. */
    public Path path() {
        return file.path();
    }

    /** GGUF version (2 or 3). */
    public int version() {
        return file.version();
    }

    /** Data alignment in bytes. */
    public long alignment() {
        return file.alignment();
    }

    /** File offset of the data section. */
    public long dataOffset() {
        return file.dataOffset();
    }

    /** File size in bytes. */
    public long fileSize() {
        return file.fileSize();
    }

    /** The whole file, mapped read-only. */
    public MemorySegment segment() {
        return file.segment();
    }

    // ------------------------------------------------------------------ metadata

    private GgufMetadata metadata() {
        return file.metadata();
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
        return file.tensors();
    }

    public boolean hasTensor(String name) {
        return file.hasTensor(name);
    }

    /** The tensor named {@code name}, or empty. */
    public Optional<GgufTensorInfo> findTensor(String name) {
        return file.findTensor(name);
    }

    /** The tensor named {@code name}; {@link GgufFormatException} if there is none. */
    public GgufTensorInfo tensor(String name) {
        return file.tensor(name);
    }

    /** The bytes of {@code t} (a tensor of this file): a read-only slice of the mapping, no copy. */
    public MemorySegment tensorData(GgufTensorInfo t) {
        return file.tensorData(t);
    }

    /** The bytes of the tensor named {@code name}. */
    public MemorySegment tensorData(String name) {
        return file.tensorData(name);
    }

    /** File offset of the first byte of {@code t}. */
    public long fileOffset(GgufTensorInfo t) {
        return file.fileOffset(t);
    }

    /** Unmaps the file; idempotent. */
    @Override
    public void close() {
        file.close();
    }

    @Override
    public String toString() {
        return "Gguf[" + file.source() + ", v" + version() + ", " + metadata().size() + " keys, " + tensors().size()
                + " tensors]";
    }
}
