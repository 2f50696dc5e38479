package dev.pocketrag.generation.model;

import dev.pocketrag.generation.gguf.GgufFile;
import dev.pocketrag.generation.gguf.GgufFormatException;
import dev.pocketrag.generation.gguf.GgufTensorInfo;
import dev.pocketrag.generation.gguf.UnsupportedTensorTypeException;
import dev.pocketrag.generation.tensor.ActivationFormat;
import dev.pocketrag.generation.tensor.Tensors;
import dev.pocketrag.generation.tensor.WeightMatrix;
import java.util.Arrays;
import java.util.Optional;

/**
 * The tensors of a model, by llama.cpp's GGUF names. Matrices stay in the mapped file
 * ({@link WeightMatrix}); only 1-D tensors (norms, biases, RoPE factors; a few KB) are copied to
 * float arrays. Shapes are checked against the {@link ModelConfig}.
 *
 * <table>
 * <caption>Tensors ({@code ne} order: row length first)</caption>
 * <tr><th>name</th><th>shape</th><th>notes</th></tr>
 * <tr><td>token_embd.weight</td><td>[dim, vocab]</td><td></td></tr>
 * <tr><td>output_norm.weight</td><td>[dim]</td><td></td></tr>
 * <tr><td>output.weight</td><td>[dim, vocab]</td><td>absent: tied to token_embd</td></tr>
 * <tr><td>rope_freqs.weight</td><td>[ropeDim/2]</td><td>optional (Llama 3.1 scaling): divides pair i's frequency</td></tr>
 * <tr><td>rope_factors_long/short.weight</td><td>[ropeDim/2]</td><td>optional (phi3 LongRoPE)</td></tr>
 * <tr><td>blk.N.attn_norm.weight</td><td>[dim]</td><td></td></tr>
 * <tr><td>blk.N.attn_q/k/v.weight</td><td>[dim, qDim/kDim/vDim]</td><td>or fused attn_qkv [dim, qDim+kDim+vDim]</td></tr>
 * <tr><td>blk.N.attn_q/k/v.bias, attn_qkv.bias, attn_output.bias</td><td>[rows]</td><td>optional (qwen2)</td></tr>
 * <tr><td>blk.N.attn_q_norm/attn_k_norm.weight</td><td>[headDim]</td><td>qwen3</td></tr>
 * <tr><td>blk.N.attn_output.weight</td><td>[qDim, dim]</td><td></td></tr>
 * <tr><td>blk.N.ffn_norm.weight</td><td>[dim]</td><td></td></tr>
 * <tr><td>blk.N.ffn_gate/ffn_up.weight</td><td>[dim, ffn]</td><td>phi3: ffn_up [dim, 2 ffn] = gate rows then up rows</td></tr>
 * <tr><td>blk.N.ffn_down.weight</td><td>[ffn, dim]</td><td></td></tr>
 * <tr><td>blk.N.post_attention_norm/post_ffw_norm.weight</td><td>[dim]</td><td>gemma2</td></tr>
 * </table>
 */
final class ModelWeights {
    /** The tensors of one block. */
    static final class Layer {
        float[] attnNorm;
        WeightMatrix wq;
        WeightMatrix wk;
        WeightMatrix wv;
        WeightMatrix wqkv;
        float[] bq;
        float[] bk;
        float[] bv;
        float[] bqkv;
        WeightMatrix wo;
        float[] bo;
        float[] qNorm;
        float[] kNorm;
        float[] ffnNorm;
        /** gemma2: norms of the attention and feed-forward outputs. */
        float[] postAttnNorm;
        float[] postFfnNorm;
        WeightMatrix gate;
        WeightMatrix up;
        /** phi3: [gate; up] in one matrix of 2 ffn rows. */
        WeightMatrix gateUp;
        WeightMatrix down;
    }

    final WeightMatrix tokenEmbd;
    final float[] outputNorm;
    final WeightMatrix output;
    final float[] ropeFreqs;
    final float[] ropeLong;
    final float[] ropeShort;
    final Layer[] layers;

    private final GgufFile gguf;
    private final String source;

    private ModelWeights(GgufFile gguf, ModelConfig c) {
        this.gguf = gguf;
        this.source = gguf.path().getFileName() == null ? gguf.path().toString() : gguf.path().getFileName().toString();
        tokenEmbd = matrix("token_embd.weight", c.dim(), c.vocabSize());
        outputNorm = vector("output_norm.weight", c.dim());
        output = optionalMatrix("output.weight", c.dim(), c.vocabSize()).orElse(tokenEmbd);
        int half = c.ropeDim() / 2;
        ropeFreqs = optionalVector("rope_freqs.weight", half);
        ropeLong = optionalVector("rope_factors_long.weight", half);
        ropeShort = optionalVector("rope_factors_short.weight", half);
        layers = new Layer[c.layers()];
        for (int i = 0; i < c.layers(); i++) {
            String p = "blk." + i + ".";
            Layer l = new Layer();
            l.attnNorm = vector(p + "attn_norm.weight", c.dim());
            int qkvRows = c.qDim() + c.kDim() + c.vDim();
            Optional<WeightMatrix> fused = optionalMatrix(p + "attn_qkv.weight", c.dim(), qkvRows);
            if (fused.isPresent()) {
                l.wqkv = fused.get();
                l.bqkv = optionalVector(p + "attn_qkv.bias", qkvRows);
            } else {
                l.wq = matrix(p + "attn_q.weight", c.dim(), c.qDim());
                l.wk = matrix(p + "attn_k.weight", c.dim(), c.kDim());
                l.wv = matrix(p + "attn_v.weight", c.dim(), c.vDim());
                l.bq = optionalVector(p + "attn_q.bias", c.qDim());
                l.bk = optionalVector(p + "attn_k.bias", c.kDim());
                l.bv = optionalVector(p + "attn_v.bias", c.vDim());
            }
            l.wo = matrix(p + "attn_output.weight", c.qDim(), c.dim());
            l.bo = optionalVector(p + "attn_output.bias", c.dim());
            if (c.architecture() == Architecture.QWEN3) {
                l.qNorm = vector(p + "attn_q_norm.weight", c.headDim());
                l.kNorm = vector(p + "attn_k_norm.weight", c.headDim());
            }
            l.ffnNorm = vector(p + "ffn_norm.weight", c.dim());
            if (c.architecture() == Architecture.GEMMA2) {
                l.postAttnNorm = vector(p + "post_attention_norm.weight", c.dim());
                l.postFfnNorm = vector(p + "post_ffw_norm.weight", c.dim());
            }
            if (c.architecture() == Architecture.PHI3) {
                l.gateUp = matrix(p + "ffn_up.weight", c.dim(), 2 * c.ffnDim());
            } else {
                l.gate = matrix(p + "ffn_gate.weight", c.dim(), c.ffnDim());
                l.up = matrix(p + "ffn_up.weight", c.dim(), c.ffnDim());
            }
            l.down = matrix(p + "ffn_down.weight", c.ffnDim(), c.dim());
            layers[i] = l;
        }
    }

    /** Looks up and checks every tensor the forward pass of {@code config} needs. */
    static ModelWeights load(GgufFile gguf, ModelConfig config) {
        return new ModelWeights(gguf, config);
    }

    private WeightMatrix matrix(String name, int cols, int rows) {
        return optionalMatrix(name, cols, rows).orElseThrow(() -> new GgufFormatException(source,
                "tensor '" + name + "'", "(absent)", -1, "required tensor is missing"));
    }

    private Optional<WeightMatrix> optionalMatrix(String name, int cols, int rows) {
        Optional<GgufTensorInfo> t = gguf.findTensor(name);
        if (t.isEmpty()) {
            return Optional.empty();
        }
        GgufTensorInfo info = t.get();
        if (info.ne(0) != cols || info.ne(1) != rows || info.ne(2) != 1 || info.ne(3) != 1) {
            throw new GgufFormatException(source, "tensor '" + name + "' shape", Arrays.toString(info.dims()),
                    gguf.fileOffset(info), "expected [" + cols + ", " + rows + "]");
        }
        try {
            ActivationFormat.forWeights(info.type());
        } catch (UnsupportedTensorTypeException e) {
            throw new UnsupportedTensorTypeException(info.type(), name, "multiply");
        }
        return Optional.of(WeightMatrix.of(info, gguf.tensorData(info)));
    }

    private float[] vector(String name, int n) {
        float[] v = optionalVector(name, n);
        if (v == null) {
            throw new GgufFormatException(source, "tensor '" + name + "'", "(absent)", -1, "required tensor is missing");
        }
        return v;
    }

    private float[] optionalVector(String name, int n) {
        Optional<GgufTensorInfo> t = gguf.findTensor(name);
        if (t.isEmpty()) {
            return null;
        }
        GgufTensorInfo info = t.get();
        if (info.elementCount() != n || info.ne(0) != n) {
            throw new GgufFormatException(source, "tensor '" + name + "' shape", Arrays.toString(info.dims()),
                    gguf.fileOffset(info), "expected [" + n + "]");
        }
        return Tensors.toFloat(info, gguf.tensorData(info));
    }
}
