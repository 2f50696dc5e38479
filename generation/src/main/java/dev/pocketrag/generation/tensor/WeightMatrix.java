package dev.pocketrag.generation.tensor;

import dev.pocketrag.generation.gguf.GgmlType;
import dev.pocketrag.generation.gguf.GgufTensorInfo;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A 2-D weight tensor used in place: {@code rows} rows of {@code cols} values of {@code type}, row
 * {@code r} at byte {@code r * rowBytes()} of {@code data} (usually a read-only slice of a mapped
 * GGUF file; nothing is copied). In ggml terms {@code cols = ne[0]}, {@code rows = ne[1]}, and
 * {@code W x} computes one output per row.
 *
 * @param name tensor name, for messages
 * @param type element type (one with a matrix-product kernel, see {@link ActivationFormat#forWeights})
 * @param data the bytes of the tensor, at least {@code rows * rowBytes()}
 * @param cols values per row (a multiple of the type's block size)
 * @param rows number of rows
 */
public record WeightMatrix(String name, GgmlType type, MemorySegment data, int cols, int rows) {
    public WeightMatrix {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        ActivationFormat.forWeights(type); // throws for types without a kernel
        if (cols < 1 || rows < 1) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + cols + " x " + rows + " must be >= 1");
        }
        if (cols % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': row length " + cols
                    + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        long need = (long) rows * type.rowBytes(cols);
        if (data.byteSize() < need) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.byteSize() + " bytes, "
                    + need + " needed for " + rows + " rows of " + cols + " " + type);
        }
    }

    /** The matrix of a 2-D GGUF tensor ({@code ne[2] = ne[3] = 1}) whose bytes are {@code data}. */
    public static WeightMatrix of(GgufTensorInfo t, MemorySegment data) {
        if (t.ne(2) != 1 || t.ne(3) != 1 || t.ne(0) > Integer.MAX_VALUE || t.ne(1) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor '" + t.name() + "' " + java.util.Arrays.toString(t.dims())
                    + " is not a matrix");
        }
        return new WeightMatrix(t.name(), t.type(), data, (int) t.ne(0), (int) t.ne(1));
    }

    /** Bytes per row. */
    public long rowBytes() {
        return type.rowBytes(cols);
    }

    /** The activation encoding the products with this matrix use. */
    public ActivationFormat activationFormat() {
        return ActivationFormat.forWeights(type);
    }

    @Override
    public String toString() {
        return name + " " + type + " [" + cols + " x " + rows + "]";
    }
}
