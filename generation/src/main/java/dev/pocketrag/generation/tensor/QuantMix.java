package dev.pocketrag.generation.tensor;

import dev.pocketrag.generation.gguf.FileType;
import dev.pocketrag.generation.gguf.GgmlType;
import java.util.List;

/**
 * llama.cpp's choice of a tensor type per tensor when quantizing a whole model to a "file type"
 * ({@code llama_tensor_get_type} and the tensor filter of {@code llama_model_quantize_impl} in
 * src/llama-quant.cpp, rewritten). The rules, for the file types supported here:
 * <ul>
 * <li>Only 2-D and larger tensors whose name ends in {@code weight} are quantized; never norms
 *     ({@code _norm.weight}), MoE router {@code ffn_gate_inp.weight}, position/token-type embeddings,
 *     SSM conv1d, RWKV time-mix weights, T5 {@code attn_rel_b}; 1-D tensors (norms, biases,
 *     rope_freqs) keep their type.</li>
 * <li>The output tensor ({@code output.weight}, or {@code token_embd.weight} when the model has no
 *     {@code output.weight}: tied embeddings) becomes Q6_K, except Q8_0 when the file type's default is
 *     Q8_0, for Falcon, or when its rows are not a multiple of the default type's block size.</li>
 * <li>{@code attn_v}: Q6_K for Q4_K_M / Q5_K_M in layers where {@link #useMoreBits} holds, Q5_K for
 *     Q4_K_S in the first 4; Q5_K instead of Q3_K/Q4_K in 70B models (llama, 80 layers, GQA); Q8_0 for
 *     8-expert models. {@code attn_k}: Q8_0 for 8-expert models.</li>
 * <li>{@code ffn_down}: Q4_K_M: Q6_K where useMoreBits (Falcon: Q6_K in the first 1/16, Q5_K where
 *     useMoreBits, else Q4_K); Q5_K_M: Q6_K where useMoreBits; Q4_K_S: Q5_K in the first 1/8 of layers
 *     (not Falcon).</li>
 * <li>{@code attn_output}: Q5_K for Q4_K_S / Q4_K_M in 8-expert models (not Falcon).
 *     {@code attn_qkv} (fused, e.g. phi3): Q5_K for Q4_K_M, Q6_K for Q5_K_M.</li>
 * <li>Fallbacks when a row length is not a multiple of the chosen type's block size: Q4_K -&gt; Q5_0,
 *     Q5_K -&gt; Q5_1, Q6_K -&gt; Q8_0, Q2_K/Q3_K/IQ4_XS -&gt; IQ4_NL; if that still does not divide, F16.
 *     A legacy type (Q4_0 ... Q8_0) that does not divide the row is an error, as in llama.cpp.</li>
 * </ul>
 * Layer indices for the useMoreBits rules come from counters that advance in the order tensors are
 * processed (llama.cpp's: by layer number, then name), or from the {@code blk.N.} prefix in MoE models.
 * {@code useMoreBits(i, n) = i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2}.
 */
public final class QuantMix {

    /**
     * What the rules need to know about the model.
     *
     * @param arch      {@code general.architecture}
     * @param nLayer    {@code <arch>.block_count}
     * @param nExpert   {@code <arch>.expert_count} (0 if absent)
     * @param nHead     {@code <arch>.attention.head_count} (0 if absent)
     * @param nHeadKv   {@code <arch>.attention.head_count_kv} (nHead if absent)
     * @param hasOutput whether a tensor {@code output.weight} exists (else embeddings are tied)
     */
    public record Model(String arch, int nLayer, int nExpert, int nHead, int nHeadKv, boolean hasOutput) {
        public Model {
            if (nLayer < 0 || nExpert < 0) {
                throw new IllegalArgumentException("nLayer " + nLayer + " / nExpert " + nExpert + " must be >= 0");
            }
        }

        boolean is70B() {
            // llama.cpp: llama arch with 80 layers is 65B without GQA, 70B with it
            return arch.equals("llama") && nLayer == 80 && nHead != nHeadKv;
        }
    }

    private final FileType ftype;
    private final Model model;
    private final int nAttentionWv;
    private int iAttentionWv;
    private int iFfnDown;
    private int iFfnGate;
    private int iFfnUp;

    /**
     * @param nAttentionWv number of tensors whose name contains {@code attn_v.weight}, {@code attn_qkv.weight}
     *                     or {@code attn_kv_b.weight}
     */
    public QuantMix(FileType ftype, Model model, int nAttentionWv) {
        this.ftype = ftype;
        this.model = model;
        this.nAttentionWv = nAttentionWv;
    }

    private static final List<String> NEVER = List.of("_norm.weight", "ffn_gate_inp.weight", "altup", "laurel",
            "per_layer_model_proj", "ssm_conv1d.weight", "shortconv.conv.weight", "time_mix_first.weight",
            "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_v0.weight",
            "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight",
            "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight", "time_mix_decay_w1.weight",
            "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight", ".position_embd.");

    /**
     * Whether llama.cpp quantizes a tensor of this name and shape at all.
     *
     * @param ne the four dimensions
     */
    public static boolean isQuantizable(String name, long[] ne) {
        if (!name.endsWith("weight") || effectiveDims(ne) < 2) {
            return false;
        }
        for (String s : NEVER) {
            if (name.contains(s)) {
                return false;
            }
        }
        return !name.equals("position_embd.weight") && !name.equals("token_types.weight");
    }

    /** ggml_n_dims: the number of dimensions ignoring trailing 1s (at least 1). */
    static int effectiveDims(long[] ne) {
        for (int i = ne.length - 1; i >= 1; i--) {
            if (ne[i] > 1) {
                return i + 1;
            }
        }
        return 1;
    }

    /** llama.cpp's use_more_bits. */
    public static boolean useMoreBits(int iLayer, int nLayers) {
        return iLayer < nLayers / 8 || iLayer >= 7 * nLayers / 8 || (iLayer - nLayers / 8) % 3 == 2;
    }

    /**
     * The type for the next quantizable tensor (call in processing order; counters advance).
     *
     * @param name tensor name
     * @param ne   the four dimensions
     */
    public GgmlType choose(String name, long[] ne) {
        GgmlType def = ftype.defaultType();
        if (!def.isQuantized()) {
            return def; // F32/F16/BF16 file types: no per-tensor rules
        }
        GgmlType t = def;
        boolean falcon = model.arch().equals("falcon");
        boolean q4km = ftype == FileType.Q4_K_M;
        boolean q5km = ftype == FileType.Q5_K_M;
        boolean q4ks = ftype == FileType.Q4_K_S;
        if (name.equals("output.weight") || (!model.hasOutput() && name.equals("token_embd.weight"))) {
            if (falcon || ne[0] % def.blockSize() != 0) {
                t = GgmlType.Q8_0;
            } else if (t != GgmlType.Q8_0) {
                t = GgmlType.Q6_K;
            }
        } else if (name.equals("token_embd.weight") || name.equals("per_layer_token_embd.weight")) {
            // no rule for the supported file types
        } else if (name.contains("attn_v.weight")) {
            if ((q4km || q5km) && useMoreBits(iAttentionWv, nAttentionWv)) {
                t = GgmlType.Q6_K;
            } else if (q4ks && iAttentionWv < 4) {
                t = GgmlType.Q5_K;
            }
            if (model.is70B() && (t == GgmlType.Q3_K || t == GgmlType.Q4_K)) {
                t = GgmlType.Q5_K;
            }
            if (model.nExpert() == 8) {
                t = GgmlType.Q8_0;
            }
            iAttentionWv++;
        } else if (name.contains("attn_k.weight")) {
            if (model.nExpert() == 8) {
                t = GgmlType.Q8_0;
            }
        } else if (name.contains("attn_q.weight")) {
            // no rule for the supported file types
        } else if (name.contains("ffn_down")) {
            int iLayer = layer(iFfnDown, name);
            int nLayer = model.nLayer();
            if (q4km) {
                if (falcon) {
                    t = iLayer < nLayer / 16 ? GgmlType.Q6_K : useMoreBits(iLayer, nLayer) ? GgmlType.Q5_K : GgmlType.Q4_K;
                } else if (useMoreBits(iLayer, nLayer)) {
                    t = GgmlType.Q6_K;
                }
            } else if (q5km && useMoreBits(iLayer, nLayer)) {
                t = GgmlType.Q6_K;
            } else if (q4ks && !falcon && iLayer < nLayer / 8) {
                t = GgmlType.Q5_K;
            }
            iFfnDown++;
        } else if (name.contains("attn_output.weight")) {
            if (!falcon && model.nExpert() == 8 && (q4ks || q4km)) {
                t = GgmlType.Q5_K;
            }
        } else if (name.contains("attn_qkv.weight")) {
            if (q4km) {
                t = GgmlType.Q5_K;
            } else if (q5km) {
                t = GgmlType.Q6_K;
            }
        } else if (name.contains("ffn_gate")) {
            layer(iFfnGate, name);
            iFfnGate++;
        } else if (name.contains("ffn_up")) {
            layer(iFfnUp, name);
            iFfnUp++;
        }
        return fallback(t, name, ne[0]);
    }

    /** llama.cpp's layer_info: the counter for dense models, the blk.N. prefix for MoE models. */
    private int layer(int counter, String name) {
        if (Math.max(1, model.nExpert()) == 1) {
            return counter;
        }
        int layer = blockIndex(name);
        if (layer < 0 || layer >= model.nLayer()) {
            throw new IllegalArgumentException("tensor '" + name + "': layer " + (layer < 0 ? "unknown" : layer)
                    + " not in [0, " + model.nLayer() + ")");
        }
        return layer;
    }

    /** N in a name starting with {@code blk.N.}, or -1. */
    public static int blockIndex(String name) {
        if (!name.startsWith("blk.")) {
            return -1;
        }
        int i = 4;
        long v = 0;
        while (i < name.length() && Character.isDigit(name.charAt(i)) && v < Integer.MAX_VALUE) {
            v = v * 10 + (name.charAt(i) - '0');
            i++;
        }
        return i == 4 || v > Integer.MAX_VALUE ? -1 : (int) v;
    }

    /** Row-length fallbacks (llama.cpp's convert_incompatible_tensor). */
    static GgmlType fallback(GgmlType t, String name, long ne0) {
        if (ne0 % t.blockSize() == 0) {
            return t;
        }
        GgmlType f = switch (t) {
            case Q2_K, Q3_K, IQ4_XS, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M -> GgmlType.IQ4_NL;
            case TQ1_0, TQ2_0 -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> throw new IllegalArgumentException("tensor '" + name + "': row length " + ne0
                    + " is not a multiple of the block size " + t.blockSize() + " of " + t
                    + " and " + t + " has no fallback type");
        };
        return ne0 % f.blockSize() == 0 ? f : GgmlType.F16;
    }

    /** llama.cpp's processing order: tensors outside {@code blk.N.} first, then by layer, then by name. */
    public static int compareNames(String a, String b) {
        int la = blockIndex(a);
        int lb = blockIndex(b);
        if (la != lb) {
            return Integer.compare(la, lb);
        }
        return compareBytes(a, b);
    }

    private static int compareBytes(String a, String b) {
        byte[] x = a.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] y = b.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return java.util.Arrays.compareUnsigned(x, y);
    }
}
