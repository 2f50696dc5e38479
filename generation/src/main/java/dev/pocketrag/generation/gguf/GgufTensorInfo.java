package dev.pocketrag.generation.gguf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor of a GGUF file: name, type, shape and where its bytes are.
 *
 * <p>Shape in ggml order: {@code ne(0)} is the contiguous row length, {@code ne(1)} the number of
 * rows, and so on; dimensions beyond {@code nDims} are 1. A "6 rows of 512" matrix has
 * {@code ne = [512, 6, 1, 1]}, {@code nDims = 2}.
 *
 * @param name     tensor name, 1..63 UTF-8 bytes
 * @param type     element type
 * @param nDims    number of dimensions stored in the file, 1..4
 * @param ne       the four dimensions (always length 4; accessor returns a copy)
 * @param offset   offset of the data relative to the start of the data section (aligned)
 * @param byteSize bytes of data: {@code ne[0]/blockSize * typeSize * ne[1] * ne[2] * ne[3]}
 */
public record GgufTensorInfo(String name, GgmlType type, int nDims, long[] ne, long offset, long byteSize) {
    /** ggml's GGML_MAX_NAME (64) minus the terminating NUL. */
    public static final int MAX_NAME_BYTES = 63;
    /** ggml's GGML_MAX_DIMS. */
    public static final int MAX_DIMS = 4;

    public GgufTensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes == 0 || nameBytes > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' has " + nameBytes
                    + " UTF-8 bytes; allowed 1.." + MAX_NAME_BYTES);
        }
        if (nDims < 1 || nDims > MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "': nDims " + nDims + " not in 1.." + MAX_DIMS);
        }
        if (ne == null || ne.length != MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "': ne must have 4 entries");
        }
        ne = ne.clone();
        for (int i = 0; i < MAX_DIMS; i++) {
            if (ne[i] < 1 || (i >= nDims && ne[i] != 1)) {
                throw new IllegalArgumentException("tensor '" + name + "': ne[" + i + "] = " + ne[i]
                        + (i >= nDims ? " must be 1 beyond nDims " + nDims : " must be >= 1"));
            }
        }
        if (offset < 0) {
            throw new IllegalArgumentException("tensor '" + name + "': offset " + offset + " < 0");
        }
        long expect = byteSize(type, ne); // throws on bad block multiple / overflow
        if (byteSize != expect) {
            throw new IllegalArgumentException("tensor '" + name + "': byteSize " + byteSize + " != " + expect);
        }
    }

    /** A tensor info with the byte size computed from type and shape; {@code dims} gives ne[0..n-1]. */
    public static GgufTensorInfo of(String name, GgmlType type, long offset, long... dims) {
        if (dims.length < 1 || dims.length > MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "': " + dims.length + " dims; allowed 1.." + MAX_DIMS);
        }
        long[] ne = {1, 1, 1, 1};
        System.arraycopy(dims, 0, ne, 0, dims.length);
        return new GgufTensorInfo(name, type, dims.length, ne, offset, byteSize(type, ne));
    }

    /** A copy with another offset. */
    public GgufTensorInfo withOffset(long newOffset) {
        return new GgufTensorInfo(name, type, nDims, ne, newOffset, byteSize);
    }

    @Override
    public long[] ne() {
        return ne.clone();
    }

    /** Dimension {@code i} (0..3). */
    public long ne(int i) {
        return ne[i];
    }

    /** The stored dimensions {@code ne[0..nDims-1]}. */
    public long[] dims() {
        return Arrays.copyOf(ne, nDims);
    }

    /** Number of elements. */
    public long elementCount() {
        return ne[0] * ne[1] * ne[2] * ne[3]; // validated not to overflow
    }

    /** Number of rows ({@code ne[1] * ne[2] * ne[3]}). */
    public long rowCount() {
        return ne[1] * ne[2] * ne[3];
    }

    /** Bytes of one row ({@code ne[0]} elements). */
    public long rowBytes() {
        return type.rowBytes(ne[0]);
    }

    /**
     * Bytes of a tensor of {@code type} and shape {@code ne}.
     *
     * @throws IllegalArgumentException if ne[0] is not a multiple of the block size
     * @throws ArithmeticException      on overflow of a long
     */
    public static long byteSize(GgmlType type, long[] ne) {
        if (ne[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("ne[0] = " + ne[0] + " is not a multiple of the block size "
                    + type.blockSize() + " of " + type);
        }
        long s = Math.multiplyExact(ne[0] / type.blockSize(), (long) type.typeSize());
        for (int i = 1; i < ne.length; i++) {
            s = Math.multiplyExact(s, ne[i]);
        }
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && type == t.type && nDims == t.nDims
                && Arrays.equals(ne, t.ne) && offset == t.offset && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, nDims, Arrays.hashCode(ne), offset, byteSize);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims()) + " @" + offset + " (" + byteSize + " B)";
    }
}
