package dev.pocketrag.generation.model;

import dev.pocketrag.generation.gguf.GgufFile;
import dev.pocketrag.generation.tensor.Activation;
import dev.pocketrag.generation.tensor.Activations;
import dev.pocketrag.generation.tensor.Half;
import dev.pocketrag.generation.tensor.Kernels;
import dev.pocketrag.generation.tensor.MatMul;
import dev.pocketrag.generation.tensor.WeightMatrix;

/**
 * The forward pass of a decoder-only transformer (llama family: {@link Architecture}) over a
 * memory-mapped GGUF file, with its KV cache. Tokens are processed in batches of up to
 * {@code batchSize} (each weight matrix is streamed once per batch); a batch of one is a
 * generation step. Every buffer is allocated in the constructor: a forward pass allocates nothing.
 * Not thread-safe: one sequence, one caller at a time.
 *
 * <p>One block, per token (shapes per token; llama.cpp's graph, same order of operations; the
 * names are the buffers of {@code layer}, each step is commented there with its number):
 * <pre>
 * 1. xn  = rmsnorm(x) * attn_norm                                 // (dim)
 * 2. qkv = Wq xn (+bq) | Wk xn (+bk) | Wv xn (+bv)                 // q (qDim) | k (kDim) | v (vDim); or fused Wqkv
 * 3. q,k = rmsnorm per head * q_norm/k_norm                        // qwen3 only
 * 4. q,k = rope(q, pos), rope(k, pos)                              // NORM or NEOX pairs, see Architecture
 * 5. K[pos], V[pos] = f16(k), f16(v)                               // KV cache
 * 6. per head h (kv head g = h / (heads / kvHeads)):              // att (qDim)
 *      s_j = f16(q_h) . K[j]_g * scale,  j in window               // scale 1/sqrt(headDim)
 *      p   = softmax(s);  att_h = sum_j f16(p_j) V[j]_g
 * 7. xn  = Wo att (+bo);  x += xn                                   // (dim)
 * 8. xn  = rmsnorm(x) * ffn_norm
 * 9. gateUp = Wgate xn | Wup xn                                    // gate (ffn) | up (ffn)
 * 10. hidden = silu(gate) * up                                     // (ffn)
 * 11. xn = Wdown hidden;  x += xn                                  // (dim)
 * </pre>
 * Gemma 2 differs: x starts as embedding * sqrt(dim); the attention and feed-forward outputs are
 * RMS-normed (post_attention_norm, post_ffw_norm) before they are added; GELU replaces SiLU; q is
 * scaled before the scores, which are soft-capped ({@code 50 tanh(s / 50)}); even layers attend to
 * a sliding window; the logits are soft-capped ({@code 30 tanh(l / 30)}). Phi-3 also scales q
 * first and uses its window on all layers.
 * then {@code logits = Woutput (rmsnorm(x) * output_norm)} (vocab). The f16 roundings of q, k, v
 * and of the attention weights are those of llama.cpp's F16 KV cache; matrix products encode their
 * input as {@link dev.pocketrag.generation.tensor.ActivationFormat} says.
 */
public final class Transformer implements AutoCloseable {
    /** Receives the logits of each position of a batch. */
    @FunctionalInterface
    public interface LogitsSink {
        /** {@code logits[offset .. offset + vocab)} are the logits after token {@code index} of the call. */
        void accept(int index, float[] logits, int offset);
    }

    private final ModelConfig c;
    private final ModelWeights w;
    private final int context;
    private final int batch;
    private final WorkerPool pool;
    private final KvCache kv;

    private final int qkvStride;
    private final float[] x;
    private final float[] xn;
    private final float[] qkv;
    private final float[] att;
    private final float[] gateUp;
    private final float[] hidden;
    private final float[] logits;
    private float[] allLogits;
    private final float[] rope;
    private final float[] ropeFactors;
    private final float attnScale;
    private final float qScale;
    private final float embedScale;
    private final boolean gelu;

    private final ActivationCache inNorm;
    private final ActivationCache inAtt;
    private final ActivationCache inHidden;
    private final ActivationCache inFinal;
    private final MatMul.Scratch[] scratch;
    /** Per worker: attention scores of a tile's rows (4 x padded context), its f16 queries (4 x headDim),
     * its outputs (4 x headDimV), the decoded key tiles and value rows of a KV group. */
    private final float[][] scores;
    private final float[][] queryRows;
    private final float[][] outRows;
    private final float[][] keyTiles;
    private final float[][] valueRows;
    private final MatMulTask mm = new MatMulTask();
    private final AttentionTask attention;
    private final GluTask glu = new GluTask();

    /**
     * @param contextLength KV cache size in positions (1..the largest int that fits)
     * @param threads       worker threads (1..1024), the calling thread included
     * @param batchSize     most tokens per forward step (1..4096)
     */
    public Transformer(GgufFile gguf, ModelConfig config, int contextLength, int threads, int batchSize) {
        if (contextLength < 1) {
            throw new IllegalArgumentException("contextLength must be >= 1; contextLength=" + contextLength);
        }
        if (batchSize < 1 || batchSize > 4096) {
            throw new IllegalArgumentException("batchSize must be in 1..4096; batchSize=" + batchSize);
        }
        this.c = config;
        this.w = ModelWeights.load(gguf, config);
        this.context = contextLength;
        this.batch = batchSize;
        this.qkvStride = c.qDim() + c.kDim() + c.vDim();
        int dim = c.dim();
        x = new float[batch * dim];
        xn = new float[batch * Math.max(dim, c.qDim())];
        qkv = new float[batch * qkvStride];
        att = new float[batch * c.qDim()];
        gateUp = new float[batch * 2 * c.ffnDim()];
        hidden = new float[batch * c.ffnDim()];
        logits = new float[c.vocabSize()];
        rope = new float[batch * c.ropeDim()];
        if (w.ropeFreqs != null) {
            ropeFactors = w.ropeFreqs;
        } else if (contextLength > c.ropeOrigContext() && w.ropeLong != null) {
            ropeFactors = w.ropeLong;
        } else {
            ropeFactors = w.ropeShort;
        }
        if (c.architecture() == Architecture.PHI3 || c.architecture() == Architecture.GEMMA2) {
            qScale = c.queryScale(); // llama.cpp scales q before attention for these, then uses scale 1
            attnScale = 1.0f;
        } else {
            qScale = 1.0f;
            attnScale = c.queryScale();
        }
        embedScale = c.architecture() == Architecture.GEMMA2 ? (float) Math.sqrt(c.dim()) : 1.0f;
        gelu = c.architecture() == Architecture.GEMMA2;
        int maxCols = Math.max(Math.max(dim, c.qDim()), c.ffnDim());
        inNorm = new ActivationCache(batch, dim);
        inAtt = new ActivationCache(batch, c.qDim());
        inHidden = new ActivationCache(batch, c.ffnDim());
        inFinal = new ActivationCache(batch, dim);
        boolean ok = false;
        WorkerPool p = new WorkerPool(threads, "pocketrag-worker");
        try {
            int padded = (contextLength + Kernels.TILE - 1) / Kernels.TILE * Kernels.TILE; // as KvCache pads
            scratch = new MatMul.Scratch[threads];
            scores = new float[threads][];
            queryRows = new float[threads][];
            outRows = new float[threads][];
            keyTiles = new float[threads][];
            valueRows = new float[threads][];
            for (int i = 0; i < threads; i++) {
                scratch[i] = new MatMul.Scratch(maxCols);
                scores[i] = new float[4 * padded];
                queryRows[i] = new float[4 * c.headDim()];
                outRows[i] = new float[4 * c.headDimV()];
                keyTiles[i] = new float[padded * c.headDim()];
                valueRows[i] = new float[padded * c.headDimV()];
            }
            attention = new AttentionTask(threads);
            kv = new KvCache(c.layers(), contextLength, c.kvHeads(), c.headDim(), c.headDimV(), Kernels.TILE);
            ok = true;
        } finally {
            if (!ok) {
                p.close();
            }
        }
        this.pool = p;
    }

    public ModelConfig config() {
        return c;
    }

    /** KV cache size in positions. */
    public int contextLength() {
        return context;
    }

    /** Bytes of the KV cache. */
    public long kvCacheBytes() {
        return KvCache.bytes(c.layers(), context, c.kDim(), c.vDim());
    }

    public int threads() {
        return pool.threads();
    }

    /** f16 values the cache holds per position: layers x (kDim + vDim). */
    public int kvValuesPerPosition() {
        return c.layers() * kv.rowLength();
    }

    /**
     * Copies the cached keys and values of positions {@code [from, to)} to {@code dst} from {@code off},
     * position after position, each as {@link #kvValuesPerPosition()} f16 bit patterns (layer after
     * layer: the keys head by head, then the values). The order does not depend on the cache's
     * internal layout, so what this writes can be loaded by another process with other vector widths.
     */
    public void readKv(int from, int to, short[] dst, int off) {
        checkPositions(from, to);
        int row = kv.rowLength();
        int per = kvValuesPerPosition();
        if (off < 0 || (long) off + (long) (to - from) * per > dst.length) {
            throw new IllegalArgumentException("dst of " + dst.length + " values cannot hold " + (to - from)
                    + " positions of " + per + " from offset " + off);
        }
        for (int p = from; p < to; p++) {
            for (int l = 0; l < c.layers(); l++) {
                kv.readRow(l, p, dst, off + (p - from) * per + l * row);
            }
        }
    }

    /** Stores positions {@code [from, to)} of the cache from {@code src} as {@link #readKv} wrote them. */
    public void writeKv(int from, int to, short[] src, int off) {
        checkPositions(from, to);
        int row = kv.rowLength();
        int per = kvValuesPerPosition();
        if (off < 0 || (long) off + (long) (to - from) * per > src.length) {
            throw new IllegalArgumentException("src of " + src.length + " values does not hold " + (to - from)
                    + " positions of " + per + " from offset " + off);
        }
        for (int p = from; p < to; p++) {
            for (int l = 0; l < c.layers(); l++) {
                kv.writeRow(l, p, src, off + (p - from) * per + l * row);
            }
        }
    }

    private void checkPositions(int from, int to) {
        if (from < 0 || to > context || from > to) {
            throw new IllegalArgumentException("positions [" + from + ", " + to + ") outside the context of " + context);
        }
    }

    public int batchSize() {
        return batch;
    }

    /**
     * Runs {@code tokens[from..to)} at positions {@code pos, pos+1, ...} (the cache must hold positions
     * {@code 0..pos-1} of this sequence) and returns the logits after the last one (an array reused
     * by the next call).
     */
    public float[] forward(int[] tokens, int from, int to, int pos) {
        run(tokens, from, to, pos, null);
        return logits;
    }

    /**
     * Like {@link #forward} but hands the logits after every token to {@code sink}; returns those of
     * the last token.
     */
    public float[] forwardAll(int[] tokens, int from, int to, int pos, LogitsSink sink) {
        run(tokens, from, to, pos, sink);
        return logits;
    }

    private void run(int[] tokens, int from, int to, int pos, LogitsSink sink) {
        if (from < 0 || to > tokens.length || from >= to) {
            throw new IllegalArgumentException("token range [" + from + ", " + to + ") of " + tokens.length + " tokens");
        }
        if (pos < 0 || (long) pos + (to - from) > context) {
            throw new IllegalArgumentException("positions " + pos + ".." + (pos + to - from - 1)
                    + " do not fit the context of " + context + " tokens");
        }
        for (int i = from; i < to; i++) {
            if (tokens[i] < 0 || tokens[i] >= c.vocabSize()) {
                throw new IllegalArgumentException("token id = " + tokens[i] + ": must be 0.." + (c.vocabSize() - 1));
            }
        }
        for (int start = from; start < to; start += batch) {
            int n = Math.min(batch, to - start);
            step(tokens, start, n, pos + (start - from), sink, start - from, start + n == to);
        }
    }

    /** One batch of n tokens at positions p0..p0+n-1. */
    private void step(int[] tokens, int start, int n, int p0, LogitsSink sink, int sinkBase, boolean last) {
        int dim = c.dim();
        for (int t = 0; t < n; t++) {
            MatMul.decodeRow(w.tokenEmbd, tokens[start + t], x, t * dim, scratch[0]);
            if (embedScale != 1.0f) {
                for (int i = 0; i < dim; i++) {
                    x[t * dim + i] *= embedScale;
                }
            }
        }
        ropeCache(n, p0);
        for (int l = 0; l < c.layers(); l++) {
            layer(l, n, p0);
        }
        if (sink == null && !last) {
            return;
        }
        if (sink == null) {
            // logits of the last token only
            rmsNorm(x, (n - 1) * dim, w.outputNorm, xn, 0, dim);
            inFinal.reset(xn, 0, dim, 1, dim);
            matmul(w.output, inFinal, logits, 0, 0);
            softcap(logits, 0, c.vocabSize(), c.finalSoftcap());
            return;
        }
        for (int t = 0; t < n; t++) {
            rmsNorm(x, t * dim, w.outputNorm, xn, t * dim, dim);
        }
        inFinal.reset(xn, 0, dim, n, dim);
        int vocab = c.vocabSize();
        if (allLogits == null) {
            allLogits = new float[batch * vocab];
        }
        matmul(w.output, inFinal, allLogits, 0, vocab);
        softcap(allLogits, 0, n * vocab, c.finalSoftcap());
        for (int t = 0; t < n; t++) {
            sink.accept(sinkBase + t, allLogits, t * vocab);
        }
        System.arraycopy(allLogits, (n - 1) * vocab, logits, 0, vocab);
    }

    private void layer(int l, int n, int p0) {
        ModelWeights.Layer lw = w.layers[l];
        int dim = c.dim();
        int qDim = c.qDim();
        int kDim = c.kDim();
        int vDim = c.vDim();
        int hd = c.headDim();
        // ---- attention
        // 1. xn = rmsnorm(x) * attn_norm, each token of the batch
        for (int t = 0; t < n; t++) {
            rmsNorm(x, t * dim, lw.attnNorm, xn, t * dim, dim);
        }
        // 2. qkv = Wq xn | Wk xn | Wv xn (+ biases): one row of qkvStride per token
        inNorm.reset(xn, 0, dim, n, dim);
        if (lw.wqkv != null) {
            matmul(lw.wqkv, inNorm, qkv, 0, qkvStride);
            addBias(qkv, 0, qkvStride, n, lw.bqkv, qkvStride);
        } else {
            matmul(inNorm, qkv, qkvStride, lw.wq, 0, lw.wk, qDim, lw.wv, qDim + kDim);
            addBias(qkv, 0, qkvStride, n, lw.bq, qDim);
            addBias(qkv, qDim, qkvStride, n, lw.bk, kDim);
            addBias(qkv, qDim + kDim, qkvStride, n, lw.bv, vDim);
        }
        for (int t = 0; t < n; t++) {
            int qo = t * qkvStride;
            int ko = qo + qDim;
            // 3. q, k = rmsnorm per head (qwen3)
            if (lw.qNorm != null) {
                for (int h = 0; h < c.heads(); h++) {
                    rmsNorm(qkv, qo + h * hd, lw.qNorm, qkv, qo + h * hd, hd);
                }
                for (int h = 0; h < c.kvHeads(); h++) {
                    rmsNorm(qkv, ko + h * hd, lw.kNorm, qkv, ko + h * hd, hd);
                }
            }
            // 4. q, k = rope(q, pos), rope(k, pos) (then q scaled first, for gemma2 and phi3)
            for (int h = 0; h < c.heads(); h++) {
                rotate(qkv, qo + h * hd, t);
            }
            for (int h = 0; h < c.kvHeads(); h++) {
                rotate(qkv, ko + h * hd, t);
            }
            if (qScale != 1.0f) {
                for (int i = 0; i < qDim; i++) {
                    qkv[qo + i] *= qScale;
                }
            }
            // 5. K[pos], V[pos] = f16(k), f16(v)
            kv.store(l, p0 + t, qkv, ko, qkv, ko + kDim);
        }
        // 6. att = softmax(q . K * scale) V, per query head, by the workers
        attention.set(l, n, p0);
        pool.run(attention, c.heads(), 1);
        // 7. xn = Wo att (+bo) (post_attention_norm for gemma2); x += xn
        inAtt.reset(att, 0, qDim, n, qDim);
        matmul(lw.wo, inAtt, xn, 0, dim);
        for (int t = 0; t < n; t++) {
            int o = t * dim;
            if (lw.bo != null) {
                for (int i = 0; i < dim; i++) {
                    xn[o + i] += lw.bo[i];
                }
            }
            if (lw.postAttnNorm != null) {
                rmsNorm(xn, o, lw.postAttnNorm, xn, o, dim);
            }
            for (int i = 0; i < dim; i++) {
                x[o + i] = xn[o + i] + x[o + i];
            }
        }
        // ---- feed-forward
        // 8. xn = rmsnorm(x) * ffn_norm
        for (int t = 0; t < n; t++) {
            rmsNorm(x, t * dim, lw.ffnNorm, xn, t * dim, dim);
        }
        // 9. gateUp = Wgate xn | Wup xn: one row of 2 ffn per token
        inNorm.reset(xn, 0, dim, n, dim);
        int ff = c.ffnDim();
        if (lw.gateUp != null) {
            matmul(lw.gateUp, inNorm, gateUp, 0, 2 * ff);
        } else {
            matmul(inNorm, gateUp, 2 * ff, lw.gate, 0, lw.up, ff, null, 0);
        }
        // 10. hidden = silu(gate) * up (gelu for gemma2), by the workers
        glu.n = n;
        if (n == 1) {
            pool.run(glu, ff, 64); // one row: chunks of 64 values (vector/tail split independent of the chunks)
        } else {
            pool.run(glu, n * ff, ff); // whole rows
        }
        // 11. xn = Wdown hidden (post_ffw_norm for gemma2); x += xn
        inHidden.reset(hidden, 0, ff, n, ff);
        matmul(lw.down, inHidden, xn, 0, dim);
        for (int t = 0; t < n; t++) {
            int o = t * dim;
            if (lw.postFfnNorm != null) {
                rmsNorm(xn, o, lw.postFfnNorm, xn, o, dim);
            }
            for (int i = 0; i < dim; i++) {
                x[o + i] = xn[o + i] + x[o + i];
            }
        }
    }

    /** {@code cap * tanh(v / cap)} in place, as ggml's scale, tanh, scale; nothing when cap is 0. */
    private static void softcap(float[] v, int from, int to, float cap) {
        if (cap == 0) {
            return;
        }
        float inv = 1.0f / cap;
        for (int i = from; i < to; i++) {
            v[i] = (float) Math.tanh(v[i] * inv) * cap;
        }
    }

    private static void addBias(float[] out, int off, int stride, int n, float[] bias, int len) {
        if (bias == null) {
            return;
        }
        for (int t = 0; t < n; t++) {
            int o = off + t * stride;
            for (int i = 0; i < len; i++) {
                out[o + i] += bias[i];
            }
        }
    }

    /**
     * RMSNorm as ggml computes it: sum of squares in double, {@code scale = 1/sqrtf(mean + eps)},
     * {@code out = (x * scale) * weight}. {@code out} may be {@code x}.
     */
    private void rmsNorm(float[] in, int io, float[] weight, float[] out, int oo, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float v = in[io + i];
            sum += v * v;
        }
        float mean = (float) (sum / n);
        float scale = 1.0f / (float) Math.sqrt(mean + c.rmsEps());
        for (int i = 0; i < n; i++) {
            out[oo + i] = (in[io + i] * scale) * weight[i];
        }
    }

    /**
     * cos/sin of every rotated pair for the n positions of a batch, as ggml's rope cache: the angle
     * of pair i at position p is {@code p * theta^(-2i/ropeDim)} (the power accumulated by repeated
     * float multiplication, like ggml), divided by the pair's frequency factor, times the frequency
     * scale; YaRN mixes in the unscaled angle for the fast-rotating pairs.
     */
    private void ropeCache(int n, int p0) {
        int rd = c.ropeDim();
        float thetaScale = (float) Math.pow(c.ropeTheta(), -2.0f / rd);
        float freqScale = c.ropeFreqScale();
        float ext = c.ropeExtFactor();
        float corr0 = 0;
        float corr1 = 0;
        if (ext != 0) {
            int orig = c.ropeOrigContext();
            float start = (float) Math.floor(corrDim(rd, orig, 32f, c.ropeTheta()));
            float end = (float) Math.ceil(corrDim(rd, orig, 1f, c.ropeTheta()));
            corr0 = Math.max(0, start);
            corr1 = Math.min(rd - 1, end);
        }
        for (int t = 0; t < n; t++) {
            float theta = p0 + t;
            int o = t * rd;
            for (int i = 0; i < rd / 2; i++) {
                float ff = ropeFactors != null ? ropeFactors[i] : 1.0f;
                float extrap = theta / ff;
                float interp = freqScale * extrap;
                float th = interp;
                float mscale = c.ropeAttnFactor();
                if (ext != 0) {
                    float y = (i - corr0) / Math.max(0.001f, corr1 - corr0);
                    float rampMix = (1 - Math.min(1, Math.max(0, y))) * ext;
                    th = interp * (1 - rampMix) + extrap * rampMix;
                    mscale *= 1.0f + 0.1f * (float) Math.log(1.0f / freqScale);
                }
                rope[o + 2 * i] = (float) Math.cos(th) * mscale;
                rope[o + 2 * i + 1] = (float) Math.sin(th) * mscale;
                theta *= thetaScale;
            }
        }
    }

    private static float corrDim(int nDims, int nCtxOrig, float nRot, float base) {
        return nDims * (float) Math.log(nCtxOrig / (nRot * 2 * (float) Math.PI)) / (2 * (float) Math.log(base));
    }

    /** Rotates the first ropeDim values of the head at {@code v[o..]} for batch token t. */
    private void rotate(float[] v, int o, int t) {
        int rd = c.ropeDim();
        int co = t * rd;
        if (c.architecture().ropeStyle() == Architecture.RopeStyle.NORM) {
            for (int i = 0; i < rd; i += 2) {
                float cos = rope[co + i];
                float sin = rope[co + i + 1];
                float x0 = v[o + i];
                float x1 = v[o + i + 1];
                v[o + i] = x0 * cos - x1 * sin;
                v[o + i + 1] = x0 * sin + x1 * cos;
            }
        } else {
            int half = rd / 2;
            for (int i = 0; i < half; i++) {
                float cos = rope[co + 2 * i];
                float sin = rope[co + 2 * i + 1];
                float x0 = v[o + i];
                float x1 = v[o + i + half];
                v[o + i] = x0 * cos - x1 * sin;
                v[o + i + half] = x0 * sin + x1 * cos;
            }
        }
    }

    private void matmul(WeightMatrix m, ActivationCache in, float[] out, int off, int stride) {
        matmul(in, out, stride, m, off, null, 0, null, 0);
    }

    /**
     * Up to three matrix products of the same input into one output array (Q, K, V; gate, up) in one
     * parallel step: their rows are concatenated and claimed in chunks by the pool's threads.
     */
    private void matmul(ActivationCache in, float[] out, int stride, WeightMatrix m0, int off0, WeightMatrix m1,
                        int off1, WeightMatrix m2, int off2) {
        MatMulTask t = mm;
        t.count = 0;
        t.out = out;
        t.stride = stride;
        t.base[0] = 0;
        t.add(m0, in, off0);
        t.add(m1, in, off1);
        t.add(m2, in, off2);
        int rows = t.base[t.count];
        // chunks of about 1/16 of a thread's share, in whole blocks of the batch kernel's rows
        int grain = MatMul.rowGrain(rows, pool.threads());
        pool.runDynamic(t, rows, grain);
    }

    /** Matrix products over concatenated rows (see {@link #matmul(ActivationCache, float[], int, WeightMatrix, int, WeightMatrix, int, WeightMatrix, int)}). */
    private final class MatMulTask implements WorkerPool.Task {
        final WeightMatrix[] w = new WeightMatrix[3];
        final Activations[] x = new Activations[3];
        final int[] off = new int[3];
        final int[] base = new int[4];
        int count;
        float[] out;
        int stride;

        void add(WeightMatrix m, ActivationCache in, int offset) {
            if (m != null) {
                w[count] = m;
                x[count] = in.get(m.activationFormat());
                off[count] = offset;
                base[count + 1] = base[count] + m.rows();
                count++;
            }
        }

        @Override
        public void run(int worker, int from, int to) {
            for (int i = 0; i < count; i++) {
                int lo = Math.max(from, base[i]);
                int hi = Math.min(to, base[i + 1]);
                if (lo < hi) {
                    MatMul.multiply(w[i], x[i], lo - base[i], hi - base[i], out, off[i], stride, scratch[worker]);
                }
            }
        }
    }

    /** {@code hidden = act(gate) * up} over the flattened [n][ff] values, split in whole rows or 64-value chunks. */
    private final class GluTask implements WorkerPool.Task {
        int n;

        @Override
        public void run(int worker, int from, int to) {
            int ff = c.ffnDim();
            for (int t = from / ff; t < n && t * ff < to; t++) {
                int i0 = Math.max(from - t * ff, 0);
                int i1 = Math.min(to - t * ff, ff);
                int g = 2 * ff * t;
                int h = ff * t;
                if (gelu) {
                    for (int i = i0; i < i1; i++) {
                        hidden[h + i] = Activation.gelu(gateUp[g + i]) * gateUp[g + ff + i];
                    }
                } else {
                    Kernels.siluMul(gateUp, g + i0, gateUp, g + ff + i0, hidden, h + i0, i1 - i0);
                }
            }
        }
    }

    /**
     * Attention of a batch, split by query heads. A worker takes its heads KV group by group: the
     * group's keys and values of every position the batch attends to are decoded from the F16 cache
     * once, then its query rows (token t, head h), token after token, go through in tiles of 4 (a
     * tile's rows share every key and value they load):
     * <pre>
     * q   (4, hd)          = f16(q of the rows)
     * s   (4, positions)   = q . K[j]                  Kernels.scores4, whole key tiles
     * p   (4, positions)   = f16(softmax(cap(s) * scale)) over each row's own window [lo, pos]
     * out (4, hdv)         = sum_j p[j] V[j]            Kernels.weightedSum4 over the positions all
     *                                                   rows attend to, weightedSum1 for the rest
     * </pre>
     * Every score and output is a chain of exact products added in order of position, so a row gives
     * the same bits whichever rows share its tile: batched and one-token passes agree.
     */
    private final class AttentionTask implements WorkerPool.Task {
        int layer;
        int n;
        int p0;
        /** Per row of a tile: first and last position it attends to. */
        private final int[][] lo;
        private final int[][] hi;

        AttentionTask(int threads) {
            lo = new int[threads][4];
            hi = new int[threads][4];
        }

        void set(int layer, int n, int p0) {
            this.layer = layer;
            this.n = n;
            this.p0 = p0;
        }

        @Override
        public void run(int worker, int from, int to) {
            int hd = c.headDim();
            int hdv = c.headDimV();
            int group = c.heads() / c.kvHeads();
            int window = c.window(layer);
            int tile = kv.tile;
            float[] kf = keyTiles[worker];
            float[] vf = valueRows[worker];
            int end = p0 + n; // positions [lo0, end) are attended to by some token of the batch
            int lo0 = window > 0 ? Math.max(0, p0 - window + 1) : 0;
            int b0 = lo0 / tile;
            int base = b0 * tile; // st, kf and vf start at this position
            int b1 = (end + tile - 1) / tile;
            for (int g = from / group; g * group < to; g++) {
                int h0 = Math.max(from, g * group);
                int h1 = Math.min(to, (g + 1) * group);
                Kernels.f16ToF32(kv.keys[layer], 2 * kv.keyIndex(g, base, 0), kf, 0, (b1 - b0) * hd * tile);
                Kernels.f16ToF32(kv.values[layer], 2 * kv.valueIndex(g, base, 0), vf, 0, (end - base) * hdv);
                int gh = h1 - h0;
                int rows = n * gh;
                for (int r0 = 0; r0 < rows; ) {
                    int count = rows - r0 >= 3 ? Math.min(4, rows - r0) : 1;
                    tile(worker, r0, count, gh, h0, window, base, b0);
                    r0 += count;
                }
            }
        }

        /** Rows {@code r0 .. r0+count-1} (row r = token r / gh, head h0 + r % gh); count is 1..4. */
        private void tile(int worker, int r0, int count, int gh, int h0, int window, int base, int b0) {
            int hd = c.headDim();
            int hdv = c.headDimV();
            int tile = kv.tile;
            int ss = kv.padded;
            float[] kf = keyTiles[worker];
            float[] vf = valueRows[worker];
            float[] st = scores[worker];
            float[] qt = queryRows[worker];
            float[] ot = outRows[worker];
            int[] rlo = lo[worker];
            int[] rhi = hi[worker];
            int width = count == 1 ? 1 : 4; // a 4-row tile with fewer rows repeats its last row
            int loMin = Integer.MAX_VALUE;
            int loMax = 0;
            int hiMin = Integer.MAX_VALUE;
            int hiMax = 0;
            for (int k = 0; k < width; k++) {
                int r = r0 + Math.min(k, count - 1);
                int t = r / gh;
                int h = h0 + r % gh;
                int qo = t * qkvStride + h * hd;
                for (int i = 0; i < hd; i++) {
                    qt[k * hd + i] = Half.f16ToF32(Half.f32ToF16(qkv[qo + i]));
                }
                int pos = p0 + t;
                rlo[k] = window > 0 ? Math.max(0, pos - window + 1) : 0;
                rhi[k] = pos;
                loMin = Math.min(loMin, rlo[k]);
                loMax = Math.max(loMax, rlo[k]);
                hiMin = Math.min(hiMin, pos);
                hiMax = Math.max(hiMax, pos);
            }
            // scores of whole key tiles [bs, be): s[k][j] at st[k ss + j - base]
            int bs = loMin / tile;
            int be = hiMax / tile + 1;
            if (width == 4) {
                Kernels.scores4(qt, 0, hd, kf, (bs - b0) * hd * tile, be - bs, st, bs * tile - base, ss);
            } else {
                Kernels.scores1(qt, 0, hd, kf, (bs - b0) * hd * tile, be - bs, st, bs * tile - base);
            }
            float cap = c.attnSoftcap();
            float capInv = cap == 0 ? 0 : 1.0f / cap;
            for (int k = 0; k < count; k++) {
                int so = k * ss - base;
                int j0 = so + rlo[k];
                int j1 = so + rhi[k] + 1;
                if (cap != 0) {
                    for (int j = j0; j < j1; j++) {
                        st[j] = (float) Math.tanh(st[j] * capInv) * cap;
                    }
                }
                Kernels.softmax(st, j0, j1, attnScale);
            }
            java.util.Arrays.fill(ot, 0, width * hdv, 0f);
            // positions [c0, c1) are attended to by every row of the tile; each row adds its own
            // positions before and after them (sliding windows, later tokens) in order
            int c0 = loMax;
            int c1 = Math.max(hiMin + 1, loMax);
            int vo = -base * hdv;
            for (int k = 0; k < count; k++) {
                int e = Math.min(c0, rhi[k] + 1);
                if (rlo[k] < e) {
                    Kernels.weightedSum1(st, k * ss - base, vf, vo, hdv, rlo[k], e, ot, k * hdv);
                }
            }
            if (c0 < c1) {
                if (width == 4) {
                    Kernels.weightedSum4(st, -base, ss, vf, vo, hdv, c0, c1, ot, 0);
                } else {
                    Kernels.weightedSum1(st, -base, vf, vo, hdv, c0, c1, ot, 0);
                }
            }
            for (int k = 0; k < count; k++) {
                int s0 = Math.max(c1, rlo[k]);
                if (s0 <= rhi[k]) {
                    Kernels.weightedSum1(st, k * ss - base, vf, vo, hdv, s0, rhi[k] + 1, ot, k * hdv);
                }
            }
            for (int k = 0; k < count; k++) {
                int r = r0 + k;
                int ao = (r / gh) * c.qDim() + (h0 + r % gh) * hdv;
                System.arraycopy(ot, k * hdv, att, ao, hdv);
            }
        }
    }

    /** Stops the worker threads and frees the KV cache; idempotent. */
    @Override
    public void close() {
        pool.close();
        kv.close();
    }
}
