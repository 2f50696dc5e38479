package dev.pocketrag.index;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The index holds vectors of another embedding model (or dimension) than the one it was opened
 * for; mixing them would make every similarity meaningless.
 */
public final class ModelMismatchException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String indexModel;
    private final int indexDimension;

    ModelMismatchException(Path path, String indexModel, int indexDimension, String wanted, int wantedDimension) {
        super("index " + path + " holds vectors of model '" + indexModel + "' (" + indexDimension
                + " dims), not of '" + wanted + "' (" + wantedDimension + " dims): rebuild it by"
                + " opening a new index directory with the new model and adding every note again"
                + " (or open this one with model '" + indexModel + "')");
        this.indexModel = indexModel;
        this.indexDimension = indexDimension;
    }

    /** The model recorded in the index. */
    public String indexModel() {
        return indexModel;
    }

    /** The dimension recorded in the index. */
    public int indexDimension() {
        return indexDimension;
    }
}
