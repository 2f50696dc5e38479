package dev.pocketrag.retrieval.internal;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.index.RecordedModel;
import java.nio.file.Path;
import java.util.List;

/**
 * The embedder of a notebook whose index records a model that is not built in (one loaded from
 * files by its maker), when it was opened without that model: it answers what the index records
 * (id, dimension, recipe), so the notes can be listed, counted, exported, deleted and re-indexed
 * with a built-in model; anything that would embed throws, naming the model and what to do.
 */
public final class UnknownEmbedder implements Embedder {
    private final Path notebook;
    private final RecordedModel model;

    public UnknownEmbedder(Path notebook, RecordedModel model) {
        this.notebook = notebook;
        this.model = model;
    }

    private IllegalStateException unavailable() {
        return new IllegalStateException("notebook " + notebook + " was embedded with model " + model.describe()
                + ", which is not built into pocketrag: open it with that embedder (Notebook.builder(dir).embedder(...)),"
                + " or move it to a built-in one with `pocketrag reindex --embedder minilm` (or bge-small, e5-small)");
    }

    @Override
    public float[] embed(String text) {
        throw unavailable();
    }

    @Override
    public float[] embedQuery(String text) {
        throw unavailable();
    }

    @Override
    public Embedding embedWithInfo(String text) {
        throw unavailable();
    }

    @Override
    public List<float[]> embedAll(List<String> texts) {
        throw unavailable();
    }

    @Override
    public int dimension() {
        return model.dimension();
    }

    /** Not known: a chunker made with it fails at its first token count anyway. */
    @Override
    public int maxTokens() {
        return 256;
    }

    @Override
    public String modelId() {
        return model.modelId();
    }

    @Override
    public String recipe() {
        return model.recipe();
    }

    @Override
    public int countTokens(String text) {
        throw unavailable();
    }

    @Override
    public void close() {}
}
