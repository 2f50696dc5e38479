package dev.pocketrag.generation.gguf;

import java.util.List;
import java.util.Objects;

/**
 * Everything of a GGUF file but the tensor bytes, as parsed and validated by {@link GgufReader}.
 *
 * @param version    GGUF version (2 or 3)
 * @param alignment  data alignment ({@code general.alignment}, default 32), a power of two
 * @param metadata   the key/value pairs in file order
 * @param tensors    tensor infos in file order (offsets strictly increasing, non-overlapping)
 * @param dataOffset file offset of the data section (a multiple of {@code alignment})
 * @param fileSize   file size in bytes
 */
public record GgufHeader(int version, long alignment, GgufMetadata metadata, List<GgufTensorInfo> tensors,
                         long dataOffset, long fileSize) {
    public GgufHeader {
        Objects.requireNonNull(metadata, "metadata");
        tensors = List.copyOf(tensors);
        if (version < 2 || version > 3) {
            throw new IllegalArgumentException("version " + version + " not in 2..3");
        }
        if (alignment <= 0 || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment " + alignment + " is not a positive power of two");
        }
        if (dataOffset < 0 || dataOffset % alignment != 0) {
            throw new IllegalArgumentException("dataOffset " + dataOffset + " is not a non-negative multiple of "
                    + alignment);
        }
    }
}
