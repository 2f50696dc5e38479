package dev.pocketrag.retrieval;

import dev.pocketrag.index.DamagedIndexException;
import dev.pocketrag.index.IndexInUseException;
import dev.pocketrag.index.ModelMismatchException;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.RecordedModel;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * The note index at a URL ({@link Notebook.Builder#indexUrl}) could not be opened or read: a
 * cluster that cannot be reached, refuses the credentials, or answers with something that is not a
 * pocketrag index. The message names the URL (without any user name or password in it) and the
 * cause, in one line; nothing in the notebook directory was changed.
 */
public final class RemoteIndexException extends IOException {
    private static final long serialVersionUID = 1L;

    private final URI location;

    RemoteIndexException(URI location, String message, Throwable cause) {
        super(message, cause);
        this.location = Objects.requireNonNull(location, "location");
    }

    /** The index's URL, without credentials. */
    public URI location() {
        return location;
    }

    /** Whether {@code url} is a local folder ({@code file:}). */
    static boolean isFile(URI url) {
        return "file".equalsIgnoreCase(url.getScheme());
    }

    /** {@code url} with any user information ({@code user:password@}) left out: safe to print. */
    public static URI redacted(URI url) {
        if (url.getRawUserInfo() == null) {
            return url;
        }
        try {
            return new URI(url.getScheme(), null, url.getHost(), url.getPort(), url.getPath(), url.getQuery(),
                    url.getFragment());
        } catch (java.net.URISyntaxException e) {
            return URI.create(url.getScheme() + ":?");
        }
    }

    /**
     * A notebook opened to read only finds no pocketrag index at {@code url} (nothing was created
     * there): the message says how to make one.
     */
    static RemoteIndexException noIndexYet(URI url) {
        URI shown = redacted(url);
        return new RemoteIndexException(shown, "no note index at " + shown + " yet, and reading does not make one:"
                + " check the URL, or put notes there first (pocketrag import --index-url URL DIR, or pocketrag"
                + " migrate --to URL)", null);
    }

    /**
     * What the index at {@code url} records (see {@link NoteIndex#recorded(URI)}).
     *
     * @throws RemoteIndexException naming the URL when it cannot be read
     */
    static Optional<RecordedModel> recorded(URI url) throws IOException {
        try {
            return NoteIndex.recorded(url);
        } catch (IOException | UncheckedIOException e) {
            throw wrap(url, "read", e);
        }
    }

    /**
     * {@code e} as the failure to {@code doing} (open, read ...) the index at {@code url}: the
     * index's own typed failures (held, damaged, another model, interrupted) as they are, anything
     * else a {@link RemoteIndexException} naming the URL.
     */
    static IOException wrap(URI url, String doing, Exception e) {
        if (e instanceof IndexInUseException || e instanceof DamagedIndexException || e instanceof ModelMismatchException
                || e instanceof RemoteIndexException || e instanceof InterruptedIOException) {
            return (IOException) e;
        }
        URI shown = redacted(url);
        return new RemoteIndexException(shown, "cannot " + doing + " the note index at " + shown + ": "
                + Errors.describe(e), e);
    }
}
