package dev.pocketrag.generation.gguf;

import java.util.Optional;

/**
 * The ggml tensor types a GGUF file may declare, with ggml's numeric id, block size (elements per
 * block) and block byte size ({@code ggml_type_traits} in ggml/src/ggml.c). A tensor of type
 * {@code T} and shape {@code ne[0..3]} occupies
 * {@code ne[0] / blockSize * typeSize * ne[1] * ne[2] * ne[3]} bytes, and {@code ne[0]} must be a
 * multiple of {@code blockSize}.
 *
 * <p>Every type ggml knows is listed so that {@code inspect} can describe any file; whether this
 * library can decode a type is {@link #isSupported()} (the ones with a block codec in this
 * package). Ids 4, 5 (old Q4_2/Q4_3), 31..33 and 36..38 (removed repacked layouts) are not types.
 */
public enum GgmlType {
    F32(0, 1, 4, true),
    F16(1, 1, 2, true),
    Q4_0(2, 32, 18, true),
    Q4_1(3, 32, 20, true),
    Q5_0(6, 32, 22, true),
    Q5_1(7, 32, 24, true),
    Q8_0(8, 32, 34, true),
    Q8_1(9, 32, 36, false),
    Q2_K(10, 256, 84, true),
    Q3_K(11, 256, 110, true),
    Q4_K(12, 256, 144, true),
    Q5_K(13, 256, 176, true),
    Q6_K(14, 256, 210, true),
    Q8_K(15, 256, 292, false),
    IQ2_XXS(16, 256, 66, false),
    IQ2_XS(17, 256, 74, false),
    IQ3_XXS(18, 256, 98, false),
    IQ1_S(19, 256, 50, false),
    IQ4_NL(20, 32, 18, true),
    IQ3_S(21, 256, 110, false),
    IQ2_S(22, 256, 82, false),
    IQ4_XS(23, 256, 136, true),
    I8(24, 1, 1, false),
    I16(25, 1, 2, false),
    I32(26, 1, 4, false),
    I64(27, 1, 8, false),
    F64(28, 1, 8, false),
    IQ1_M(29, 256, 56, false),
    BF16(30, 1, 2, true),
    TQ1_0(34, 256, 54, false),
    TQ2_0(35, 256, 66, false),
    MXFP4(39, 32, 17, false);

    private static final GgmlType[] BY_ID = new GgmlType[40];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int typeSize;
    private final boolean supported;

    GgmlType(int id, int blockSize, int typeSize, boolean supported) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
        this.supported = supported;
    }

    /** ggml's enum value ({@code GGML_TYPE_*}), as stored in a GGUF tensor info. */
    public int id() {
        return id;
    }

    /** Elements per block (1 for plain types, 32 or 256 for quantized types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int typeSize() {
        return typeSize;
    }

    /** Whether this library can dequantize (and for some types quantize) this type. */
    public boolean isSupported() {
        return supported;
    }

    /** Whether this is a block-quantized type (block size greater than one). */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /**
     * Bytes of one row of {@code n} elements.
     *
     * @throws IllegalArgumentException if {@code n} is negative or not a multiple of the block size
     */
    public long rowBytes(long n) {
        if (n < 0 || n % blockSize != 0) {
            throw new IllegalArgumentException(
                    "row length " + n + " is not a non-negative multiple of the block size " + blockSize + " of " + this);
        }
        return (n / blockSize) * typeSize;
    }

    /** The type with ggml id {@code id}, or empty for an id that is not (or no longer) a ggml type. */
    public static Optional<GgmlType> byId(long id) {
        if (id < 0 || id >= BY_ID.length) {
            return Optional.empty();
        }
        return Optional.ofNullable(BY_ID[(int) id]);
    }

    /** The type named {@code name} (case-insensitive, e.g. {@code "q4_k"}), or empty. */
    public static Optional<GgmlType> byName(String name) {
        for (GgmlType t : values()) {
            if (t.name().equalsIgnoreCase(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
