/**
 * ggml tensor types ({@link dev.pocketrag.generation.gguf.GgmlType}): block layouts (each in its
 * {@code Block*} class, as named byte offsets), dequantization and reference quantization, one class
 * per type family; and every kernel of the forward pass, each with its scalar twin: the matrix
 * products ({@link dev.pocketrag.generation.tensor.WeightMatrix} for weights in place in the mapped
 * file, {@link dev.pocketrag.generation.tensor.Activations} for inputs encoded as ggml encodes them,
 * {@link dev.pocketrag.generation.tensor.MatMul} scalar, {@code VectorMatMul}, {@code ShortDots} and
 * {@code VectorGemm} with the Vector API), attention, SiLU and softmax
 * ({@link dev.pocketrag.generation.tensor.Kernels}, {@code VectorKernels}) and the activations
 * ({@link dev.pocketrag.generation.tensor.Activation}). Imports only the gguf format package.
 */
package dev.pocketrag.generation.tensor;
