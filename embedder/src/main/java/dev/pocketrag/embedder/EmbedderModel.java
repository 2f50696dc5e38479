package dev.pocketrag.embedder;

import java.util.Objects;

/**
 * A built-in embedding model: where its files are on the classpath, what they must be, and the
 * recipe it was trained with. {@link Embedders#model(String)} names them; {@link
 * Embedders#named(String)} loads one.
 *
 * @param name the short name users type ({@code minilm}, {@code bge-small}, {@code e5-small})
 * @param fileName the model file's name without {@code .onnx}: the first half of {@link
 *     Embedder#modelId()}
 * @param onnxResource the classpath resource of the ONNX file
 * @param tokenizerResource the classpath resource of its {@code tokenizer.json}
 * @param sha256 the ONNX file's sha256 (the second half of {@link Embedder#modelId()})
 * @param crc32 the ONNX file's CRC-32, checked against the bytes loaded (3 ms, where hashing them
 *     again would take 40-60)
 * @param dimension the vector size
 * @param recipe pooling, normalisation, max tokens and prefixes as the model's authors publish them,
 *     with the default run settings
 * @param similarityPrefix what the model's authors put before both texts of a symmetric task
 *     (semantic similarity, clustering), where neither is a query nor a passage: {@code "query: "}
 *     for e5, nothing for bge (its instruction is for retrieval queries only) and MiniLM; see
 *     {@link #similarityRecipe()}
 * @param artifact the Maven artifact the files come from
 * @param description one line for users: the model and its source
 */
public record EmbedderModel(
        String name,
        String fileName,
        String onnxResource,
        String tokenizerResource,
        String sha256,
        long crc32,
        int dimension,
        EmbedderOptions recipe,
        String similarityPrefix,
        String artifact,
        String description) {

    public EmbedderModel {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(fileName, "fileName");
        Objects.requireNonNull(onnxResource, "onnxResource");
        Objects.requireNonNull(tokenizerResource, "tokenizerResource");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(recipe, "recipe");
        Objects.requireNonNull(similarityPrefix, "similarityPrefix");
        Objects.requireNonNull(artifact, "artifact");
        Objects.requireNonNull(description, "description");
    }

    /**
     * {@link #recipe()} with {@link #similarityPrefix()} before every text, queries and passages
     * alike: the options for comparing two texts of the same kind (STS Benchmark, {@code pocketrag
     * eval sts}) the way the model's authors evaluated it. Not for an index: its passages must keep
     * the passage prefix.
     */
    public EmbedderOptions similarityRecipe() {
        return recipe.withPrefixes(similarityPrefix, similarityPrefix);
    }

    /** {@code fileName@sha256:...}: what {@link Embedder#modelId()} of this model answers. */
    public String modelId() {
        return fileName + "@sha256:" + sha256;
    }
}
