package dev.pocketrag.generation.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.generation.SyntheticModel;
import dev.pocketrag.generation.gguf.GgmlType;
import dev.pocketrag.generation.gguf.GgufFile;
import dev.pocketrag.generation.tokenizer.GgufVocabulary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The forward pass gives the same logits however the tokens are batched and however many threads
 * run it: a whole prompt in one batch, in batches of 5, and one token at a time, with 1 and 3
 * threads. They agree bit for bit where every output is computed by the same float operations in the
 * same order: models whose matrices are all float or K-quant types (exact integer super-block sums).
 * Q4_0, Q5_0 and Q8_0 matrices have a fused matrix-vector kernel that scales each block's float sum,
 * as ggml does, where the batched kernel sums scaled weights. Those differ in the last bits, and a
 * last-bit difference can flip one 8-bit activation quant, which these random-weight models amplify
 * (see {@link ReferenceOutputsTest}). There the passes are held to that test's criteria against
 * llama.cpp: the first position within {@link ReferenceOutputsTest#EXACT}, every position within
 * {@link ReferenceOutputsTest#TOLERANCE_QUANTIZED}, and the same greedy token unless the top two are
 * closer than twice the deviation.
 * Covers every reference model plus synthetic qwen3 (q/k norms, head size 128 != dim / heads) and
 * gemma2 models (which, like qwen3, have no llama.cpp reference outputs in ../shared).
 */
class BatchConsistencyTest {
    static final String PROMPT = "The baker wakes up at 4:30 every morning.";

    static Stream<Path> models() throws IOException {
        Path shared = ReferenceCase.shared();
        List<Path> out = new ArrayList<>();
        out.add(shared.resolve("models/stories260K.gguf"));
        for (String m : new String[] {"tiny-llama-Q4_0", "tiny-llama-Q4_K_M", "tiny-llama-Q5_K_M", "tiny-llama-Q8_0",
                "tiny-llama3-Q4_K_M", "tiny-phi3-Q4_K_M", "tiny-qwen2-Q4_0"}) {
            out.add(shared.resolve("reference/models/" + m + ".gguf"));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void batched_sequential_and_threaded_passes_agree_bit_for_bit(Path model) throws IOException {
        check(model);
    }

    @Test
    void synthetic_qwen3_runs_and_agrees_with_itself(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("qwen3.gguf");
        SyntheticModel.write(new SyntheticModel.Shape("qwen3", 2, 256, 4, 2, 512, 4096, 1000000f, true, 128),
                ReferenceCase.shared().resolve("models/stories260K.gguf"), GgmlType.Q8_0, 3, f);
        try (GgufFile g = GgufFile.open(f)) {
            ModelConfig c = ModelConfig.from(g);
            assertEquals(Architecture.QWEN3, c.architecture());
            assertEquals(128, c.headDim());
            assertEquals(512, c.qDim());
        }
        check(f);
    }

    @Test
    void synthetic_gemma2_runs_and_agrees_with_itself(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("gemma2.gguf");
        SyntheticModel.write(new SyntheticModel.Shape("gemma2", 3, 256, 4, 2, 512, 8192, 10000f, true, 128),
                ReferenceCase.shared().resolve("models/stories260K.gguf"), GgmlType.Q4_K, 4, f);
        try (GgufFile g = GgufFile.open(f)) {
            ModelConfig c = ModelConfig.from(g);
            assertEquals(Architecture.GEMMA2, c.architecture());
            assertEquals(4096, c.window(0));
            assertEquals(0, c.window(1));
            assertEquals(30f, c.finalSoftcap());
        }
        check(f);
    }

    /**
     * Sliding windows shorter than the prompt (gemma2 uses them on even layers): a batch's rows then
     * attend to different ranges, and the attention kernels split each row's positions into the range
     * its tile shares and its own positions before and after (none shared when the window is shorter
     * than the tile's tokens). Group sizes 1, 2 and 4 (query heads per KV head) put rows of one and of
     * several tokens in a tile.
     */
    @ParameterizedTest(name = "window {0}, {1} heads / {2} KV heads")
    @org.junit.jupiter.params.provider.CsvSource({"1, 4, 4", "2, 4, 2", "3, 8, 2", "5, 4, 1", "9, 8, 2"})
    void sliding_windows_shorter_than_the_prompt_agree_bit_for_bit(int window, int heads, int kvHeads,
            @TempDir Path dir) throws IOException {
        Path f = dir.resolve("gemma2.gguf");
        SyntheticModel.write(new SyntheticModel.Shape("gemma2", 2, 256, heads, kvHeads, 512, 8192, 10000f, true, 64),
                ReferenceCase.shared().resolve("models/stories260K.gguf"), GgmlType.Q4_K, 5, f);
        ModelConfig full;
        try (GgufFile g = GgufFile.open(f)) {
            full = ModelConfig.from(g);
        }
        ModelConfig c = new ModelConfig(full.architecture(), full.name(), full.layers(), full.dim(), full.heads(),
                full.kvHeads(), full.headDim(), full.headDimV(), full.ffnDim(), full.vocabSize(), full.contextTrain(),
                full.rmsEps(), full.ropeTheta(), full.ropeDim(), full.ropeFreqScale(), full.ropeAttnFactor(),
                full.ropeExtFactor(), full.ropeOrigContext(), window, full.swaEvenLayers(), full.attnSoftcap(),
                full.finalSoftcap(), full.queryScale());
        float[][] windowed = check(f, c);
        float[][] unlimited = check(f, full);
        int last = windowed.length - 1;
        assertTrue(!java.util.Arrays.equals(windowed[last], unlimited[last]),
                "a window of " + window + " must change the logits of position " + last);
        assertTrue(java.util.Arrays.equals(windowed[Math.min(window, last) - 1], unlimited[Math.min(window, last) - 1]),
                "positions inside the window see every token either way");
    }

    private static float[][] check(Path model) throws IOException {
        try (GgufFile g = GgufFile.open(model)) {
            return check(model, ModelConfig.from(g));
        }
    }

    /** Runs the checks with {@code cfg} (the model's own or a variant); returns the batched logits. */
    private static float[][] check(Path model, ModelConfig cfg) throws IOException {
        try (GgufFile g = GgufFile.open(model)) {
            boolean exact = g.tensors().stream().noneMatch(t -> switch (t.type()) {
                case Q4_0, Q5_0, Q8_0 -> true;
                default -> false;
            });
            int[] ids = GgufVocabulary.tokenizer(g.metadata(), g.source()).encode(PROMPT, true, false);
            int v = cfg.vocabSize();
            float[][] batched = new float[ids.length][];
            try (Transformer t = new Transformer(g, cfg, 64, 3, 64)) {
                t.forwardAll(ids, 0, ids.length, 0, (i, l, off) -> batched[i] = java.util.Arrays.copyOfRange(l, off, off + v));
            }
            float[][] fives = new float[ids.length][];
            try (Transformer t = new Transformer(g, cfg, 64, 1, 5)) {
                t.forwardAll(ids, 0, ids.length, 0, (i, l, off) -> fives[i] = java.util.Arrays.copyOfRange(l, off, off + v));
            }
            try (Transformer t = new Transformer(g, cfg, 64, 1, 1)) {
                for (int i = 0; i < ids.length; i++) {
                    float[] l = t.forward(ids, i, i + 1, i);
                    for (int k = 0; k < v; k++) {
                        assertTrue(Float.isFinite(l[k]), "logit " + k + " at " + i);
                    }
                    if (exact) {
                        assertTrue(java.util.Arrays.equals(batched[i], l), model.getFileName() + ": position " + i
                                + " differs between one batch (3 threads) and one token at a time");
                        assertTrue(java.util.Arrays.equals(fives[i], l), model.getFileName() + ": position " + i
                                + " differs between batches of 5 and one token at a time");
                    } else {
                        close(batched[i], l, i, model + ": position " + i + ", one batch (3 threads) vs one token at a time");
                        close(fives[i], l, i, model + ": position " + i + ", batches of 5 vs one token at a time");
                    }
                }
            }
            return batched;
        }
    }

    private static void close(float[] a, float[] b, int position, String what) {
        double dev = 0;
        int top = 0;
        for (int k = 0; k < a.length; k++) {
            dev = Math.max(dev, Math.abs(a[k] - b[k]));
            top = b[k] > b[top] ? k : top;
        }
        double tol = position == 0 ? ReferenceOutputsTest.EXACT : ReferenceOutputsTest.TOLERANCE_QUANTIZED;
        assertTrue(dev <= tol, what + ": logits differ by " + dev + " > " + tol);
        int topA = 0;
        float second = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < a.length; k++) {
            topA = a[k] > a[topA] ? k : topA;
            if (k != top) {
                second = Math.max(second, b[k]);
            }
        }
        if (b[top] - second >= 2 * dev) {
            assertEquals(top, topA, what + ": greedy token (gap " + (b[top] - second) + ", deviation " + dev + ")");
        }
    }
}
