/**
 * ggml tensor types ({@link dev.pocketrag.generation.gguf.GgmlType}): block layouts,
 * dequantization and reference quantization, one class per type family; and the matrix products
 * of the forward pass: {@link dev.pocketrag.generation.tensor.WeightMatrix} (weights in place in the
 * mapped file), {@link dev.pocketrag.generation.tensor.Activations} (inputs encoded as ggml encodes
 * them, {@link dev.pocketrag.generation.tensor.ActivationFormat}) and the scalar kernels of
 * {@link dev.pocketrag.generation.tensor.MatMul}.
 */
package dev.pocketrag.generation.tensor;
