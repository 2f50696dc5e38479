package dev.pocketrag.convert.internal;

import com.google.gson.JsonObject;
import dev.pocketrag.convert.ConvertException;
import dev.pocketrag.generation.gguf.GgufValue;
import java.nio.file.Path;
import java.util.LinkedHashMap;

/**
 * The {@code tokenizer.*} GGUF keys of a Hugging Face model folder ({@code tokenizer.json},
 * {@code tokenizer_config.json}, {@code tokenizer.model}, {@code generation_config.json}).
 * Being written (issue 20); the converter calls only {@link #read}.
 */
public final class HfVocabulary {

    private HfVocabulary() {}

    /**
     * The tokenizer keys, in the order to write them.
     *
     * @param dir the model folder
     * @param config {@code config.json}, parsed
     * @param arch the GGUF architecture name ({@code llama}, {@code qwen2}, {@code qwen3},
     *     {@code phi3}, {@code gemma2})
     * @throws ConvertException naming the file and the bad value
     */
    public static LinkedHashMap<String, GgufValue> read(Path dir, JsonObject config, String arch)
            throws ConvertException {
        throw new ConvertException("tokenizer conversion is not written yet");
    }
}
