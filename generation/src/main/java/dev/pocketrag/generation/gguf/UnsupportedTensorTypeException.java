package dev.pocketrag.generation.gguf;

import java.io.Serial;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** A tensor has a ggml type this library cannot decode (or quantize to); names the type and the tensor. */
public final class UnsupportedTensorTypeException extends UnsupportedOperationException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final GgmlType type;
    private final String tensor;

    /** {@code operation} (decode, multiply) is not implemented for {@code type}; names the types that are. */
    public UnsupportedTensorTypeException(GgmlType type, String tensor, String operation) {
        this(type, tensor, operation, Arrays.stream(GgmlType.values()).filter(GgmlType::isSupported).toList());
    }

    /** {@code operation} is not implemented for {@code type}, only for {@code supported}. */
    public UnsupportedTensorTypeException(GgmlType type, String tensor, String operation, List<GgmlType> supported) {
        super("tensor '" + tensor + "' has type " + type + " (ggml id " + type.id() + "), which pocketrag cannot "
                + operation + "; supported: " + supported.stream().map(Enum::name).collect(Collectors.joining(", ")));
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
