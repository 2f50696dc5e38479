package dev.pocketrag.generation.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pocketrag.generation.Gguf;
import dev.pocketrag.generation.gguf.GgmlType;
import dev.pocketrag.generation.gguf.GgufTensorInfo;
import dev.pocketrag.generation.gguf.UnsupportedTensorTypeException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Against ggml's own vectors in ../shared/reference/quants: dequantizing {@code w} gives
 * {@code w_dequant} bit for bit, and quantizing {@code w_source} gives the bytes of {@code w}.
 */
class ReferenceQuantsTest {

    static Path quants() {
        String s = System.getProperty("pocketrag.shared");
        Assumptions.assumeTrue(s != null && Files.isDirectory(Path.of(s, "reference/quants")),
                "pocketrag.shared not set or reference/quants missing: skipping");
        return Path.of(s, "reference/quants");
    }

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
            "Q6_K", "IQ4_NL", "IQ4_XS"})
    void dequantizes_w_to_w_dequant_bit_for_bit(String typeName) throws IOException {
        try (Gguf g = Gguf.open(quants().resolve("quant-" + typeName + ".gguf"))) {
            GgufTensorInfo w = g.tensor("w");
            assertEquals(typeName, w.type().name());
            assertEquals(g.getInt("refdata.ggml_type_id"), w.type().id());
            float[] got = Tensors.toFloat(w, g.tensorData(w));
            float[] want = Tensors.toFloat(g.tensor("w_dequant"), g.tensorData("w_dequant"));
            assertEquals(want.length, got.length);
            for (int i = 0; i < want.length; i++) {
                if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                    fail(typeName + ": element " + i + " (row " + i / 512 + ") = " + got[i] + ", ggml " + want[i]);
                }
            }
            // row access agrees with whole-tensor decoding
            float[] row = new float[512];
            Tensors.dequantizeRow(w, g.tensorData(w), 5, row, 0);
            for (int i = 0; i < 512; i++) {
                assertEquals(Float.floatToRawIntBits(want[5 * 512 + i]), Float.floatToRawIntBits(row[i]));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
            "Q6_K"})
    void quantizes_w_source_to_the_bytes_of_w(String typeName) throws IOException {
        try (Gguf g = Gguf.open(quants().resolve("quant-" + typeName + ".gguf")); Arena arena = Arena.ofConfined()) {
            GgufTensorInfo w = g.tensor("w");
            float[] source = Tensors.toFloat(g.tensor("w_source"), g.tensorData("w_source"));
            MemorySegment out = arena.allocate(w.byteSize());
            // row by row, as llama-quantize does
            for (int r = 0; r < 6; r++) {
                Tensors.quantize(w.type(), source, r * 512, out, r * w.rowBytes(), 512, "w");
            }
            byte[] want = g.tensorData(w).toArray(ValueLayout.JAVA_BYTE);
            byte[] got = out.toArray(ValueLayout.JAVA_BYTE);
            for (int i = 0; i < want.length; i++) {
                if (want[i] != got[i]) {
                    long blockBytes = w.type().typeSize();
                    fail(typeName + ": byte " + i + " (block " + i / blockBytes + ", offset " + i % blockBytes
                            + ") = " + got[i] + ", ggml " + want[i]);
                }
            }
        }
    }

    @Test
    void unsupported_types_name_the_type_and_the_tensor() {
        var e = assertThrows(UnsupportedTensorTypeException.class,
                () -> Tensors.dequantize(GgmlType.IQ2_XXS, MemorySegment.ofArray(new byte[66]), 0, new float[256], 0,
                        256, "blk.3.ffn_up.weight"));
        assertTrue(e.getMessage().contains("IQ2_XXS") && e.getMessage().contains("blk.3.ffn_up.weight"),
                e.getMessage());
        assertEquals(GgmlType.IQ2_XXS, e.type());
        var q = assertThrows(UnsupportedTensorTypeException.class,
                () -> Tensors.quantize(GgmlType.IQ4_XS, new float[256], 0, MemorySegment.ofArray(new byte[136]), 0,
                        256, "t"));
        assertTrue(q.getMessage().contains("IQ4_XS"), q.getMessage());
    }

    @Test
    void block_table_matches_ggml() {
        // sizes from ggml's type traits (and the reference README table)
        record Row(GgmlType t, int block, int bytes) {}
        for (Row r : List.of(new Row(GgmlType.F32, 1, 4), new Row(GgmlType.F16, 1, 2), new Row(GgmlType.BF16, 1, 2),
                new Row(GgmlType.Q8_0, 32, 34), new Row(GgmlType.Q4_0, 32, 18), new Row(GgmlType.Q4_1, 32, 20),
                new Row(GgmlType.Q5_0, 32, 22), new Row(GgmlType.Q5_1, 32, 24), new Row(GgmlType.Q2_K, 256, 84),
                new Row(GgmlType.Q3_K, 256, 110), new Row(GgmlType.Q4_K, 256, 144), new Row(GgmlType.Q5_K, 256, 176),
                new Row(GgmlType.Q6_K, 256, 210), new Row(GgmlType.IQ4_NL, 32, 18), new Row(GgmlType.IQ4_XS, 256, 136))) {
            assertEquals(r.block, r.t.blockSize(), r.t.name());
            assertEquals(r.bytes, r.t.typeSize(), r.t.name());
        }
    }

    @Test
    void rejects_lengths_that_are_not_whole_blocks() {
        assertThrows(IllegalArgumentException.class,
                () -> Tensors.dequantize(GgmlType.Q4_K, MemorySegment.ofArray(new byte[144]), 0, new float[300], 0,
                        300, "t"));
    }
}
