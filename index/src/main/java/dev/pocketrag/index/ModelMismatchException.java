package dev.pocketrag.index;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The index holds vectors of another embedding model, dimension or recipe (pooling, prefixes ...)
 * than the one it was opened for; mixing them would make every similarity meaningless. The message
 * names both sides and what differs.
 */
public class ModelMismatchException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;
    private final RecordedModel recorded;
    private final RecordedModel wanted;

    ModelMismatchException(Path path, RecordedModel recorded, RecordedModel wanted) {
        this("index " + path + " holds vectors of model " + recorded.describe() + ", not of "
                + wanted.describe() + ": they differ in " + recorded.difference(wanted) + "; rebuild it by"
                + " opening a new index directory with the new model and adding every note again"
                + " (or open this one with model '" + recorded.modelId() + "' and its recipe)", path, recorded, wanted);
    }

    /**
     * For a caller that says the same in its own words (and names its own way out).
     *
     * @param recorded what the index records
     * @param wanted what it was opened for
     */
    protected ModelMismatchException(String message, Path path, RecordedModel recorded, RecordedModel wanted) {
        super(message);
        this.path = path;
        this.recorded = Objects.requireNonNull(recorded, "recorded");
        this.wanted = Objects.requireNonNull(wanted, "wanted");
    }

    /** The index directory. */
    public Path path() {
        return path;
    }

    /** What the index records. */
    public RecordedModel recorded() {
        return recorded;
    }

    /** What it was opened for. */
    public RecordedModel wanted() {
        return wanted;
    }

    /** What differs, in words (see {@link RecordedModel#difference}). */
    public String difference() {
        return recorded.difference(wanted);
    }

    /** The model recorded in the index. */
    public String indexModel() {
        return recorded.modelId();
    }

    /** The dimension recorded in the index. */
    public int indexDimension() {
        return recorded.dimension();
    }
}
