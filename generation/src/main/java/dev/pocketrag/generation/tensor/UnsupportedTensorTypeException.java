package dev.pocketrag.generation.tensor;

import dev.pocketrag.generation.gguf.GgmlType;
import java.io.Serial;
import java.util.Arrays;
import java.util.stream.Collectors;

/** A tensor has a ggml type this library cannot decode (or quantize to); names the type and the tensor. */
public final class UnsupportedTensorTypeException extends UnsupportedOperationException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final GgmlType type;
    private final String tensor;

    public UnsupportedTensorTypeException(GgmlType type, String tensor, String operation) {
        super("tensor '" + tensor + "' has type " + type + " (ggml id " + type.id() + "), which pocketrag cannot "
                + operation + "; supported: " + Arrays.stream(GgmlType.values())
                .filter(t -> operation.equals("quantize to") ? Tensors.canQuantize(t) : t.isSupported())
                .map(Enum::name).collect(Collectors.joining(", ")));
        this.type = type;
        this.tensor = tensor;
    }

    public GgmlType type() {
        return type;
    }

    public String tensor() {
        return tensor;
    }
}
