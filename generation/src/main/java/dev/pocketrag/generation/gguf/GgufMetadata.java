package dev.pocketrag.generation.gguf;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * GGUF metadata: key/value pairs in file order, with typed getters.
 *
 * <p>Getters throw {@link GgufFormatException} when a key is missing or holds a type that cannot
 * represent the requested one (naming the key, its type and the file offset of its value); the
 * variants with a default return the default only when the key is absent, never when its type is
 * wrong. Integer getters accept every integer width, signed or unsigned, as long as the value fits.
 *
 * <p>Instances read from a file are immutable; {@link #builder()} makes new ones (for writing).
 */
public final class GgufMetadata {
    private final String source;
    private final Map<String, GgufValue> values;
    private final Map<String, Long> offsets;

    GgufMetadata(String source, LinkedHashMap<String, GgufValue> values, Map<String, Long> offsets) {
        this.source = source;
        this.values = Collections.unmodifiableMap(values);
        this.offsets = offsets;
    }

    /** An empty builder (insertion order is the file order when written). */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting with all the entries of this metadata, in order. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.values.putAll(values);
        return b;
    }

    /** Whether {@code key} is present. */
    public boolean has(String key) {
        return values.containsKey(key);
    }

    /** The keys in file order. */
    public Set<String> keys() {
        return values.keySet();
    }

    /** All entries, in file order (unmodifiable). */
    public Map<String, GgufValue> asMap() {
        return values;
    }

    /** Number of key/value pairs. */
    public int size() {
        return values.size();
    }

    /** The raw value, or empty. */
    public Optional<GgufValue> find(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /** The raw value; throws {@link GgufFormatException} when absent. */
    public GgufValue get(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            throw new GgufFormatException(source, "key '" + key + "'", "(absent)", -1, "required key is missing");
        }
        return v;
    }

    /** File offset of the value of {@code key} (after the type id), or -1 (absent or not read from a file). */
    public long offsetOf(String key) {
        Long o = offsets.get(key);
        return o == null ? -1 : o;
    }

    /** The type of {@code key}'s value, or empty if absent. */
    public Optional<GgufValueType> typeOf(String key) {
        return find(key).map(GgufValue::type);
    }

    // ---------------------------------------------------------------- scalars

    public String getString(String key) {
        GgufValue v = get(key);
        if (v.type() != GgufValueType.STRING) {
            throw wrongType(key, v, "STRING");
        }
        return (String) v.value();
    }

    public String getString(String key, String defaultValue) {
        return has(key) ? getString(key) : defaultValue;
    }

    /** Any integer type whose value fits a long (UINT64 up to 2^63-1). */
    public long getLong(String key) {
        GgufValue v = get(key);
        if (v.isArray() || !v.type().isInteger()) {
            throw wrongType(key, v, "an integer");
        }
        long x = toLong(v.type(), v.value());
        if (v.type() == GgufValueType.UINT64 && x < 0) {
            throw new GgufFormatException(source, "key '" + key + "'", Long.toUnsignedString(x), offsetOf(key),
                    "does not fit a signed 64-bit integer");
        }
        return x;
    }

    public long getLong(String key, long defaultValue) {
        return has(key) ? getLong(key) : defaultValue;
    }

    /** Any integer type whose value fits an int. */
    public int getInt(String key) {
        long x = getLong(key);
        if (x < Integer.MIN_VALUE || x > Integer.MAX_VALUE) {
            throw new GgufFormatException(source, "key '" + key + "'", Long.toString(x), offsetOf(key),
                    "does not fit a 32-bit integer");
        }
        return (int) x;
    }

    public int getInt(String key, int defaultValue) {
        return has(key) ? getInt(key) : defaultValue;
    }

    /** FLOAT32 or FLOAT64 (narrowed), or an integer (converted). */
    public float getFloat(String key) {
        return (float) getDouble(key);
    }

    public float getFloat(String key, float defaultValue) {
        return has(key) ? getFloat(key) : defaultValue;
    }

    /** FLOAT64 or FLOAT32 (widened exactly), or an integer (converted). */
    public double getDouble(String key) {
        GgufValue v = get(key);
        if (v.isArray()) {
            throw wrongType(key, v, "a number");
        }
        return switch (v.type()) {
            case FLOAT32 -> (Float) v.value();
            case FLOAT64 -> (Double) v.value();
            case UINT64 -> {
                long x = (Long) v.value();
                yield x >= 0 ? x : Double.parseDouble(Long.toUnsignedString(x));
            }
            default -> {
                if (!v.type().isInteger()) {
                    throw wrongType(key, v, "a number");
                }
                yield toLong(v.type(), v.value());
            }
        };
    }

    public double getDouble(String key, double defaultValue) {
        return has(key) ? getDouble(key) : defaultValue;
    }

    /** A BOOL value. */
    public boolean getBool(String key) {
        GgufValue v = get(key);
        if (v.type() != GgufValueType.BOOL) {
            throw wrongType(key, v, "BOOL");
        }
        return (Boolean) v.value();
    }

    public boolean getBool(String key, boolean defaultValue) {
        return has(key) ? getBool(key) : defaultValue;
    }

    /**
     * A special token id such as {@code tokenizer.ggml.bos_token_id}: empty when absent or when it holds
     * llama.cpp's "no token" value (-1 in the key's integer width, e.g. UINT32 0xFFFFFFFF). Ids of files
     * opened with {@code Gguf.open} are validated to lie inside the vocabulary.
     */
    public OptionalInt getTokenId(String key) {
        if (!has(key)) {
            return OptionalInt.empty();
        }
        GgufValue v = get(key);
        if (v.isArray() || !v.type().isInteger()) {
            throw wrongType(key, v, "an integer token id");
        }
        long id = toLong(v.type(), v.value());
        if (isNoToken(v.type(), id)) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(getInt(key));
    }

    /** Whether {@code id} (read as {@link #toLong}) is -1 in the width of {@code t}. */
    static boolean isNoToken(GgufValueType t, long id) {
        return switch (t) {
            case UINT8 -> id == 0xFFL;
            case UINT16 -> id == 0xFFFFL;
            case UINT32 -> id == 0xFFFF_FFFFL;
            default -> id == -1;
        };
    }

    // ---------------------------------------------------------------- arrays

    /** Number of elements of the array at {@code key}. */
    public int getArrayLength(String key) {
        GgufValue v = get(key);
        if (!v.isArray()) {
            throw wrongType(key, v, "an array");
        }
        return v.length();
    }

    /** A STRING array as an unmodifiable list (no copy). */
    public List<String> getStringList(String key) {
        GgufValue v = get(key);
        if (!v.isArray() || v.elementType() != GgufValueType.STRING) {
            throw wrongType(key, v, "ARRAY[STRING]");
        }
        return v.asStringList();
    }

    /** A STRING array (a copy). */
    public String[] getStringArray(String key) {
        return getStringList(key).toArray(new String[0]);
    }

    /** A FLOAT32 array (a copy); FLOAT64 arrays are narrowed. */
    public float[] getFloatArray(String key) {
        GgufValue v = get(key);
        if (v.isArray() && v.elementType() == GgufValueType.FLOAT32) {
            return ((float[]) v.value()).clone();
        }
        if (v.isArray() && v.elementType() == GgufValueType.FLOAT64) {
            double[] d = (double[]) v.value();
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                f[i] = (float) d[i];
            }
            return f;
        }
        throw wrongType(key, v, "ARRAY[FLOAT32]");
    }

    /**
     * An integer array as int[] (a copy): INT32 as is; INT8/UINT8/INT16/UINT16 widened; UINT32, INT64 and
     * UINT64 elements must fit an int.
     */
    public int[] getIntArray(String key) {
        GgufValue v = get(key);
        if (!v.isArray() || !v.elementType().isInteger()) {
            throw wrongType(key, v, "an integer array");
        }
        int n = v.length();
        int[] out = new int[n];
        Object a = v.value();
        GgufValueType et = v.elementType();
        for (int i = 0; i < n; i++) {
            long x = elementAsLong(et, a, i);
            if (x < Integer.MIN_VALUE || x > Integer.MAX_VALUE || (et == GgufValueType.UINT64 && x < 0)) {
                throw new GgufFormatException(source, "key '" + key + "'[" + i + "]",
                        et == GgufValueType.UINT64 ? Long.toUnsignedString(x) : Long.toString(x), offsetOf(key),
                        "does not fit a 32-bit integer");
            }
            out[i] = (int) x;
        }
        return out;
    }

    /** An integer array as long[] (a copy); UINT64 elements of 2^63 and more are rejected. */
    public long[] getLongArray(String key) {
        GgufValue v = get(key);
        if (!v.isArray() || !v.elementType().isInteger()) {
            throw wrongType(key, v, "an integer array");
        }
        int n = v.length();
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = elementAsLong(v.elementType(), v.value(), i);
            if (v.elementType() == GgufValueType.UINT64 && out[i] < 0) {
                throw new GgufFormatException(source, "key '" + key + "'[" + i + "]", Long.toUnsignedString(out[i]),
                        offsetOf(key), "does not fit a signed 64-bit integer");
            }
        }
        return out;
    }

    private GgufFormatException wrongType(String key, GgufValue v, String wanted) {
        return new GgufFormatException(source, "key '" + key + "'", v.describeType(), offsetOf(key),
                "expected " + wanted);
    }

    static long toLong(GgufValueType t, Object v) {
        return switch (t) {
            case UINT8 -> Byte.toUnsignedLong((Byte) v);
            case INT8 -> (Byte) v;
            case UINT16 -> Short.toUnsignedLong((Short) v);
            case INT16 -> (Short) v;
            case UINT32 -> Integer.toUnsignedLong((Integer) v);
            case INT32 -> (Integer) v;
            case UINT64, INT64 -> (Long) v;
            default -> throw new IllegalArgumentException("not an integer type: " + t);
        };
    }

    static long elementAsLong(GgufValueType t, Object a, int i) {
        return switch (t) {
            case UINT8 -> Byte.toUnsignedLong(((byte[]) a)[i]);
            case INT8 -> ((byte[]) a)[i];
            case UINT16 -> Short.toUnsignedLong(((short[]) a)[i]);
            case INT16 -> ((short[]) a)[i];
            case UINT32 -> Integer.toUnsignedLong(((int[]) a)[i]);
            case INT32 -> ((int[]) a)[i];
            case UINT64, INT64 -> ((long[]) a)[i];
            default -> throw new IllegalArgumentException("not an integer type: " + t);
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufMetadata m && values.equals(m.values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return "GgufMetadata" + values.keySet();
    }

    /** Builds metadata for {@link GgufWriter}; keys keep insertion order, {@code put} replaces in place. */
    public static final class Builder {
        private final LinkedHashMap<String, GgufValue> values = new LinkedHashMap<>();

        private Builder() {}

        /** Adds or replaces {@code key} (a replaced key keeps its position). */
        public Builder put(String key, GgufValue value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            if (key.isEmpty()) {
                throw new IllegalArgumentException("empty metadata key");
            }
            values.put(key, value);
            return this;
        }

        public Builder putString(String key, String v) {
            return put(key, GgufValue.ofString(v));
        }

        public Builder putUint32(String key, long v) {
            return put(key, GgufValue.ofUint32(v));
        }

        public Builder putInt32(String key, int v) {
            return put(key, GgufValue.ofInt32(v));
        }

        public Builder putFloat32(String key, float v) {
            return put(key, GgufValue.ofFloat32(v));
        }

        public Builder putBool(String key, boolean v) {
            return put(key, GgufValue.ofBool(v));
        }

        public Builder remove(String key) {
            values.remove(key);
            return this;
        }

        public boolean has(String key) {
            return values.containsKey(key);
        }

        public GgufMetadata build() {
            return new GgufMetadata("(in memory)", new LinkedHashMap<>(values), new HashMap<>());
        }
    }
}
