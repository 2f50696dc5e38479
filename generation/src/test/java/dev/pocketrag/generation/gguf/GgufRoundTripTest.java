package dev.pocketrag.generation.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.generation.Gguf;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Write -> read round trips of every metadata type, tensor layout and padding. */
class GgufRoundTripTest {
    static final long SEED = Long.getLong("tests.seed", System.nanoTime());

    static {
        System.out.println("GgufRoundTripTest seed=" + SEED);
    }

    @TempDir
    Path dir;

    static GgufMetadata everyType(Random r) {
        GgufMetadata.Builder b = GgufMetadata.builder();
        b.put("u8", GgufValue.ofUint8(255));
        b.put("i8", GgufValue.ofInt8(-128));
        b.put("u16", GgufValue.ofUint16(65535));
        b.put("i16", GgufValue.ofInt16(-32768));
        b.put("u32", GgufValue.ofUint32(0xFFFF_FFFFL));
        b.put("i32", GgufValue.ofInt32(Integer.MIN_VALUE));
        b.put("u64", GgufValue.ofUint64(-1L)); // 2^64 - 1
        b.put("i64", GgufValue.ofInt64(Long.MIN_VALUE));
        b.put("f32", GgufValue.ofFloat32(Float.intBitsToFloat(0x7fc0_1234))); // a NaN payload survives
        b.put("f64", GgufValue.ofFloat64(-0.0));
        b.put("bool.t", GgufValue.ofBool(true));
        b.put("bool.f", GgufValue.ofBool(false));
        b.put("str", GgufValue.ofString("héllo ✓ 𝄞 \u0000 end"));
        b.put("str.empty", GgufValue.ofString(""));
        int n = 1 + r.nextInt(50);
        byte[] u8 = new byte[n];
        r.nextBytes(u8);
        b.put("arr.u8", GgufValue.ofArray(GgufValueType.UINT8, u8));
        b.put("arr.i8", GgufValue.ofArray(GgufValueType.INT8, u8.clone()));
        short[] s = new short[n];
        long[] l = new long[n];
        int[] i32 = new int[n];
        float[] f = new float[n];
        double[] d = new double[n];
        boolean[] bo = new boolean[n];
        String[] strs = new String[n];
        for (int i = 0; i < n; i++) {
            s[i] = (short) r.nextInt();
            l[i] = r.nextLong();
            i32[i] = r.nextInt();
            f[i] = (float) r.nextGaussian();
            d[i] = r.nextGaussian();
            bo[i] = r.nextBoolean();
            strs[i] = "s" + r.nextInt() + (i % 3 == 0 ? "ü" : "");
        }
        b.put("arr.u16", GgufValue.ofArray(GgufValueType.UINT16, s));
        b.put("arr.i16", GgufValue.ofArray(GgufValueType.INT16, s.clone()));
        b.put("arr.u32", GgufValue.ofArray(GgufValueType.UINT32, i32));
        b.put("arr.i32", GgufValue.ofInt32s(i32.clone()));
        b.put("arr.u64", GgufValue.ofArray(GgufValueType.UINT64, l));
        b.put("arr.i64", GgufValue.ofArray(GgufValueType.INT64, l.clone()));
        b.put("arr.f32", GgufValue.ofFloat32s(f));
        b.put("arr.f64", GgufValue.ofArray(GgufValueType.FLOAT64, d));
        b.put("arr.bool", GgufValue.ofArray(GgufValueType.BOOL, bo));
        b.put("arr.str", GgufValue.ofArray(GgufValueType.STRING, strs));
        b.put("arr.empty", GgufValue.ofArray(GgufValueType.STRING, new String[0]));
        b.put("arr.empty.f32", GgufValue.ofFloat32s());
        return b.build();
    }

    @Test
    void round_trips_every_metadata_type() throws IOException {
        Random r = new Random(SEED);
        GgufMetadata m = everyType(r);
        Path p = dir.resolve("all.gguf");
        new GgufWriter().metadata(m).write(p);
        try (Gguf g = Gguf.open(p)) {
            assertEquals(3, g.version());
            assertEquals(new ArrayList<>(m.keys()), new ArrayList<>(g.keys()), "key order");
            for (String k : m.keys()) {
                assertEquals(m.get(k), g.get(k), k);
            }
            try (GgufFile f = GgufFile.open(p)) {
                assertEquals(m, f.metadata());
            }
            // typed getters interpret unsigned values
            assertEquals(255, g.getInt("u8"));
            assertEquals(-128, g.getInt("i8"));
            assertEquals(65535, g.getInt("u16"));
            assertEquals(-32768, g.getInt("i16"));
            assertEquals(0xFFFF_FFFFL, g.getLong("u32"));
            assertThrows(GgufFormatException.class, () -> g.getInt("u32"));
            assertThrows(GgufFormatException.class, () -> g.getLong("u64"));
            assertEquals(Long.MIN_VALUE, g.getLong("i64"));
            assertEquals(0x7fc0_1234, Float.floatToRawIntBits(g.getFloat("f32")));
            assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(g.getDouble("f64")));
            assertTrue(g.getBool("bool.t"));
            assertFalse(g.getBool("bool.f"));
            assertEquals("héllo ✓ 𝄞 \u0000 end", g.getString("str"));
            assertEquals("", g.getString("str.empty"));
            assertEquals(m.getStringList("arr.str"), g.getStringList("arr.str"));
            assertArrayEquals((int[]) m.get("arr.i32").value(), g.getIntArray("arr.i32"));
            assertArrayEquals((float[]) m.get("arr.f32").value(), g.getFloatArray("arr.f32"));
            assertEquals(0, g.getArrayLength("arr.empty"));
            // wrong types are named errors, defaults only for absent keys
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> g.getString("u8"));
            assertTrue(e.getMessage().contains("'u8'") && e.getMessage().contains("UINT8"), e.getMessage());
            assertThrows(GgufFormatException.class, () -> g.getString("u8", "x"));
            assertEquals("x", g.getString("absent", "x"));
            assertThrows(GgufFormatException.class, () -> g.getString("absent"));
            assertEquals(7, g.getInt("absent", 7));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 8, 32, 64, 4096})
    void round_trips_tensors_with_alignment(int alignment) throws IOException {
        Random r = new Random(SEED + alignment);
        GgmlType[] types = {GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.BF16,
                GgmlType.IQ4_XS, GgmlType.Q4_0};
        GgufWriter w = new GgufWriter().metadata(everyType(r)).alignment(alignment);
        List<byte[]> datas = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        for (int i = 0; i < types.length; i++) {
            GgmlType t = types[i];
            long[] dims = switch (i % 3) {
                case 0 -> new long[] {t.blockSize() * (1L + r.nextInt(3))};
                case 1 -> new long[] {t.blockSize() * (1L + r.nextInt(3)), 1 + r.nextInt(5)};
                default -> new long[] {t.blockSize(), 2, 3, 1 + r.nextInt(2)};
            };
            byte[] data = new byte[(int) GgufTensorInfo.of("x", t, 0, dims).byteSize()];
            r.nextBytes(data);
            w.addTensor("t" + i + "." + t, t, dims, data);
            datas.add(data);
            shapes.add(dims);
        }
        Path p = dir.resolve("t.gguf");
        w.write(p);
        try (Gguf g = Gguf.open(p)) {
            assertEquals(alignment, g.alignment());
            assertEquals(0, g.dataOffset() % alignment);
            assertEquals(types.length, g.tensors().size());
            long expectEnd = 0;
            for (int i = 0; i < types.length; i++) {
                GgufTensorInfo t = g.tensors().get(i);
                assertEquals("t" + i + "." + types[i], t.name());
                assertEquals(types[i], t.type());
                assertArrayEquals(shapes.get(i), t.dims());
                assertEquals(0, t.offset() % alignment);
                assertEquals(expectEnd, t.offset(), "tensors are packed in order, like ggml");
                assertArrayEquals(datas.get(i), g.tensorData(t).toArray(ValueLayout.JAVA_BYTE));
                expectEnd = (t.offset() + t.byteSize() + alignment - 1) / alignment * alignment;
            }
            assertEquals(g.dataOffset() + expectEnd, g.fileSize(), "every tensor padded, like gguf_write_to_file");
        }
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    /** A sparse 3 GiB file: the mapping has no 2 GiB limit and opening does not read the data. */
    @Test
    void maps_tensor_data_beyond_2_gib() throws IOException {
        Random r = new Random(SEED);
        long n = 3L << 28; // 3 x 2^28 F32 values = 3 GiB
        RawGguf g = new RawGguf();
        g.kvString("general.name", "sparse");
        g.tensor("big", new long[] {n}, 0, 0);
        byte[] header = g.build(r); // no data section yet: header padded to 32 below
        Path p = dir.resolve("sparse.gguf");
        long dataOffset = (header.length + 31) / 32 * 32;
        try (var f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            f.write(header);
            f.setLength(dataOffset + 4 * n);
            f.seek(dataOffset + 4 * (n - 1));
            f.write(new byte[] {0, 0, (byte) 0x80, 0x3f}); // 1.0f, little-endian, at byte 3 GiB - 4
        }
        long t0 = System.nanoTime();
        try (Gguf gguf = Gguf.open(p)) {
            long openNanos = System.nanoTime() - t0;
            GgufTensorInfo t = gguf.tensor("big");
            MemorySegment data = gguf.tensorData(t);
            assertEquals(4 * n, data.byteSize());
            assertEquals(1.0f, data.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN),
                    4 * (n - 1)));
            assertEquals(0.0f, data.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 4 * (n / 2)));
            System.out.println("opened a 3 GiB sparse file in " + openNanos / 1000 + " us");
        }
    }

    @Test
    void failed_write_leaves_no_file_and_keeps_the_old_one() throws IOException {
        Path p = dir.resolve("keep.gguf");
        Files.writeString(p, "old content");
        GgufWriter w = new GgufWriter().addTensor("t", GgmlType.F32, new long[] {4}, () -> {
            throw new IOException("disk on fire");
        });
        assertThrows(IOException.class, () -> w.write(p));
        assertEquals("old content", Files.readString(p));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void writer_rejects_bad_arguments() {
        GgufWriter w = new GgufWriter();
        assertThrows(IllegalArgumentException.class, () -> w.alignment(48));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.Q4_0, new long[] {33}, new byte[18]));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("x".repeat(64), GgmlType.F32, new long[] {1}, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, new long[] {2}, new byte[4]));
        w.addTensor("t", GgmlType.F32, new long[] {1}, new byte[4]);
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, new long[] {1}, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.ofUint32(-1));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.ofArray(GgufValueType.ARRAY, new int[0]));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.ofArray(GgufValueType.INT32, new float[0]));
    }

    /** Our writer reproduces files written by ggml's gguf_write_to_file / llama-quantize byte for byte. */
    @ParameterizedTest
    @ValueSource(strings = {"reference/quants/quant-Q8_0.gguf", "reference/quants/quant-IQ4_XS.gguf",
            "reference/models/tiny-llama-Q4_K_M.gguf", "reference/vocab/ggml-vocab-qwen2.gguf"})
    void rewrites_reference_files_byte_for_byte(String rel) throws IOException {
        String shared = System.getProperty("pocketrag.shared");
        Assumptions.assumeTrue(shared != null && Files.isDirectory(Path.of(shared)), "pocketrag.shared not set");
        Path src = Path.of(shared, rel);
        Path out = dir.resolve("copy.gguf");
        try (GgufFile g = GgufFile.open(src)) {
            GgufWriter w = new GgufWriter().metadata(g.metadata());
            for (GgufTensorInfo t : g.tensors()) {
                MemorySegment data = g.tensorData(t);
                w.addTensor(t.name(), t.type(), t.dims(), data);
            }
            w.write(out);
        }
        assertEquals(-1L, Files.mismatch(src, out), "rewritten " + rel + " differs");
    }
}
