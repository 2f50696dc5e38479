package dev.pocketrag.generation.gguf;

import java.util.Optional;

/**
 * The value types of GGUF metadata ({@code enum gguf_type} in ggml/include/gguf.h), with their id
 * and the byte size of one scalar value (0 for {@link #STRING} and {@link #ARRAY}, which are
 * variable-length).
 */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, 0),
    ARRAY(9, 0),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = values();

    private final int id;
    private final int size;

    GgufValueType(int id, int size) {
        this.id = id;
        this.size = size;
    }

    /** The id stored in the file. */
    public int id() {
        return id;
    }

    /** Bytes of one value, or 0 for the variable-length STRING and ARRAY. */
    public int size() {
        return size;
    }

    /** Smallest number of bytes one value of this type occupies in a file. */
    public int minEncodedSize() {
        return switch (this) {
            case STRING -> 8; // u64 length, possibly empty
            case ARRAY -> 12; // u32 element type + u64 count
            default -> size;
        };
    }

    /** Whether values of this type are integers (signed or unsigned, any width). */
    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** The type with this id, or empty if the id is out of range. */
    public static Optional<GgufValueType> byId(long id) {
        return id >= 0 && id < BY_ID.length ? Optional.of(BY_ID[(int) id]) : Optional.empty();
    }
}
