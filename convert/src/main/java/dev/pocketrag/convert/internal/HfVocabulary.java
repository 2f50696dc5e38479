package dev.pocketrag.convert.internal;

import com.google.gson.JsonObject;
import dev.pocketrag.convert.ConvertException;
import dev.pocketrag.generation.gguf.GgufValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Objects;

/**
 * The {@code tokenizer.*} GGUF keys of a Hugging Face model folder ({@code tokenizer.json},
 * {@code tokenizer_config.json}, {@code tokenizer.model}, {@code added_tokens.json},
 * {@code chat_template.jinja} / {@code chat_template.json}, {@code config.json}), as llama.cpp's
 * {@code convert_hf_to_gguf.py} writes them, so that the engine's tokenizers and llama.cpp load the
 * result.
 *
 * <h2>Which tokenizer each architecture uses (as llama.cpp's converter chooses)</h2>
 * <table>
 * <caption>paths</caption>
 * <tr><th>architecture</th><th>tokenizer</th></tr>
 * <tr><td>{@code llama}</td><td>SentencePiece ({@link SpmVocab}) if {@code tokenizer.model} exists,
 *     else a byte-fallback BPE {@code tokenizer.json} as SentencePiece ({@link SpmHfVocab}), else
 *     byte-level BPE ({@link BpeVocab}, Llama 3, SmolLM); then {@code add_space_prefix} from
 *     {@code tokenizer_config.json}'s {@code add_prefix_space}, and {@code add_bos_token = false} for
 *     a 49152-token vocabulary (llama.cpp's rule for small Granite models)</td></tr>
 * <tr><td>{@code qwen2}, {@code qwen3}</td><td>SentencePiece if {@code tokenizer.model} exists, else
 *     byte-level BPE</td></tr>
 * <tr><td>{@code phi3}</td><td>SentencePiece, Phi-3's variant (added tokens also from
 *     {@code tokenizer.json}, typed by their {@code special} flag alone)</td></tr>
 * <tr><td>{@code gemma2}</td><td>SentencePiece, then {@code add_space_prefix = false}</td></tr>
 * </table>
 * Not converted (a {@link ConvertException} says so): a Unigram {@code tokenizer.json} without
 * {@code tokenizer.model}, and a byte-fallback BPE one outside the {@code llama} architecture
 * (llama.cpp has no path for them on these architectures); CodeLlama's fill-in-the-middle ids
 * (vocabulary 32016) are not written.
 *
 * <p>Every error is a {@link ConvertException} naming the file and the bad value; text from the
 * files appears in messages only quoted and escaped ({@code VocabJson.quote}).
 *
 * <h2>For the caller</h2>
 * Write the returned keys, in their order, after the model's hyper-parameters (llama.cpp's
 * converter writes {@code set_gguf_parameters} before {@code set_vocab}). The length of
 * {@code tokenizer.ggml.tokens} is {@code config.json}'s {@code vocab_size} whenever that is given
 * (shorter files are padded; a larger vocabulary is refused), so it is the row count
 * {@code token_embd.weight} and {@code output.weight} must have. Token texts and the chat template
 * are data from the model folder: never print them unquoted.
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
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(arch, "arch");
        if (!Files.isDirectory(dir)) {
            throw new ConvertException(dir + ": not a directory");
        }
        boolean spm = Files.isRegularFile(dir.resolve("tokenizer.model"));
        JsonObject tj = VocabJson.readObjectIfPresent(dir.resolve("tokenizer.json"));
        JsonObject tokenizerConfig = VocabJson.readObjectIfPresent(dir.resolve("tokenizer_config.json"));
        LinkedHashMap<String, GgufValue> keys;
        switch (arch) {
            case "llama" -> {
                if (spm) {
                    keys = SpmVocab.read(dir, tj, tokenizerConfig, config, SpmVocab.Flavour.SENTENCEPIECE);
                } else if (tj != null && SpmHfVocab.applies(tj)) {
                    keys = SpmHfVocab.read(dir, tj, tokenizerConfig, config);
                } else {
                    keys = bpe(dir, tj, tokenizerConfig, config, arch);
                }
                Boolean prefix = VocabJson.boolOrNull(tokenizerConfig, "add_prefix_space");
                if (prefix != null) {
                    keys.put("tokenizer.ggml.add_space_prefix", GgufValue.ofBool(prefix));
                }
                Integer size = VocabJson.vocabSize(config, dir);
                if (size != null && size == 49152) {
                    keys.put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(false));
                }
            }
            case "qwen2", "qwen3" -> keys = spm ? SpmVocab.read(dir, tj, tokenizerConfig, config, SpmVocab.Flavour.SENTENCEPIECE)
                    : bpe(dir, tj, tokenizerConfig, config, arch);
            case "phi3" -> keys = SpmVocab.read(dir, tj, tokenizerConfig, config, SpmVocab.Flavour.PHI3);
            case "gemma2" -> {
                keys = SpmVocab.read(dir, tj, tokenizerConfig, config, SpmVocab.Flavour.SENTENCEPIECE);
                keys.put("tokenizer.ggml.add_space_prefix", GgufValue.ofBool(false));
            }
            default -> throw new ConvertException(dir + ": no tokenizer conversion for the architecture "
                    + VocabJson.quote(arch) + " (llama, qwen2, qwen3, phi3, gemma2)");
        }
        return keys;
    }

    private static LinkedHashMap<String, GgufValue> bpe(Path dir, JsonObject tj, JsonObject tokenizerConfig,
            JsonObject config, String arch) throws ConvertException {
        if (tj == null) {
            throw new ConvertException(dir + ": neither tokenizer.model nor tokenizer.json is there; the "
                    + arch + " architecture needs one of them");
        }
        return BpeVocab.read(dir, tj, tokenizerConfig, config);
    }
}
