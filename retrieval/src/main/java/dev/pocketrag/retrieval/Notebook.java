package dev.pocketrag.retrieval;

import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.TokenListener;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.EmbedderModel;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.index.Chunk;
import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.IndexCheck;
import dev.pocketrag.index.IndexOptions;
import dev.pocketrag.index.IndexStats;
import dev.pocketrag.index.ModelMismatchException;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.RecordedModel;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.index.SearchMode;
import dev.pocketrag.index.SearchRequest;
import dev.pocketrag.index.VectorFormat;
import dev.pocketrag.retrieval.Answer.Citation;
import dev.pocketrag.retrieval.Answer.Passage;
import dev.pocketrag.retrieval.internal.Citations;
import dev.pocketrag.retrieval.internal.Conflicts;
import dev.pocketrag.retrieval.internal.ContextPacker;
import dev.pocketrag.retrieval.internal.Extractive;
import dev.pocketrag.retrieval.internal.FocusedPassages;
import dev.pocketrag.retrieval.internal.FolderImporter;
import dev.pocketrag.retrieval.internal.IndexCopier;
import dev.pocketrag.retrieval.internal.IndexLayout;
import dev.pocketrag.retrieval.internal.NoteExport;
import dev.pocketrag.retrieval.internal.NoteFiles;
import dev.pocketrag.retrieval.internal.PromptBuilder;
import dev.pocketrag.retrieval.internal.Reindexer;
import dev.pocketrag.retrieval.internal.UnknownEmbedder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A notebook: notes in, searchable by meaning and by words, questions answered with citations.
 *
 * <pre>{@code
 * try (Notebook nb = Notebook.open(Path.of("notes-db"))) {          // its own embedder (new: MiniLM), no chat model
 *     nb.add(Note.of("Dentist", "Appointment on 14 March at 09:30 with Dr. Sousa.", List.of("health")));
 *     List<SearchHit> hits = nb.search("tooth doctor", SearchOptions.defaults()); // by meaning and words
 *     Answer a = nb.ask("When is the dentist appointment?");        // extractive, with citations
 * }
 * try (Notebook nb = Notebook.builder(dir).chatModel(GgufChatModel.load(model)).build()) { // or any ChatModel
 *     nb.ask("When is the dentist?", AskOptions.defaults(), piece -> { System.out.print(piece); return true; });
 * }
 * }</pre>
 *
 * <p>Layout of the notebook directory: {@code index/} holds the Lucene index (notes, chunks,
 * vectors, BM25 postings); after a {@link #reindex re-index} it is {@code index-N/}, which the small
 * file {@code index.current} names (see {@code IndexLayout} for the folders and the states a crash
 * can leave). The index records the embedding model (id, dimension, recipe): a notebook opened
 * without an embedder uses that one (if it is built in), and one opened with another refuses it
 * ({@link EmbedderMismatchException}). {@code threads/} holds the stored conversations ({@link
 * #conversation(String)}), one file each. With {@link Builder#indexUrl} the notes are in the index
 * at a URL instead (a search cluster shared by several processes and machines), and the directory
 * keeps only what is local: threads, watched folders, the prompt cache; {@link Builder#migrateTo}
 * and {@link Builder#migrateFrom} copy an index between the two.
 *
 * <p>Every write ({@link #add}, {@link #addAll}, {@link #update}, {@link #delete}) is durable when
 * it returns; {@link #importFolder} commits as it goes, so a crash loses at most the file being
 * embedded and the next import carries on. Thread-safe. Only one process may have a notebook
 * directory open (the second gets {@link dev.pocketrag.index.IndexInUseException}).
 */
public final class Notebook implements AutoCloseable {
    /**
     * The longest question or search query, in characters: it goes whole into the BM25 query and
     * the chat model's prompt (the embedder reads the first 16,384 characters of anything).
     */
    public static final int MAX_QUESTION_CHARS = 4000;

    private final Path directory;
    private final boolean readOnly;
    /** Whether the index was given by {@link Builder#index} (no index folder of ours: no re-index). */
    private final boolean givenIndex;
    /** Where the index is when it is not in the notebook directory ({@link Builder#indexUrl}); null: there. */
    private final java.net.URI indexUrl;
    private final ChatModel chatModel;
    private final boolean ownsChatModel;
    // the three below change together, only in a re-index's switch, under the write lock of switching
    private volatile Embedder embedder;
    private volatile boolean ownsEmbedder;
    private volatile NoteIndex index;
    /** Made on the first note added: it counts tokens with the embedder, which loads the model. */
    private volatile Chunker chunker;
    private final Object chunkerLock = new Object();
    private final AtomicBoolean closed = new AtomicBoolean();
    /**
     * Every use of the index and the embedder holds the read lock; a re-index's final catch-up and
     * switch hold the write lock, so they wait for the work in flight and the next waits for them.
     */
    private final ReentrantReadWriteLock switching = new ReentrantReadWriteLock(true);
    private final ReentrantLock reindexing = new ReentrantLock();
    /** What {@link #describeHolder} last said (null: nothing), said again to a new index. */
    private volatile String holder;

    private static final System.Logger LOG = System.getLogger(Notebook.class.getName());
    /** Opens that start again because a re-index switched the notebook meanwhile, at most. */
    private static final int MAX_OPEN_ATTEMPTS = 5;

    private Notebook(Builder b) throws IOException {
        this.directory = b.directory;
        this.readOnly = b.readOnly;
        this.givenIndex = b.index != null;
        this.indexUrl = b.index != null ? null : b.indexUrl;
        boolean ok = false;
        Chosen chosen = null;
        NoteIndex idx = null;
        try {
            if (b.index != null) {
                chosen = b.embedder != null ? new Chosen(b.embedder, b.ownsEmbedder)
                        : new Chosen(load(b.embedderName != null ? b.embedderName : Embedders.DEFAULT, b.background), true);
                idx = b.index;
            } else if (b.indexUrl != null) {
                // the index at a URL: nothing of it in the notebook directory (no pointer, no old folders)
                Optional<RecordedModel> recorded = RemoteIndexException.recorded(b.indexUrl);
                if (b.readOnly && recorded.isEmpty() && !RemoteIndexException.isFile(b.indexUrl)) {
                    // opening a cluster index creates it: a read (a mistyped collection, say) must not
                    throw RemoteIndexException.noIndexYet(b.indexUrl);
                }
                chosen = choose(b, recorded, directory);
                idx = openAt(b, IndexOptions.of(model(chosen.embedder())).withVectorFormat(b.vectorFormat));
            } else {
                for (int attempt = 1; ; attempt++) {
                    String name = IndexLayout.currentName(directory);
                    Path path = directory.resolve(name);
                    boolean existed = java.nio.file.Files.exists(path);
                    chosen = choose(b, NoteIndex.recorded(path), directory);
                    IndexOptions io = IndexOptions.of(model(chosen.embedder())).withVectorFormat(b.vectorFormat);
                    try {
                        idx = b.readOnly ? NoteIndex.openReadOnly(path, io) : openWaiting(path, io, b);
                    } catch (IOException e) {
                        if (attempt < MAX_OPEN_ATTEMPTS && !IndexLayout.currentName(directory).equals(name)) {
                            chosen.closeIfOwned(); // switched while we opened: the folder may be going
                            chosen = null;
                            continue;
                        }
                        if (e instanceof ModelMismatchException m && !(e instanceof EmbedderMismatchException)) {
                            throw new EmbedderMismatchException(directory, filled(m.recorded()), m.wanted());
                        }
                        throw e;
                    }
                    if (attempt < MAX_OPEN_ATTEMPTS && !IndexLayout.currentName(directory).equals(name)) {
                        // a re-index switched the notebook between our reading the pointer and having
                        // the folder (its lock, or its last commit): open the new one
                        idx.close();
                        idx = null;
                        if (!existed && !b.readOnly) {
                            IndexLayout.deleteTree(path); // made by us just now in an old folder's place
                        }
                        chosen.closeIfOwned();
                        chosen = null;
                        continue;
                    }
                    break;
                }
                if (!b.readOnly) {
                    deleteStale(directory);
                }
            }
            ok = true;
        } finally {
            if (!ok) {
                if (idx != null && b.index == null) {
                    try {
                        idx.close();
                    } catch (IOException | RuntimeException e) {
                        // already failing
                    }
                }
                if (chosen != null) {
                    chosen.closeIfOwned();
                }
                if (b.ownsChatModel && b.chatModel != null) {
                    b.chatModel.close();
                }
            }
        }
        this.embedder = chosen.embedder();
        this.ownsEmbedder = chosen.owned();
        this.chatModel = b.chatModel;
        this.ownsChatModel = b.ownsChatModel;
        this.index = idx;
    }

    /**
     * Opens the index for writing; while another holder has it and the builder's {@link
     * Builder#waitWhileHeld} says to wait, tries again every 100 ms (until its time is up).
     */
    private static NoteIndex openWaiting(Path path, IndexOptions io, Builder b) throws IOException {
        return openWaiting(() -> NoteIndex.open(path, io), b);
    }

    /** Opens an index that may be held by another writer. */
    @FunctionalInterface
    private interface Opener {
        NoteIndex open() throws IOException;
    }

    private static NoteIndex openWaiting(Opener opener, Builder b) throws IOException {
        long deadline = b.waitAtMost == null ? 0 : System.nanoTime() + b.waitAtMost.toNanos();
        while (true) {
            try {
                return opener.open();
            } catch (dev.pocketrag.index.IndexInUseException e) {
                if (b.waitWhile == null || System.nanoTime() - deadline > 0 || !b.waitWhile.test(e)) {
                    throw e;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /**
     * Opens the index at the builder's {@link Builder#indexUrl}: a {@code file:} one as the local
     * index in that folder (read-only without a lock, or waiting while held), any other through its
     * {@link dev.pocketrag.index.NoteIndexProvider}. A model mismatch names the URL; any other
     * failure to reach it is a {@link RemoteIndexException} naming it.
     */
    private static NoteIndex openAt(Builder b, IndexOptions io) throws IOException {
        java.net.URI url = b.indexUrl;
        try {
            if (RemoteIndexException.isFile(url)) {
                Path path = Path.of(url);
                return b.readOnly ? NoteIndex.openReadOnly(path, io) : openWaiting(() -> NoteIndex.open(path, io), b);
            }
            return NoteIndex.open(url, io);
        } catch (EmbedderMismatchException e) {
            throw e;
        } catch (ModelMismatchException m) {
            throw new EmbedderMismatchException(b.directory, url, filled(m.recorded()), m.wanted());
        } catch (IOException | java.io.UncheckedIOException e) {
            throw RemoteIndexException.wrap(url, "open", e);
        }
    }

    /** An embedder, and whether the notebook made it (and closes it). */
    private record Chosen(Embedder embedder, boolean owned) {
        void closeIfOwned() {
            if (owned) {
                embedder.close();
            }
        }
    }

    /**
     * The embedder for a notebook whose current index records {@code recorded} (empty: a new
     * notebook), as the builder says: the one it was given, else the built-in one it names, else
     * the one the index records, else the default.
     *
     * @throws EmbedderMismatchException if the builder's differs from the recorded one
     */
    private static Chosen choose(Builder b, Optional<RecordedModel> recorded, Path notebook) throws IOException {
        if (b.embedder != null) {
            if (recorded.isPresent()) {
                check(notebook, b.indexUrl, recorded.get(), model(b.embedder));
            }
            return new Chosen(b.embedder, b.ownsEmbedder);
        }
        if (b.embedderName != null) {
            EmbedderModel m = Embedders.model(b.embedderName);
            if (recorded.isPresent()) {
                check(notebook, b.indexUrl, recorded.get(),
                        new RecordedModel(m.modelId(), m.dimension(), m.recipe().recipe()));
            }
            return new Chosen(load(m.name(), b.background), true);
        }
        if (recorded.isPresent()) {
            RecordedModel r = recorded.get();
            Optional<EmbedderModel> m = EmbedderMismatchException.builtIn(r);
            return new Chosen(m.isPresent() ? load(m.get().name(), b.background) : new UnknownEmbedder(notebook, r),
                    true);
        }
        return new Chosen(load(Embedders.DEFAULT, b.background), true);
    }

    /** The built-in embedder {@code name}, loading on another thread now or on first use. */
    private static Embedder load(String name, boolean background) {
        return background ? Embedders.namedInBackground(name) : Embedders.namedOnFirstUse(name);
    }

    /** @throws IllegalArgumentException naming {@code url} if it cannot locate an index */
    static void checkIndexUrl(java.net.URI url) {
        if (url.getScheme() == null) {
            throw new IllegalArgumentException("index URL '" + RemoteIndexException.redacted(url)
                    + "' has no scheme: give one such as https://host:9200/notes or file:/path/to/index");
        }
        if (RemoteIndexException.isFile(url)) {
            try {
                Path.of(url);
            } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
                throw new IllegalArgumentException("index URL '" + url + "' is not a local folder: a file: URL needs an"
                        + " absolute path (file:/path/to/index); " + e.getMessage(), e);
            }
        }
    }

    /** What an index records for vectors of {@code e}. */
    static RecordedModel model(Embedder e) {
        return new RecordedModel(e.modelId(), e.dimension(), e.recipe());
    }

    /**
     * {@code r}, with its built-in model's recipe when it records none: an index written before
     * recipes were recorded holds vectors of that model's recipe (MiniLM's: the only one there was).
     */
    static RecordedModel filled(RecordedModel r) {
        if (!r.recipe().isEmpty()) {
            return r;
        }
        return Embedders.modelWithId(r.modelId()).filter(m -> m.dimension() == r.dimension())
                .map(m -> new RecordedModel(r.modelId(), r.dimension(), m.recipe().recipe())).orElse(r);
    }

    /** @throws EmbedderMismatchException if vectors of {@code wanted} may not go with {@code recorded}'s */
    private static void check(Path notebook, java.net.URI indexUrl, RecordedModel recorded, RecordedModel wanted)
            throws EmbedderMismatchException {
        RecordedModel had = filled(recorded);
        if (!had.accepts(wanted)) {
            throw new EmbedderMismatchException(notebook, indexUrl, had, wanted);
        }
    }

    /** Deletes the index folders a re-index left behind (best effort: they are only disk space). */
    private static void deleteStale(Path notebook) {
        try {
            for (Path p : IndexLayout.stale(notebook)) {
                IndexLayout.deleteTree(p);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot delete an old index folder of " + notebook
                    + " (disk space only; deleted at a later open): " + e);
        }
    }

    private Chunker chunker() {
        Chunker c = chunker;
        if (c == null) {
            synchronized (chunkerLock) {
                c = chunker;
                if (c == null) {
                    c = Chunker.forEmbedder(embedder);
                    chunker = c;
                }
            }
        }
        return c;
    }

    /** Work on the index and the embedder, which a re-index's switch does not change meanwhile. */
    @FunctionalInterface
    private interface Work<T> {
        T run() throws IOException;
    }

    /** Runs {@code w} with the read lock of {@link #switching}, the notebook open. */
    private <T> T shared(Work<T> w) throws IOException {
        switching.readLock().lock();
        try {
            checkOpen();
            return w.run();
        } finally {
            switching.readLock().unlock();
        }
    }

    /**
     * Opens (or creates) the notebook in {@code directory} with its own embedder (the one its
     * index records; for a new notebook the built-in default) and no chat model.
     */
    public static Notebook open(Path directory) throws IOException {
        return builder(directory).build();
    }

    /**
     * Settings for opening the notebook in {@code directory}: embedder, chat model.
     *
     * @param directory the notebook's folder (created if missing)
     * @return a builder; {@link Builder#build()} opens the notebook
     */
    public static Builder builder(Path directory) {
        return new Builder(directory);
    }

    /**
     * What the index of the notebook in {@code directory} records about its vectors (model id,
     * dimension, recipe; the recipe filled in for an index written before recipes were recorded),
     * read without opening the notebook or loading a model; empty for a new notebook. {@link
     * Embedders#modelWithId} names it when it is a built-in one.
     *
     * @throws dev.pocketrag.index.DamagedIndexException if its commit point cannot be read
     */
    public static Optional<RecordedModel> recordedModel(Path directory) throws IOException {
        return NoteIndex.recorded(IndexLayout.current(directory)).map(Notebook::filled);
    }

    /**
     * {@link #recordedModel(Path)} of a notebook whose index is at {@code indexUrl} (see {@link
     * Builder#indexUrl}); null: the notebook's own index in {@code directory}.
     *
     * @throws RemoteIndexException naming the URL if the index there cannot be read
     */
    public static Optional<RecordedModel> recordedModel(Path directory, java.net.URI indexUrl) throws IOException {
        if (indexUrl == null) {
            return recordedModel(directory);
        }
        return RemoteIndexException.recorded(indexUrl).map(Notebook::filled);
    }

    /** Settings of a notebook. */
    public static final class Builder {
        private final Path directory;
        private Embedder embedder;
        private boolean ownsEmbedder;
        private String embedderName;
        private boolean background;
        private ChatModel chatModel;
        private boolean ownsChatModel;
        private VectorFormat vectorFormat = VectorFormat.INT8;
        private NoteIndex index;
        private java.net.URI indexUrl;
        private boolean readOnly;
        private java.util.function.Predicate<dev.pocketrag.index.IndexInUseException> waitWhile;
        private java.time.Duration waitAtMost;

        private Builder(Path directory) {
            this.directory = Objects.requireNonNull(directory, "directory");
        }

        /**
         * The embedder; the notebook does not close one given here. A new notebook is made with it;
         * an existing one must have been made with it (same model id, dimension and recipe), else
         * {@link #build()} throws {@link EmbedderMismatchException} (see {@link Notebook#reindex}).
         * Default: the notebook's own (the one its index records, if built in; see {@link
         * #embedder(String)}), loaded on the first search, question or added note.
         */
        public Builder embedder(Embedder e) {
            return embedder(e, false);
        }

        /**
         * The embedder (see {@link #embedder(Embedder)}).
         *
         * @param closeWithNotebook whether {@link Notebook#close()} closes it too
         */
        public Builder embedder(Embedder e, boolean closeWithNotebook) {
            this.embedder = Objects.requireNonNull(e, "embedder");
            this.ownsEmbedder = closeWithNotebook;
            this.embedderName = null;
            return this;
        }

        /**
         * A built-in embedder by name ({@link Embedders#names()}: {@code minilm}, {@code bge-small},
         * {@code e5-small}), loaded when first used (or now, on another thread: {@link
         * #loadEmbedderInBackground()}) and closed with the notebook: a new notebook is made with
         * it; an existing one made with another makes {@link #build()} throw {@link
         * EmbedderMismatchException}. Null: the notebook's own (what its index records; for a new
         * notebook {@link Embedders#DEFAULT}). A notebook made with a model that is not built in
         * opens without one too, but searching, asking and adding need that model: give it with
         * {@link #embedder(Embedder)}.
         *
         * @throws IllegalArgumentException if there is no built-in embedder of that name (the
         *     message names it and the choices)
         */
        public Builder embedder(String name) {
            if (name != null) {
                Embedders.model(name);
            }
            this.embedderName = name;
            this.embedder = null;
            this.ownsEmbedder = false;
            return this;
        }

        /**
         * A built-in embedder the notebook chooses itself ({@link #embedder(String)}) starts loading
         * on another thread at once, instead of at its first use: for a caller that will embed.
         */
        public Builder loadEmbedderInBackground() {
            this.background = true;
            return this;
        }

        /**
         * The embedder {@link #build()} would use, now (reading what the notebook's index records):
         * the caller owns it, and hands it back with {@code embedder(e, true)}; meanwhile it may
         * load on another thread ({@link #loadEmbedderInBackground()}), say while a chat model
         * loads.
         *
         * @throws EmbedderMismatchException if the embedder set here differs from the notebook's
         */
        public Embedder resolveEmbedder() throws IOException {
            Chosen c = choose(this, index != null ? Optional.empty() : indexUrl != null
                    ? RemoteIndexException.recorded(indexUrl) : NoteIndex.recorded(IndexLayout.current(directory)),
                    directory);
            return c.embedder();
        }

        /**
         * The chat model that writes answers; without one, answers are extractive.
         *
         * @param closeWithNotebook whether {@link Notebook#close()} closes it too
         */
        public Builder chatModel(ChatModel m, boolean closeWithNotebook) {
            this.chatModel = m;
            this.ownsChatModel = closeWithNotebook && m != null;
            return this;
        }

        /** {@code chatModel(m, true)}. */
        public Builder chatModel(ChatModel m) {
            return chatModel(m, true);
        }

        /**
         * The index to keep the notes in, instead of the Lucene index in the notebook directory
         * (another implementation, or one wrapped for a test); it must hold vectors of the
         * embedder's model, and the notebook closes it. Such a notebook cannot be re-indexed.
         */
        public Builder index(NoteIndex index) {
            this.index = Objects.requireNonNull(index, "index");
            return this;
        }

        /**
         * Keeps the notes in the index at {@code url} instead of the notebook directory's own: a
         * search cluster's ({@code https://...}, opened by its {@link dev.pocketrag.index.NoteIndexProvider},
         * which reads credentials from the environment), or a {@code file:} URL of a local index
         * folder. The notebook directory still holds what is local: threads, watched folders
         * ({@code sources.dat}), the prompt cache; its own {@code index/} is neither read nor
         * touched. Everything works as on a local index (add, import, search, ask, conversations,
         * watch, export) but what works on the index's files: {@link Notebook#reindex} and {@link
         * #check}/{@link #repair} of a cluster throw {@link IndexNotLocalException}. The embedder
         * guard holds: the index records its model. Null: the notebook's own index (the default).
         * Other processes may write to the same index meanwhile (a cluster takes no lock).
         *
         * @throws IllegalArgumentException if {@code url} has no scheme, or is a {@code file:} URL
         *     that is not an absolute path (the message names it)
         */
        public Builder indexUrl(java.net.URI url) {
            if (url != null) {
                checkIndexUrl(url);
            }
            this.indexUrl = url;
            return this;
        }

        /** How vectors are stored (default int8 HNSW). */
        public Builder vectorFormat(VectorFormat f) {
            this.vectorFormat = Objects.requireNonNull(f, "vectorFormat");
            return this;
        }

        /**
         * When another holder has the notebook, waits (trying again every 100 ms, for at most
         * {@code atMost}) as long as {@code keepWaiting} says so for the error it would give (say,
         * while its {@link dev.pocketrag.index.IndexInUseException#holder() holder} is a process
         * that lets go after each write); it may tell the user it waits. Default: no waiting.
         */
        public Builder waitWhileHeld(java.util.function.Predicate<dev.pocketrag.index.IndexInUseException> keepWaiting,
                java.time.Duration atMost) {
            this.waitWhile = Objects.requireNonNull(keepWaiting, "keepWaiting");
            this.waitAtMost = Objects.requireNonNull(atMost, "atMost");
            return this;
        }

        /**
         * Opens the notebook to read only: no lock is taken, so it opens while another process
         * (say {@code pocketrag serve}, or a {@code pocketrag reindex}) holds the notebook, seeing
         * the notes as that process last committed them, and on a read-only directory; nothing is
         * created or written. Every write throws {@link IllegalStateException}.
         */
        public Builder readOnly() {
            this.readOnly = true;
            return this;
        }

        /**
         * Opens the notebook.
         *
         * @throws EmbedderMismatchException if the embedder set here is not the one the notebook's
         *     notes were embedded with
         * @throws IllegalArgumentException if the embedder named here is not a built-in one
         * @throws dev.pocketrag.index.IndexInUseException if another process holds it (and this is
         *     not {@link #readOnly()})
         */
        public Notebook build() throws IOException {
            return new Notebook(this);
        }

        /** Notes written between two commits of the target by {@link #migrateTo} and {@link #migrateFrom}. */
        static final int MIGRATE_NOTES_PER_COMMIT = 64;
        private int migrateNotesPerCommit = MIGRATE_NOTES_PER_COMMIT;

        /** Notes a migration writes between two commits (tests: small batches to stop between). */
        Builder migrateNotesPerCommit(int n) {
            this.migrateNotesPerCommit = n;
            return this;
        }

        /**
         * Copies the notebook's own index (in its folder) into the index at {@code url}: every note
         * with its chunks, vectors and fingerprint as stored, nothing embedded again (see {@code
         * IndexCopier}). The target is made with the notebook's model if it has no index yet; one
         * that records another model is refused. Resumable: a copy stopped (the listener, Ctrl-C, a
         * crash) keeps what it committed, and the next one skips the notes the target already has
         * with the same fingerprint. The notebook is read as it was last committed, without its lock
         * (so {@code serve} may hold it meanwhile; what it writes after is copied by the next run).
         * Notes the target has and the notebook has not are left there.
         *
         * @param listener told after each batch; returning false stops after it
         * @throws IllegalArgumentException if the notebook has no index yet (nothing to copy), or
         *     {@code url} is the notebook's own index
         * @throws EmbedderMismatchException if the index at {@code url} holds vectors of another model
         * @throws RemoteIndexException naming the URL if it cannot be reached
         */
        public MigrateProgress migrateTo(java.net.URI url, MigrateListener listener) throws IOException {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(listener, "listener");
            checkIndexUrl(url);
            Path local = IndexLayout.current(directory);
            Optional<RecordedModel> rec = NoteIndex.recorded(local);
            if (rec.isEmpty()) {
                throw new IllegalArgumentException("notebook " + directory + " has no index yet: nothing to copy to "
                        + RemoteIndexException.redacted(url));
            }
            sameIndex(url, local);
            RecordedModel model = filled(rec.get());
            try (NoteIndex source = NoteIndex.openReadOnly(local, IndexOptions.of(model))) {
                IndexOptions io = IndexOptions.of(model).withVectorFormat(source.stats().vectorFormat());
                NoteIndex target;
                try {
                    target = RemoteIndexException.isFile(url) ? openWaiting(() -> NoteIndex.open(Path.of(url), io), this)
                            : NoteIndex.open(url, io);
                } catch (ModelMismatchException m) {
                    throw EmbedderMismatchException.copyRefused(directory, url, true, filled(m.recorded()), model, -1);
                } catch (IOException | java.io.UncheckedIOException e) {
                    throw RemoteIndexException.wrap(url, "open", e);
                }
                try (target) {
                    return IndexCopier.copy(source, target, local.toUri(), RemoteIndexException.redacted(url), model,
                            listener, migrateNotesPerCommit);
                } catch (IOException | java.io.UncheckedIOException e) {
                    throw RemoteIndexException.wrap(url, "write to", e);
                }
            }
        }

        /**
         * Copies the index at {@code url} into the notebook's own index (in its folder), as {@link
         * #migrateTo} does the other way: nothing embedded again, resumable, notes the notebook has
         * and the index at {@code url} has not are kept. The notebook is made with the model that
         * index records; a notebook with notes of another model is refused (an empty one is made
         * again for that model). Holds the notebook (waiting as {@link #waitWhileHeld} says).
         *
         * @throws IllegalArgumentException if there is no index at {@code url} (nothing to copy), or
         *     it is the notebook's own
         * @throws EmbedderMismatchException if the notebook has notes of another model
         * @throws RemoteIndexException naming the URL if it cannot be reached
         */
        public MigrateProgress migrateFrom(java.net.URI url, MigrateListener listener) throws IOException {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(listener, "listener");
            checkIndexUrl(url);
            java.net.URI shown = RemoteIndexException.redacted(url);
            Optional<RecordedModel> rec = RemoteIndexException.recorded(url);
            if (rec.isEmpty()) {
                throw new IllegalArgumentException("there is no note index at " + shown + ": nothing to copy");
            }
            Path local = IndexLayout.current(directory);
            sameIndex(url, local);
            RecordedModel model = filled(rec.get());
            Optional<RecordedModel> mine = NoteIndex.recorded(local);
            if (mine.isPresent() && !filled(mine.get()).accepts(model)) {
                long notes;
                try (NoteIndex ro = NoteIndex.openReadOnly(local, IndexOptions.of(filled(mine.get())))) {
                    notes = ro.stats().notes();
                }
                if (notes > 0) {
                    throw EmbedderMismatchException.copyRefused(directory, url, false, filled(mine.get()), model, notes);
                }
                // an empty index of another model (made by a command that only looked): made again below
                try (NoteIndex held = openWaiting(() -> NoteIndex.open(local, IndexOptions.of(filled(mine.get()))),
                        this)) {
                    if (held.stats().notes() > 0) {
                        throw EmbedderMismatchException.copyRefused(directory, url, false, filled(mine.get()), model,
                                held.stats().notes());
                    }
                }
                IndexLayout.deleteTree(local);
            }
            NoteIndex source;
            try {
                source = RemoteIndexException.isFile(url) ? NoteIndex.openReadOnly(Path.of(url), IndexOptions.of(model))
                        : NoteIndex.open(url, IndexOptions.of(model));
            } catch (IOException | java.io.UncheckedIOException e) {
                throw RemoteIndexException.wrap(url, "open", e);
            }
            try (source) {
                IndexOptions io;
                try {
                    io = IndexOptions.of(model).withVectorFormat(source.stats().vectorFormat());
                } catch (IOException | java.io.UncheckedIOException e) {
                    throw RemoteIndexException.wrap(url, "read", e);
                }
                try (NoteIndex target = openWaiting(() -> NoteIndex.open(local, io), this)) {
                    try {
                        return IndexCopier.copy(source, target, shown, local.toUri(), model, listener,
                                migrateNotesPerCommit);
                    } catch (IOException | java.io.UncheckedIOException e) {
                        throw RemoteIndexException.wrap(url, "read", e);
                    }
                }
            }
        }

        /** @throws IllegalArgumentException if {@code url} is the notebook's own index folder */
        private void sameIndex(java.net.URI url, Path local) throws IOException {
            if (RemoteIndexException.isFile(url)) {
                Path p = Path.of(url).toAbsolutePath().normalize();
                if (p.equals(local.toAbsolutePath().normalize())) {
                    throw new IllegalArgumentException("index URL " + url + " is notebook " + directory
                            + "'s own index: name another one");
                }
            }
        }

        /**
         * The folder of the notebook's index: its own, or a {@code file:} {@link #indexUrl}'s.
         *
         * @throws IndexNotLocalException for an index at any other URL, naming {@code what}
         */
        private Path localIndex(String what) throws IOException {
            if (indexUrl == null) {
                return IndexLayout.current(directory);
            }
            if (RemoteIndexException.isFile(indexUrl)) {
                return Path.of(indexUrl);
            }
            throw new IndexNotLocalException(indexUrl, what);
        }

        /** The model the notebook's index records, or the one set here, or the default; no model loads. */
        private RecordedModel modelToCheck(Path path) throws IOException {
            Optional<RecordedModel> recorded = NoteIndex.recorded(path);
            Chosen c = choose(this, recorded, directory); // lazy: nothing loads
            try {
                return model(c.embedder());
            } finally {
                if (c.embedder() != embedder) {
                    c.closeIfOwned();
                }
            }
        }

        /**
         * Checks the notebook's index without opening the notebook or changing anything (see
         * {@link NoteIndex#check}): Lucene's checksums and decoding of every segment, and every
         * note's chunks (each there once, its text the note's), vectors (of the embedder's
         * dimension, unit length) and model; the report names the model the index records. Works
         * on an index too damaged to open; the embedding model is not loaded.
         *
         * @throws dev.pocketrag.index.IndexInUseException if another process holds the notebook
         * @throws EmbedderMismatchException if an embedder set here is not the notebook's
         */
        public IndexCheck check() throws IOException {
            Path path = localIndex("checking the index");
            RecordedModel m;
            try {
                m = modelToCheck(path);
            } catch (dev.pocketrag.index.DamagedIndexException e) {
                m = fallbackModel(); // its commit cannot be read: the check says so
            }
            return NoteIndex.check(path, IndexOptions.of(m).withVectorFormat(vectorFormat));
        }

        private RecordedModel fallbackModel() {
            if (embedder != null) {
                return model(embedder);
            }
            EmbedderModel m = Embedders.model(embedderName != null ? embedderName : Embedders.DEFAULT);
            return new RecordedModel(m.modelId(), m.dimension(), m.recipe().recipe());
        }

        /**
         * Checks the notebook's index and, if anything is wrong, repairs it (see {@link
         * NoteIndex#repair}): first copies the index to {@code backup} (a folder that must not
         * exist), then drops what cannot be read, and embeds again (with the notebook's own
         * embedder, unless one is set here) the notes whose text is readable but whose chunks or
         * vectors were damaged. A sound index is not touched.
         *
         * @return what was found and done: notes kept, rebuilt and lost
         * @throws dev.pocketrag.index.DamagedIndexException if not even the list of the index's
         *     segments can be read (then only a backup helps)
         */
        public IndexCheck repair(Path backup) throws IOException {
            Objects.requireNonNull(backup, "backup");
            Path path = localIndex("repairing the index");
            Optional<RecordedModel> recorded;
            try {
                recorded = NoteIndex.recorded(path);
            } catch (dev.pocketrag.index.DamagedIndexException e) {
                recorded = Optional.empty(); // the repair says what is damaged
            }
            Chosen c = choose(this, recorded, directory);
            try {
                Embedder e = c.embedder();
                Chunker chunker = Chunker.forEmbedder(e);
                return NoteIndex.repair(path, IndexOptions.of(model(e)).withVectorFormat(vectorFormat), backup,
                        notes -> chunkAndEmbed(notes, chunker, e, null));
            } finally {
                if (c.embedder() != embedder) {
                    c.closeIfOwned();
                }
            }
        }
    }

    // ---- notes

    /**
     * Adds a note (or replaces the note with the same id), durable when this returns. A title
     * longer than {@link Note#MAX_TITLE_LENGTH} characters is cut, the rest kept in the text (see
     * {@link Note#withBoundedTitle()}).
     *
     * @return the note as stored
     */
    public Note add(Note note) throws IOException {
        return addAll(List.of(note)).get(0);
    }

    /** Adds a new note with a generated id, created and updated now. */
    public Note add(String title, String body, Collection<String> tags) throws IOException {
        return add(Note.of(title, body, tags));
    }

    /**
     * {@link #add(Note)}, given up while the note is embedded once {@code cancelled} says so (asked
     * between batches of chunks): then nothing is written. Once the write has begun it completes.
     *
     * @throws java.util.concurrent.CancellationException if it was given up
     */
    public Note add(Note note, java.util.function.BooleanSupplier cancelled) throws IOException {
        Objects.requireNonNull(cancelled, "cancelled");
        return addAll(List.of(note), cancelled).get(0);
    }

    /** Adds or replaces many notes with one embedding pass and one commit; returns them as stored. */
    public List<Note> addAll(Collection<Note> notes) throws IOException {
        return addAll(notes, null);
    }

    private List<Note> addAll(Collection<Note> notes, java.util.function.BooleanSupplier cancelled) throws IOException {
        checkWritable();
        return shared(() -> {
            List<Note> list = List.copyOf(notes);
            List<ChunkedNote> chunked = chunkAndEmbed(list, cancelled);
            if (cancelled != null && cancelled.getAsBoolean()) {
                throw new java.util.concurrent.CancellationException("cancelled before the notes were written");
            }
            index.putAll(chunked);
            index.commit();
            return chunked.stream().map(ChunkedNote::note).toList();
        });
    }

    /**
     * Replaces an existing note (all its chunks atomically); {@code created} is kept from the
     * stored note and {@code updated} set to now if it did not move forward.
     *
     * @throws IllegalArgumentException if there is no note with that id
     */
    public Note update(Note note) throws IOException {
        return shared(() -> {
            Note old = index.get(note.id()).orElseThrow(
                    () -> new IllegalArgumentException("no note with id '" + note.id() + "' to update"));
            Instant updated = note.updated().isAfter(old.updated()) ? note.updated() : Instant.now();
            Note merged = new Note(note.id(), note.title(), note.body(), note.tags(), note.source(), old.created(),
                    updated.isBefore(old.created()) ? old.created() : updated);
            return add(merged);
        });
    }

    /** Deletes a note; returns whether it existed. Durable when this returns. */
    public boolean delete(String id) throws IOException {
        checkWritable();
        return shared(() -> {
            if (index.get(id).isEmpty()) {
                return false;
            }
            index.delete(id);
            index.commit();
            return true;
        });
    }

    /**
     * The note with this id.
     *
     * @param id the note's id ({@link Note#id()})
     * @return the note as last added or updated; empty if there is none
     */
    public Optional<Note> get(String id) throws IOException {
        return shared(() -> index.get(id));
    }

    /** Notes, most recently updated first. */
    public List<Note> list(SearchFilter filter, int offset, int limit) throws IOException {
        return shared(() -> index.list(filter, offset, limit));
    }

    /**
     * Imports the {@code .md}, {@code .markdown}, {@code .txt} and {@code .html} files under {@code folder}
     * (recursively, hidden files and folders skipped), incrementally: unchanged files are not
     * embedded again, changed files are re-indexed, and notes whose file is gone are deleted.
     * Empty, binary and non-UTF-8 files are skipped and counted; unreadable files are counted as
     * failed; neither stops the import. A note's date ({@code created}): its front matter's, else
     * the one whole day its title names ({@code # Standup 3 March 2026}), else its file name's
     * ({@code status-2026-04-29.md}), else the file's time when first imported. Resumable: it
     * commits every few files, and a run after a crash carries on where the last commit left off.
     * Notes are found by their file's path: a file moved within the folder (the same bytes under
     * a new path, the old one gone) keeps its note's id and vectors ({@link ImportProgress#renamed()});
     * a file that changes while it is read is not imported (counted as failed; its note kept).
     * {@link FolderWatcher} keeps a notebook in sync with folders.
     *
     * @throws java.nio.file.NoSuchFileException if {@code folder} does not exist
     * @throws java.nio.file.NotDirectoryException if it is not a directory
     */
    public ImportProgress importFolder(Path folder, ImportListener listener) throws IOException {
        checkWritable();
        return shared(() -> new FolderImporter(index, this::chunkAndEmbed).run(folder, listener));
    }

    /** Work with a folder importer on the notebook's index. */
    @FunctionalInterface
    interface ImporterWork<T> {
        T run(FolderImporter importer) throws IOException;
    }

    /** Runs {@code work} with a new importer on this notebook's index (for {@link FolderWatcher}). */
    <T> T withImporter(ImporterWork<T> work) throws IOException {
        checkWritable();
        return shared(() -> work.run(new FolderImporter(index, this::chunkAndEmbed)));
    }

    /**
     * Deletes the notes imported from files under {@code folder} (ids {@code file:...}, source
     * under it), durable when this returns; how many.
     */
    int deleteFileNotesUnder(Path folder) throws IOException {
        String s = FolderImporter.source(folder);
        String prefix = s.endsWith("/") ? s : s + "/";
        checkWritable();
        return shared(() -> {
            List<String> ids = new ArrayList<>();
            final int page = 1000;
            for (int offset = 0; ; offset += page) {
                List<Note> notes = index.list(SearchFilter.NONE, offset, page);
                for (Note n : notes) {
                    if (n.id().startsWith("file:") && n.source().startsWith(prefix)) {
                        ids.add(n.id());
                    }
                }
                if (notes.size() < page) {
                    break;
                }
            }
            if (!ids.isEmpty()) {
                index.deleteAll(ids);
                index.commit();
            }
            return ids.size();
        });
    }

    /**
     * A note read from a file by the rules of {@link #importFolder}: Markdown (front matter: title,
     * tags, date; else the first heading), HTML (the page's text), a document (PDF: its pages; DOCX,
     * ODT, EPUB: headings kept) or, for any other name, plain text (the first short line is the
     * title); data URIs and long base64 runs in Markdown and HTML left out. The note has a new random id, the file's absolute path as source, and is created at
     * the file's date (the front matter's, else one in the title, else one in the file name; see
     * {@link #importFolder}), else now. Not added: pass it to {@link #add(Note)}.
     *
     * @throws NotANoteException if the file is empty or blank, binary (a NUL byte anywhere), not
     *     UTF-8, larger than 8 MiB (64 MiB for a document), or a document that is encrypted,
     *     damaged, without text or over a bound
     */
    public static Note readNoteFile(Path file) throws IOException {
        long size = java.nio.file.Files.size(file);
        long max = NoteFiles.maxBytes(file);
        if (size > max) {
            throw new NotANoteException(file, "larger than " + (max >> 20) + " MiB (" + size + " bytes)");
        }
        byte[] bytes = java.nio.file.Files.readAllBytes(file);
        NoteFiles.Parsed p;
        try {
            p = NoteFiles.parse(file, bytes);
        } catch (NoteFiles.NotText e) {
            throw new NotANoteException(file, e.getMessage());
        }
        Instant now = Instant.now();
        Instant created = p.date().filter(d -> !d.isAfter(now)).orElse(now);
        return new Note(java.util.UUID.randomUUID().toString(), p.title(), p.body(), p.tags(),
                FolderImporter.source(file), created, now).withBoundedTitle();
    }

    /**
     * Writes every note to {@code folder} as a Markdown file (see {@link NoteExport} for the
     * layout): its title, tags, dates, id and source in front matter, then its text byte for byte;
     * the file's modification time is the note's {@code updated}. {@link #importFolder} of the
     * folder gives back the same notes (title, text, tags, dates), but for those the summary
     * lists (carriage returns, pasted base64, no title). Works on a read-only notebook.
     *
     * @param folder created if missing; must be empty (nothing is ever overwritten)
     * @throws IllegalArgumentException if {@code folder} is not empty or not a folder
     */
    public ExportSummary export(Path folder) throws IOException {
        return shared(() -> exportShared(folder));
    }

    private ExportSummary exportShared(Path folder) throws IOException {
        Objects.requireNonNull(folder, "folder");
        if (java.nio.file.Files.exists(folder)) {
            if (!java.nio.file.Files.isDirectory(folder)) {
                throw new IllegalArgumentException("export folder " + folder + " is a file; name a new or empty folder");
            }
            try (var s = java.nio.file.Files.list(folder)) {
                if (s.findAny().isPresent()) {
                    throw new IllegalArgumentException("export folder " + folder + " is not empty; name a new or empty folder");
                }
            }
        }
        java.nio.file.Files.createDirectories(folder);
        java.util.Set<String> taken = new java.util.HashSet<>();
        List<String> differing = new ArrayList<>();
        int count = 0;
        int differingCount = 0;
        long bytes = 0;
        final int page = 500;
        for (int offset = 0; ; offset += page) {
            List<Note> notes = index.list(SearchFilter.NONE, offset, page);
            for (Note n : notes) {
                String stem = NoteExport.stem(n.title());
                String name = stem + ".md";
                for (int k = 2; !taken.add(name.toLowerCase(java.util.Locale.ROOT)); k++) {
                    name = stem + "-" + k + ".md"; // unique also where names ignore case
                }
                Path file = folder.resolve(name);
                byte[] b = NoteExport.markdown(n);
                java.nio.file.Files.write(file, b, java.nio.file.StandardOpenOption.CREATE_NEW,
                        java.nio.file.StandardOpenOption.WRITE);
                java.nio.file.Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(n.updated()));
                String why = NoteExport.differs(n, file, b);
                if (why != null) {
                    if (differing.size() < ExportSummary.MAX_LISTED) {
                        differing.add(name + ": " + why);
                    }
                    differingCount++;
                }
                bytes += b.length;
                count++;
            }
            if (notes.size() < page) {
                break;
            }
        }
        return new ExportSummary(folder, count, bytes, differing, differingCount);
    }

    /**
     * Says what holds this notebook, for another process that finds it in use (its {@link
     * dev.pocketrag.index.IndexInUseException} then names this process and {@code what}, e.g.
     * {@code "pocketrag serve at http://127.0.0.1:8080: use its API, or stop it"}). Nothing for
     * a read-only notebook.
     */
    public void describeHolder(String what) throws IOException {
        Objects.requireNonNull(what, "what");
        shared(() -> {
            index.describeHolder(what);
            holder = what;
            return null;
        });
    }

    /** The notes (titles bounded) chunked and embedded, in one embedding pass. */
    private List<ChunkedNote> chunkAndEmbed(List<Note> given) {
        return chunkAndEmbed(given, chunker(), embedder, null);
    }

    private List<ChunkedNote> chunkAndEmbed(List<Note> given, java.util.function.BooleanSupplier cancelled) {
        return chunkAndEmbed(given, chunker(), embedder, cancelled);
    }

    /** Chunks embedded per batch when the work may be cancelled. */
    private static final int CANCELLABLE_BATCH = 32;

    /** {@code cancelled}: asked between batches of chunks (null: never cancelled). */
    private static List<ChunkedNote> chunkAndEmbed(List<Note> given, Chunker chunker, Embedder embedder,
            java.util.function.BooleanSupplier cancelled) {
        if (cancelled == null) {
            return chunker.chunkAndEmbed(given, embedder);
        }
        return chunker.chunkAndEmbed(given, embedder::embedAll, CANCELLABLE_BATCH, (embedded, total) -> {
            if (embedded < total && cancelled.getAsBoolean()) {
                throw new java.util.concurrent.CancellationException("cancelled after " + embedded + " of " + total
                        + " chunks were embedded");
            }
        });
    }

    // ---- re-index

    /** Notes embedded between two commits of the new index during a re-index, at most. */
    static final int REINDEX_NOTES_PER_COMMIT = 16;

    /**
     * Moves every note to another embedder: re-embeds them all into a new index beside the current
     * one (see {@link IndexLayout} for the folders and the crash states), then switches to it. Until
     * the switch, the notebook works as before on its old vectors (here and, read-only, in other
     * processes); this notebook's own writes meanwhile are caught up before the switch, with its
     * writes held (for the length of that catch-up only). After it, the notebook searches and adds
     * with {@code to} (which it does not close), and the old index is deleted. Resumable: a re-index
     * interrupted (a crash, a kill, the listener) keeps what it saved, and the next one to the same
     * model embeds only the notes not saved yet; one to another model starts afresh. Nothing to do
     * ({@link ReindexProgress.Phase#UNCHANGED}) when the notebook is already on {@code to}'s model
     * and recipe.
     *
     * @param listener told after each batch of notes; returning false stops before the switch
     * @return what was done; phase {@code DONE}, {@code STOPPED} or {@code UNCHANGED}
     * @throws IllegalStateException if the notebook is read-only, has an index given by {@link
     *     Builder#index}, or is being re-indexed on another thread
     */
    public ReindexProgress reindex(Embedder to, ReindexListener listener) throws IOException {
        return reindex(to, listener, REINDEX_NOTES_PER_COMMIT);
    }

    /** {@link #reindex(Embedder, ReindexListener)} committing at most every {@code notesPerCommit} notes. */
    ReindexProgress reindex(Embedder to, ReindexListener listener, int notesPerCommit) throws IOException {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(listener, "listener");
        checkOpen();
        if (readOnly) {
            throw new IllegalStateException("notebook " + directory + " is open read-only; open it to write to re-index it");
        }
        if (givenIndex) {
            throw new IllegalStateException("notebook " + directory + " was given its index (Builder.index):"
                    + " re-indexing needs its own index folder");
        }
        if (indexUrl != null) {
            throw new IndexNotLocalException(indexUrl, "re-indexing to another embedder");
        }
        if (!reindexing.tryLock()) {
            throw new IllegalStateException("notebook " + directory + " is already being re-indexed");
        }
        try {
            RecordedModel want = model(to);
            NoteIndex source;
            RecordedModel have;
            switching.readLock().lock();
            try {
                checkOpen();
                source = index;
                IndexStats st = source.stats();
                have = filled(new RecordedModel(st.modelId(), st.dimension(), st.recipe()));
            } finally {
                switching.readLock().unlock();
            }
            Path next = IndexLayout.next(directory);
            boolean discarded = false;
            if (java.nio.file.Files.exists(next)) {
                Optional<RecordedModel> pending;
                try {
                    pending = NoteIndex.recorded(next);
                } catch (IOException e) {
                    pending = Optional.empty(); // damaged: start it again
                }
                if (pending.isEmpty() || !pending.get().equals(want) || have.accepts(want)) {
                    IndexLayout.deleteTree(next); // an unfinished re-index to another model
                    discarded = true;
                }
            }
            if (have.accepts(want)) {
                ReindexProgress p = new ReindexProgress(ReindexProgress.Phase.UNCHANGED, have, want,
                        source.stats().notes(), 0, 0, 0, 0, 0, 0, discarded);
                listener.onProgress(p);
                return p;
            }
            NoteIndex target = NoteIndex.open(next, IndexOptions.of(want).withVectorFormat(source.stats().vectorFormat()));
            boolean switched = false;
            try {
                Chunker ch = Chunker.forEmbedder(to);
                Reindexer r = new Reindexer(source, target, notes -> chunkAndEmbed(notes, ch, to, null), notesPerCommit,
                        have, want, discarded);
                if (!listener.onProgress(r.progress()) || !r.sync(listener)) {
                    r.phase(ReindexProgress.Phase.STOPPED);
                    ReindexProgress p = r.progress();
                    listener.onProgress(p);
                    return p;
                }
                switching.writeLock().lock();
                try {
                    checkOpen();
                    r.phase(ReindexProgress.Phase.CATCHING_UP);
                    listener.onProgress(r.progress());
                    r.sync(null); // what this notebook's writes changed meanwhile; nobody writes now
                    try {
                        IndexLayout.point(directory, next.getFileName().toString()); // the switch
                    } catch (IOException e) {
                        if (!IndexLayout.currentName(directory).equals(next.getFileName().toString())) {
                            throw e;
                        }
                        // written after all (only forcing it failed)
                    }
                    switched = true;
                    NoteIndex old = index;
                    Embedder oldEmbedder = embedder;
                    boolean ownedOld = ownsEmbedder;
                    index = target;
                    embedder = to;
                    ownsEmbedder = false;
                    chunker = null;
                    if (holder != null) {
                        try {
                            target.describeHolder(holder);
                        } catch (IOException e) {
                            // others then say less about who holds it
                        }
                    }
                    try {
                        old.close();
                    } catch (IOException | RuntimeException e) {
                        // everything in it was committed; it is deleted below
                        LOG.log(System.Logger.Level.WARNING, "closing the old index of " + directory + ": " + e);
                    } finally {
                        if (ownedOld) {
                            oldEmbedder.close();
                        }
                    }
                } finally {
                    switching.writeLock().unlock();
                }
                deleteStale(directory); // the old vectors' disk space
                r.phase(ReindexProgress.Phase.DONE);
                ReindexProgress p = r.progress();
                listener.onProgress(p);
                return p;
            } finally {
                if (!switched) {
                    target.close();
                }
            }
        } finally {
            reindexing.unlock();
        }
    }

    /**
     * The model an unfinished re-index was moving the notebook to (interrupted, or running in
     * another process), if there is one: {@link #reindex} to it carries on.
     */
    public Optional<RecordedModel> unfinishedReindex() throws IOException {
        checkOpen();
        if (givenIndex || indexUrl != null) {
            return Optional.empty();
        }
        Optional<Path> next = IndexLayout.unfinished(directory);
        if (next.isEmpty()) {
            return Optional.empty();
        }
        try {
            return NoteIndex.recorded(next.get());
        } catch (IOException e) {
            return Optional.empty(); // a damaged one is started again
        }
    }

    // ---- search and ask

    /** Searches the notes; hybrid (meaning + words) by default. */
    public List<SearchHit> search(String query, SearchOptions options) throws IOException {
        Objects.requireNonNull(query, "query");
        checkLength(query, "query");
        return shared(() -> index.search(request(query, options.mode(), options.k(), options.filter(),
                options.groupByNote())));
    }

    private SearchRequest request(String query, SearchMode mode, int k, SearchFilter filter, boolean group) {
        float[] v = mode == SearchMode.BM25 ? null : embedder.embedQuery(query);
        SearchRequest r = switch (mode) {
            case DENSE -> SearchRequest.dense(v, k);
            case BM25 -> SearchRequest.bm25(query, k);
            case HYBRID -> SearchRequest.hybrid(v, query, k);
        };
        r = r.withFilter(filter);
        return group ? r.groupedByNote() : r;
    }

    /** {@code ask(question, AskOptions.defaults(), TokenListener.NONE)}. */
    public Answer ask(String question) throws IOException {
        return ask(question, AskOptions.defaults(), TokenListener.NONE);
    }

    /** {@code ask(question, options, TokenListener.NONE)}. */
    public Answer ask(String question, AskOptions options) throws IOException {
        return ask(question, options, TokenListener.NONE);
    }

    /**
     * Answers a question from the notes.
     *
     * <ol>
     *   <li>Hybrid retrieval of the top {@code options.passages()} chunks.</li>
     *   <li>If the best chunk's similarity to the question is below {@code options.minSimilarity()},
     *       the answer says nothing relevant was found, and no model is asked to guess.</li>
     *   <li>Without a chat model: the best sentences of the passages, cited; the newest note's
     *       first where notes of different dates answer the question.</li>
     *   <li>With one: the passages that fit in its window (highest-ranked first; the rest reported
     *       in {@link Answer#leftOut()}), as {@code options.context()} says - whole chunks, or the
     *       sentences of each that matter to the question - with the note's title and date, numbered
     *       and fenced as quoted data in the prompt; passages of notes of different dates that answer
     *       the question go newest first, the newest marked as the one that holds (newest facts
     *       first); the answer streamed to {@code listener} with
     *       invented citations removed; the citations resolved to passages (as shown to the
     *       model).</li>
     * </ol>
     *
     * @param listener receives the answer's text as it is written (also for extractive and
     *     nothing-relevant answers, in one piece); return false to stop generating
     * @throws IllegalArgumentException if the question is blank or longer than
     *     {@link #MAX_QUESTION_CHARS}
     */
    public Answer ask(String question, AskOptions options, TokenListener listener) throws IOException {
        return ask(question, options, listener, () -> {});
    }

    /** Waits until this caller may use the chat model (a server's queue for its one model). */
    @FunctionalInterface
    public interface ModelTurn {
        /**
         * Returns when the chat model may be used; throws to give up (the exception reaches the
         * caller of {@code ask}).
         */
        void await() throws InterruptedException;

        /**
         * The chat model is done for now and {@link #await()} comes again before it is used next
         * (a follow-up's query rewrite, then retrieval, then the answer): a queue may let others
         * use the model meanwhile. Does nothing by default.
         */
        default void release() {}
    }

    /**
     * {@link #ask(String, AskOptions, TokenListener)}, calling {@code turn.await()} once, just
     * before the chat model writes the answer: retrieval, embedding and packing run before it, so a
     * caller that queues for the model (a server) holds the queue only while the model works;
     * extractive and nothing-relevant answers never call it.
     *
     * @throws java.io.InterruptedIOException if interrupted while waiting for the turn
     */
    public Answer ask(String question, AskOptions options, TokenListener listener, ModelTurn turn)
            throws IOException {
        return answer(question, question, List.of(), List.of(), options, listener, turn);
    }

    /**
     * {@link #ask(String, AskOptions, TokenListener, ModelTurn)} with the notes searched for
     * {@code query} (a follow-up's standalone query), {@code carried} passages (cited in the last
     * turns) added to the candidates after the retrieved ones, and the earlier turns {@code
     * history} (oldest first) in the chat model's prompt within its budget.
     */
    Answer answer(String question, String query, List<Passage> carried, List<PromptBuilder.Exchange> history,
            AskOptions options, TokenListener listener, ModelTurn turn) throws IOException {
        return shared(() -> answerShared(question, query, carried, history, options, listener, turn));
    }

    private Answer answerShared(String question, String query, List<Passage> carried,
            List<PromptBuilder.Exchange> history, AskOptions options, TokenListener listener, ModelTurn turn)
            throws IOException {
        Objects.requireNonNull(turn, "turn");
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(listener, "listener");
        if (question.isBlank()) {
            throw new IllegalArgumentException("the question is empty");
        }
        checkLength(question, "question");
        checkLength(query, "query");
        long t0 = System.nanoTime();
        float[] q = embedder.embedQuery(query);
        // an empty notebook finds nothing (no stats() per question: it lists the index's files)
        List<SearchHit> hits = index.search(SearchRequest.hybrid(q, query, options.passages()).withFilter(options.filter()));
        List<Passage> candidates = new ArrayList<>(hits.size() + carried.size());
        double best = Double.NEGATIVE_INFINITY;
        for (SearchHit h : hits) {
            // the index reports kNN scores as (1 + cos) / 2; NaN when the chunk came from BM25 only
            double sim = Double.isNaN(h.denseScore()) ? Double.NaN : 2 * h.denseScore() - 1;
            if (!Double.isNaN(sim)) {
                best = Math.max(best, sim);
            }
            candidates.add(new Passage(candidates.size() + 1, h.noteId(), h.title(), h.source(), h.chunkText(),
                    h.start(), h.end(), sim, Passage.day(h.created()), h.page(), h.section()));
        }
        for (Passage p : carried) { // cited in the last turns: still a candidate unless retrieved again
            if (!candidates.isEmpty() && candidates.stream().noneMatch(c -> c.noteId().equals(p.noteId())
                    && c.start() == p.start())) {
                Passage dated = p.date().isEmpty() // a thread file keeps no dates
                        ? index.get(p.noteId()).map(n -> p.withDate(Passage.day(n.created()))).orElse(p) : p;
                candidates.add(ContextPacker.renumber(dated, candidates.size() + 1));
            }
        }
        long t1 = System.nanoTime();
        double retrievalMs = (t1 - t0) / 1e6;

        if (candidates.isEmpty() || best < options.minSimilarity()) {
            String text = candidates.isEmpty()
                    ? "Your notebook has no notes to answer from yet."
                    : "I couldn't find anything about that in your notes.";
            listener.onText(text);
            String note = candidates.isEmpty() ? "Add notes with `pocketrag add` or `pocketrag import DIR`."
                    : String.format(java.util.Locale.ROOT,
                            "The closest passage had similarity %.2f, below the threshold %.2f.", best,
                            options.minSimilarity());
            return new Answer(text, Answer.Kind.NOTHING_RELEVANT, List.of(), List.of(), List.of(), note,
                    new Answer.Timings(retrievalMs, 0, 0, 0, (System.nanoTime() - t0) / 1e6, 0, 0, 0, 0),
                    options.context(), query);
        }

        if (chatModel == null) {
            // the sentences that answer the question as asked, from the passages the query found
            // (bench/run followups: 0.77 of second turns cite the expected note first, vs 0.69 when
            // the sentences are chosen for the query)
            String text = Extractive.answer(embedder, question,
                    query.equals(question) ? q : embedder.embedQuery(question), candidates);
            listener.onText(text);
            long t2 = System.nanoTime();
            return new Answer(text, Answer.Kind.EXTRACTIVE, citations(text, candidates), candidates, List.of(),
                    "Extractive answer (no chat model). To generate answers, pass --model FILE.gguf,"
                            + " set POCKETRAG_MODEL, or put model=FILE.gguf in the config file.",
                    new Answer.Timings(retrievalMs, 0, 0, 0, (t2 - t0) / 1e6, 0, 0, 0, 0), ContextMode.WHOLE, query);
        }

        boolean focused = options.context() == ContextMode.FOCUSED;
        List<Passage> shown = focused
                ? FocusedPassages.focus(embedder, query, q, candidates, chatModel::countTokens) : candidates;
        // passages of notes that answer the question differently: newest first (see Conflicts)
        shown = Conflicts.newestFirst(question, shown);
        ContextPacker.Packed packed = ContextPacker.pack(chatModel, question, shown, options.maxAnswerTokens(),
                history);
        long t2 = System.nanoTime();
        long[] firstToken = {0}; // nanoTime of the model's first piece of text
        Citations.Stream stream = new Citations.Stream(packed.passages().size(), piece -> {
            if (!listener.onText(piece)) {
                throw new Cancelled();
            }
        });
        try {
            turn.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for the chat model");
        }
        ChatCompletion completion;
        try {
            completion = chatModel.chat(packed.messages(),
                    options.generation().withMaxTokens(options.maxAnswerTokens()), piece -> {
                        if (firstToken[0] == 0) {
                            firstToken[0] = System.nanoTime();
                        }
                        try {
                            stream.accept(piece);
                            return true;
                        } catch (Cancelled c) {
                            return false;
                        }
                    });
        } finally {
            try {
                stream.finish();
            } catch (Cancelled ignored) {
                // the listener already stopped; the text so far is the answer
            }
        }
        long t3 = System.nanoTime();
        String text = stream.text().strip();
        ChatCompletion.Timings ct = completion.timings();
        return new Answer(text, Answer.Kind.GENERATED, citations(text, packed.passages()), packed.passages(),
                packed.leftOut(), packed.leftOut().isEmpty() ? "" : packed.leftOut().size()
                        + " retrieved passage(s) did not fit in the model's context window.",
                new Answer.Timings(retrievalMs, (t2 - t1) / 1e6, ct.promptMillis(), ct.generationMillis(),
                        (t3 - t0) / 1e6, completion.usage().promptTokens(), completion.usage().completionTokens(),
                        completion.usage().cachedPromptTokens(),
                        firstToken[0] == 0 ? 0 : (firstToken[0] - t0) / 1e6),
                options.context(), query);
    }

    private static void checkLength(String text, String what) {
        if (text.length() > MAX_QUESTION_CHARS) {
            throw new IllegalArgumentException("the " + what + " has " + text.length() + " characters; at most "
                    + MAX_QUESTION_CHARS + " are allowed");
        }
    }

    private static final class Cancelled extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Cancelled() {
            super(null, null, false, false);
        }
    }

    private static List<Citation> citations(String text, List<Passage> passages) {
        List<Citation> out = new ArrayList<>();
        for (int n : Citations.cited(text, passages.size())) {
            out.add(new Citation(n, passages.get(n - 1)));
        }
        return out;
    }

    // ---- conversations

    /** The folder of the stored threads in the notebook directory. */
    private Path threadsDir() {
        return directory.resolve("threads");
    }

    /**
     * The conversation thread {@code name}: continued if it is stored in the notebook directory,
     * else started (see {@link Conversation#isNew()}; a damaged file is set aside, see {@link
     * Conversation#warning()}). Its file is written after each turn.
     *
     * @throws IllegalArgumentException if the name is not 1 to 64 letters, digits, '.', '_' or '-'
     *     starting with a letter or digit
     */
    public Conversation conversation(String name) throws IOException {
        checkOpen();
        return Conversation.open(this, threadsDir(), name);
    }

    /** A conversation kept in memory only (an interactive session). */
    public Conversation conversation() {
        checkOpen();
        return Conversation.inMemory(this);
    }

    /**
     * A conversation kept in memory that continues {@code earlier} turns (oldest first; the last
     * {@link Conversation#MAX_TURNS} are kept): a thread held by the caller, for example one whose
     * file cannot be written, or one that outlives this notebook being closed and opened again.
     */
    public Conversation conversation(List<Conversation.Turn> earlier) {
        checkOpen();
        return Conversation.inMemory(this, earlier);
    }

    /** The stored threads, by name ({@code turns} is -1 for a damaged file). */
    public List<Conversation.Info> threads() throws IOException {
        checkOpen();
        return Conversation.list(threadsDir());
    }

    /**
     * Deletes the stored thread {@code name}; whether it existed.
     *
     * @throws IllegalArgumentException if the name is not a valid thread name
     */
    public boolean deleteThread(String name) throws IOException {
        checkOpen();
        return Conversation.delete(threadsDir(), name);
    }

    // ---- information

    /**
     * The chat model that writes answers.
     *
     * @return the model given to the builder; empty when answers are extractive
     */
    public Optional<ChatModel> chatModel() {
        return Optional.ofNullable(chatModel);
    }

    /** The embedder: the notebook's own, or the one it was opened with (changed by {@link #reindex}). */
    public Embedder embedder() {
        return embedder;
    }

    /**
     * Counts, size, and the embedding model the notebook's index records ({@link IndexStats#recipe()}
     * is empty for an index written before recipes were recorded: {@code embedder().recipe()} is
     * its recipe then).
     */
    public IndexStats stats() throws IOException {
        return shared(index::stats);
    }

    /**
     * Where the notebook's notes are: its index's location ({@link NoteIndex#location()}; a {@code
     * file:} URI of a local folder, else the cluster's URL without credentials).
     */
    public java.net.URI indexLocation() {
        return index.location();
    }

    /** The URL the notebook's index is at ({@link Builder#indexUrl}); empty when it is in the notebook's folder. */
    public Optional<java.net.URI> indexUrl() {
        return Optional.ofNullable(indexUrl).map(RemoteIndexException::redacted);
    }

    /**
     * The notebook's folder.
     *
     * @return the directory it was opened on
     */
    public Path directory() {
        return directory;
    }

    /**
     * A read-only notebook on an index at a URL refuses writes here, as a local read-only index
     * does itself (an index at a URL is opened for writing: a cluster takes no lock).
     */
    private void checkWritable() {
        if (readOnly && indexUrl != null && !RemoteIndexException.isFile(indexUrl)) {
            throw new IllegalStateException("notebook " + directory + " is open read-only (index at "
                    + RemoteIndexException.redacted(indexUrl) + "); open it to write to change its notes");
        }
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("notebook " + directory + " is closed");
        }
    }

    /**
     * Commits and closes the index, then the embedder and chat model it owns; idempotent. Waits for
     * the work in flight on other threads (a re-index's final switch included); a re-index still
     * embedding stops, keeping what it saved for the next run.
     */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        boolean lock = switching.getReadHoldCount() == 0; // not from within this notebook's own work
        if (lock) {
            switching.writeLock().lock();
        }
        try {
            index.close();
        } finally {
            try {
                if (ownsChatModel) {
                    chatModel.close();
                }
            } finally {
                try {
                    if (ownsEmbedder) {
                        embedder.close();
                    }
                } finally {
                    if (lock) {
                        switching.writeLock().unlock();
                    }
                }
            }
        }
    }
}
