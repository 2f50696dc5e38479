package dev.pocketrag.convert;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.pocketrag.convert.HfCheckpoints.T;
import java.util.Map;

/**
 * An independent forward pass of the supported Hugging Face models, written from the way
 * {@code transformers} defines each one (modeling_llama / qwen2 / qwen3 / phi3 / gemma2), in double
 * precision, on the checkpoint's own (unpermuted) weights:
 * rotate-half rotary embedding ({@code x * cos + rotate_half(x) * sin}, pairs {@code (i, i + d/2)});
 * Llama 3 rope scaling from {@code rope_scaling} (llama3: frequencies between the wavelength bands
 * smoothed) or linear (positions divided by the factor); Phi-3 LongRoPE short factors and its
 * attention factor; Qwen2 q/k/v biases; Qwen3 per-head RMS norms of q and k; Phi-3's fused qkv and
 * gate_up; Gemma 2's (1 + w) norms, embeddings times sqrt(hidden), post-attention and post-feed-forward
 * norms, GELU (tanh), query_pre_attn_scalar, soft-capped scores and logits, and sliding windows
 * on even layers (Phi-3: all layers). No code is shared with the converter or the engine.
 */
final class HfReference {
    private final String arch;
    private final JsonObject c;
    private final Map<String, T> w;
    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int ffn;
    private final int layers;
    private final int vocab;
    private final double eps;
    private final double theta;
    private final int rotDim;
    private final double[] invFreq;
    private final double ropeMul;
    private final double linearFactor;

    HfReference(JsonObject config, Map<String, T> weights) {
        this.c = config;
        this.w = weights;
        this.arch = config.getAsJsonArray("architectures").get(0).getAsString();
        hidden = config.get("hidden_size").getAsInt();
        heads = config.get("num_attention_heads").getAsInt();
        kvHeads = config.has("num_key_value_heads") ? config.get("num_key_value_heads").getAsInt() : heads;
        headDim = config.has("head_dim") ? config.get("head_dim").getAsInt() : hidden / heads;
        ffn = config.get("intermediate_size").getAsInt();
        layers = config.get("num_hidden_layers").getAsInt();
        vocab = (int) weights.get("model.embed_tokens.weight").shape()[0];
        eps = config.get("rms_norm_eps").getAsDouble();
        theta = config.has("rope_theta") ? config.get("rope_theta").getAsDouble() : 10000;
        double partial = config.has("partial_rotary_factor") ? config.get("partial_rotary_factor").getAsDouble() : 1;
        rotDim = (int) (headDim * partial);
        invFreq = new double[rotDim / 2];
        for (int i = 0; i < invFreq.length; i++) {
            invFreq[i] = 1.0 / Math.pow(theta, (2.0 * i) / rotDim);
        }
        double mul = 1;
        double linear = 1;
        JsonObject rs = config.has("rope_scaling") && config.get("rope_scaling").isJsonObject()
                ? config.getAsJsonObject("rope_scaling") : null;
        if (rs != null) {
            String type = rs.has("rope_type") ? rs.get("rope_type").getAsString() : rs.get("type").getAsString();
            switch (type) {
                case "llama3" -> llama3(rs);
                case "linear" -> linear = rs.get("factor").getAsDouble();
                case "longrope" -> {
                    // short factors (sequence within original_max_position_embeddings)
                    JsonArray sf = rs.getAsJsonArray("short_factor");
                    for (int i = 0; i < invFreq.length; i++) {
                        invFreq[i] = 1.0 / (sf.get(i).getAsDouble() * Math.pow(theta, (2.0 * i) / rotDim));
                    }
                    double orig = config.get("original_max_position_embeddings").getAsDouble();
                    double scale = config.get("max_position_embeddings").getAsDouble() / orig;
                    mul = scale <= 1 ? 1 : Math.sqrt(1 + Math.log(scale) / Math.log(orig));
                }
                default -> throw new IllegalArgumentException(type);
            }
        }
        ropeMul = mul;
        linearFactor = linear;
    }

    /** transformers' _compute_llama3_parameters, on invFreq. */
    private void llama3(JsonObject rs) {
        double factor = rs.get("factor").getAsDouble();
        double low = rs.get("low_freq_factor").getAsDouble();
        double high = rs.get("high_freq_factor").getAsDouble();
        double old = rs.get("original_max_position_embeddings").getAsDouble();
        double lowWavelen = old / low;
        double highWavelen = old / high;
        for (int i = 0; i < invFreq.length; i++) {
            double f = invFreq[i];
            double wavelen = 2 * Math.PI / f;
            double scaled = wavelen > lowWavelen ? f / factor : f;
            double smooth = (old / wavelen - low) / (high - low);
            double smoothed = (1 - smooth) * scaled / factor + smooth * scaled;
            boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            invFreq[i] = medium ? smoothed : scaled;
        }
    }

    private boolean gemma() {
        return arch.equals("Gemma2ForCausalLM");
    }

    private double[] vec(String name) {
        T t = w.get(name);
        double[] d = new double[t.values().length];
        for (int i = 0; i < d.length; i++) {
            d[i] = t.values()[i];
        }
        return d;
    }

    /** y = W x (+ b), W of torch shape [out, in]. */
    private double[] linear(String name, double[] x, boolean bias) {
        T t = w.get(name + ".weight");
        int out = (int) t.shape()[0];
        int in = (int) t.shape()[1];
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = 0;
            for (int i = 0; i < in; i++) {
                s += t.values()[o * in + i] * x[i];
            }
            y[o] = s;
        }
        if (bias && w.containsKey(name + ".bias")) {
            float[] b = w.get(name + ".bias").values();
            for (int o = 0; o < out; o++) {
                y[o] += b[o];
            }
        }
        return y;
    }

    /** RMSNorm: x / sqrt(mean(x^2) + eps) * w (Gemma: * (1 + w)), over x[off..off+n). */
    private double[] rmsNorm(double[] x, int off, int n, String weight) {
        double ss = 0;
        for (int i = 0; i < n; i++) {
            ss += x[off + i] * x[off + i];
        }
        double inv = 1.0 / Math.sqrt(ss / n + eps);
        double[] g = vec(weight);
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = x[off + i] * inv * (gemma() ? 1 + g[i] : g[i]);
        }
        return y;
    }

    /** x * cos + rotate_half(x) * sin on the first rotDim values of the head at x[off..]. */
    private void rope(double[] x, int off, int pos) {
        int half = rotDim / 2;
        for (int i = 0; i < half; i++) {
            double a = (pos / linearFactor) * invFreq[i];
            double cos = Math.cos(a) * ropeMul;
            double sin = Math.sin(a) * ropeMul;
            double x1 = x[off + i];
            double x2 = x[off + i + half];
            x[off + i] = x1 * cos - x2 * sin;
            x[off + i + half] = x2 * cos + x1 * sin;
        }
    }

    private static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    private static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    /** The logits after each of {@code tokens}: [positions][vocab]. */
    double[][] logits(int[] tokens) {
        int n = tokens.length;
        double[][] x = new double[n][hidden];
        T emb = w.get("model.embed_tokens.weight");
        double scale = gemma() ? Math.sqrt(hidden) : 1;
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < hidden; i++) {
                x[p][i] = emb.at(tokens[p], i) * scale;
            }
        }
        boolean phi3 = arch.equals("Phi3ForCausalLM");
        boolean qwen3 = arch.equals("Qwen3ForCausalLM");
        int window = c.has("sliding_window") && !c.get("sliding_window").isJsonNull()
                ? c.get("sliding_window").getAsInt() : 0;
        double attnScale = gemma() ? Math.pow(c.get("query_pre_attn_scalar").getAsDouble(), -0.5)
                : 1 / Math.sqrt(headDim);
        double attnCap = gemma() ? c.get("attn_logit_softcapping").getAsDouble() : 0;
        int group = heads / kvHeads;
        for (int l = 0; l < layers; l++) {
            String b = "model.layers." + l + ".";
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int p = 0; p < n; p++) {
                double[] h = rmsNorm(x[p], 0, hidden, b + "input_layernorm.weight");
                if (phi3) {
                    double[] qkv = linear(b + "self_attn.qkv_proj", h, false);
                    q[p] = java.util.Arrays.copyOfRange(qkv, 0, heads * headDim);
                    k[p] = java.util.Arrays.copyOfRange(qkv, heads * headDim, (heads + kvHeads) * headDim);
                    v[p] = java.util.Arrays.copyOfRange(qkv, (heads + kvHeads) * headDim, (heads + 2 * kvHeads) * headDim);
                } else {
                    q[p] = linear(b + "self_attn.q_proj", h, true);
                    k[p] = linear(b + "self_attn.k_proj", h, true);
                    v[p] = linear(b + "self_attn.v_proj", h, true);
                }
                for (int hh = 0; hh < heads; hh++) {
                    if (qwen3) {
                        System.arraycopy(rmsNorm(q[p], hh * headDim, headDim, b + "self_attn.q_norm.weight"), 0,
                                q[p], hh * headDim, headDim);
                    }
                    rope(q[p], hh * headDim, p);
                }
                for (int hh = 0; hh < kvHeads; hh++) {
                    if (qwen3) {
                        System.arraycopy(rmsNorm(k[p], hh * headDim, headDim, b + "self_attn.k_norm.weight"), 0,
                                k[p], hh * headDim, headDim);
                    }
                    rope(k[p], hh * headDim, p);
                }
            }
            boolean sliding = window > 0 && (phi3 || (gemma() && l % 2 == 0));
            for (int p = 0; p < n; p++) {
                double[] att = new double[heads * headDim];
                for (int hh = 0; hh < heads; hh++) {
                    int g = hh / group;
                    double[] s = new double[p + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= p; j++) {
                        if (sliding && j <= p - window) {
                            s[j] = Double.NEGATIVE_INFINITY; // transformers: keep kv_idx > q_idx - window
                            continue;
                        }
                        double d = 0;
                        for (int i = 0; i < headDim; i++) {
                            d += q[p][hh * headDim + i] * k[j][g * headDim + i];
                        }
                        d *= attnScale;
                        if (attnCap > 0) {
                            d = Math.tanh(d / attnCap) * attnCap;
                        }
                        s[j] = d;
                        max = Math.max(max, d);
                    }
                    double sum = 0;
                    for (int j = 0; j <= p; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = 0; j <= p; j++) {
                        for (int i = 0; i < headDim; i++) {
                            att[hh * headDim + i] += s[j] / sum * v[j][g * headDim + i];
                        }
                    }
                }
                double[] o = linear(b + "self_attn.o_proj", att, true);
                if (gemma()) {
                    o = rmsNorm(o, 0, hidden, b + "post_attention_layernorm.weight");
                }
                for (int i = 0; i < hidden; i++) {
                    x[p][i] += o[i];
                }
            }
            for (int p = 0; p < n; p++) {
                double[] h = rmsNorm(x[p], 0, hidden,
                        b + (gemma() ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"));
                double[] gate;
                double[] up;
                if (phi3) {
                    double[] gu = linear(b + "mlp.gate_up_proj", h, false);
                    gate = java.util.Arrays.copyOfRange(gu, 0, ffn);
                    up = java.util.Arrays.copyOfRange(gu, ffn, 2 * ffn);
                } else {
                    gate = linear(b + "mlp.gate_proj", h, false);
                    up = linear(b + "mlp.up_proj", h, false);
                }
                double[] act = new double[ffn];
                for (int i = 0; i < ffn; i++) {
                    act[i] = (gemma() ? geluTanh(gate[i]) : silu(gate[i])) * up[i];
                }
                double[] m = linear(b + "mlp.down_proj", act, false);
                if (gemma()) {
                    m = rmsNorm(m, 0, hidden, b + "post_feedforward_layernorm.weight");
                }
                for (int i = 0; i < hidden; i++) {
                    x[p][i] += m[i];
                }
            }
        }
        String head = w.containsKey("lm_head.weight") && !gemma() ? "lm_head.weight" : "model.embed_tokens.weight";
        T lm = w.get(head);
        double finalCap = gemma() ? c.get("final_logit_softcapping").getAsDouble() : 0;
        double[][] out = new double[n][vocab];
        for (int p = 0; p < n; p++) {
            double[] h = rmsNorm(x[p], 0, hidden, "model.norm.weight");
            for (int t = 0; t < vocab; t++) {
                double s = 0;
                for (int i = 0; i < hidden; i++) {
                    s += lm.at(t, i) * h[i];
                }
                out[p][t] = finalCap > 0 ? Math.tanh(s / finalCap) * finalCap : s;
            }
        }
        return out;
    }
}
