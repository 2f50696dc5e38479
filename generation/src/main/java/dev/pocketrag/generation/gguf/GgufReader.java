package dev.pocketrag.generation.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses and validates the header of a GGUF file held in a {@link MemorySegment} (usually the
 * read-only mapping made by {@link GgufFile#open}). The layout is documented on {@link GgufFile}.
 *
 * <p>Every length, count, dimension, type id and offset is checked against the bytes remaining
 * and against overflow before it is used; a count is never used to size an allocation before the
 * bytes it claims have been shown to exist, and variable-length arrays grow only as elements are
 * actually read. Any violation throws {@link GgufFormatException} naming the field, the value and
 * its file offset; no other exception escapes for any input bytes.
 */
public final class GgufReader {
    /** "GGUF" read as a little-endian u32. */
    public static final int MAGIC = 0x4655_4747;
    /** Alignment used when {@code general.alignment} is absent. */
    public static final int DEFAULT_ALIGNMENT = 32;
    /** Longest string accepted (1 GiB), whatever the file size. */
    public static final long MAX_STRING_BYTES = 1L << 30;
    /** Key holding the alignment. */
    public static final String ALIGNMENT_KEY = "general.alignment";

    /** Minimum bytes of one key/value pair: key length u64, type u32, one byte of value. */
    static final int MIN_KV_BYTES = 8 + 4 + 1;
    /** Minimum bytes of one tensor info: name length, n_dims, one dim, type, offset. */
    static final int MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment seg;
    private final long size;
    private final String source;
    private long pos;

    private GgufReader(MemorySegment seg, String source) {
        this.seg = seg;
        this.size = seg.byteSize();
        this.source = source;
    }

    /**
     * Parses the header of the GGUF file in {@code seg}.
     *
     * @param seg    the whole file
     * @param source the file name, used in error messages
     * @throws GgufFormatException if the bytes are not a valid GGUF v2/v3 file
     */
    public static GgufHeader parse(MemorySegment seg, String source) {
        return new GgufReader(seg, source).header();
    }

    private GgufHeader header() {
        if (size < 4) {
            throw new GgufFormatException(source + " is not a GGUF file (" + size + " bytes, too short for the magic)",
                    source, "magic", "(" + size + " bytes)", 0);
        }
        int magic = seg.get(U32, 0);
        if (magic != MAGIC) {
            throw new GgufFormatException(source + " is not a GGUF file (magic " + describeMagic(0) + " at offset 0,"
                    + " expected \"GGUF\")", source, "magic", describeMagic(0), 0);
        }
        pos = 4;
        long vOff = pos;
        int version = u32("version");
        if (version != 2 && version != 3) {
            String why = Integer.reverseBytes(version) >= 1 && Integer.reverseBytes(version) <= 3
                    ? "byte-swapped version: a big-endian GGUF file, only little-endian is supported"
                    : version == 1 ? "GGUF v1 is not supported (use v2 or v3)" : "unsupported version, must be 2 or 3";
            throw err("version", Integer.toUnsignedString(version), vOff, why);
        }
        long ntOff = pos;
        long nTensors = u64("n_tensors");
        long nkvOff = pos;
        long nKv = u64("n_kv");
        if (nTensors < 0 || nTensors > remaining() / MIN_TENSOR_INFO_BYTES) {
            throw err("n_tensors", Long.toUnsignedString(nTensors), ntOff,
                    "more tensors than the file could hold (" + remaining() + " bytes left, at least "
                            + MIN_TENSOR_INFO_BYTES + " per tensor info)");
        }
        if (nKv < 0 || nKv > remaining() / MIN_KV_BYTES) {
            throw err("n_kv", Long.toUnsignedString(nKv), nkvOff,
                    "more key/value pairs than the file could hold (" + remaining() + " bytes left, at least "
                            + MIN_KV_BYTES + " per pair)");
        }
        if (nKv * MIN_KV_BYTES + nTensors * MIN_TENSOR_INFO_BYTES > remaining()) {
            throw err("n_kv", Long.toString(nKv), nkvOff, "n_kv and n_tensors = " + nTensors
                    + " together need more than the " + remaining() + " bytes left");
        }

        // ---- key/value pairs
        LinkedHashMap<String, GgufValue> values = new LinkedHashMap<>();
        Map<String, Long> valueOffsets = new HashMap<>();
        for (long i = 0; i < nKv; i++) {
            long keyOff = pos;
            String key = string("kv[" + i + "] key", MAX_STRING_BYTES);
            String field = "kv[" + i + "] '" + key + "'";
            if (key.isEmpty()) {
                throw err("kv[" + i + "] key", "\"\"", keyOff, "empty key");
            }
            if (values.containsKey(key)) {
                throw err("kv[" + i + "] key", "'" + key + "'", keyOff, "duplicate key");
            }
            long typeOff = pos;
            int typeId = u32(field + " type");
            GgufValueType type = GgufValueType.byId(Integer.toUnsignedLong(typeId)).orElseThrow(() ->
                    err(field + " type", Integer.toUnsignedString(typeId), typeOff,
                            "value type id out of range 0.." + (GgufValueType.values().length - 1)));
            valueOffsets.put(key, pos);
            values.put(key, value(field, type));
        }
        GgufMetadata metadata = new GgufMetadata(source, values, valueOffsets);

        // ---- alignment
        long alignment = DEFAULT_ALIGNMENT;
        GgufValue a = values.get(ALIGNMENT_KEY);
        if (a != null) {
            long aOff = valueOffsets.get(ALIGNMENT_KEY);
            if (a.type() != GgufValueType.UINT32) {
                throw err(ALIGNMENT_KEY, a.describeType(), aOff, "must be UINT32");
            }
            alignment = Integer.toUnsignedLong((Integer) a.value());
            if (alignment == 0 || Long.bitCount(alignment) != 1) {
                throw err(ALIGNMENT_KEY, Long.toString(alignment), aOff, "must be a non-zero power of two");
            }
        }

        // ---- tensor infos
        List<GgufTensorInfo> tensors = new ArrayList<>((int) Math.min(nTensors, 1024));
        List<Long> offsetFieldPositions = new ArrayList<>((int) Math.min(nTensors, 1024));
        Set<String> names = new HashSet<>();
        long prevOffset = -1;
        long prevEnd = 0;
        String prevName = null;
        for (long i = 0; i < nTensors; i++) {
            long nameOff = pos;
            String name = string("tensor[" + i + "] name", GgufTensorInfo.MAX_NAME_BYTES);
            String field = "tensor[" + i + "] '" + name + "'";
            if (name.isEmpty()) {
                throw err("tensor[" + i + "] name", "\"\"", nameOff, "empty tensor name");
            }
            if (!names.add(name)) {
                throw err("tensor[" + i + "] name", "'" + name + "'", nameOff, "duplicate tensor name");
            }
            long ndOff = pos;
            int nDims = u32(field + " n_dims");
            if (nDims < 1 || nDims > GgufTensorInfo.MAX_DIMS) {
                throw err(field + " n_dims", Integer.toUnsignedString(nDims), ndOff,
                        "must be 1.." + GgufTensorInfo.MAX_DIMS);
            }
            long[] ne = {1, 1, 1, 1};
            long count = 1;
            for (int d = 0; d < nDims; d++) {
                long dOff = pos;
                ne[d] = u64(field + " ne[" + d + "]");
                if (ne[d] <= 0) {
                    throw err(field + " ne[" + d + "]", Long.toString(ne[d]), dOff, "dimension must be >= 1");
                }
                try {
                    count = Math.multiplyExact(count, ne[d]);
                } catch (ArithmeticException e) {
                    throw err(field + " ne[" + d + "]", Long.toString(ne[d]), dOff,
                            "element count overflows a 64-bit integer");
                }
            }
            long tOff = pos;
            int typeId = u32(field + " type");
            GgmlType type = GgmlType.byId(Integer.toUnsignedLong(typeId)).orElseThrow(() ->
                    err(field + " type", Integer.toUnsignedString(typeId), tOff, "unknown ggml tensor type id"));
            if (ne[0] % type.blockSize() != 0) {
                throw err(field + " ne[0]", Long.toString(ne[0]), tOff,
                        "not a multiple of the block size " + type.blockSize() + " of type " + type);
            }
            long byteSize;
            try {
                byteSize = GgufTensorInfo.byteSize(type, ne);
            } catch (ArithmeticException e) {
                throw err(field + " byte size", type + " " + java.util.Arrays.toString(java.util.Arrays.copyOf(ne, nDims)),
                        tOff, "byte size overflows a 64-bit integer");
            }
            long oOff = pos;
            long offset = u64(field + " offset");
            if (offset < 0) {
                throw err(field + " offset", Long.toUnsignedString(offset), oOff, "offset past the end of the file");
            }
            if (offset % alignment != 0) {
                throw err(field + " offset", Long.toString(offset), oOff,
                        "not a multiple of the alignment " + alignment);
            }
            if (offset < prevOffset) {
                throw err(field + " offset", Long.toString(offset), oOff,
                        "out of order: before the offset " + prevOffset + " of tensor '" + prevName + "'");
            }
            if (offset < prevEnd) {
                throw err(field + " offset", Long.toString(offset), oOff,
                        "overlaps tensor '" + prevName + "' which ends at " + prevEnd);
            }
            if (offset > size || byteSize > size - offset) {
                throw err(field + " offset", Long.toString(offset), oOff,
                        "offset + size " + byteSize + " is past the end of the file (" + size + " bytes)");
            }
            prevOffset = offset;
            prevEnd = offset + byteSize;
            prevName = name;
            tensors.add(new GgufTensorInfo(name, type, nDims, ne, offset, byteSize));
            offsetFieldPositions.add(oOff);
        }

        // ---- data section
        long dataOffset = alignUp(pos, alignment);
        if (!tensors.isEmpty()) {
            if (dataOffset > size) {
                throw err("data section", Long.toString(dataOffset), pos,
                        "starts past the end of the file (" + size + " bytes); tensors declare " + prevEnd
                                + " bytes of data");
            }
            for (int i = 0; i < tensors.size(); i++) {
                GgufTensorInfo t = tensors.get(i);
                if (t.offset() + t.byteSize() > size - dataOffset) {
                    throw err("tensor[" + i + "] '" + t.name() + "' offset", Long.toString(t.offset()),
                            offsetFieldPositions.get(i), "data [" + (dataOffset + t.offset()) + ", "
                                    + (dataOffset + t.offset() + t.byteSize()) + ") is past the end of the file ("
                                    + size + " bytes): the data section has " + (size - dataOffset)
                                    + " bytes, tensors declare " + prevEnd);
                }
            }
        }
        return new GgufHeader(version, alignment, metadata, tensors, dataOffset, size);
    }

    // ------------------------------------------------------------------ values

    private GgufValue value(String field, GgufValueType type) {
        long off = pos;
        return switch (type) {
            case UINT8, INT8 -> new GgufValue(type, null, (byte) u8(field));
            case UINT16, INT16 -> {
                need(2, field);
                short v = seg.get(U16, pos);
                pos += 2;
                yield new GgufValue(type, null, v);
            }
            case UINT32, INT32 -> new GgufValue(type, null, u32(field));
            case UINT64, INT64 -> new GgufValue(type, null, u64(field));
            case FLOAT32 -> {
                need(4, field);
                float v = seg.get(F32, pos);
                pos += 4;
                yield new GgufValue(type, null, v);
            }
            case FLOAT64 -> {
                need(8, field);
                double v = seg.get(F64, pos);
                pos += 8;
                yield new GgufValue(type, null, v);
            }
            case BOOL -> {
                int b = u8(field);
                if (b > 1) {
                    throw err(field, Integer.toString(b), off, "BOOL must be 0 or 1");
                }
                yield new GgufValue(type, null, b == 1);
            }
            case STRING -> new GgufValue(type, null, string(field, MAX_STRING_BYTES));
            case ARRAY -> array(field);
        };
    }

    private GgufValue array(String field) {
        long etOff = pos;
        int etId = u32(field + " array element type");
        GgufValueType et = GgufValueType.byId(Integer.toUnsignedLong(etId)).orElseThrow(() ->
                err(field + " array element type", Integer.toUnsignedString(etId), etOff,
                        "value type id out of range 0.." + (GgufValueType.values().length - 1)));
        if (et == GgufValueType.ARRAY) {
            throw err(field + " array element type", "ARRAY", etOff, "arrays of arrays are not supported");
        }
        long cOff = pos;
        long n = u64(field + " array count");
        int min = et.minEncodedSize();
        if (n < 0 || n > remaining() / min) {
            throw err(field + " array count", Long.toUnsignedString(n), cOff, "count x element size (" + min
                    + " bytes" + (et == GgufValueType.STRING ? " at least" : "") + ") exceeds the " + remaining()
                    + " bytes left in the file");
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw err(field + " array count", Long.toString(n), cOff, "arrays of more than 2^31-9 elements are not supported");
        }
        int count = (int) n;
        long p = pos;
        Object arr = switch (et) {
            case UINT8, INT8 -> {
                byte[] b = new byte[count];
                MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, p, b, 0, count);
                yield b;
            }
            case UINT16, INT16 -> {
                short[] s = new short[count];
                MemorySegment.copy(seg, U16, p, s, 0, count);
                yield s;
            }
            case UINT32, INT32 -> {
                int[] s = new int[count];
                MemorySegment.copy(seg, U32, p, s, 0, count);
                yield s;
            }
            case UINT64, INT64 -> {
                long[] s = new long[count];
                MemorySegment.copy(seg, U64, p, s, 0, count);
                yield s;
            }
            case FLOAT32 -> {
                float[] s = new float[count];
                MemorySegment.copy(seg, F32, p, s, 0, count);
                yield s;
            }
            case FLOAT64 -> {
                double[] s = new double[count];
                MemorySegment.copy(seg, F64, p, s, 0, count);
                yield s;
            }
            case BOOL -> {
                boolean[] s = new boolean[count];
                for (int i = 0; i < count; i++) {
                    byte b = seg.get(ValueLayout.JAVA_BYTE, p + i);
                    if (b != 0 && b != 1) {
                        throw err(field + "[" + i + "]", Integer.toString(b & 0xFF), p + i, "BOOL must be 0 or 1");
                    }
                    s[i] = b == 1;
                }
                yield s;
            }
            case STRING -> {
                // grows with the strings actually read: a lying count cannot allocate more than the file holds
                ArrayList<String> list = new ArrayList<>(Math.min(count, 1 << 16));
                for (int i = 0; i < count; i++) {
                    list.add(string(field + "[" + i + "]", MAX_STRING_BYTES));
                }
                yield list.toArray(new String[0]);
            }
            case ARRAY -> throw new AssertionError(et);
        };
        if (et != GgufValueType.STRING) {
            pos = p + (long) count * et.size();
        }
        return new GgufValue(GgufValueType.ARRAY, et, arr);
    }

    // ------------------------------------------------------------------ primitives

    private long remaining() {
        return size - pos;
    }

    private void need(long n, String field) {
        if (n > size - pos) {
            throw err(field, "(needs " + n + " bytes, " + (size - pos) + " left)", pos,
                    "file truncated (" + size + " bytes)");
        }
    }

    private int u8(String field) {
        need(1, field);
        return seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
    }

    private int u32(String field) {
        need(4, field);
        int v = seg.get(U32, pos);
        pos += 4;
        return v;
    }

    private long u64(String field) {
        need(8, field);
        long v = seg.get(U64, pos);
        pos += 8;
        return v;
    }

    private String string(String field, long maxBytes) {
        long lenOff = pos;
        long len = u64(field + " length");
        if (len < 0 || len > maxBytes) {
            throw err(field + " length", Long.toUnsignedString(len), lenOff,
                    maxBytes == MAX_STRING_BYTES ? "string longer than 1 GiB"
                            : "longer than the maximum of " + maxBytes + " bytes");
        }
        if (len > remaining()) {
            throw err(field + " length", Long.toString(len), lenOff,
                    "string longer than the " + remaining() + " bytes left in the file");
        }
        byte[] b = new byte[(int) len];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, b, 0, (int) len);
        pos += len;
        return new String(b, StandardCharsets.UTF_8);
    }

    private String describeMagic(long off) {
        StringBuilder sb = new StringBuilder("0x");
        StringBuilder txt = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            int b = seg.get(ValueLayout.JAVA_BYTE, off + i) & 0xFF;
            sb.append(String.format("%02x", b));
            txt.append(b >= 0x20 && b < 0x7f ? (char) b : '.');
        }
        return sb + " \"" + txt + "\"";
    }

    private GgufFormatException err(String field, String value, long offset, String problem) {
        return new GgufFormatException(source, field, value, offset, problem);
    }

    static long alignUp(long x, long alignment) {
        return (x + alignment - 1) & -alignment;
    }
}
