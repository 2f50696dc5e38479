package dev.pocketrag.generation.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.generation.gguf.GgmlType;
import dev.pocketrag.generation.gguf.GgufFile;
import dev.pocketrag.generation.tokenizer.GgufVocabulary;
import dev.pocketrag.generation.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Our forward pass against llama.cpp's outputs for every model and prompt of
 * ../shared/reference/outputs: prompt token ids, the top-20 logits at every prompt position (one
 * batched pass, like llama.cpp's single {@code llama_decode}), the top-20 logits at each of the 48
 * generation steps fed with llama.cpp's own tokens, and our free-running greedy continuation.
 *
 * <h2>Tolerance</h2>
 * Our engine reproduces ggml-cpu's arithmetic (see {@code ActivationFormat}, {@code Transformer}):
 * activations are encoded to Q8_0/Q8_1/Q8_K (or F16) exactly as ggml does before each quantized
 * matrix product, q/k/v and the attention weights are rounded to F16 like llama.cpp's F16 KV cache,
 * and RMSNorm, RoPE and softmax follow ggml's formulas. Only the order of float additions inside
 * dot products (SIMD lanes, sgemm tiles) and the last-bit accuracy of exp/cos differ. Where
 * nothing else differs the logits agree to about 1e-5 (a few float ulps of logits of size ~50).
 *
 * <p>But an activation that lands within a few ulps of a rounding boundary of the 8-bit encoding
 * is rounded differently by the two implementations (roughly once per ten tokens at these sizes),
 * and these random-weight models are very sensitive to that: changing ONE 8-bit activation quant
 * by 1 in the first layer of tiny-llama-Q4_0 moves its final logits by 0.50 to 1.43 (measured:
 * perturbing element 5 of the first block of the first matrix product of each of 12 successive
 * products, "Once upon a time"). Such a change enters the KV cache and persists, and two or three
 * of them can add up. Hence:
 * <ul>
 * <li>{@value #TOLERANCE_QUANTIZED} (absolute) on the top-20 logits for models with quantized weights
 *     (about 4% of their logit range of ~60; measured maximum 1.98 with the scalar kernels);</li>
 * <li>{@value #TOLERANCE_F32} for the all-F32 stories260K, where only F16 cache roundings can flip
 *     (each worth ~1e-3; measured maximum 0.014);</li>
 * <li>the first prompt position (the BOS/first token alone) must agree within {@value #EXACT}: with
 *     one token there is almost nothing to flip, so this checks the arithmetic itself (a wrong
 *     epsilon, scale, RoPE or encoding shows up as 1e-2 or more);</li>
 * <li>top-1 must equal llama.cpp's at every prompt position, except where llama.cpp's own top-1/top-2
 *     gap is smaller than twice the deviation measured at that position (the README's tiny-gap
 *     positions, and a few more after a flip); there our top-1 must be a token of llama.cpp's top 20
 *     whose logit is within twice the deviation of its top-1 (usually its second; with 8-lane vectors,
 *     AVX2, tiny-llama3-Q4_K_M p3 position 35, at a deviation of 0.56 after an earlier flip, takes
 *     another);</li>
 * <li>the free-running greedy continuation must equal llama.cpp's for at least
 *     {@value #GREEDY_PREFIX} tokens, unless it diverges at a step where llama.cpp's top-1/top-2 gap
 *     is smaller than twice the deviation measured at that step (a near-tie after a rounding flip:
 *     with the scalar kernels this happens in 3 of the 24 cases, at gaps of 0.05 to 0.26).</li>
 * </ul>
 */
class ReferenceOutputsTest {
    static final double TOLERANCE_QUANTIZED = 2.5;
    static final double TOLERANCE_F32 = 0.05;
    static final double EXACT = 1e-3;
    static final int GREEDY_PREFIX = 16;

    static Stream<ReferenceCase> cases() throws Exception {
        return ReferenceCase.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void agrees_with_llama_cpp_at_every_position(ReferenceCase rc) throws Exception {
        try (GgufFile gguf = GgufFile.open(rc.model())) {
            Tokenizer tok = GgufVocabulary.tokenizer(gguf.metadata(), gguf.source());
            int[] ids = tok.encode(rc.prompt(), true, false);
            assertArrayEquals(rc.promptTokens(), ids, "prompt token ids");
            ModelConfig cfg = ModelConfig.from(gguf);
            boolean f32 = gguf.tensors().stream().allMatch(t -> t.type() == GgmlType.F32);
            double tol = f32 ? TOLERANCE_F32 : TOLERANCE_QUANTIZED;
            List<String> problems = new ArrayList<>();
            double[] worst = {0};
            try (Transformer tf = new Transformer(gguf, cfg, 512, 2, 64)) {
                // 1. the prompt in one batched pass, logits at every position
                float[] logits = tf.forwardAll(ids, 0, ids.length, 0, (i, l, off) ->
                        check("p" + i, rc.promptTop().get(i), l, off, cfg.vocabSize(), tol, i == 0, problems, worst));
                // 2. llama.cpp's generated tokens, one step at a time. Up to the first step where our
                //    argmax differs, this is also our own free-running greedy continuation.
                int n = ids.length;
                int[] seq = Arrays.copyOf(ids, n + rc.generated().length);
                System.arraycopy(rc.generated(), 0, seq, n, rc.generated().length);
                int diverged = -1;
                double devAtDivergence = 0;
                for (int j = 0; j < rc.generated().length; j++) {
                    double dev = check("g" + j, rc.generatedTop().get(j), logits, 0, cfg.vocabSize(), tol, false,
                            problems, worst);
                    if (diverged < 0 && argmax(logits, 0, cfg.vocabSize()) != rc.generated()[j]) {
                        diverged = j;
                        devAtDivergence = dev;
                    }
                    if (j + 1 < rc.generated().length) {
                        logits = tf.forward(seq, n + j, n + j + 1, n + j);
                    }
                }
                System.out.printf(Locale.ROOT, "%-24s max |dlogit| %.5f, greedy %s%n", rc.name(), worst[0],
                        diverged < 0 ? "equal for all " + rc.generated().length + " tokens"
                                : "equal for " + diverged + " tokens");
                if (diverged >= 0 && diverged < GREEDY_PREFIX) {
                    float[][] top = rc.generatedTop().get(diverged);
                    double gap = top[1][0] - top[1][1];
                    assertTrue(gap < 2 * devAtDivergence, "greedy continuation diverges at step " + diverged
                            + " where llama.cpp's top-1/top-2 gap " + gap + " is not explained by the deviation "
                            + devAtDivergence);
                }
            }
            assertEquals(List.of(), problems, rc.name());
        }
    }

    /** Compares one position's logits with llama.cpp's top-20 {ids, logits}. */
    private static double check(String where, float[][] ref, float[] logits, int off, int vocab, double tol,
                                boolean exact, List<String> problems, double[] worst) {
        double dev = 0;
        for (int k = 0; k < ref[0].length; k++) {
            dev = Math.max(dev, Math.abs(ref[1][k] - logits[off + (int) ref[0][k]]));
        }
        worst[0] = Math.max(worst[0], dev);
        if (dev > (exact ? EXACT : tol)) {
            problems.add(String.format(Locale.ROOT, "%s: top-20 logits deviate by %.5f", where, dev));
        }
        if (!where.startsWith("p")) {
            return dev;
        }
        int top1 = argmax(logits, off, vocab);
        if (top1 != (int) ref[0][0]) {
            // a near-tie: our top-1 must be a token llama.cpp puts within twice the deviation of its top-1
            double gap = Double.POSITIVE_INFINITY;
            for (int k = 1; k < ref[0].length; k++) {
                if ((int) ref[0][k] == top1) {
                    gap = ref[1][0] - ref[1][k];
                }
            }
            if (!(gap < 2 * dev)) {
                problems.add(String.format(Locale.ROOT, "%s: top-1 %d, llama.cpp %d (gap %.5f, deviation %.5f)", where,
                        top1, (int) ref[0][0], gap, dev));
            }
        }
        return dev;
    }

    static int argmax(float[] l, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (l[off + i] > l[off + best]) {
                best = i;
            }
        }
        return best;
    }
}
