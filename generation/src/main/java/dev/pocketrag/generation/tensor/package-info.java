/**
 * ggml tensor types ({@link dev.pocketrag.generation.tensor.GgmlType}): block layouts,
 * dequantization and reference quantization, one class per type family.
 */
package dev.pocketrag.generation.tensor;
