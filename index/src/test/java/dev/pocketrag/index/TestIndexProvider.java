package dev.pocketrag.index;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A stand-in for a search cluster's provider, for tests of what a notebook does on an index at a
 * URL that is not {@code file:}: {@code testindex://HOST/abs/path} is the local Lucene index in
 * {@code /abs/path} (opened for writing, as a cluster is: no read-only mode); host {@code down}
 * cannot be reached ({@link ConnectException}, as a client's connection refused).
 */
public final class TestIndexProvider implements NoteIndexProvider {
    public static final String SCHEME = "testindex";

    /** The URL of the stand-in cluster index in {@code folder}. */
    public static URI at(Path folder) {
        return URI.create(SCHEME + "://up" + folder.toAbsolutePath().toUri().getRawPath());
    }

    /** A URL of an index that cannot be reached, with a user and password in it. */
    public static URI unreachable() {
        return URI.create(SCHEME + "://ana:s3cret@down:9200/notes");
    }

    @Override
    public boolean accepts(URI location) {
        return SCHEME.equals(location.getScheme());
    }

    @Override
    public NoteIndex open(URI location, IndexOptions options) throws IOException {
        return NoteIndex.open(folder(location), options);
    }

    @Override
    public Optional<RecordedModel> recorded(URI location) throws IOException {
        return NoteIndex.recorded(folder(location));
    }

    private static Path folder(URI location) throws IOException {
        if ("down".equals(location.getHost())) {
            throw new ConnectException("Connection refused");
        }
        return Path.of(location.getPath());
    }
}
