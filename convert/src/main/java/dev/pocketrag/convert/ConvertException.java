package dev.pocketrag.convert;

import java.io.IOException;

/**
 * A Hugging Face checkpoint that cannot be converted: a missing or malformed file, an
 * unsupported architecture or dtype, a safetensors header that does not match its data. The
 * message names the file and the bad value. Nothing is left at the output path when it is thrown.
 */
public class ConvertException extends IOException {

    public ConvertException(String message) {
        super(message);
    }

    public ConvertException(String message, Throwable cause) {
        super(message, cause);
    }
}
