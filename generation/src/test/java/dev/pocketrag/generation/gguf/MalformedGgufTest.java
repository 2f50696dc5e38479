package dev.pocketrag.generation.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pocketrag.generation.Gguf;
import dev.pocketrag.generation.gguf.RawGguf.Le;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * The malformed-file table: each case builds a file from a seeded RNG (seed printed; rerun with
 * {@code -Dtests.seed=N}), and must be rejected by {@link Gguf#open} with a {@link GgufFormatException}
 * naming the field, quickly and without allocating more than a small multiple of the file size.
 */
class MalformedGgufTest {
    static final long SEED = Long.getLong("tests.seed", System.nanoTime());

    static {
        System.out.println("MalformedGgufTest seed=" + SEED + " (rerun with -Dtests.seed=" + SEED + ")");
    }

    @TempDir
    Path dir;

    record T(String name, long[] ne, int type) {}

    /** F32 [16] and Q8_0 [64, 3], packed with alignment 32. */
    static final List<T> TENSORS = List.of(new T("a.weight", new long[] {16}, 0), new T("b.weight", new long[] {64, 3}, 8));

    static long bytesOf(T t) {
        return t.type == 0 ? t.ne[0] * 4 : t.ne[0] / 32 * 34 * (t.ne.length > 1 ? t.ne[1] : 1);
    }

    /** A valid model-like file: llama arch keys, a tokenizer, two tensors. */
    static RawGguf base(Random r, boolean tensors) {
        RawGguf g = new RawGguf();
        int nVocab = 5 + r.nextInt(20);
        List<String> tokens = new ArrayList<>();
        float[] scores = new float[nVocab];
        int[] types = new int[nVocab];
        for (int i = 0; i < nVocab; i++) {
            tokens.add("t" + i + "_" + Integer.toHexString(r.nextInt()));
            scores[i] = r.nextFloat();
            types[i] = 1 + r.nextInt(6);
        }
        g.kvString("general.architecture", "llama");
        g.kvString("general.name", "test-" + r.nextInt(1000));
        g.kvU32("llama.block_count", 2);
        g.kvU32("llama.attention.head_count", 4);
        g.kvU32("llama.attention.head_count_kv", 2);
        g.kvU32("llama.embedding_length", 64);
        g.kvString("tokenizer.ggml.model", "llama");
        g.kvStrings("tokenizer.ggml.tokens", tokens);
        g.kvFloats("tokenizer.ggml.scores", scores);
        g.kvInts("tokenizer.ggml.token_type", types);
        g.kvU32("tokenizer.ggml.bos_token_id", 1);
        g.kvU32("tokenizer.ggml.eos_token_id", 2);
        g.kvBool("tokenizer.ggml.add_bos_token", true);
        if (tensors) {
            addTensors(g, TENSORS, 32);
        }
        return g;
    }

    static void addTensors(RawGguf g, List<T> ts, long align) {
        long off = 0;
        for (T t : ts) {
            g.tensor(t.name, t.ne, t.type, off);
            off = (off + bytesOf(t) + align - 1) / align * align;
        }
        g.dataBytes = off;
    }

    record Case(String name, String field, Function<Random, byte[]> build) {}

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(new Case("bad magic", "magic", r -> {
            RawGguf g = base(r, true);
            do {
                r.nextBytes(g.magic);
            } while (Arrays.equals(g.magic, new byte[] {'G', 'G', 'U', 'F'}));
            return g.build(r);
        }));
        c.add(new Case("too short for magic", "magic", r -> new byte[r.nextInt(4)]));
        for (int v : new int[] {0, 1, 4, 0x0300_0000, 0x0200_0000, -1}) {
            c.add(new Case("version " + Integer.toHexString(v), "version", r -> {
                RawGguf g = base(r, true);
                g.version = v == 4 ? 4 + r.nextInt(1000) : v;
                return g.build(r);
            }));
        }
        c.add(new Case("n_tensors larger than the file could hold", "n_tensors", r -> {
            RawGguf g = base(r, true);
            g.nTensorsOverride = 1000L + r.nextInt(1 << 20);
            return g.build(r);
        }));
        c.add(new Case("n_tensors negative as signed", "n_tensors", r -> {
            RawGguf g = base(r, true);
            g.nTensorsOverride = -1L - r.nextInt(100);
            return g.build(r);
        }));
        c.add(new Case("n_kv larger than the file could hold", "n_kv", r -> {
            RawGguf g = base(r, true);
            g.nKvOverride = (1L << 40) + r.nextInt(1 << 20);
            return g.build(r);
        }));
        c.add(new Case("n_kv one more than present", "kv[", r -> {
            RawGguf g = base(r, false);
            g.nKvOverride = (long) g.kvs.size() + 1;
            return g.build(r);
        }));
        c.add(new Case("string longer than the bytes left", "key length", r -> {
            RawGguf g = base(r, true);
            g.kvs.add(new Le().u64(100_000 + r.nextInt(1000)).raw("abc".getBytes()).toByteArray());
            return g.build(r);
        }));
        c.add(new Case("string over 1 GiB", "length", r -> {
            RawGguf g = base(r, true);
            g.kv("huge", 8, new Le().u64((1L << 30) + 1 + r.nextInt(1000)));
            return g.build(r);
        }));
        c.add(new Case("string length 2^64-1", "length", r -> {
            RawGguf g = base(r, true);
            g.kv("huge", 8, new Le().u64(-1L));
            return g.build(r);
        }));
        for (int et : new int[] {4, 8, 12}) {
            c.add(new Case("array count x element size beyond the file (type " + et + ")", "array count", r -> {
                RawGguf g = base(r, true);
                g.kv("arr", 9, new Le().u32(et).u64((1L << 33) + r.nextInt(1 << 20)).u32(7));
                return g.build(r);
            }));
        }
        c.add(new Case("array count 2^63 and more", "array count", r -> {
            RawGguf g = base(r, true);
            g.kv("arr", 9, new Le().u32(0).u64(Long.MIN_VALUE + r.nextInt(100)));
            return g.build(r);
        }));
        c.add(new Case("array of arrays", "element type", r -> {
            RawGguf g = base(r, true);
            g.kv("nested", 9, new Le().u32(9).u64(1).u32(4).u64(1).u32(5));
            return g.build(r);
        }));
        c.add(new Case("array element type out of range", "element type", r -> {
            RawGguf g = base(r, true);
            g.kv("arr", 9, new Le().u32(13 + r.nextInt(1000)).u64(1).u32(5));
            return g.build(r);
        }));
        c.add(new Case("value type id out of range", "type", r -> {
            RawGguf g = base(r, true);
            g.kv("bad.type", 13 + r.nextInt(Integer.MAX_VALUE - 13), new Le().u32(1));
            return g.build(r);
        }));
        c.add(new Case("bool value not 0 or 1", "'flag'", r -> {
            RawGguf g = base(r, true);
            g.kv("flag", 7, new Le().u8(2 + r.nextInt(254)));
            return g.build(r);
        }));
        c.add(new Case("empty key", "key", r -> {
            RawGguf g = base(r, true);
            g.kvU32("", r.nextInt(100));
            return g.build(r);
        }));
        c.add(new Case("duplicate key", "key", r -> {
            RawGguf g = base(r, true);
            g.kvU32("general.name", r.nextInt(100));
            return g.build(r);
        }));
        c.add(new Case("alignment not UINT32", "general.alignment", r -> {
            RawGguf g = base(r, false);
            g.kv("general.alignment", 10, new Le().u64(32)); // UINT64
            addTensors(g, TENSORS, 32);
            return g.build(r);
        }));
        c.add(new Case("alignment zero", "general.alignment", r -> {
            RawGguf g = base(r, false);
            g.kvU32("general.alignment", 0);
            addTensors(g, TENSORS, 32);
            return g.build(r);
        }));
        c.add(new Case("alignment not a power of two", "general.alignment", r -> {
            RawGguf g = base(r, false);
            long a;
            do {
                a = 3 + r.nextInt(1000);
            } while (Long.bitCount(a) == 1);
            g.kvU32("general.alignment", a);
            addTensors(g, TENSORS, 32);
            return g.build(r);
        }));
        c.add(new Case("tensor name of 64 bytes", "name length", r -> {
            RawGguf g = base(r, false);
            addTensors(g, List.of(new T("x".repeat(64 + r.nextInt(3)), new long[] {16}, 0)), 32);
            return g.build(r);
        }));
        c.add(new Case("empty tensor name", "name", r -> {
            RawGguf g = base(r, false);
            addTensors(g, List.of(new T("", new long[] {16}, 0)), 32);
            return g.build(r);
        }));
        c.add(new Case("duplicate tensor name", "name", r -> {
            RawGguf g = base(r, false);
            addTensors(g, List.of(new T("same", new long[] {16}, 0), new T("same", new long[] {8}, 0)), 32);
            return g.build(r);
        }));
        c.add(new Case("n_dims 0", "n_dims", r -> {
            RawGguf g = base(r, false);
            g.rawTensorInfo(new Le().str("t").u32(0).u32(0).u64(0));
            g.dataBytes = 32;
            return g.build(r);
        }));
        c.add(new Case("n_dims over 4", "n_dims", r -> {
            RawGguf g = base(r, false);
            int nd = 5 + r.nextInt(100);
            Le le = new Le().str("t").u32(nd);
            for (int i = 0; i < nd; i++) {
                le.u64(1);
            }
            g.rawTensorInfo(le.u32(0).u64(0));
            g.dataBytes = 32;
            return g.build(r);
        }));
        c.add(new Case("dimension zero", "ne[1]", r -> {
            RawGguf g = base(r, false);
            addTensors(g, List.of(new T("t", new long[] {16, 0}, 0)), 32);
            g.dataBytes = 64;
            return g.build(r);
        }));
        c.add(new Case("dimension negative", "ne[0]", r -> {
            RawGguf g = base(r, false);
            addTensors(g, List.of(new T("t", new long[] {-1 - r.nextInt(1000)}, 0)), 32);
            g.dataBytes = 64;
            return g.build(r);
        }));
        c.add(new Case("element count overflows", "ne[", r -> {
            RawGguf g = base(r, false);
            addTensors(g, List.of(new T("t", new long[] {1L << 32, 1L << 31, 2 + r.nextInt(5)}, 0)), 32);
            g.dataBytes = 64;
            return g.build(r);
        }));
        c.add(new Case("byte size overflows", "byte size", r -> {
            RawGguf g = base(r, false);
            addTensors(g, List.of(new T("t", new long[] {(1L << 62) + 32L * r.nextInt(1000)}, 0)), 32);
            g.dataBytes = 64;
            return g.build(r);
        }));
        for (int type : new int[] {4, 5, 31, 36, 40}) {
            c.add(new Case("unknown tensor type " + type, "type", r -> {
                RawGguf g = base(r, false);
                addTensors(g, List.of(new T("t", new long[] {32}, type)), 32);
                g.dataBytes = 256;
                return g.build(r);
            }));
        }
        c.add(new Case("unknown tensor type (random large)", "type", r -> {
            RawGguf g = base(r, false);
            addTensors(g, List.of(new T("t", new long[] {32}, 41 + r.nextInt(1 << 30))), 32);
            g.dataBytes = 256;
            return g.build(r);
        }));
        c.add(new Case("first dimension not a multiple of the block size", "ne[0]", r -> {
            RawGguf g = base(r, false);
            long ne0 = 32L * (1 + r.nextInt(4)) + 1 + r.nextInt(31);
            g.tensor("t", new long[] {ne0, 2}, 12, 0); // Q4_K: block 256
            g.dataBytes = 1024;
            return g.build(r);
        }));
        c.add(new Case("tensor offset unaligned", "offset", r -> {
            RawGguf g = base(r, false);
            g.tensor("t", new long[] {16}, 0, 1 + r.nextInt(31));
            g.dataBytes = 128;
            return g.build(r);
        }));
        c.add(new Case("tensor offsets out of order", "offset", r -> {
            RawGguf g = base(r, false);
            g.tensor("t1", new long[] {16}, 0, 128);
            g.tensor("t2", new long[] {16}, 0, 0);
            g.dataBytes = 256;
            return g.build(r);
        }));
        c.add(new Case("tensor overlapping another", "offset", r -> {
            RawGguf g = base(r, false);
            g.tensor("t1", new long[] {64}, 0, 0); // 256 bytes
            g.tensor("t2", new long[] {16}, 0, 32L * (1 + r.nextInt(7)));
            g.dataBytes = 512;
            return g.build(r);
        }));
        c.add(new Case("tensor offset + size past the end of the file", "offset", r -> {
            RawGguf g = base(r, false);
            g.tensor("t", new long[] {16}, 0, 32L * (1000 + r.nextInt(1000)));
            g.dataBytes = 64;
            return g.build(r);
        }));
        c.add(new Case("tensor offset 2^64 - 32", "offset", r -> {
            RawGguf g = base(r, false);
            g.tensor("t", new long[] {16}, 0, -32L);
            g.dataBytes = 64;
            return g.build(r);
        }));
        c.add(new Case("data section shorter than declared", "offset", r -> {
            RawGguf g = base(r, true);
            g.truncate = (int) (g.dataBytes - 100 + r.nextInt(50)); // cut into tensor b.weight
            return g.build(r);
        }));
        c.add(new Case("no data section at all", "data section", r -> {
            RawGguf g = base(r, true);
            // all of the data, and at most as much of the padding before it as there is (a longer
            // cut would reach into the header, a different case)
            g.truncate = (int) g.dataBytes;
            g.truncateIntoPadding = 1 + r.nextInt(4);
            return g.build(r);
        }));
        // ---- metadata validation (tokenizer, architecture)
        c.add(new Case("tokenizer tokens of the wrong element type", "tokenizer.ggml.tokens", r -> {
            RawGguf g = new RawGguf();
            g.kvInts("tokenizer.ggml.tokens", new int[] {1, 2, 3});
            return g.build(r);
        }));
        c.add(new Case("tokenizer scores of the wrong element type", "tokenizer.ggml.scores", r -> {
            RawGguf g = new RawGguf();
            g.kvStrings("tokenizer.ggml.tokens", List.of("a", "b"));
            g.kvInts("tokenizer.ggml.scores", new int[] {1, 2});
            return g.build(r);
        }));
        c.add(new Case("token types of the wrong element type", "tokenizer.ggml.token_type", r -> {
            RawGguf g = new RawGguf();
            g.kvStrings("tokenizer.ggml.tokens", List.of("a", "b"));
            g.kvFloats("tokenizer.ggml.token_type", new float[] {1, 2});
            return g.build(r);
        }));
        c.add(new Case("tokenizer scores of a different length", "tokenizer.ggml.scores", r -> {
            RawGguf g = new RawGguf();
            int n = 3 + r.nextInt(10);
            List<String> toks = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                toks.add("t" + i);
            }
            g.kvStrings("tokenizer.ggml.tokens", toks);
            g.kvFloats("tokenizer.ggml.scores", new float[n + (r.nextBoolean() ? 1 : -1)]);
            return g.build(r);
        }));
        c.add(new Case("token types of a different length", "tokenizer.ggml.token_type", r -> {
            RawGguf g = new RawGguf();
            g.kvStrings("tokenizer.ggml.tokens", List.of("a", "b", "c"));
            g.kvInts("tokenizer.ggml.token_type", new int[] {1, 1});
            return g.build(r);
        }));
        c.add(new Case("token type value out of range", "tokenizer.ggml.token_type", r -> {
            RawGguf g = new RawGguf();
            g.kvStrings("tokenizer.ggml.tokens", List.of("a", "b", "c"));
            g.kvInts("tokenizer.ggml.token_type", new int[] {1, 7 + r.nextInt(100), 1});
            return g.build(r);
        }));
        c.add(new Case("merges not strings", "tokenizer.ggml.merges", r -> {
            RawGguf g = base(r, true);
            g.kvInts("tokenizer.ggml.merges", new int[] {1});
            return g.build(r);
        }));
        for (String special : List.of("bos_token_id", "eos_token_id", "padding_token_id", "unknown_token_id",
                "eot_token_id")) {
            c.add(new Case("special token " + special + " outside the vocabulary", "tokenizer.ggml." + special, r -> {
                RawGguf g = new RawGguf();
                int n = 3 + r.nextInt(10);
                List<String> toks = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    toks.add("t" + i);
                }
                g.kvStrings("tokenizer.ggml.tokens", toks);
                g.kvU32("tokenizer.ggml." + special, n + r.nextInt(3));
                return g.build(r);
            }));
        }
        c.add(new Case("special token id negative", "tokenizer.ggml.bos_token_id", r -> {
            RawGguf g = new RawGguf();
            g.kvStrings("tokenizer.ggml.tokens", List.of("a", "b"));
            g.kvI32("tokenizer.ggml.bos_token_id", -2 - r.nextInt(5)); // -1 means "no token"
            return g.build(r);
        }));
        c.add(new Case("special token id not an integer", "tokenizer.ggml.eos_token_id", r -> {
            RawGguf g = new RawGguf();
            g.kvStrings("tokenizer.ggml.tokens", List.of("a", "b"));
            g.kvString("tokenizer.ggml.eos_token_id", "1");
            return g.build(r);
        }));
        c.add(new Case("absurd block_count", "llama.block_count", r -> {
            RawGguf g = new RawGguf();
            g.kvString("general.architecture", "llama");
            g.kvU32("llama.block_count", r.nextBoolean() ? 0 : 513 + r.nextInt(1 << 30));
            return g.build(r);
        }));
        c.add(new Case("absurd head count", "llama.attention.head_count", r -> {
            RawGguf g = new RawGguf();
            g.kvString("general.architecture", "llama");
            g.kvU32("llama.attention.head_count", r.nextBoolean() ? 0 : (1L << 31) + r.nextInt(1000));
            return g.build(r);
        }));
        c.add(new Case("more kv heads than heads", "llama.attention.head_count_kv", r -> {
            RawGguf g = new RawGguf();
            g.kvString("general.architecture", "llama");
            g.kvU32("llama.attention.head_count", 4);
            g.kvU32("llama.attention.head_count_kv", 5 + r.nextInt(100));
            return g.build(r);
        }));
        c.add(new Case("kv heads not dividing heads", "llama.attention.head_count_kv", r -> {
            RawGguf g = new RawGguf();
            g.kvString("general.architecture", "llama");
            g.kvU32("llama.attention.head_count", 32);
            g.kvU32("llama.attention.head_count_kv", 3 + 2 * r.nextInt(3)); // 3, 5, 7
            return g.build(r);
        }));
        c.add(new Case("per-layer head counts of the wrong length", "llama.attention.head_count", r -> {
            RawGguf g = new RawGguf();
            g.kvString("general.architecture", "llama");
            g.kvU32("llama.block_count", 4);
            g.kvInts("llama.attention.head_count", new int[] {8, 8, 8});
            return g.build(r);
        }));
        return c;
    }

    @Test
    void base_file_is_valid() throws Exception {
        Random r = new Random(SEED);
        Path p = dir.resolve("base.gguf");
        Files.write(p, base(r, true).build(r));
        try (Gguf g = Gguf.open(p)) {
            assertEquals(2, g.tensors().size());
            assertEquals(2, g.getInt("llama.block_count"));
            assertEquals(Files.size(p), g.fileSize());
        }
    }

    @Test
    void accepts_minus_one_as_no_special_token() throws Exception {
        Random r = new Random(SEED);
        RawGguf g = new RawGguf();
        g.kvStrings("tokenizer.ggml.tokens", List.of("a", "b"));
        g.kvU32("tokenizer.ggml.padding_token_id", 0xFFFF_FFFFL); // as llama.cpp writes LLAMA_TOKEN_NULL
        g.kvI32("tokenizer.ggml.eot_token_id", -1);
        g.kvU32("tokenizer.ggml.bos_token_id", 1);
        Path p = dir.resolve("none.gguf");
        Files.write(p, g.build(r));
        try (Gguf gguf = Gguf.open(p)) {
            assertTrue(gguf.getTokenId("tokenizer.ggml.padding_token_id").isEmpty());
            assertTrue(gguf.getTokenId("tokenizer.ggml.eot_token_id").isEmpty());
            assertTrue(gguf.getTokenId("tokenizer.ggml.eos_token_id").isEmpty());
            assertEquals(1, gguf.getTokenId("tokenizer.ggml.bos_token_id").getAsInt());
        }
    }

    @TestFactory
    Stream<DynamicTest> rejects_each_malformed_case() {
        List<Case> all = cases();
        return all.stream().map(cs -> DynamicTest.dynamicTest(cs.name, () -> {
            long caseSeed = SEED ^ (cs.name.hashCode() * 0x9E3779B97F4A7C15L);
            byte[] bytes = cs.build.apply(new Random(caseSeed));
            Path p = dir.resolve("case.gguf");
            Files.write(p, bytes);
            GgufFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(1), () -> {
                long before = allocatedBytes();
                try (Gguf g = Gguf.open(p)) {
                    fail("accepted malformed file (" + cs.name + ", seed " + SEED + "): " + g);
                    return null;
                } catch (GgufFormatException ex) {
                    long allocated = allocatedBytes() - before;
                    assertTrue(allocated < 4_000_000 + 8L * bytes.length,
                            "allocated " + allocated + " bytes for a " + bytes.length + "-byte file");
                    return ex;
                }
            }, cs.name);
            assertTrue(e.field().contains(cs.field) || e.getMessage().contains(cs.field),
                    "case '" + cs.name + "' (seed " + SEED + "): expected field '" + cs.field + "' in: " + e.getMessage());
            assertTrue(e.offset() >= 0 && e.offset() <= bytes.length,
                    "offset " + e.offset() + " outside the file: " + e.getMessage());
            assertTrue(e.getMessage().contains("case.gguf"), e.getMessage());
            System.out.println(cs.name + " -> " + e.getMessage());
        }));
    }

    @Test
    void rejects_every_truncation_of_a_valid_file() {
        Random r = new Random(SEED + 1);
        RawGguf g = base(r, true);
        g.kv("u8", 0, new Le().u8(200)).kv("i8", 1, new Le().u8(0x80)).kv("u16", 2, new Le().u16(65000))
                .kv("i16", 3, new Le().u16(-5)).kv("f64", 12, new Le().u64(Double.doubleToLongBits(Math.PI)))
                .kv("u64", 10, new Le().u64(-1L)).kv("i64", 11, new Le().u64(-7))
                .kv("f32", 6, new Le().u32(Float.floatToIntBits(1.5f)))
                .kv("bools", 9, new Le().u32(7).u64(3).u8(1).u8(0).u8(1));
        byte[] full = g.build(r);
        // the valid file parses
        GgufHeader h = GgufReader.parse(MemorySegment.ofArray(full), "t.gguf");
        GgufTensorInfo last = h.tensors().getLast();
        long dataEnd = h.dataOffset() + last.offset() + last.byteSize();
        for (int len = 0; len < dataEnd; len++) {
            byte[] prefix = Arrays.copyOf(full, len);
            int l = len;
            GgufFormatException e = assertThrows(GgufFormatException.class,
                    () -> GgufReader.parse(MemorySegment.ofArray(prefix), "t.gguf"),
                    () -> "truncation to " + l + " bytes accepted");
            assertTrue(e.offset() >= 0 && e.offset() <= len, e.getMessage());
        }
    }

    @Test
    void rejects_every_truncation_of_a_reference_file() throws Exception {
        String shared = System.getProperty("pocketrag.shared");
        org.junit.jupiter.api.Assumptions.assumeTrue(shared != null && Files.isDirectory(Path.of(shared)),
                "pocketrag.shared not set: skipping the reference-file truncation test");
        byte[] full = Files.readAllBytes(Path.of(shared, "reference/quants/quant-Q4_K.gguf"));
        GgufHeader h = GgufReader.parse(MemorySegment.ofArray(full), "q.gguf");
        long dataEnd = 0;
        for (GgufTensorInfo t : h.tensors()) {
            dataEnd = Math.max(dataEnd, h.dataOffset() + t.offset() + t.byteSize());
        }
        for (int len = 0; len < dataEnd; len++) {
            MemorySegment prefix = MemorySegment.ofArray(full).asSlice(0, len);
            int l = len;
            assertThrows(GgufFormatException.class, () -> GgufReader.parse(prefix, "q.gguf"),
                    () -> "truncation to " + l + " bytes accepted");
        }
    }

    @Test
    void random_byte_corruption_never_escapes_as_another_exception() {
        Random r = new Random(SEED + 2);
        byte[] full = base(r, true).build(r);
        for (int iter = 0; iter < 20_000; iter++) {
            byte[] b = full.clone();
            int flips = 1 + r.nextInt(4);
            for (int k = 0; k < flips; k++) {
                b[r.nextInt(b.length)] = (byte) r.nextInt(256);
            }
            try {
                GgufHeader h = GgufReader.parse(MemorySegment.ofArray(b), "c.gguf");
                ModelMetadataValidator.validate(h.metadata(), "c.gguf");
            } catch (GgufFormatException expected) {
                // fine
            } catch (RuntimeException | Error other) {
                throw new AssertionError("seed " + SEED + " iteration " + iter + ": " + other, other);
            }
        }
    }

    static long allocatedBytes() {
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        return bean.getCurrentThreadAllocatedBytes();
    }
}
