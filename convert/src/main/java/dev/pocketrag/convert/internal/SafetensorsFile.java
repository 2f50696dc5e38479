package dev.pocketrag.convert.internal;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.pocketrag.convert.ConvertException;
import java.io.IOException;
import java.io.StringReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One {@code .safetensors} file, its header parsed and checked, its data memory-mapped (never
 * read onto the heap as a whole).
 *
 * <p>Layout (Hugging Face safetensors, all integers little-endian):
 * <pre>
 * offset 0      u64   N, the header's byte length (here at most {@link #MAX_HEADER_BYTES} and
 *                     at most file size - 8)
 * offset 8      N     UTF-8 JSON object, possibly padded with trailing spaces:
 *                       "NAME": {"dtype": "F32"|"F16"|"BF16", "shape": [d0, d1, ...],
 *                                "data_offsets": [begin, end]}      one per tensor
 *                       "__metadata__": {"key": "string value", ...}  optional
 * offset 8 + N  ...   the data region; a tensor's bytes are [8 + N + begin, 8 + N + end),
 *                     row-major (C order), little-endian, end - begin = product(shape) x dtype size
 * </pre>
 * Checked here: the header length; strict JSON with nothing after the object but whitespace;
 * unique tensor names; dtype one of {@link Dtype}; at most {@link #MAX_DIMS} non-negative
 * dimensions whose product does not overflow; {@code 0 <= begin <= end <= data size};
 * {@code end - begin} equal to the element count times the dtype size; no two tensors overlapping;
 * {@code __metadata__} values strings. Other dtypes (I8, F64, F8_E4M3, ...) are an error naming the
 * tensor and the dtype. Unknown fields of a tensor entry are ignored, as the reference reader does.
 *
 * <p>{@link #close()} unmaps the file; idempotent. Segments obtained before are invalid after it.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Largest header accepted (the reference implementation's limit is the same order). */
    public static final long MAX_HEADER_BYTES = 100L << 20;
    /** Most dimensions a tensor may have. */
    public static final int MAX_DIMS = 8;

    /** The element types converted (the ones Hugging Face checkpoints of the supported models use). */
    public enum Dtype {
        F32(4), F16(2), BF16(2);

        private final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }

        /** Bytes per element. */
        public int bytes() {
            return bytes;
        }
    }

    /**
     * One tensor entry of the header.
     *
     * @param name  the tensor's name
     * @param dtype its element type
     * @param shape torch order: the last dimension varies fastest
     * @param begin first byte in the data region
     * @param end   byte after the last, in the data region
     */
    public record Tensor(String name, Dtype dtype, long[] shape, long begin, long end) {
        public Tensor {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            shape = shape.clone();
            if (begin < 0 || end < begin) {
                throw new IllegalArgumentException("tensor '" + name + "': data_offsets [" + begin + ", " + end + "]");
            }
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** Number of dimensions. */
        public int rank() {
            return shape.length;
        }

        /** Dimension {@code i} (torch order). */
        public long dim(int i) {
            return shape[i];
        }

        /** Product of the shape (1 for a scalar). */
        public long elementCount() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + Arrays.toString(shape);
        }
    }

    private final Path path;
    private final String source;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;
    private final long dataStart;
    private Arena arena;
    private final MemorySegment map;

    private SafetensorsFile(Path path, Map<String, Tensor> tensors, Map<String, String> metadata, long dataStart,
                            Arena arena, MemorySegment map) {
        this.path = path;
        this.source = path.toString();
        this.tensors = tensors;
        this.metadata = metadata;
        this.dataStart = dataStart;
        this.arena = arena;
        this.map = map;
    }

    /**
     * Opens and checks {@code path}, mapping it read-only.
     *
     * @throws ConvertException naming the file and the bad field or value
     */
    public static SafetensorsFile open(Path path) throws ConvertException {
        String source = path.toString();
        Arena arena = Arena.ofShared();
        boolean ok = false;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new ConvertException(source + ": " + size + " bytes, too short for the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (lenBuf.hasRemaining()) {
                if (ch.read(lenBuf, lenBuf.position()) < 0) {
                    throw new ConvertException(source + ": unexpected end of file in the header length");
                }
            }
            long n = lenBuf.getLong(0);
            checkHeaderLength(n, size, source);
            ByteBuffer header = ByteBuffer.allocate((int) n);
            while (header.hasRemaining()) {
                if (ch.read(header, 8 + header.position()) < 0) {
                    throw new ConvertException(source + ": unexpected end of file in the header");
                }
            }
            long dataSize = size - 8 - n;
            Parsed p = parseHeader(header.flip(), dataSize, source);
            MemorySegment map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            ok = true;
            return new SafetensorsFile(path, p.tensors, p.metadata, 8 + n, arena, map);
        } catch (ConvertException e) {
            throw e;
        } catch (IOException e) {
            throw new ConvertException(source + ": cannot read: " + e, e);
        } finally {
            if (!ok) {
                arena.close();
            }
        }
    }

    private static void checkHeaderLength(long n, long size, String source) throws ConvertException {
        if (n < 2 || n > MAX_HEADER_BYTES) {
            throw new ConvertException(source + ": header length " + Long.toUnsignedString(n)
                    + " outside [2, " + MAX_HEADER_BYTES + "]");
        }
        if (n > size - 8) {
            throw new ConvertException(source + ": header length " + n + " runs past the end of the file ("
                    + size + " bytes)");
        }
    }

    /** The checks {@link #open} makes, on a file's bytes in memory (for tests that loop over many files). */
    static Map<String, Tensor> parse(byte[] file, String source) throws ConvertException {
        if (file.length < 8) {
            throw new ConvertException(source + ": " + file.length + " bytes, too short for the 8-byte header length");
        }
        long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        checkHeaderLength(n, file.length, source);
        return parseHeader(ByteBuffer.wrap(file, 8, (int) n).slice(), file.length - 8 - n, source).tensors();
    }

    private record Parsed(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    /** Parses and checks a header whose data region holds {@code dataSize} bytes. */
    static Parsed parseHeader(ByteBuffer utf8, long dataSize, String source) throws ConvertException {
        String json;
        try {
            CharBuffer cb = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(utf8);
            json = cb.toString();
        } catch (CharacterCodingException e) {
            throw new ConvertException(source + ": header is not valid UTF-8");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        JsonReader r = new JsonReader(new StringReader(json));
        r.setStrictness(Strictness.STRICT);
        String current = null;
        boolean seenMetadata = false;
        try {
            if (r.peek() != JsonToken.BEGIN_OBJECT) {
                throw new ConvertException(source + ": header is not a JSON object");
            }
            r.beginObject();
            while (r.hasNext()) {
                String name = r.nextName();
                current = name;
                if (tensors.containsKey(name) || (name.equals("__metadata__") && seenMetadata)) {
                    throw new ConvertException(source + ": duplicate " + (name.equals("__metadata__") ? "key" : "tensor name")
                            + " '" + name + "' in the header");
                }
                if (name.equals("__metadata__")) {
                    readMetadata(r, metadata, source);
                    seenMetadata = true;
                } else {
                    tensors.put(name, readTensor(r, name, dataSize, source));
                }
            }
            r.endObject();
            current = null;
            boolean end;
            try {
                end = r.peek() == JsonToken.END_DOCUMENT;
            } catch (IOException e) {
                end = false;
            }
            if (!end) {
                throw new ConvertException(source + ": text after the header's JSON object");
            }
        } catch (ConvertException e) {
            throw e;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            String m = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new ConvertException(source + ": bad JSON header" + (current == null ? "" : " (at '" + current + "')")
                    + ": " + (m.length() > 160 ? m.substring(0, 160) + "..." : m));
        }
        checkOverlaps(tensors.values(), source);
        return new Parsed(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static void readMetadata(JsonReader r, Map<String, String> out, String source) throws IOException {
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
            throw new ConvertException(source + ": __metadata__ must be an object of strings, is " + r.peek());
        }
        r.beginObject();
        while (r.hasNext()) {
            String k = r.nextName();
            if (r.peek() != JsonToken.STRING) {
                throw new ConvertException(source + ": __metadata__ '" + k + "' must be a string, is " + r.peek());
            }
            out.put(k, r.nextString());
        }
        r.endObject();
    }

    private static Tensor readTensor(JsonReader r, String name, long dataSize, String source) throws IOException {
        String where = source + ": tensor '" + name + "'";
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
            throw new ConvertException(where + ": entry must be an object, is " + r.peek());
        }
        String dtypeName = null;
        long[] shape = null;
        long[] offsets = null;
        r.beginObject();
        while (r.hasNext()) {
            String field = r.nextName();
            switch (field) {
                case "dtype" -> {
                    if (r.peek() != JsonToken.STRING) {
                        throw new ConvertException(where + ": dtype must be a string, is " + r.peek());
                    }
                    dtypeName = r.nextString();
                }
                case "shape" -> shape = readLongs(r, where, "shape", MAX_DIMS);
                case "data_offsets" -> offsets = readLongs(r, where, "data_offsets", 2);
                default -> r.skipValue();
            }
        }
        r.endObject();
        if (dtypeName == null || shape == null || offsets == null) {
            throw new ConvertException(where + ": missing " + (dtypeName == null ? "dtype" : shape == null ? "shape"
                    : "data_offsets"));
        }
        Dtype dtype;
        try {
            dtype = Dtype.valueOf(dtypeName);
        } catch (IllegalArgumentException e) {
            throw new ConvertException(where + ": dtype '" + dtypeName + "' is not supported; supported: "
                    + Arrays.toString(Dtype.values()));
        }
        if (offsets.length != 2) {
            throw new ConvertException(where + ": data_offsets must be [begin, end], has " + offsets.length
                    + " values");
        }
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException e) {
                throw new ConvertException(where + ": shape " + Arrays.toString(shape)
                        + " has more elements than a long holds");
            }
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > dataSize) {
            throw new ConvertException(where + ": data_offsets [" + begin + ", " + end
                    + "] outside the data region of " + dataSize + " bytes");
        }
        long want;
        try {
            want = Math.multiplyExact(elements, dtype.bytes());
        } catch (ArithmeticException e) {
            throw new ConvertException(where + ": shape " + Arrays.toString(shape) + " overflows the byte size");
        }
        if (end - begin != want) {
            throw new ConvertException(where + ": data_offsets [" + begin + ", " + end + "] hold " + (end - begin)
                    + " bytes, but " + dtype + " " + Arrays.toString(shape) + " needs " + want);
        }
        return new Tensor(name, dtype, shape, begin, end);
    }

    private static long[] readLongs(JsonReader r, String where, String field, int max) throws IOException {
        if (r.peek() != JsonToken.BEGIN_ARRAY) {
            throw new ConvertException(where + ": " + field + " must be an array, is " + r.peek());
        }
        List<Long> out = new ArrayList<>();
        r.beginArray();
        while (r.hasNext()) {
            if (out.size() == max) {
                throw new ConvertException(where + ": " + field + " has more than " + max + " values");
            }
            if (r.peek() != JsonToken.NUMBER) {
                throw new ConvertException(where + ": " + field + " values must be integers, found " + r.peek());
            }
            String raw = r.nextString();
            long v;
            try {
                v = Long.parseLong(raw);
            } catch (NumberFormatException e) {
                throw new ConvertException(where + ": " + field + " value " + abbreviate(raw)
                        + " is not an integer in [0, 2^63)");
            }
            if (v < 0) {
                throw new ConvertException(where + ": " + field + " value " + v + " is negative");
            }
            out.add(v);
        }
        r.endArray();
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    private static void checkOverlaps(java.util.Collection<Tensor> all, String source) throws ConvertException {
        List<Tensor> sorted = new ArrayList<>(all);
        sorted.removeIf(t -> t.begin() == t.end());
        sorted.sort(Comparator.comparingLong(Tensor::begin));
        for (int i = 1; i < sorted.size(); i++) {
            Tensor a = sorted.get(i - 1);
            Tensor b = sorted.get(i);
            if (b.begin() < a.end()) {
                throw new ConvertException(source + ": tensor '" + b.name() + "' [" + b.begin() + ", " + b.end()
                        + ") overlaps tensor '" + a.name() + "' [" + a.begin() + ", " + a.end() + ")");
            }
        }
    }

    /** The file. */
    public Path path() {
        return path;
    }

    /** The tensors, in header order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The {@code __metadata__} strings (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The tensor named {@code name}, or null. */
    public Tensor tensor(String name) {
        return tensors.get(name);
    }

    /** The mapped bytes of {@code t} (a view of the file; valid until {@link #close()}). */
    public MemorySegment data(Tensor t) {
        if (tensors.get(t.name()) != t) {
            throw new IllegalArgumentException("tensor '" + t.name() + "' is not in " + source);
        }
        if (arena == null) {
            throw new IllegalStateException(source + " is closed");
        }
        return map.asSlice(dataStart + t.begin(), t.end() - t.begin());
    }

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * The values of {@code t} as floats (F16 and BF16 widened exactly), in file order.
     *
     * @throws ConvertException if it has more than {@code Integer.MAX_VALUE - 8} elements
     */
    public float[] readFloats(Tensor t) throws ConvertException {
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new ConvertException(source + ": tensor '" + t.name() + "' has " + n
                    + " elements, more than one Java array holds");
        }
        MemorySegment s = data(t);
        float[] out = new float[(int) n];
        switch (t.dtype()) {
            case F32 -> MemorySegment.copy(s, F32, 0, out, 0, out.length);
            case F16 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = Float.float16ToFloat(s.get(I16, 2L * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = Float.intBitsToFloat((s.get(I16, 2L * i) & 0xFFFF) << 16);
                }
            }
        }
        return out;
    }

    /**
     * Reads {@code n} values of {@code t} from element {@code first} (file order) into
     * {@code dst[dstOff..dstOff+n)}, widening F16 and BF16 exactly: a row at a time, so that a tensor
     * is never on the heap as a whole.
     */
    public void readFloats(Tensor t, long first, float[] dst, int dstOff, int n) {
        if (first < 0 || n < 0 || first > t.elementCount() - n || dstOff < 0 || dstOff > dst.length - n) {
            throw new IndexOutOfBoundsException("elements [" + first + ", " + (first + n) + ") of " + t);
        }
        if (tensors.get(t.name()) != t) {
            throw new IllegalArgumentException("tensor '" + t.name() + "' is not in " + source);
        }
        if (arena == null) {
            throw new IllegalStateException(source + " is closed");
        }
        long base = dataStart + t.begin(); // no slice per row: rows are read in the millions
        switch (t.dtype()) {
            case F32 -> MemorySegment.copy(map, F32, base + 4 * first, dst, dstOff, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOff + i] = Float.float16ToFloat(map.get(I16, base + 2 * (first + i)));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOff + i] = Float.intBitsToFloat((map.get(I16, base + 2 * (first + i)) & 0xFFFF) << 16);
                }
            }
        }
    }

    /** Unmaps the file; idempotent. */
    @Override
    public synchronized void close() {
        if (arena != null) {
            Arena a = arena;
            arena = null;
            a.close();
        }
    }
}
