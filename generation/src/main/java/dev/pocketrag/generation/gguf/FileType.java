package dev.pocketrag.generation.gguf;

import java.util.Locale;

/**
 * The value of {@code general.file_type}: llama.cpp's {@code llama_ftype}, the quantization a whole
 * model file was made with (most weights get {@link #defaultType()}; which tensors get other types is
 * decided per tensor when quantizing). Only the file types pocketrag can produce are listed.
 */
public enum FileType {
    ALL_F32(0, GgmlType.F32),
    F16(1, GgmlType.F16),
    Q4_0(2, GgmlType.Q4_0),
    Q4_1(3, GgmlType.Q4_1),
    Q8_0(7, GgmlType.Q8_0),
    Q5_0(8, GgmlType.Q5_0),
    Q5_1(9, GgmlType.Q5_1),
    Q4_K_S(14, GgmlType.Q4_K),
    Q4_K_M(15, GgmlType.Q4_K),
    Q5_K_S(16, GgmlType.Q5_K),
    Q5_K_M(17, GgmlType.Q5_K),
    Q6_K(18, GgmlType.Q6_K),
    BF16(32, GgmlType.BF16);

    private final int id;
    private final GgmlType defaultType;

    FileType(int id, GgmlType defaultType) {
        this.id = id;
        this.defaultType = defaultType;
    }

    /** The value stored in {@code general.file_type}. */
    public int id() {
        return id;
    }

    /** The type most weights get. */
    public GgmlType defaultType() {
        return defaultType;
    }

    /** Parses a name like {@code Q4_K_M} or {@code q8_0} (case-insensitive; "F32" = ALL_F32). */
    public static FileType parse(String s) {
        String u = s.trim().toUpperCase(Locale.ROOT);
        if (u.equals("F32")) {
            return ALL_F32;
        }
        for (FileType t : values()) {
            if (t.name().equals(u)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown quantization type '" + s + "'; allowed: F32, F16, BF16, "
                + "Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K");
    }
}
