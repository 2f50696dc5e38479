package dev.pocketrag.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.generation.gguf.FileType;
import dev.pocketrag.generation.gguf.GgmlType;
import dev.pocketrag.generation.gguf.GgufTensorInfo;
import dev.pocketrag.generation.gguf.GgufWriter;
import dev.pocketrag.generation.tensor.QuantMix;
import dev.pocketrag.generation.tensor.Tensors;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The file quantizer against llama-quantize's own output in ../shared/reference/models. */
class QuantizerTest {
    static final long SEED = Long.getLong("tests.seed", System.nanoTime());

    static {
        System.out.println("QuantizerTest seed=" + SEED);
    }

    @TempDir
    Path dir;

    static Path models() {
        String s = System.getProperty("pocketrag.shared");
        Assumptions.assumeTrue(s != null && Files.isDirectory(Path.of(s, "reference/models")),
                "pocketrag.shared not set or reference/models missing: skipping");
        return Path.of(s, "reference/models");
    }

    /** Writes {@code src} with every tensor decoded to F32 (an "unquantized" model with the same metadata). */
    static void toF32(Path src, Path out) throws IOException {
        try (Gguf g = Gguf.open(src)) {
            GgufWriter w = new GgufWriter().metadata(g.file().metadata());
            for (GgufTensorInfo t : g.tensors()) {
                w.addTensor(t.name(), GgmlType.F32, t.dims(), () -> {
                    float[] f = Tensors.toFloat(t, g.tensorData(t));
                    MemorySegment s = MemorySegment.ofArray(new byte[f.length * 4]);
                    MemorySegment.copy(f, 0, s, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0,
                            f.length);
                    return s;
                });
            }
            w.write(out);
        }
    }

    @ParameterizedTest
    @CsvSource({"tiny-llama-Q4_K_M.gguf, Q4_K_M", "tiny-llama3-Q4_K_M.gguf, Q4_K_M", "tiny-phi3-Q4_K_M.gguf, Q4_K_M",
            "tiny-llama-Q5_K_M.gguf, Q5_K_M", "tiny-llama-Q4_0.gguf, Q4_0", "tiny-llama-Q8_0.gguf, Q8_0"})
    void chooses_the_same_type_per_tensor_as_llama_quantize(String file, String type) throws IOException {
        Path ref = models().resolve(file);
        Path f32 = dir.resolve("f32.gguf");
        toF32(ref, f32);
        Path out = dir.resolve("out.gguf");
        List<String> progress = new ArrayList<>();
        Quantizer.Plan plan = Quantizer.quantize(f32, out, FileType.parse(type),
                (i, n, t, done, total) -> progress.add(t.name()));
        try (Gguf want = Gguf.open(ref); Gguf got = Gguf.open(out)) {
            assertEquals(want.tensors().size(), got.tensors().size());
            int converted = 0;
            for (int i = 0; i < want.tensors().size(); i++) {
                GgufTensorInfo w = want.tensors().get(i);
                GgufTensorInfo g = got.tensors().get(i);
                assertEquals(w.name(), g.name(), "tensor order (llama-quantize: by layer, then name)");
                assertEquals(w.type(), g.type(), file + ": type of " + w.name());
                assertEquals(w.byteSize(), g.byteSize());
                converted += plan.tensor(w.name()).converts() ? 1 : 0;
            }
            assertTrue(converted > 0);
            assertEquals(want.file().metadata(), got.file().metadata(), "metadata, key order included");
            assertEquals(new ArrayList<>(want.keys()), new ArrayList<>(got.keys()));
            assertEquals(FileType.parse(type).id(), got.getInt("general.file_type"));
            assertEquals(want.tensors().size(), progress.size());
        }
    }

    /**
     * Every tensor of a llama-quantize output already has the type the mix chooses, so quantizing it
     * again copies every tensor: the result must be the same file, byte for byte (order, metadata,
     * alignment and padding included).
     */
    @ParameterizedTest
    @CsvSource({"tiny-llama-Q4_K_M.gguf, Q4_K_M", "tiny-phi3-Q4_K_M.gguf, Q4_K_M", "tiny-llama-Q5_K_M.gguf, Q5_K_M",
            "tiny-llama-Q4_0.gguf, Q4_0", "tiny-llama-Q8_0.gguf, Q8_0"})
    void requantizing_a_llama_quantize_output_to_its_own_type_reproduces_it(String file, String type) throws IOException {
        Path ref = models().resolve(file);
        Path out = dir.resolve("same.gguf");
        Quantizer.Plan plan = Quantizer.quantize(ref, out, FileType.parse(type), Quantizer.Progress.NONE);
        assertFalse(plan.tensors().stream().anyMatch(Quantizer.TensorPlan::converts));
        assertEquals(-1L, Files.mismatch(ref, out));
    }

    /** Q8_0 of Q8_0-decoded values gives the same blocks: the whole llama-quantize file is reproduced. */
    @Test
    void q8_0_of_a_decoded_q8_0_model_is_llama_quantizes_file() throws IOException {
        Path ref = models().resolve("tiny-llama-Q8_0.gguf");
        Path f32 = dir.resolve("f32.gguf");
        toF32(ref, f32);
        Path out = dir.resolve("q8.gguf");
        Quantizer.quantize(f32, out, FileType.Q8_0, Quantizer.Progress.NONE);
        assertEquals(-1L, Files.mismatch(ref, out));
    }

    // ---- the rules on synthetic shapes (expected types from llama.cpp's llama_tensor_get_type)

    /** A llama-like model with n layers, rows of {@code nEmbd}; tensors with random F32 data. */
    Path synthetic(int nLayer, int nEmbd, boolean tied, Random r) throws IOException {
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", dev.pocketrag.generation.gguf.GgufValue.ofString("llama"));
        w.put("llama.block_count", dev.pocketrag.generation.gguf.GgufValue.ofUint32(nLayer));
        List<String> names = new ArrayList<>();
        names.add("token_embd.weight");
        if (!tied) {
            names.add("output.weight");
        }
        for (int i = 0; i < nLayer; i++) {
            for (String s : List.of("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")) {
                names.add("blk." + i + "." + s + ".weight");
            }
            names.add("blk." + i + ".attn_norm.weight");
        }
        for (String n : names) {
            boolean norm = n.contains("norm");
            long[] dims = norm ? new long[] {nEmbd} : new long[] {nEmbd, 4};
            float[] f = new float[norm ? nEmbd : nEmbd * 4];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) r.nextGaussian();
            }
            w.addTensor(n, dims, f);
        }
        Path p = dir.resolve("syn-" + nLayer + "-" + nEmbd + ".gguf");
        w.write(p);
        return p;
    }

    @Test
    void use_more_bits_matches_llama_cpp_for_32_layers() {
        // Q4_K_M on a 32-layer model: attn_v / ffn_down are Q6_K in layers 0-3, 6, 9, ..., 27, 28-31
        List<Integer> more = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            if (QuantMix.useMoreBits(i, 32)) {
                more.add(i);
            }
        }
        assertEquals(List.of(0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31), more);
    }

    @Test
    void processes_tensors_by_layer_number_then_name() throws IOException {
        Random r = new Random(SEED);
        try (Gguf g = Gguf.open(synthetic(12, 256, false, r))) {
            Quantizer.Plan plan = Quantizer.plan(g, FileType.Q4_K_M);
            List<String> order = plan.tensors().stream().map(Quantizer.TensorPlan::name).toList();
            assertEquals("output.weight", order.get(0));
            assertEquals("token_embd.weight", order.get(1));
            assertTrue(order.indexOf("blk.2.attn_q.weight") < order.indexOf("blk.10.attn_q.weight"));
            // 12 layers: useMoreBits for i < 1, i >= 10, (i - 1) % 3 == 2 -> 0, 3, 6, 9, 10, 11
            for (int i = 0; i < 12; i++) {
                GgmlType want = List.of(0, 3, 6, 9, 10, 11).contains(i) ? GgmlType.Q6_K : GgmlType.Q4_K;
                assertEquals(want, plan.tensor("blk." + i + ".ffn_down.weight").to(), "ffn_down " + i);
                assertEquals(want, plan.tensor("blk." + i + ".attn_v.weight").to(), "attn_v " + i);
                assertEquals(GgmlType.Q4_K, plan.tensor("blk." + i + ".attn_q.weight").to());
                assertEquals(GgmlType.F32, plan.tensor("blk." + i + ".attn_norm.weight").to());
            }
            assertEquals(GgmlType.Q6_K, plan.tensor("output.weight").to());
            assertEquals(GgmlType.Q4_K, plan.tensor("token_embd.weight").to());
        }
    }

    @Test
    void falls_back_when_rows_are_not_a_multiple_of_256() throws IOException {
        Random r = new Random(SEED);
        Path p = synthetic(2, 288, true, r); // 288 = 9 x 32, not a multiple of 256
        try (Gguf g = Gguf.open(p)) {
            Quantizer.Plan plan = Quantizer.plan(g, FileType.Q4_K_M);
            assertEquals(GgmlType.Q8_0, plan.tensor("token_embd.weight").to(), "tied output, rows % 256 != 0");
            assertEquals(GgmlType.Q5_0, plan.tensor("blk.0.attn_q.weight").to(), "Q4_K -> Q5_0");
            assertEquals(GgmlType.Q8_0, plan.tensor("blk.1.attn_v.weight").to(), "Q6_K -> Q8_0");
            assertEquals(GgmlType.Q8_0, plan.tensor("blk.1.ffn_down.weight").to(), "Q6_K -> Q8_0");
            assertEquals(GgmlType.Q5_0, plan.tensor("blk.0.ffn_down.weight").to());
            Quantizer.Plan q5 = Quantizer.plan(g, FileType.Q5_K_S);
            assertEquals(GgmlType.Q5_1, q5.tensor("blk.0.attn_q.weight").to(), "Q5_K -> Q5_1");
        }
        // and the file is written and decodes
        Path out = dir.resolve("fallback.gguf");
        Quantizer.quantize(p, out, FileType.Q4_K_M, Quantizer.Progress.NONE);
        try (Gguf g = Gguf.open(out)) {
            assertEquals(GgmlType.Q5_0, g.tensor("blk.0.attn_q.weight").type());
            assertEquals(15, g.getInt("general.file_type"));
            assertEquals(2, g.getInt("general.quantization_version"));
        }
    }

    @Test
    void rows_not_a_multiple_of_32_fall_back_to_f16_or_fail_like_llama_cpp() throws IOException {
        // a K-quant whose fallback (Q5_0) does not divide the row either becomes F16
        QuantMix mix = new QuantMix(FileType.Q4_K_M, new QuantMix.Model("llama", 2, 0, 4, 4, true), 2);
        assertEquals(GgmlType.F16, mix.choose("blk.0.attn_q.weight", new long[] {40, 4, 1, 1}));
        assertEquals(GgmlType.Q5_0, mix.choose("blk.0.attn_k.weight", new long[] {96, 4, 1, 1}));
        // the output tensor goes to Q8_0, which has no fallback: llama.cpp refuses such a model
        Random r = new Random(SEED);
        try (Gguf g = Gguf.open(synthetic(2, 40, false, r))) {
            for (FileType t : List.of(FileType.Q4_K_M, FileType.Q4_0, FileType.Q8_0)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Quantizer.plan(g, t));
                assertTrue(e.getMessage().contains("'output.weight'") && e.getMessage().contains("40"), e.getMessage());
            }
            // F16 has no per-tensor rules and no block constraint
            assertEquals(GgmlType.F16, Quantizer.plan(g, FileType.F16).tensor("output.weight").to());
        }
    }

    @Test
    void parses_file_type_names() {
        assertEquals(FileType.Q4_K_M, FileType.parse("q4_k_m"));
        assertEquals(15, FileType.Q4_K_M.id());
        assertEquals(7, FileType.parse("Q8_0").id());
        assertEquals(2, FileType.parse("Q4_0").id());
        var e = assertThrows(IllegalArgumentException.class, () -> FileType.parse("Q3_K_XL"));
        assertTrue(e.getMessage().contains("Q3_K_XL") && e.getMessage().contains("Q4_K_M"));
    }
}
