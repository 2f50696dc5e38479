package dev.pocketrag.retrieval;

import dev.pocketrag.embedder.EmbedderModel;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.index.ModelMismatchException;
import dev.pocketrag.index.RecordedModel;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A notebook was opened with another embedder (model, dimension or recipe) than the one its notes
 * were embedded with. The message names both, what differs, and the two ways on: re-index the
 * notebook with the new one ({@code pocketrag reindex --embedder NAME}, {@link Notebook#reindex}),
 * or open it with its own (give no embedder: a notebook remembers it).
 */
public final class EmbedderMismatchException extends ModelMismatchException {
    private static final long serialVersionUID = 1L;

    EmbedderMismatchException(Path notebook, RecordedModel recorded, RecordedModel wanted) {
        super(message(notebook, recorded, wanted), notebook, recorded, wanted);
    }

    /**
     * For a notebook whose index is at {@code indexUrl} (null: in its folder): the message names the
     * URL, and since such an index cannot be re-indexed in place, the way round through a local copy.
     */
    EmbedderMismatchException(Path notebook, java.net.URI indexUrl, RecordedModel recorded, RecordedModel wanted) {
        super(indexUrl == null ? message(notebook, recorded, wanted) : remoteMessage(indexUrl, recorded, wanted),
                notebook, recorded, wanted);
    }

    /**
     * A copy between a notebook and the index at {@code url} refused because the two hold vectors
     * of different models ({@code pocketrag migrate}).
     *
     * @param into whether the copy went into the index at the URL ({@code migrate --to}) or out of it
     * @param recorded what the side that would be written to records
     * @param wanted the model of the notes being copied
     * @param notes notes the notebook holds ({@code migrate --from}; -1 when not counted)
     */
    static EmbedderMismatchException copyRefused(Path notebook, java.net.URI url, boolean into, RecordedModel recorded,
            RecordedModel wanted, long notes) {
        java.net.URI shown = RemoteIndexException.redacted(url);
        String msg = into
                ? "cannot copy notebook " + notebook + " (vectors of " + label(wanted) + ") into the note index at "
                        + shown + ": it holds vectors of " + label(recorded) + " (they differ in "
                        + recorded.difference(wanted) + "); copy into a new index, or move the notebook to that"
                        + " model first (`pocketrag reindex`)"
                : "cannot copy the note index at " + shown + " (vectors of " + label(wanted) + ") into notebook "
                        + notebook + ": it holds " + notes + " notes of " + label(recorded) + " (they differ in "
                        + recorded.difference(wanted) + "); copy into a new or empty notebook (--dir)";
        return new EmbedderMismatchException(msg, notebook, recorded, wanted);
    }

    private EmbedderMismatchException(String message, Path notebook, RecordedModel recorded, RecordedModel wanted) {
        super(message, notebook, recorded, wanted);
    }

    private static String remoteMessage(java.net.URI indexUrl, RecordedModel recorded, RecordedModel wanted) {
        java.net.URI url = RemoteIndexException.redacted(indexUrl);
        Optional<EmbedderModel> own = builtIn(recorded);
        return "the note index at " + url + " holds vectors of " + label(recorded) + ", not of " + label(wanted)
                + " (they differ in " + recorded.difference(wanted) + "): use its own "
                + (own.isPresent() ? "'" + own.get().name() + "' (leave out --embedder and embedder=)"
                        : "model, opened with that embedder")
                + "; or, to move it to another model, copy it into a local notebook (`pocketrag migrate --from " + url
                + "`), re-index it there and copy it to a new index (`pocketrag migrate --to URL`)";
    }

    /** The built-in name of the notebook's embedder ({@code minilm} ...), if it is one. */
    public Optional<String> recordedName() {
        return builtIn(recorded()).map(EmbedderModel::name);
    }

    /** The built-in name of the embedder asked for, if it is one. */
    public Optional<String> wantedName() {
        return builtIn(wanted()).map(EmbedderModel::name);
    }

    /** The built-in model {@code m} is, with its own recipe (or none said). */
    static Optional<EmbedderModel> builtIn(RecordedModel m) {
        return Embedders.modelWithId(m.modelId()).filter(b -> b.dimension() == m.dimension()
                && (m.recipe().isEmpty() || m.recipe().equals(b.recipe().recipe())));
    }

    /** {@code embedder 'bge-small'}, or the model's id, dimension and recipe when it is not a built-in one. */
    static String label(RecordedModel m) {
        Optional<EmbedderModel> b = builtIn(m);
        if (b.isPresent()) {
            return "embedder '" + b.get().name() + "'";
        }
        Optional<EmbedderModel> same = Embedders.modelWithId(m.modelId());
        if (same.isPresent()) {
            return "embedder '" + same.get().name() + "' with recipe " + m.recipe();
        }
        return "model " + m.describe();
    }

    private static String message(Path notebook, RecordedModel recorded, RecordedModel wanted) {
        Optional<EmbedderModel> to = builtIn(wanted);
        Optional<EmbedderModel> own = builtIn(recorded);
        return "notebook " + notebook + " holds vectors of " + label(recorded) + ", not of " + label(wanted)
                + " (they differ in " + recorded.difference(wanted) + "): to move it to "
                + (to.isPresent() ? "'" + to.get().name() + "', run `pocketrag reindex --embedder " + to.get().name()
                        + "`" : "that model, re-index it with Notebook.reindex")
                + " (every note is embedded again; the notebook stays usable meanwhile); or use its own "
                + (own.isPresent() ? "'" + own.get().name() + "' (leave out --embedder and embedder=)"
                        : "model, opened with that embedder");
    }
}
