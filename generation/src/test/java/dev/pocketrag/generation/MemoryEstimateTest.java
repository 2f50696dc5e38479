package dev.pocketrag.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.generation.gguf.GgufValue;
import dev.pocketrag.generation.gguf.GgufValueType;
import dev.pocketrag.generation.gguf.GgufWriter;
import dev.pocketrag.generation.gguf.UnsupportedModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoryEstimateTest {
    @TempDir
    Path dir;

    /** Llama-3.2-1B's published hyper-parameters (config.json), as convert_hf_to_gguf writes them. */
    Path llama32_1b() throws IOException {
        Path p = dir.resolve("llama-3.2-1b-shape.gguf");
        new GgufWriter()
                .put("general.architecture", GgufValue.ofString("llama"))
                .put("llama.block_count", GgufValue.ofUint32(16))
                .put("llama.context_length", GgufValue.ofUint32(131072))
                .put("llama.embedding_length", GgufValue.ofUint32(2048))
                .put("llama.feed_forward_length", GgufValue.ofUint32(8192))
                .put("llama.attention.head_count", GgufValue.ofUint32(32))
                .put("llama.attention.head_count_kv", GgufValue.ofUint32(8))
                .put("llama.vocab_size", GgufValue.ofUint32(128256))
                .write(p);
        return p;
    }

    @Test
    void worked_example_llama_3_2_1b_at_4k() throws IOException {
        try (Gguf g = Gguf.open(llama32_1b())) {
            MemoryEstimate e = MemoryEstimate.of(g, 4096);
            // 16 layers x 8 KV heads x head dim 64 x 4096 x 2 (K and V) x 2 bytes
            assertEquals(16L * 8 * 64 * 4096 * 2 * 2, e.kvCacheBytes());
            assertEquals(134_217_728L, e.kvCacheBytes());
            // the hidden-size formula (2 x n_layer x n_embd x ctx x 2 B) is 4x larger for this GQA model
            assertEquals(4 * e.kvCacheBytes(), 2L * 16 * 2048 * 4096 * 2);
            // 4 x (128256 + 256 x (5x2048 + 2x512 + 4x8192)), worked by hand in the javadoc
            assertEquals(45_601_792L, e.computeBytes());
            // 80 MiB + 700 B x 128256 tokens
            assertEquals(173_665_280L, e.runtimeBytes());
            assertEquals(g.fileSize() + 134_217_728L + 45_601_792L + 173_665_280L, e.totalBytes());
            assertEquals(131072, e.trainedContext());
        }
    }

    @Test
    void kv_cache_of_tiny_llama_is_gqa_aware() throws IOException {
        String s = System.getProperty("pocketrag.shared");
        Assumptions.assumeTrue(s != null && Files.isDirectory(Path.of(s, "reference/models")), "no shared models");
        try (Gguf g = Gguf.open(Path.of(s, "reference/models/tiny-llama-Q4_K_M.gguf"))) {
            MemoryEstimate e = MemoryEstimate.of(g, 512);
            // README: 2 layers, 4 heads / 2 KV heads, head dim 64
            assertEquals(2L * 2 * 64 * 512 * 2 * 2, e.kvCacheBytes());
            assertEquals(g.fileSize(), e.weightBytes());
        }
    }

    @Test
    void per_layer_head_counts_are_summed() {
        var shape = new MemoryEstimate.Shape("x", 3, 256, 4, new long[] {2, 0, 4}, 64, 32, 512, 1000, 0);
        MemoryEstimate e = MemoryEstimate.of(0, shape, 100, 1, 2);
        assertEquals(100L * (2 + 0 + 4) * (64 + 32) * 2, e.kvCacheBytes());
    }

    @Test
    void max_context_is_the_largest_that_fits() throws IOException {
        try (Gguf g = Gguf.open(llama32_1b())) {
            MemoryEstimate.Shape shape = MemoryEstimate.Shape.of(g);
            for (long ram : new long[] {256L << 20, 1L << 30, 3L << 30, 16L << 30}) {
                int max = MemoryEstimate.maxContext(g.fileSize(), shape, ram, Integer.MAX_VALUE);
                assertTrue(MemoryEstimate.of(g, max).fits(ram), "ram " + ram + " max " + max);
                assertFalse(MemoryEstimate.of(g, max + 1).fits(ram), "ram " + ram + " max " + max);
            }
            assertEquals(131072, MemoryEstimate.maxContext(g.fileSize(), shape, 1L << 40, 131072));
            assertEquals(0, MemoryEstimate.maxContext(g.fileSize(), shape, 1 << 20, 131072));
        }
    }

    @Test
    void parses_sizes() {
        assertEquals(8L << 30, MemoryEstimate.parseSize("8G"));
        assertEquals(8L << 30, MemoryEstimate.parseSize("8GiB"));
        assertEquals(8L << 30, MemoryEstimate.parseSize("8gb"));
        assertEquals(512L << 20, MemoryEstimate.parseSize("512M"));
        assertEquals(3L << 29, MemoryEstimate.parseSize("1.5G"));
        assertEquals(1048576, MemoryEstimate.parseSize("1048576"));
        for (String bad : new String[] {"", "G", "-1G", "0", "eight", "1e30T", "NaN"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> MemoryEstimate.parseSize(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void an_unsupported_architecture_is_named_not_a_missing_key() throws IOException {
        Path p = dir.resolve("mamba.gguf");
        new GgufWriter()
                .put("general.architecture", GgufValue.ofString("mamba"))
                .put("mamba.context_length", GgufValue.ofUint32(4096))
                .put("mamba.embedding_length", GgufValue.ofUint32(768))
                .write(p);
        try (Gguf g = Gguf.open(p)) {
            UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> MemoryEstimate.Shape.of(g));
            assertTrue(e.getMessage().contains("architecture 'mamba' is not supported")
                    && e.getMessage().contains("llama, qwen2"), e.getMessage());
        }
    }

    @Test
    void rejects_bad_context() throws IOException {
        try (Gguf g = Gguf.open(llama32_1b())) {
            assertThrows(IllegalArgumentException.class, () -> MemoryEstimate.of(g, 0));
        }
        assertThrows(IllegalArgumentException.class, () -> GgufValue.ofArray(GgufValueType.STRING, new int[1]));
    }
}
