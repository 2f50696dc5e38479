package dev.pocketrag.cluster;

import dev.pocketrag.index.IndexOptions;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.NoteIndexProvider;
import dev.pocketrag.index.RecordedModel;
import java.io.IOException;
import java.net.URI;
import java.util.Locale;
import java.util.Optional;

/**
 * Opens {@link ClusterNoteIndex}es for {@code http:} and {@code https:} locations, found by {@link
 * NoteIndex#open(URI, IndexOptions)} through {@link java.util.ServiceLoader}.
 */
public final class ClusterIndexProvider implements NoteIndexProvider {

    /** For the service loader. */
    public ClusterIndexProvider() {}

    @Override
    public boolean accepts(URI location) {
        String s = location.getScheme() == null ? "" : location.getScheme().toLowerCase(Locale.ROOT);
        return s.equals("http") || s.equals("https");
    }

    @Override
    public NoteIndex open(URI location, IndexOptions options) throws IOException {
        return ClusterNoteIndex.open(location, options);
    }

    @Override
    public Optional<RecordedModel> recorded(URI location) throws IOException {
        return ClusterNoteIndex.recorded(location);
    }
}
