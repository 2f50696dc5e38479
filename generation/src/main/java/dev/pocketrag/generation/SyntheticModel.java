package dev.pocketrag.generation;

import dev.pocketrag.generation.gguf.GgmlType;
import dev.pocketrag.generation.gguf.GgufValue;
import dev.pocketrag.generation.gguf.GgufWriter;
import dev.pocketrag.generation.tensor.Tensors;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Writes GGUF models of real shapes with random weights and a real vocabulary: for memory and speed
 * measurements and tests, where the weight values do not matter (the text they generate is
 * meaningless). Weights are N(0, 0.02) (norms 1, biases 0), quantized with ggml's reference
 * quantizers, generated one tensor at a time so a 1B-parameter model needs little heap.
 *
 * <pre>{@code
 * SyntheticModel.write(SyntheticModel.LLAMA_32_1B, Path.of("ggml-vocab-llama-bpe.gguf"), GgmlType.Q4_0, 42,
 *         Path.of("llama-1b-q4_0.gguf"));
 * }</pre>
 * Command line: {@code SyntheticModel SHAPE VOCAB.gguf TYPE OUT.gguf [SEED]} with SHAPE one of
 * {@link #SHAPES}.
 *
 * <p>Matrices whose row length is not a multiple of 256 get, instead of a K-quant, the type
 * llama-quantize falls back to (Q4_K: Q5_0, Q5_K: Q5_1, Q6_K: Q8_0, Q2_K/Q3_K: Q4_0).
 */
public final class SyntheticModel {

    /**
     * A model shape.
     *
     * @param arch    {@code llama}, {@code qwen2} (adds q/k/v biases), {@code qwen3} (adds q/k norms) or
     *                {@code gemma2} (adds post-attention/feed-forward norms, window 4096, soft caps)
     * @param layers  blocks
     * @param dim     embedding size
     * @param heads   query heads
     * @param kvHeads key/value heads
     * @param ffn     feed-forward size
     * @param context trained context written to the metadata
     * @param theta   RoPE base
     * @param tied    no output.weight (the embedding is reused)
     * @param headDim size of a head (written as key/value length when it is not dim / heads)
     */
    public record Shape(String arch, int layers, int dim, int heads, int kvHeads, int ffn, int context, float theta,
                        boolean tied, int headDim) {
        public Shape {
            Objects.requireNonNull(arch, "arch");
            if (layers < 1 || dim < 1 || heads < 1 || kvHeads < 1 || ffn < 1 || headDim < 2 || headDim % 2 != 0
                    || heads % kvHeads != 0) {
                throw new IllegalArgumentException("inconsistent shape: layers=" + layers + ", dim=" + dim + ", heads="
                        + heads + ", kvHeads=" + kvHeads + ", ffn=" + ffn + ", headDim=" + headDim);
            }
        }

        /** A shape whose head size is dim / heads. */
        public Shape(String arch, int layers, int dim, int heads, int kvHeads, int ffn, int context, float theta,
                     boolean tied) {
            this(arch, layers, dim, heads, kvHeads, ffn, context, theta, tied, dim / heads);
        }
    }

    /** Llama-3.2-1B: 16 layers, 2048, 32/8 heads, FFN 8192, tied, theta 500000. */
    public static final Shape LLAMA_32_1B = new Shape("llama", 16, 2048, 32, 8, 8192, 131072, 500000f, true);
    /** Qwen2.5-0.5B: 24 layers, 896, 14/2 heads, FFN 4864, tied, theta 1e6. */
    public static final Shape QWEN25_05B = new Shape("qwen2", 24, 896, 14, 2, 4864, 32768, 1000000f, true);
    /** SmolLM2-135M: 30 layers, 576, 9/3 heads, FFN 1536, tied, theta 100000. */
    public static final Shape SMOLLM2_135M = new Shape("llama", 30, 576, 9, 3, 1536, 8192, 100000f, true);
    /** Qwen3-0.6B: 28 layers, 1024, 16/8 heads of 128, FFN 3072, tied, theta 1e6, q/k norms. */
    public static final Shape QWEN3_06B = new Shape("qwen3", 28, 1024, 16, 8, 3072, 40960, 1000000f, true, 128);
    /** The named shapes of the command line. */
    public static final Map<String, Shape> SHAPES = Map.of(
            "llama-3.2-1b", LLAMA_32_1B, "qwen2.5-0.5b", QWEN25_05B, "smollm2-135m", SMOLLM2_135M, "qwen3-0.6b", QWEN3_06B);

    private SyntheticModel() {}

    /**
     * Writes a model of {@code shape} with the {@code tokenizer.*} metadata of {@code vocabGguf} and
     * random weights of {@code type} (norms F32) to {@code out}.
     */
    public static void write(Shape shape, Path vocabGguf, GgmlType type, long seed, Path out) throws IOException {
        if (!Tensors.canQuantize(type)) {
            throw new IllegalArgumentException("cannot quantize to " + type);
        }
        GgufWriter w = new GgufWriter();
        int vocab;
        try (Gguf v = Gguf.open(vocabGguf)) {
            vocab = v.getArrayLength("tokenizer.ggml.tokens");
            for (String k : v.keys()) {
                if (k.startsWith("tokenizer.")) {
                    w.put(k, v.get(k));
                }
            }
        }
        String a = shape.arch() + ".";
        w.put("general.architecture", GgufValue.ofString(shape.arch()));
        w.put("general.name", GgufValue.ofString("synthetic " + shape.arch() + " " + shape.layers() + "x" + shape.dim()
                + " " + type));
        w.put(a + "context_length", GgufValue.ofUint32(shape.context()));
        w.put(a + "embedding_length", GgufValue.ofUint32(shape.dim()));
        w.put(a + "block_count", GgufValue.ofUint32(shape.layers()));
        w.put(a + "feed_forward_length", GgufValue.ofUint32(shape.ffn()));
        w.put(a + "attention.head_count", GgufValue.ofUint32(shape.heads()));
        w.put(a + "attention.head_count_kv", GgufValue.ofUint32(shape.kvHeads()));
        w.put(a + "attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        w.put(a + "rope.freq_base", GgufValue.ofFloat32(shape.theta()));
        if (shape.arch().equals("gemma2")) {
            w.put(a + "attention.sliding_window", GgufValue.ofUint32(4096));
            w.put(a + "attn_logit_softcapping", GgufValue.ofFloat32(50f));
            w.put(a + "final_logit_softcapping", GgufValue.ofFloat32(30f));
        }
        int hd = shape.headDim();
        int qd = shape.heads() * hd;
        int kv = shape.kvHeads() * hd;
        if (hd != shape.dim() / shape.heads()) {
            w.put(a + "attention.key_length", GgufValue.ofUint32(hd));
            w.put(a + "attention.value_length", GgufValue.ofUint32(hd));
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        int dim = shape.dim();
        matrix(w, "token_embd.weight", type, dim, vocab, rnd.split());
        w.addTensor("output_norm.weight", new long[] {dim}, ones(dim));
        if (!shape.tied()) {
            matrix(w, "output.weight", type, dim, vocab, rnd.split());
        }
        for (int l = 0; l < shape.layers(); l++) {
            String p = "blk." + l + ".";
            w.addTensor(p + "attn_norm.weight", new long[] {dim}, ones(dim));
            matrix(w, p + "attn_q.weight", type, dim, qd, rnd.split());
            matrix(w, p + "attn_k.weight", type, dim, kv, rnd.split());
            matrix(w, p + "attn_v.weight", type, dim, kv, rnd.split());
            if (shape.arch().equals("qwen2")) {
                w.addTensor(p + "attn_q.bias", new long[] {qd}, new float[qd]);
                w.addTensor(p + "attn_k.bias", new long[] {kv}, new float[kv]);
                w.addTensor(p + "attn_v.bias", new long[] {kv}, new float[kv]);
            }
            if (shape.arch().equals("qwen3")) {
                w.addTensor(p + "attn_q_norm.weight", new long[] {hd}, ones(hd));
                w.addTensor(p + "attn_k_norm.weight", new long[] {hd}, ones(hd));
            }
            matrix(w, p + "attn_output.weight", type, qd, dim, rnd.split());
            w.addTensor(p + "ffn_norm.weight", new long[] {dim}, ones(dim));
            if (shape.arch().equals("gemma2")) {
                w.addTensor(p + "post_attention_norm.weight", new long[] {dim}, ones(dim));
                w.addTensor(p + "post_ffw_norm.weight", new long[] {dim}, ones(dim));
            }
            matrix(w, p + "ffn_gate.weight", type, dim, shape.ffn(), rnd.split());
            matrix(w, p + "ffn_up.weight", type, dim, shape.ffn(), rnd.split());
            matrix(w, p + "ffn_down.weight", type, shape.ffn(), dim, rnd.split());
        }
        w.write(out);
    }

    /** The type llama-quantize uses for a tensor of {@code type} with rows of {@code cols} values. */
    static GgmlType typeFor(GgmlType type, int cols) {
        if (cols % type.blockSize() == 0) {
            return type;
        }
        return switch (type) {
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            case Q2_K, Q3_K -> GgmlType.Q4_0;
            default -> throw new IllegalArgumentException("row length " + cols + " is not a multiple of the " + type
                    + " block size " + type.blockSize());
        };
    }

    private static void matrix(GgufWriter w, String name, GgmlType type, int cols, int rows, SplittableRandom rnd) {
        GgmlType t = typeFor(type, cols);
        w.addTensor(name, t, new long[] {cols, rows}, () -> {
            long rowBytes = t.rowBytes(cols);
            MemorySegment seg = Arena.ofAuto().allocate(rowBytes * rows, 64);
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < cols; i++) {
                    row[i] = (float) (rnd.nextGaussian() * 0.02);
                }
                Tensors.quantize(t, row, 0, seg, r * rowBytes, cols, name);
            }
            return seg;
        });
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    /** {@code SyntheticModel SHAPE VOCAB.gguf TYPE OUT.gguf [SEED]}. */
    public static void main(String[] args) throws IOException {
        if (args.length < 4) {
            System.err.println("usage: SyntheticModel SHAPE VOCAB.gguf TYPE OUT.gguf [SEED]; shapes: " + SHAPES.keySet());
            System.exit(2);
        }
        Shape s = SHAPES.get(args[0].toLowerCase(Locale.ROOT));
        if (s == null) {
            System.err.println("unknown shape " + args[0] + "; shapes: " + SHAPES.keySet());
            System.exit(2);
        }
        GgmlType t = GgmlType.byName(args[2]).orElseThrow(() -> new IllegalArgumentException("unknown type " + args[2]));
        long seed = args.length > 4 ? Long.parseLong(args[4]) : 42;
        write(s, Path.of(args[1]), t, seed, Path.of(args[3]));
    }
}
