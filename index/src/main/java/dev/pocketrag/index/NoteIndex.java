package dev.pocketrag.index;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Notes on local disk, searchable by meaning (kNN over chunk vectors), by words (BM25) and by
 * both (Reciprocal Rank Fusion). Takes {@code float[]} vectors; it never embeds anything itself.
 *
 * <h2>Writes and durability</h2>
 * {@link #put} adds a note or replaces every chunk of an existing one in one atomic step: a
 * search sees the old note or the new one, never a mixture nor half a note. Writes become visible
 * to this instance's reads at once (near-real-time), and durable at {@link #commit()}; {@link
 * #close()} commits what is not committed yet (an index opened only to read is not written).
 * After a crash the index opens at its last commit.
 *
 * <p>One writer per directory: opening an index that another process (or another open instance)
 * holds throws {@link IndexInUseException}. The index records the embedding model id, the
 * dimension of its vectors and the embedder's recipe ({@link RecordedModel}); opening it for
 * another model, dimension or recipe throws {@link ModelMismatchException}.
 *
 * <p>Thread-safe. {@link #open} gives the Lucene implementation; other implementations (a remote
 * search cluster) may follow the same contract.
 */
public interface NoteIndex extends AutoCloseable {

    /**
     * Opens the index in {@code dir}, creating the directory and an empty index if needed.
     *
     * @throws IndexInUseException if another writer holds the directory (its message names the
     *     process, and what it is, when that process said: {@link #describeHolder})
     * @throws ModelMismatchException if the index was built for another model, dimension or recipe
     * @throws DamagedIndexException if its files are damaged (reads throw it too, when they meet
     *     damage that opening did not)
     * @throws IOException if the directory cannot be read or written, or is not a pocketrag index
     */
    static NoteIndex open(Path dir, IndexOptions options) throws IOException {
        return LuceneNoteIndex.open(dir, options);
    }

    /**
     * What the index in {@code dir} records about its vectors (model id, dimension, recipe), read
     * from its last commit without opening it or taking a lock; empty when there is no index there
     * yet.
     *
     * @throws DamagedIndexException if its commit point cannot be read
     */
    static java.util.Optional<RecordedModel> recorded(Path dir) throws IOException {
        return LuceneNoteIndex.recorded(dir);
    }

    /**
     * Opens the index at {@code location}: a {@code file:} URI is the local Lucene index in that
     * folder ({@link #open(Path, IndexOptions)}); any other scheme is opened by the first {@link
     * NoteIndexProvider} on the class path that accepts it (a search cluster's, say).
     *
     * @throws IllegalArgumentException if no provider accepts the location (the message names its
     *     scheme)
     */
    static NoteIndex open(java.net.URI location, IndexOptions options) throws IOException {
        if ("file".equalsIgnoreCase(location.getScheme())) {
            return open(Path.of(location), options);
        }
        return provider(location).open(location, options);
    }

    /** What the index at {@code location} records; see {@link #open(java.net.URI, IndexOptions)}. */
    static Optional<RecordedModel> recorded(java.net.URI location) throws IOException {
        if ("file".equalsIgnoreCase(location.getScheme())) {
            return recorded(Path.of(location));
        }
        return provider(location).recorded(location);
    }

    private static NoteIndexProvider provider(java.net.URI location) {
        java.util.Iterator<NoteIndexProvider> providers =
                java.util.ServiceLoader.load(NoteIndexProvider.class).iterator();
        java.util.ServiceConfigurationError broken = null;
        // a provider that cannot be loaded (a stale services entry, a missing class) is skipped:
        // the iterator goes on to the next one after the error (bounded, in case it does not)
        for (int tries = 0; tries < 1000; tries++) {
            try {
                if (!providers.hasNext()) {
                    break;
                }
                NoteIndexProvider p = providers.next();
                if (p.accepts(location)) {
                    return p;
                }
            } catch (java.util.ServiceConfigurationError e) {
                broken = e;
            }
        }
        throw new IllegalArgumentException("no note index can be opened at '" + location.getScheme()
                + ":' locations (only file: is built in; a search cluster's index needs its module,"
                + " dev.pocketrag:pocketrag-cluster, on the class path)"
                + (broken == null ? "" : "; a provider on the class path could not be loaded: " + broken.getMessage())
                + ": " + (location.getRawUserInfo() == null ? location.toString()
                        : location.toString().replace(location.getRawUserInfo() + "@", "")));
    }

    /**
     * Opens the index in {@code dir} to read only: it takes no lock, so it works while another
     * process holds the index (it sees the last commit made before this call) and on a read-only
     * directory; a directory without an index reads as empty, and nothing is created. Writes throw
     * {@link IllegalStateException}.
     *
     * @throws ModelMismatchException if the index was built for another model, dimension or recipe
     * @throws DamagedIndexException if its files are damaged
     * @throws IOException if the directory cannot be read, or is not a pocketrag index
     */
    static NoteIndex openReadOnly(Path dir, IndexOptions options) throws IOException {
        return LuceneNoteIndex.openReadOnly(dir, options);
    }

    /**
     * Checks the index in {@code dir} without changing it: every file's checksum and every segment
     * decoded (Lucene's CheckIndex), then every note against the index's own rules (each chunk
     * there once, its text the note's text there, a unit vector of the index's dimension, the
     * commit's embedding model this one). Holds the index's lock while it runs.
     *
     * @throws IndexInUseException if another writer holds the index
     * @throws ModelMismatchException if the index was built for another model, dimension or recipe
     */
    static IndexCheck check(Path dir, IndexOptions options) throws IOException {
        return IndexDoctor.check(dir, options);
    }

    /**
     * Checks the index (as {@link #check}) and, if anything is wrong, repairs it: first copies it to
     * {@code backup} (a folder that must not exist yet), then drops the segments whose files are
     * damaged and what is left of notes whose text cannot be read, and indexes again, from their
     * text, the notes whose chunks or vectors were damaged or lost with a segment (through {@code
     * reindex}, which chunks and embeds notes as {@code put} wants them). A sound index is not
     * touched (and not copied).
     *
     * @return what was found and done: how many notes were rebuilt and how many lost
     * @throws DamagedIndexException if not even the list of segments can be read (nothing is
     *     changed: restore a backup)
     */
    static IndexCheck repair(Path dir, IndexOptions options, Path backup,
            java.util.function.Function<List<Note>, List<ChunkedNote>> reindex) throws IOException {
        return IndexDoctor.repair(dir, options, backup, reindex);
    }

    /**
     * Adds {@code note}, or replaces all chunks of the note with the same id, atomically.
     *
     * @throws IllegalArgumentException if a vector has the wrong dimension, is not finite or is
     *     not of unit length (within 1e-3), or the title is longer than {@link
     *     Note#MAX_TITLE_LENGTH} (see {@link Note#withBoundedTitle()}): the message names the note
     *     and the chunk or the length
     */
    void put(ChunkedNote note) throws IOException;

    /** {@code put(new ChunkedNote(note, chunks, vectors))}. */
    default void put(Note note, List<Chunk> chunks, List<float[]> vectors) throws IOException {
        put(new ChunkedNote(note, chunks, vectors));
    }

    /**
     * Puts many notes; each is atomic on its own. All are validated before any is written, so a
     * bad vector rejects the whole batch.
     */
    void putAll(Collection<ChunkedNote> notes) throws IOException;

    /** Deletes the note with this id and all its chunks; nothing happens if there is none. */
    void delete(String id) throws IOException;

    /** Deletes every note with one of these ids. */
    void deleteAll(Collection<String> ids) throws IOException;

    /** The note with this id, as last put. */
    Optional<Note> get(String id) throws IOException;

    /** The chunks of the note with this id in order; empty if there is no such note. */
    List<Chunk> chunks(String id) throws IOException;

    /**
     * The fingerprint the note with this id was last put with ({@code ""} if none); empty if
     * there is no such note. Reads one stored field: cheaper than {@link #get}.
     */
    Optional<String> fingerprint(String id) throws IOException;

    /**
     * The note with this id as last put: its chunks in order, their vectors (as the index keeps
     * them at full precision) and its fingerprint; empty if there is no such note. Putting it back
     * (say, with another fingerprint) needs no embedding.
     */
    Optional<ChunkedNote> getChunked(String id) throws IOException;

    /**
     * Notes that pass {@code filter}, most recently updated first (then by id), skipping the first
     * {@code offset}, at most {@code limit}.
     */
    List<Note> list(SearchFilter filter, int offset, int limit) throws IOException;

    /** Runs a search; see {@link SearchRequest}. */
    List<SearchHit> search(SearchRequest request) throws IOException;

    /** Counts and sizes, for {@code stats} commands and the notebook. */
    IndexStats stats() throws IOException;

    /** Makes every write so far durable (fsync); returns when it is. */
    void commit() throws IOException;

    /**
     * Says what holds the index, for a process that finds it in use (e.g. {@code "pocketrag serve
     * at http://127.0.0.1:8080: use its API, or stop it"}): its {@link IndexInUseException} then
     * names this process and this text. Nothing for an index opened read-only.
     */
    default void describeHolder(String what) throws IOException {}

    /**
     * The index directory.
     *
     * @throws UnsupportedOperationException for an index that is not in a local folder (see
     *     {@link #location()})
     */
    Path path();

    /**
     * Where the index lives: a {@code file:} URI for a local index, the cluster's address (never
     * with credentials) for a remote one.
     */
    default java.net.URI location() {
        return path().toUri();
    }

    /** Commits and releases the directory; idempotent. */
    @Override
    void close() throws IOException;
}
