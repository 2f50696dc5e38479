package dev.pocketrag.generation.gguf;

import java.io.Serial;

/**
 * A GGUF file (or a value in it) is malformed or not what the caller needs. The message names the
 * file, the field, the bad value and the file offset where the field starts, e.g.
 * <pre>model.gguf: tensor[3] 'blk.0.attn_q.weight' n_dims = 5 at offset 1234: must be 1..4</pre>
 *
 * <p>Unchecked, so metadata getters can be used in lambdas and streams; every method of
 * {@link GgufFile} that reads untrusted bytes documents that it throws it.
 */
public final class GgufFormatException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String field;
    private final String value;
    private final long offset;

    /**
     * @param source  the file name (or another name of the bytes)
     * @param field   the field that is wrong, e.g. {@code "version"} or {@code "kv[3] 'general.alignment'"}
     * @param value   the bad value as text
     * @param offset  the file offset of the field, or -1 when not known
     * @param problem what is wrong, e.g. {@code "must be 2 or 3"}
     */
    public GgufFormatException(String source, String field, String value, long offset, String problem) {
        super(source + ": " + field + " = " + value + (offset >= 0 ? " at offset " + offset : "") + ": " + problem);
        this.source = source;
        this.field = field;
        this.value = value;
        this.offset = offset;
    }

    /** For a message that does not follow the field = value pattern (e.g. "not a GGUF file"). */
    public GgufFormatException(String message, String source, String field, String value, long offset) {
        super(message);
        this.source = source;
        this.field = field;
        this.value = value;
        this.offset = offset;
    }

    /** The file name the error is about. */
    public String source() {
        return source;
    }

    /** The field that is wrong. */
    public String field() {
        return field;
    }

    /** The bad value as text. */
    public String value() {
        return value;
    }

    /** File offset of the field, or -1 if unknown. */
    public long offset() {
        return offset;
    }
}
