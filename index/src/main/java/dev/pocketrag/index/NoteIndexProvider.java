package dev.pocketrag.index;

import java.io.IOException;
import java.net.URI;
import java.util.Optional;

/**
 * Opens a {@link NoteIndex} that lives somewhere other than a local folder (a search cluster),
 * found by {@link java.util.ServiceLoader} when {@link NoteIndex#open(URI, IndexOptions)} is given
 * a location whose scheme is not {@code file}. An implementation registers itself in {@code
 * META-INF/services/dev.pocketrag.index.NoteIndexProvider}.
 */
public interface NoteIndexProvider {

    /** Whether this provider opens indexes at {@code location} (decided by its scheme). */
    boolean accepts(URI location);

    /**
     * Opens (creating when needed) the index at {@code location}, under the same contract as the
     * local index: one atomic write per note, the recorded model guarded.
     *
     * @throws ModelMismatchException if the index there was built for another model, dimension or
     *     recipe
     * @throws IOException if it cannot be reached or is not a pocketrag index
     */
    NoteIndex open(URI location, IndexOptions options) throws IOException;

    /** What the index at {@code location} records about its vectors; empty if there is none yet. */
    Optional<RecordedModel> recorded(URI location) throws IOException;
}
