package dev.pocketrag.generation.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian accessors over heap block buffers and segments. */
final class Bytes {
    private Bytes() {}

    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Unsigned byte {@code b[i]}. */
    static int u8(byte[] b, int i) {
        return b[i] & 0xFF;
    }

    /** Little-endian u16 at {@code b[i]}. */
    static int u16(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8;
    }

    /** Little-endian u32 at {@code b[i]}. */
    static int u32(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF) << 16 | (b[i + 3] & 0xFF) << 24;
    }

    /** The f16 at {@code b[i]} as float. */
    static float f16(byte[] b, int i) {
        return Half.f16ToF32((short) u16(b, i));
    }

    static void putU16(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
    }

    static void putU32(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
        b[i + 2] = (byte) (v >>> 16);
        b[i + 3] = (byte) (v >>> 24);
    }

    static void putF16(byte[] b, int i, float v) {
        putU16(b, i, Half.f32ToF16(v));
    }

    /** Copies {@code b.length} bytes from {@code src} at {@code off} into {@code b}. */
    static void load(MemorySegment src, long off, byte[] b) {
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, off, b, 0, b.length);
    }

    /** Copies {@code b} into {@code dst} at {@code off}. */
    static void store(byte[] b, MemorySegment dst, long off) {
        MemorySegment.copy(b, 0, dst, ValueLayout.JAVA_BYTE, off, b.length);
    }

    static void checkMultiple(int n, int block, String type) {
        if (n < 0 || n % block != 0) {
            throw new IllegalArgumentException("n = " + n + " is not a non-negative multiple of the " + type
                    + " block size " + block);
        }
    }
}
