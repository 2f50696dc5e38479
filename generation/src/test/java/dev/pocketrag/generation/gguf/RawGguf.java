package dev.pocketrag.generation.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Builds GGUF bytes field by field, with every field overridable, so tests can make malformed
 * files that the real writer refuses to produce.
 */
final class RawGguf {
    byte[] magic = {'G', 'G', 'U', 'F'};
    int version = 3;
    Long nTensorsOverride;
    Long nKvOverride;
    long alignment = 32;
    final List<byte[]> kvs = new ArrayList<>();
    final List<byte[]> tensorInfos = new ArrayList<>();
    /** Bytes of the data section (after the padding of the header). */
    long dataBytes;
    /** Extra bytes to cut from the padding after the header, at most the padding there is. */
    int truncateIntoPadding;
    /** Bytes to cut from the end of the finished file. */
    int truncate;

    /** Little-endian byte sink. */
    static final class Le extends ByteArrayOutputStream {
        Le u8(int v) {
            write(v);
            return this;
        }

        Le u16(int v) {
            write(v);
            write(v >>> 8);
            return this;
        }

        Le u32(long v) {
            for (int i = 0; i < 4; i++) {
                write((int) (v >>> (8 * i)));
            }
            return this;
        }

        Le u64(long v) {
            for (int i = 0; i < 8; i++) {
                write((int) (v >>> (8 * i)));
            }
            return this;
        }

        Le str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            write(b, 0, b.length);
            return this;
        }

        Le raw(byte[] b) {
            write(b, 0, b.length);
            return this;
        }
    }

    RawGguf kv(String key, int type, Le value) {
        kvs.add(new Le().str(key).u32(type).raw(value.toByteArray()).toByteArray());
        return this;
    }

    RawGguf kvU32(String key, long v) {
        return kv(key, 4, new Le().u32(v));
    }

    RawGguf kvI32(String key, int v) {
        return kv(key, 5, new Le().u32(v));
    }

    RawGguf kvString(String key, String v) {
        return kv(key, 8, new Le().str(v));
    }

    RawGguf kvBool(String key, boolean v) {
        return kv(key, 7, new Le().u8(v ? 1 : 0));
    }

    RawGguf kvStrings(String key, List<String> v) {
        Le le = new Le().u32(8).u64(v.size());
        v.forEach(le::str);
        return kv(key, 9, le);
    }

    RawGguf kvFloats(String key, float[] v) {
        Le le = new Le().u32(6).u64(v.length);
        for (float f : v) {
            le.u32(Float.floatToRawIntBits(f));
        }
        return kv(key, 9, le);
    }

    RawGguf kvInts(String key, int[] v) {
        Le le = new Le().u32(5).u64(v.length);
        for (int f : v) {
            le.u32(f);
        }
        return kv(key, 9, le);
    }

    RawGguf tensor(String name, long[] ne, int type, long offset) {
        Le le = new Le().str(name).u32(ne.length);
        for (long d : ne) {
            le.u64(d);
        }
        tensorInfos.add(le.u32(type).u64(offset).toByteArray());
        return this;
    }

    RawGguf rawTensorInfo(Le le) {
        tensorInfos.add(le.toByteArray());
        return this;
    }

    byte[] build(Random rnd) {
        Le le = new Le().raw(magic).u32(version);
        le.u64(nTensorsOverride != null ? nTensorsOverride : tensorInfos.size());
        le.u64(nKvOverride != null ? nKvOverride : kvs.size());
        kvs.forEach(le::raw);
        tensorInfos.forEach(le::raw);
        int pad = 0;
        if (!tensorInfos.isEmpty()) {
            while (le.size() % alignment != 0) {
                le.u8(0);
                pad++;
            }
            byte[] data = new byte[(int) dataBytes];
            rnd.nextBytes(data);
            le.raw(data);
        }
        byte[] b = le.toByteArray();
        return java.util.Arrays.copyOf(b, b.length - truncate - Math.min(pad, truncateIntoPadding));
    }
}
