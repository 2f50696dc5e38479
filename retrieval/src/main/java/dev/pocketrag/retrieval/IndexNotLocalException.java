package dev.pocketrag.retrieval;

import java.net.URI;
import java.util.Objects;

/**
 * What a notebook whose index is at a URL ({@link Notebook.Builder#indexUrl}) cannot do, because
 * it works on the index's files in the notebook directory: re-index to another embedder, check or
 * repair the index's files. The message names the URL and the way round (copy the index into a
 * local notebook with {@code pocketrag migrate --from URL}, do it there, and copy it back to a new
 * index with {@code migrate --to}).
 */
public final class IndexNotLocalException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final URI location;

    IndexNotLocalException(URI location, String what) {
        super(message(RemoteIndexException.redacted(Objects.requireNonNull(location, "location")), what));
        this.location = RemoteIndexException.redacted(location);
    }

    /** The index's URL, without credentials. */
    public URI location() {
        return location;
    }

    private static String message(URI url, String what) {
        return what + " needs the notebook's own index in its folder, and this notebook's index is at " + url
                + ": copy it into a local notebook with `pocketrag migrate --from " + url + "`, " + what
                + " there (without --index-url), then copy it to a new index with `pocketrag migrate --to URL`";
    }
}
