package dev.pocketrag.generation.gguf;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One GGUF metadata value: its type, for arrays the element type, and the Java value.
 *
 * <p>Java representation ({@code value()}), exact bits of the file, unsigned types kept in the
 * signed Java type of the same width (read them with the typed getters of {@link GgufMetadata},
 * which interpret unsigned values correctly):
 * <table>
 * <caption>Java types</caption>
 * <tr><th>type</th><th>scalar</th><th>array</th></tr>
 * <tr><td>UINT8, INT8</td><td>Byte</td><td>byte[]</td></tr>
 * <tr><td>UINT16, INT16</td><td>Short</td><td>short[]</td></tr>
 * <tr><td>UINT32, INT32</td><td>Integer</td><td>int[]</td></tr>
 * <tr><td>UINT64, INT64</td><td>Long</td><td>long[]</td></tr>
 * <tr><td>FLOAT32</td><td>Float</td><td>float[]</td></tr>
 * <tr><td>FLOAT64</td><td>Double</td><td>double[]</td></tr>
 * <tr><td>BOOL</td><td>Boolean</td><td>boolean[]</td></tr>
 * <tr><td>STRING</td><td>String</td><td>String[]</td></tr>
 * </table>
 * Arrays of arrays do not exist in GGUF files ggml accepts, so they are rejected here too.
 * Array values are shared, not copied: never modify an array obtained from {@link #value()}.
 *
 * @param type        the value type; {@link GgufValueType#ARRAY} for arrays
 * @param elementType for arrays the element type (never ARRAY), otherwise null
 * @param value       the value, of the Java class in the table above
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        if (type == GgufValueType.ARRAY) {
            Objects.requireNonNull(elementType, "elementType of an array");
            if (elementType == GgufValueType.ARRAY) {
                throw new IllegalArgumentException("arrays of arrays are not supported by GGUF readers");
            }
            Class<?> want = arrayClass(elementType);
            if (value.getClass() != want) {
                throw new IllegalArgumentException("array of " + elementType + " needs a " + want.getSimpleName()
                        + ", got " + value.getClass().getSimpleName());
            }
            if (value instanceof String[] s) {
                for (int i = 0; i < s.length; i++) {
                    if (s[i] == null) {
                        throw new IllegalArgumentException("string array element " + i + " is null");
                    }
                }
            }
        } else {
            if (elementType != null) {
                throw new IllegalArgumentException("elementType must be null for a scalar " + type);
            }
            Class<?> want = scalarClass(type);
            if (value.getClass() != want) {
                throw new IllegalArgumentException(type + " needs a " + want.getSimpleName()
                        + ", got " + value.getClass().getSimpleName());
            }
        }
    }

    // ---- factories ----
    public static GgufValue ofUint8(int v) {
        return new GgufValue(GgufValueType.UINT8, null, (byte) checkRange(v, 0, 0xFF, "UINT8"));
    }

    public static GgufValue ofInt8(int v) {
        return new GgufValue(GgufValueType.INT8, null, (byte) checkRange(v, Byte.MIN_VALUE, Byte.MAX_VALUE, "INT8"));
    }

    public static GgufValue ofUint16(int v) {
        return new GgufValue(GgufValueType.UINT16, null, (short) checkRange(v, 0, 0xFFFF, "UINT16"));
    }

    public static GgufValue ofInt16(int v) {
        return new GgufValue(GgufValueType.INT16, null,
                (short) checkRange(v, Short.MIN_VALUE, Short.MAX_VALUE, "INT16"));
    }

    /** A UINT32 value; {@code v} must be in [0, 2^32). */
    public static GgufValue ofUint32(long v) {
        return new GgufValue(GgufValueType.UINT32, null, (int) checkRange(v, 0, 0xFFFF_FFFFL, "UINT32"));
    }

    public static GgufValue ofInt32(int v) {
        return new GgufValue(GgufValueType.INT32, null, v);
    }

    /** A UINT64 value holding the bits of {@code v} (values of 2^63 and more are negative longs). */
    public static GgufValue ofUint64(long v) {
        return new GgufValue(GgufValueType.UINT64, null, v);
    }

    public static GgufValue ofInt64(long v) {
        return new GgufValue(GgufValueType.INT64, null, v);
    }

    public static GgufValue ofFloat32(float v) {
        return new GgufValue(GgufValueType.FLOAT32, null, v);
    }

    public static GgufValue ofFloat64(double v) {
        return new GgufValue(GgufValueType.FLOAT64, null, v);
    }

    public static GgufValue ofBool(boolean v) {
        return new GgufValue(GgufValueType.BOOL, null, v);
    }

    public static GgufValue ofString(String v) {
        return new GgufValue(GgufValueType.STRING, null, v);
    }

    /** An array of {@code elementType}; {@code array} is used as is (not copied). */
    public static GgufValue ofArray(GgufValueType elementType, Object array) {
        return new GgufValue(GgufValueType.ARRAY, elementType, array);
    }

    public static GgufValue ofStrings(List<String> strings) {
        return ofArray(GgufValueType.STRING, strings.toArray(new String[0]));
    }

    public static GgufValue ofInt32s(int... v) {
        return ofArray(GgufValueType.INT32, v);
    }

    public static GgufValue ofFloat32s(float... v) {
        return ofArray(GgufValueType.FLOAT32, v);
    }

    // ---- accessors ----

    /** Whether this is an array value. */
    public boolean isArray() {
        return type == GgufValueType.ARRAY;
    }

    /** Number of elements of an array value (1 for a scalar). */
    public int length() {
        return isArray() ? java.lang.reflect.Array.getLength(value) : 1;
    }

    /** For a STRING array, an unmodifiable list view of its elements (no copy). */
    public List<String> asStringList() {
        if (!(value instanceof String[] s)) {
            throw new IllegalStateException("not a string array: " + describeType());
        }
        return Collections.unmodifiableList(Arrays.asList(s));
    }

    /** "UINT32" or "ARRAY[STRING]". */
    public String describeType() {
        return isArray() ? "ARRAY[" + elementType + "]" : type.name();
    }

    /** A short human-readable rendering: scalars in full, arrays summarised beyond {@code maxElements}. */
    public String toDisplayString(int maxElements) {
        if (!isArray()) {
            return scalarToString(type, value);
        }
        int n = length();
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < Math.min(n, maxElements); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            Object e = java.lang.reflect.Array.get(value, i);
            sb.append(elementType == GgufValueType.STRING ? '"' + e.toString() + '"' : scalarToString(elementType, e));
        }
        if (n > maxElements) {
            sb.append(", ... (").append(n).append(" elements)");
        }
        return sb.append(']').toString();
    }

    @Override
    public String toString() {
        return describeType() + " " + toDisplayString(8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufValue v && type == v.type && elementType == v.elementType
                && Objects.deepEquals(value, v.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, elementType, Arrays.deepHashCode(new Object[] {value}));
    }

    static String scalarToString(GgufValueType t, Object v) {
        return switch (t) {
            case UINT8 -> Integer.toString(Byte.toUnsignedInt((Byte) v));
            case UINT16 -> Integer.toString(Short.toUnsignedInt((Short) v));
            case UINT32 -> Integer.toUnsignedString((Integer) v);
            case UINT64 -> Long.toUnsignedString((Long) v);
            case STRING -> (String) v;
            default -> String.valueOf(v);
        };
    }

    static Class<?> scalarClass(GgufValueType t) {
        return switch (t) {
            case UINT8, INT8 -> Byte.class;
            case UINT16, INT16 -> Short.class;
            case UINT32, INT32 -> Integer.class;
            case UINT64, INT64 -> Long.class;
            case FLOAT32 -> Float.class;
            case FLOAT64 -> Double.class;
            case BOOL -> Boolean.class;
            case STRING -> String.class;
            case ARRAY -> throw new IllegalArgumentException("ARRAY is not a scalar type");
        };
    }

    static Class<?> arrayClass(GgufValueType t) {
        return switch (t) {
            case UINT8, INT8 -> byte[].class;
            case UINT16, INT16 -> short[].class;
            case UINT32, INT32 -> int[].class;
            case UINT64, INT64 -> long[].class;
            case FLOAT32 -> float[].class;
            case FLOAT64 -> double[].class;
            case BOOL -> boolean[].class;
            case STRING -> String[].class;
            case ARRAY -> throw new IllegalArgumentException("arrays of arrays are not supported");
        };
    }

    private static long checkRange(long v, long min, long max, String what) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(what + " value " + v + " out of range [" + min + ", " + max + "]");
        }
        return v;
    }
}
