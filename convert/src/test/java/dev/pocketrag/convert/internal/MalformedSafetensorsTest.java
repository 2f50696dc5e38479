package dev.pocketrag.convert.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pocketrag.convert.ConvertException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The malformed-file table of the safetensors reader: each case builds a file from a seeded RNG
 * (seed printed; {@code -Dpocketrag.seed=N} repeats it) and must be rejected by
 * {@link SafetensorsFile#open} with a {@link ConvertException} whose message names the file and
 * what is wrong (the tensor, the field, the value), allocating no more than a small multiple of the
 * file's size. Then: every truncation of a valid file, random corruption, and the sharded index.
 */
class MalformedSafetensorsTest {
    static final long SEED = Long.getLong("pocketrag.seed", Long.getLong("tests.seed", 20261203L));

    static {
        System.out.println("MalformedSafetensorsTest seed=" + SEED + " (-Dpocketrag.seed=" + SEED + " repeats it)");
    }

    @TempDir
    Path dir;

    /** A file: the header length (or an override), the header text, data bytes. */
    static byte[] file(String header, int dataBytes, Long lengthOverride, Random r) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return file(h, dataBytes, lengthOverride, r);
    }

    static byte[] file(byte[] h, int dataBytes, Long lengthOverride, Random r) {
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(lengthOverride != null ? lengthOverride : h.length).put(h);
        byte[] data = new byte[dataBytes];
        r.nextBytes(data);
        b.put(data);
        return b.array();
    }

    /** A valid header: a F32 [4, 8] and a BF16 [16] tensor, 160 data bytes. */
    static String validHeader() {
        return "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a.weight\":{\"dtype\":\"F32\",\"shape\":[4,8],\"data_offsets\":[0,128]},"
                + "\"b.bias\":{\"dtype\":\"BF16\",\"shape\":[16],\"data_offsets\":[128,160]}}";
    }

    static String oneTensor(String dtype, String shape, String offsets) {
        return "{\"t\":{\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}}";
    }

    record Case(String name, String expect, Function<Random, byte[]> build) {}

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(new Case("shorter than the header length", "too short", r -> new byte[r.nextInt(8)]));
        c.add(new Case("header length past the end of the file", "runs past the end",
                r -> file(validHeader(), 160, (long) validHeader().length() + 161 + r.nextInt(1000), r)));
        c.add(new Case("header length over 100 MiB", "header length",
                r -> file(validHeader(), 160, (100L << 20) + 1 + r.nextInt(1 << 20), r)));
        c.add(new Case("header length 2^64 - 1", "header length", r -> file(validHeader(), 160, -1L, r)));
        c.add(new Case("header length 0", "header length", r -> file(validHeader(), 160, 0L, r)));
        c.add(new Case("header cut in the middle of the JSON", "bad JSON", r -> {
            String h = validHeader();
            return file(h.substring(0, 10 + r.nextInt(h.length() - 20)), 160, null, r);
        }));
        c.add(new Case("header a JSON array", "not a JSON object", r -> file("[1,2,3]", 0, null, r)));
        c.add(new Case("header not UTF-8", "UTF-8", r -> {
            byte[] h = validHeader().getBytes(StandardCharsets.UTF_8);
            h[20 + r.nextInt(10)] = (byte) 0xC3;
            h[31] = (byte) 0x28;
            return file(h, 160, null, r);
        }));
        c.add(new Case("text after the JSON object", "text after the header's JSON object", r -> file(validHeader() + "{}", 160, null, r)));
        for (String dtype : List.of("F64", "I8", "U8", "I64", "BOOL", "F8_E4M3", "Q4")) {
            c.add(new Case("dtype " + dtype, "tensor 't': dtype '" + dtype + "' is not supported",
                    r -> file(oneTensor("\"" + dtype + "\"", "[4]", "[0,16]"), 16, null, r)));
        }
        c.add(new Case("dtype not a string", "dtype must be a string",
                r -> file(oneTensor("4", "[4]", "[0,16]"), 16, null, r)));
        c.add(new Case("no dtype", "missing dtype",
                r -> file("{\"t\":{\"shape\":[4],\"data_offsets\":[0,16]}}", 16, null, r)));
        c.add(new Case("no data_offsets", "missing data_offsets",
                r -> file("{\"t\":{\"dtype\":\"F32\",\"shape\":[4]}}", 16, null, r)));
        c.add(new Case("negative dimension", "shape value -",
                r -> file(oneTensor("\"F32\"", "[4,-" + (1 + r.nextInt(100)) + "]", "[0,16]"), 16, null, r)));
        c.add(new Case("fractional dimension", "not an integer",
                r -> file(oneTensor("\"F32\"", "[1.5]", "[0,16]"), 16, null, r)));
        c.add(new Case("dimension beyond a long", "not an integer",
                r -> file(oneTensor("\"F32\"", "[99999999999999999999" + r.nextInt(10) + "]", "[0,16]"), 16, null, r)));
        c.add(new Case("dimension a string", "shape values must be integers",
                r -> file(oneTensor("\"F32\"", "[\"4\"]", "[0,16]"), 16, null, r)));
        c.add(new Case("element count overflows", "more elements than a long holds",
                r -> file(oneTensor("\"F32\"", "[" + (1L << 40) + "," + ((1L << 30) + r.nextInt(1000)) + "]",
                        "[0,16]"), 16, null, r)));
        c.add(new Case("byte size overflows", "overflows the byte size",
                r -> file(oneTensor("\"F32\"", "[" + ((1L << 62) + r.nextInt(1000)) + "]", "[0,16]"), 16, null, r)));
        c.add(new Case("nine dimensions", "more than 8",
                r -> file(oneTensor("\"F32\"", "[1,1,1,1,1,1,1,1,4]", "[0,16]"), 16, null, r)));
        c.add(new Case("offsets past the data region", "outside the data region", r -> {
            int b = 16 + r.nextInt(1000);
            return file(oneTensor("\"F32\"", "[4]", "[" + b + "," + (b + 16) + "]"), 16, null, r);
        }));
        c.add(new Case("offsets reversed", "outside the data region",
                r -> file(oneTensor("\"F32\"", "[0]", "[16,0]"), 16, null, r)));
        c.add(new Case("offsets that lie about the byte count", "needs 16", r -> {
            int end = 17 + r.nextInt(40);
            return file(oneTensor("\"F32\"", "[4]", "[0," + end + "]"), 64, null, r);
        }));
        c.add(new Case("bf16 offsets sized for f32", "needs 32",
                r -> file(oneTensor("\"BF16\"", "[16]", "[0,64]"), 64, null, r)));
        c.add(new Case("three data_offsets", "more than 2",
                r -> file(oneTensor("\"F32\"", "[4]", "[0,16,32]"), 32, null, r)));
        c.add(new Case("one data_offset", "data_offsets must be [begin, end]",
                r -> file(oneTensor("\"F32\"", "[4]", "[0]"), 16, null, r)));
        c.add(new Case("overlapping tensors", "overlaps", r -> {
            int shift = 4 * (1 + r.nextInt(3));
            return file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                    + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[" + shift + "," + (shift + 16) + "]}}",
                    64, null, r);
        }));
        c.add(new Case("duplicate tensor names", "duplicate tensor name 'a'",
                r -> file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]}}", 32, null, r)));
        c.add(new Case("two __metadata__", "duplicate key '__metadata__'", r -> file("{\"__metadata__\":{},\"__metadata__\":{}}", 0,
                null, r)));
        c.add(new Case("__metadata__ value not a string", "__metadata__ 'n'",
                r -> file("{\"__metadata__\":{\"n\":" + r.nextInt(100) + "}}", 0, null, r)));
        c.add(new Case("tensor entry not an object", "entry must be an object",
                r -> file("{\"t\":[1,2]}", 0, null, r)));
        c.add(new Case("nesting 10,000 deep in an unknown field", "bad JSON", r -> {
            int depth = 10_000 + r.nextInt(100);
            String h = "{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16],\"x\":" + "[".repeat(depth)
                    + "]".repeat(depth) + "}}";
            return file(h, 16, null, r);
        }));
        return c;
    }

    @Test
    void base_file_is_valid() throws Exception {
        Path p = dir.resolve("ok.safetensors");
        Files.write(p, file(validHeader(), 160, null, new Random(SEED)));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(List.of("a.weight", "b.bias"), List.copyOf(f.tensors().keySet()));
            assertEquals("pt", f.metadata().get("format"));
            assertEquals(32, f.readFloats(f.tensor("a.weight")).length);
            assertEquals(160 - 128, f.data(f.tensor("b.bias")).byteSize());
        }
    }

    @TestFactory
    Stream<DynamicTest> rejects_each_malformed_case() {
        return cases().stream().map(cs -> DynamicTest.dynamicTest(cs.name, () -> {
            Random r = new Random(SEED ^ (cs.name.hashCode() * 0x9E3779B97F4A7C15L));
            byte[] bytes = cs.build.apply(r);
            Path p = dir.resolve("case.safetensors");
            Files.write(p, bytes);
            long before = allocatedBytes();
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                fail("accepted malformed file (" + cs.name + ", seed " + SEED + "): " + f.tensors());
            } catch (ConvertException e) {
                long allocated = allocatedBytes() - before;
                assertTrue(allocated < 4_000_000 + 16L * bytes.length,
                        "allocated " + allocated + " bytes for a " + bytes.length + "-byte file");
                assertTrue(e.getMessage().contains(cs.expect), "case '" + cs.name + "' (seed " + SEED
                        + "): expected '" + cs.expect + "' in: " + e.getMessage());
                assertTrue(e.getMessage().contains("case.safetensors"), "no file name in: " + e.getMessage());
                System.out.println(cs.name + " -> " + e.getMessage());
            }
        }));
    }

    @Test
    void rejects_every_truncation_of_a_valid_file() throws Exception {
        byte[] full = file(validHeader(), 160, null, new Random(SEED + 1));
        assertEquals(2, SafetensorsFile.parse(full, "full").size());
        for (int len = 0; len < full.length; len++) {
            byte[] cut = Arrays.copyOf(full, len);
            int l = len;
            assertThrows(ConvertException.class, () -> SafetensorsFile.parse(cut, "cut"),
                    () -> "truncation to " + l + " bytes accepted");
        }
        // and through the file: the last byte missing
        Path p = dir.resolve("cut.safetensors");
        Files.write(p, Arrays.copyOf(full, full.length - 1));
        assertThrows(ConvertException.class, () -> SafetensorsFile.open(p).close());
    }

    @Test
    void random_corruption_never_escapes_as_another_exception() throws Exception {
        Random r = new Random(SEED + 2);
        byte[] full = file(validHeader(), 160, null, r);
        Path p = dir.resolve("fuzz.safetensors");
        int accepted = 0;
        for (int iter = 0; iter < 20_000; iter++) {
            byte[] b = full.clone();
            int flips = 1 + r.nextInt(4);
            for (int k = 0; k < flips; k++) {
                b[r.nextInt(Math.min(b.length, 8 + validHeader().length()))] = (byte) r.nextInt(256);
            }
            try {
                SafetensorsFile.parse(b, "fuzz");
                accepted++;
                if (accepted % 20 == 1) { // now and then through the file and its mapping too
                    Files.write(p, b);
                    try (SafetensorsFile f = SafetensorsFile.open(p)) {
                        for (SafetensorsFile.Tensor t : f.tensors().values()) {
                            f.readFloats(t); // whatever was accepted reads inside the file
                        }
                    }
                }
            } catch (ConvertException expected) {
                // fine
            } catch (RuntimeException | Error other) {
                throw new AssertionError("seed " + SEED + " iteration " + iter + ": " + other, other);
            }
        }
        System.out.println("corrupted files accepted (a flip that keeps the header valid): " + accepted + " of 20000");
    }

    /** 20,000 tensors in one header: parsed with allocations proportional to the header, an overlap found. */
    @Test
    void a_header_of_many_tensors_is_parsed_in_proportion_to_its_size() throws Exception {
        int n = 20_000;
        StringBuilder h = new StringBuilder("{");
        for (int i = 0; i < n; i++) {
            h.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":{\"dtype\":\"F16\",\"shape\":[2],")
                    .append("\"data_offsets\":[").append(4L * (n - 1 - i)).append(',').append(4L * (n - i)).append("]}");
        }
        String ok = h + "}";
        Path p = dir.resolve("many.safetensors");
        Files.write(p, file(ok, 4 * n, null, new Random(SEED)));
        long before = allocatedBytes();
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(n, f.tensors().size());
        }
        long allocated = allocatedBytes() - before;
        assertTrue(allocated < 200L * ok.length(), "allocated " + allocated + " for a " + ok.length() + "-byte header");
        // the same with one more tensor overlapping the first: found among 20,000
        String bad = h + ",\"x\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[" + (4L * n - 2) + "," + (4L * n + 2)
                + "]}}";
        Files.write(p, file(bad, 4 * n + 2, null, new Random(SEED)));
        ConvertException e = assertThrows(ConvertException.class, () -> SafetensorsFile.open(p).close());
        assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("overlaps"), e.getMessage());
    }

    // ---- sharded checkpoints

    void shard(String name, String header, int data) throws Exception {
        Files.write(dir.resolve(name), file(header, data, null, new Random(SEED)));
    }

    void index(String weightMap) throws Exception {
        Files.writeString(dir.resolve(Checkpoint.INDEX), "{\"metadata\":{},\"weight_map\":{" + weightMap + "}}");
    }

    static String tensor(String name, int begin) {
        return "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[" + begin + "," + (begin + 16) + "]}";
    }

    @Test
    void reads_a_sharded_checkpoint_through_its_index() throws Exception {
        shard("s1.safetensors", "{" + tensor("a", 0) + "," + tensor("b", 16) + "}", 32);
        shard("s2.safetensors", "{" + tensor("c", 0) + "}", 16);
        index("\"a\":\"s1.safetensors\",\"c\":\"s2.safetensors\",\"b\":\"s1.safetensors\"");
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(List.of("a", "c", "b"), List.copyOf(c.entries().keySet()));
            assertEquals("s2.safetensors", c.get("c").file().path().getFileName().toString());
            assertEquals(4, c.readFloats("b").length);
        }
    }

    @Test
    void rejects_a_missing_shard_naming_it() throws Exception {
        shard("s1.safetensors", "{" + tensor("a", 0) + "}", 16);
        index("\"a\":\"s1.safetensors\",\"b\":\"s9.safetensors\"");
        ConvertException e = assertThrows(ConvertException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("'s9.safetensors' is missing"), e.getMessage());
    }

    @Test
    void rejects_a_tensor_not_in_the_shard_the_index_names() throws Exception {
        shard("s1.safetensors", "{" + tensor("a", 0) + "}", 16);
        shard("s2.safetensors", "{" + tensor("b", 0) + "}", 16);
        index("\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\"");
        ConvertException e = assertThrows(ConvertException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("'b' is not in shard 's1.safetensors'"), e.getMessage());
    }

    @Test
    void rejects_a_shard_tensor_the_index_puts_elsewhere() throws Exception {
        shard("s1.safetensors", "{" + tensor("a", 0) + "," + tensor("b", 16) + "}", 32);
        shard("s2.safetensors", "{" + tensor("b", 0) + "}", 16);
        index("\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"");
        ConvertException e = assertThrows(ConvertException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("'b' is in shard 's1.safetensors'")
                && e.getMessage().contains("'s2.safetensors'"), e.getMessage());
    }

    @Test
    void rejects_a_shard_name_outside_the_folder() throws Exception {
        index("\"a\":\"../s1.safetensors\"");
        ConvertException e = assertThrows(ConvertException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("'../s1.safetensors' must be a file name"), e.getMessage());
    }

    @Test
    void rejects_a_folder_without_safetensors() {
        ConvertException e = assertThrows(ConvertException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("no model.safetensors"), e.getMessage());
    }

    static long allocatedBytes() {
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        return bean.getCurrentThreadAllocatedBytes();
    }
}
