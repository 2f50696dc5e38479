package dev.pocketrag.index;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene102.Lucene102HnswBinaryQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene103.Lucene103Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.CorruptIndexException;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.IndexFormatTooNewException;
import org.apache.lucene.index.IndexFormatTooOldException;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.RescoreTopNQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherFactory;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.LockObtainFailedException;
import org.apache.lucene.util.BytesRef;

/**
 * The Lucene implementation of {@link NoteIndex}.
 *
 * <h2>Layout</h2>
 * One Lucene document per chunk; the chunks of a note are written as one block with {@code
 * IndexWriter.updateDocuments(Term("id", noteId), chunks)}, which deletes the old block and adds
 * the new one atomically. Fields of every chunk document:
 * <ul>
 *   <li>{@code id} (indexed keyword, stored, sorted doc values): the note id</li>
 *   <li>{@code ord}, {@code nchunks}, {@code start}, {@code end} (stored ints): chunk ordinal,
 *       number of chunks of the note, UTF-16 offsets of the chunk in the body</li>
 *   <li>{@code title} (stored), {@code chunk} (stored): the note's title and the chunk's text</li>
 *   <li>{@code text} (analyzed, not stored): title, newline, chunk text, for BM25 (one flat
 *       field, as Anserini's "flat" BEIR indexes); English analyzer (Porter stemming, English
 *       stop words)</li>
 *   <li>{@code tag} (indexed keyword, stored, repeated): the note's tags</li>
 *   <li>{@code source} (stored): where the note came from (on chunk 0 only in indexes written
 *       before search hits carried it; a hit on another chunk of such a note reads chunk 0's)</li>
 *   <li>{@code created}, {@code updated} (long point, stored, numeric doc values): epoch
 *       milliseconds</li>
 *   <li>{@code vector} (float vector, dot-product similarity: the vectors are unit length)</li>
 *   <li>{@code page} (stored int, only when the chunk has a page), {@code section} (stored, only
 *       when the chunk has a heading path): where the chunk is ({@link Chunk#page()}, {@link
 *       Chunk#section()}); absent in indexes written before locations were stored, read as none</li>
 *   <li>chunk 0 only: {@code head} (indexed keyword "1": one per note, for counting and listing),
 *       {@code body} (stored), {@code fingerprint} (stored, only when not
 *       empty)</li>
 * </ul>
 * Commit user data: {@code pocketrag.schema} ("1"), {@code pocketrag.model} (embedding model id),
 * {@code pocketrag.dimension} (decimal), {@code pocketrag.recipe} (the embedder's recipe line, see
 * {@link RecordedModel#recipe()}; absent in indexes written before it was recorded, and while no
 * opener has said one), {@code pocketrag.vectorFormat} (the {@link VectorFormat} name new segments
 * are written with). An index without a recipe takes the first one an opener says, at its next
 * commit; one with a recipe refuses an opener that says another.
 *
 * <p>Vectors use a per-field format through Lucene's default codec with {@code
 * getKnnVectorsFormatForField} overridden; the format name is written per segment, so an index
 * reopened with another {@link VectorFormat} reads its old segments and writes new ones in the new
 * format.
 *
 * <h2>After a failed write</h2>
 * A write or commit that fails with an I/O error (a full disk, a vanished file) rolls the writer
 * back to the last commit and throws {@link IndexWriteException} naming the index; so does a
 * Lucene "tragic" error, after which Lucene closes the writer itself. Nothing acknowledged is lost:
 * commits stay, only the changes since the last commit are dropped. The next read or write opens
 * a new writer on the last commit (reads fall back to the last commit as long as no writer can be
 * opened), so the index recovers once the cause is gone, without a restart. Writes of other
 * threads that were dropped by the rollback are refused at their {@link #commit()} (a thread's
 * writes and its commit belong together, as {@code Notebook} makes them), so a commit never
 * reports as saved what was lost.
 */
final class LuceneNoteIndex implements NoteIndex {
    static final String F_ID = "id";
    static final String F_HEAD = "head";
    static final String F_ORD = "ord";
    static final String F_NCHUNKS = "nchunks";
    static final String F_START = "start";
    static final String F_END = "end";
    static final String F_TITLE = "title";
    static final String F_CHUNK = "chunk";
    static final String F_TEXT = "text";
    static final String F_TAG = "tag";
    static final String F_CREATED = "created";
    static final String F_UPDATED = "updated";
    static final String F_VECTOR = "vector";
    static final String F_BODY = "body";
    static final String F_SOURCE = "source";
    static final String F_FINGERPRINT = "fingerprint";
    /** A chunk's page (int), only when it has one: absent (older indexes, no page) reads as 0. */
    static final String F_PAGE = "page";
    /** A chunk's heading path, only when it has one: absent reads as "". */
    static final String F_SECTION = "section";

    static final String UD_SCHEMA = "pocketrag.schema";
    static final String UD_MODEL = "pocketrag.model";
    static final String UD_DIMENSION = "pocketrag.dimension";
    static final String UD_RECIPE = "pocketrag.recipe";
    static final String UD_FORMAT = "pocketrag.vectorFormat";
    static final String SCHEMA_VERSION = "1";

    /** Most chunks fetched from one list while looking for enough distinct notes. */
    private static final int MAX_GROUPING_FETCH = 100_000;

    /**
     * Written next to the index by the process that holds it for writing (Java properties: {@code
     * pid}, {@code since}, {@code what}), removed when it lets go: a second process that finds the
     * index locked reads it to say who holds it. Lucene leaves files of other names alone.
     */
    static final String HOLDER_FILE = "pocketrag-holder.properties";

    private final Path path;
    private final IndexOptions options;
    /** The recipe recorded at each commit: the options', else the one the index had recorded, else none. */
    private final String recipe;
    private final Directory directory;
    private final boolean readOnly;
    private final Analyzer analyzer;
    private final Object commitLock = new Object();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Incremented after every write; reads refresh the searcher when it moved. */
    private final AtomicLong writes = new AtomicLong();
    private volatile long refreshedWrites;

    /** The writer and its near-real-time searchers; replaced after a failed write. */
    private record Live(IndexWriter writer, SearcherManager searchers, long generation) {}

    private volatile Live live;
    private final Object reopenLock = new Object();
    /** Searchers of the last commit, while no writer can be opened after a failure (null until needed). */
    private SearcherManager lastCommit;
    /** The generation of {@link #live} a thread's uncommitted writes went to (-1: none). */
    private final ThreadLocal<long[]> wroteTo = ThreadLocal.withInitial(() -> new long[] {-1});

    private static final System.Logger LOG = System.getLogger(LuceneNoteIndex.class.getName());

    private LuceneNoteIndex(Path path, IndexOptions options, String recipe, Directory directory, IndexWriter writer,
            SearcherManager searchers, Analyzer analyzer) {
        this.path = path;
        this.options = options;
        this.recipe = recipe;
        this.directory = directory;
        this.live = new Live(writer, searchers, 0);
        this.readOnly = writer == null;
        this.analyzer = analyzer;
    }

    static NoteIndex open(Path dir, IndexOptions options) throws IOException {
        return open(dir, options, d -> d);
    }

    /**
     * {@link #open(Path, IndexOptions)} through {@code wrap}, which may put a filter around the
     * file-system directory (tests inject failing writes this way).
     */
    static NoteIndex open(Path dir, IndexOptions options, java.util.function.UnaryOperator<Directory> wrap)
            throws IOException {
        Path path = dir.toAbsolutePath().normalize();
        Files.createDirectories(path);
        Directory directory = wrap.apply(FSDirectory.open(path));
        Analyzer analyzer = new EnglishAnalyzer();
        IndexWriter writer = null;
        boolean success = false;
        try {
            try {
                writer = new IndexWriter(directory, writerConfig(options, analyzer));
            } catch (LockObtainFailedException e) {
                throw new IndexInUseException(path, holder(path), e);
            }
            Map<String, String> recorded = new HashMap<>();
            if (writer.getLiveCommitData() != null) {
                writer.getLiveCommitData().forEach(e -> recorded.put(e.getKey(), e.getValue()));
            }
            boolean fresh = writer.getDocStats().maxDoc == 0 && !recorded.containsKey(UD_MODEL);
            if (!fresh) {
                checkRecorded(path, recorded, options);
            }
            String recipe = recipe(options, recorded);
            // a change of the record (a new index, another vector format, a recipe said for the first
            // time) is committed, by close() at the latest; setting it counts as a change, so an index
            // opened only to read is not written
            if (!userData(options, recipe).equals(recorded)) {
                writer.setLiveCommitData(userData(options, recipe).entrySet());
            }
            if (fresh) {
                writer.commit(); // records the model before any vector arrives
            }
            SearcherManager searchers = new SearcherManager(writer, true, false, searcherFactory(options));
            LuceneNoteIndex index = new LuceneNoteIndex(path, options, recipe, directory, writer, searchers, analyzer);
            index.describeHolder("");
            success = true;
            return index;
        } catch (IOException | RuntimeException e) {
            throw openFailure(path, e);
        } finally {
            if (!success) {
                closeQuietly(writer == null ? null : writer::rollback);
                closeQuietly(directory);
                closeQuietly(analyzer);
            }
        }
    }

    private static IndexWriterConfig writerConfig(IndexOptions options, Analyzer analyzer) {
        return new IndexWriterConfig(analyzer)
                .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                .setCodec(codec(options))
                .setSimilarity(new BM25Similarity(options.bm25K1(), options.bm25B()))
                .setRAMBufferSizeMB(64)
                .setCommitOnClose(false);
    }

    private static SearcherFactory searcherFactory(IndexOptions options) {
        final float k1 = options.bm25K1();
        final float b = options.bm25B();
        return new SearcherFactory() {
            @Override
            public IndexSearcher newSearcher(IndexReader reader, IndexReader previous) {
                IndexSearcher s = new IndexSearcher(reader);
                s.setSimilarity(new BM25Similarity(k1, b));
                return s;
            }
        };
    }

    // ---------------------------------------------------------------- recovery

    /**
     * The writer, opened again on the last commit if a failure closed it.
     *
     * @throws IOException if no writer can be opened (the message says why)
     */
    private Live writable() throws IOException {
        checkOpen();
        Live l = live;
        if (l.writer().isOpen()) {
            return l;
        }
        synchronized (reopenLock) {
            l = live;
            if (l.writer().isOpen()) {
                return l;
            }
            checkOpen();
            closeQuietly(l.searchers());
            IndexWriter w;
            try {
                w = new IndexWriter(directory, writerConfig(options, analyzer));
            } catch (LockObtainFailedException e) {
                throw new IndexInUseException(path, holder(path), e);
            } catch (IOException | RuntimeException e) {
                throw new IndexWriteException(path, "cannot reopen the index writer after a failed write", e);
            }
            SearcherManager sm;
            try {
                sm = new SearcherManager(w, true, false, searcherFactory(options));
            } catch (IOException | RuntimeException e) {
                closeQuietly(w::rollback);
                throw new IndexWriteException(path, "cannot reopen the index after a failed write", e);
            }
            Live next = new Live(w, sm, l.generation() + 1);
            live = next;
            refreshedWrites = writes.get();
            if (lastCommit != null) {
                closeQuietly(lastCommit);
                lastCommit = null;
            }
            Throwable cause = l.writer().getTragicException();
            LOG.log(System.Logger.Level.WARNING, "reopened the index writer of " + path + " at its last commit"
                    + (cause == null ? "" : " after: " + cause));
            return next;
        }
    }

    /**
     * After {@code e} on a write to {@code l}: rolls the writer back to the last commit (dropping
     * the changes since, which the failing call reports) unless a newer writer replaced it, and
     * returns the exception to throw.
     */
    private IndexWriteException failed(Live l, Exception e, String what) {
        synchronized (reopenLock) {
            if (live == l && l.writer().isOpen()) {
                try {
                    l.writer().rollback(); // closes it; the next call opens a new one
                } catch (IOException | RuntimeException r) {
                    e.addSuppressed(r);
                }
            }
        }
        writes.incrementAndGet();
        wroteTo.get()[0] = -1;
        return new IndexWriteException(path, what, e);
    }

    /** Remembers that this thread has uncommitted writes in {@code l}. */
    private void wrote(Live l) {
        wroteTo.get()[0] = l.generation();
    }

    private static boolean writeFailure(Throwable e) {
        return e instanceof IOException || e instanceof org.apache.lucene.store.AlreadyClosedException;
    }

    /**
     * Opens the index to read only: no lock is taken (another process may hold the index for
     * writing meanwhile; this one sees the last commit before this call) and nothing is written,
     * so a read-only directory will do. A directory without an index reads as an empty one.
     */
    static NoteIndex openReadOnly(Path dir, IndexOptions options) throws IOException {
        Path path = dir.toAbsolutePath().normalize();
        Directory directory = null;
        Analyzer analyzer = new EnglishAnalyzer();
        DirectoryReader reader = null;
        boolean success = false;
        try {
            if (Files.isDirectory(path)) {
                directory = FSDirectory.open(path);
            }
            String recipe = options.recipe();
            if (directory != null && DirectoryReader.indexExists(directory)) {
                reader = DirectoryReader.open(directory);
                Map<String, String> recorded = reader.getIndexCommit().getUserData();
                if (reader.maxDoc() > 0 || recorded.containsKey(UD_MODEL)) {
                    checkRecorded(path, recorded, options);
                }
                recipe = recipe(options, recorded);
            } else {
                // no index yet: an empty one in memory, so that every read works the same way
                closeQuietly(directory);
                directory = new ByteBuffersDirectory();
                try (IndexWriter w = new IndexWriter(directory, new IndexWriterConfig(analyzer))) {
                    w.commit();
                }
                reader = DirectoryReader.open(directory);
            }
            SearcherManager searchers = new SearcherManager(reader, searcherFactory(options));
            LuceneNoteIndex index = new LuceneNoteIndex(path, options, recipe, directory, null, searchers, analyzer);
            success = true;
            return index;
        } catch (IOException | RuntimeException e) {
            throw openFailure(path, e);
        } finally {
            if (!success) {
                closeQuietly(reader);
                closeQuietly(directory);
                closeQuietly(analyzer);
            }
        }
    }

    /** What a failure to open becomes: damage or an unreadable format said plainly, else itself. */
    private static IOException openFailure(Path path, Exception e) throws IOException {
        if (e instanceof IndexFormatTooNewException || e instanceof IndexFormatTooOldException) {
            return new IOException("index " + path + " was written in a format this version of pocketrag cannot read ("
                    + e.getMessage() + ")", e);
        }
        return damagedOr(path, e);
    }

    /**
     * {@code e} as a {@link DamagedIndexException} if it is what reading damaged files throws;
     * else {@code e} itself (returned if an IOException, thrown if not).
     */
    static IOException damagedOr(Path path, Exception e) {
        if (e instanceof DamagedIndexException d) {
            return d;
        }
        String what = damage(e);
        if (what != null) {
            return new DamagedIndexException(path, what, e);
        }
        if (e instanceof IOException io) {
            return io;
        }
        throw (RuntimeException) e;
    }

    /** What a damaged index threw, in words; null if {@code e} is not that. */
    static String damage(Throwable e) {
        if (e instanceof DamagedIndexException d) {
            return d.getMessage().substring(d.getMessage().indexOf(" is damaged: ") + 13);
        }
        if (e instanceof CorruptIndexException c) {
            String file = fileOf(c.getResourceDescription());
            String m = c.getOriginalMessage();
            String kind = m.contains("checksum failed") ? "failed its checksum"
                    : m.contains("codec footer mismatch") || m.contains("misplaced codec footer") ? "is cut short or overwritten"
                    : m.contains("codec header mismatch") ? "has a bad header"
                    : "is corrupt (" + oneLine(m, 120) + ")";
            return (file == null ? "a file" : "file " + file) + " " + kind;
        }
        if (e instanceof NoSuchFileException || e instanceof java.io.FileNotFoundException) {
            String m = e instanceof NoSuchFileException n ? n.getFile() : e.getMessage();
            return "file " + (m == null ? "?" : Path.of(m.split(" ")[0]).getFileName()) + " is missing";
        }
        if (e instanceof java.io.EOFException) {
            String file = fileOf(String.valueOf(e.getMessage()));
            return (file == null ? "a file" : "file " + file) + " is cut short";
        }
        if (e instanceof IndexOutOfBoundsException || e instanceof NegativeArraySizeException
                || e instanceof java.nio.BufferUnderflowException || e instanceof ArithmeticException) {
            return "stored data could not be decoded (" + e.getClass().getSimpleName() + ")";
        }
        return null;
    }

    /** The file name in a Lucene resource description ({@code ...(path="/x/_0.fdt")...}), or null. */
    private static String fileOf(String resource) {
        if (resource == null) {
            return null;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("path=\"([^\"]+)\"").matcher(resource);
        if (m.find()) {
            return Path.of(m.group(1)).getFileName().toString();
        }
        m = java.util.regex.Pattern.compile("(_[a-z0-9_]+\\.[a-z0-9]+|segments_[a-z0-9]+)").matcher(resource);
        return m.find() ? m.group(1) : null;
    }

    private static String oneLine(String s, int max) {
        String t = s.replaceAll("\\s+", " ").strip();
        return t.length() <= max ? t : t.substring(0, max - 3) + "...";
    }

    // ---------------------------------------------------------------- the holder file

    @Override
    public void describeHolder(String what) throws IOException {
        Objects.requireNonNull(what, "what");
        checkOpen();
        if (readOnly) {
            return;
        }
        java.util.Properties p = new java.util.Properties();
        p.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
        p.setProperty("since", Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        p.setProperty("what", what.length() > 500 ? what.substring(0, 500) : what);
        Path tmp = path.resolve(HOLDER_FILE + ".tmp");
        try (var out = Files.newBufferedWriter(tmp, java.nio.charset.StandardCharsets.UTF_8)) {
            p.store(out, "the process that holds this index; see LuceneNoteIndex");
        }
        Files.move(tmp, path.resolve(HOLDER_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Who holds the index, from its holder file: "process 4242 (since ...): what", or null when
     * there is no file or its process is gone (then some other program holds the lock).
     */
    static String holder(Path path) {
        java.util.Properties p = new java.util.Properties();
        try (var in = Files.newBufferedReader(path.resolve(HOLDER_FILE), java.nio.charset.StandardCharsets.UTF_8)) {
            p.load(in);
            long pid = Long.parseLong(p.getProperty("pid", "-1"));
            if (pid < 0 || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) == Boolean.FALSE) {
                return null;
            }
            String what = p.getProperty("what", "").strip();
            return "process " + pid + (p.getProperty("since") == null ? "" : " since " + p.getProperty("since"))
                    + (what.isEmpty() ? "" : ": " + what);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void checkRecorded(Path path, Map<String, String> recorded, IndexOptions options)
            throws IOException {
        String schema = recorded.get(UD_SCHEMA);
        String model = recorded.get(UD_MODEL);
        String dim = recorded.get(UD_DIMENSION);
        if (schema == null || model == null || dim == null) {
            throw new IOException("index " + path + " was not written by pocketrag (its last commit records no"
                    + " embedding model); open an empty directory instead");
        }
        if (!schema.equals(SCHEMA_VERSION)) {
            throw new IOException("index " + path + " has pocketrag schema version " + schema
                    + ", this version reads " + SCHEMA_VERSION);
        }
        int dimension;
        try {
            dimension = Integer.parseInt(dim);
        } catch (NumberFormatException e) {
            throw new IOException("index " + path + " records dimension '" + dim + "', not a number", e);
        }
        if (dimension < 1 || dimension > IndexOptions.MAX_DIMENSION) {
            throw new IOException("index " + path + " records dimension " + dimension + ", not in [1, "
                    + IndexOptions.MAX_DIMENSION + "]");
        }
        RecordedModel had = new RecordedModel(model, dimension, recorded.getOrDefault(UD_RECIPE, ""));
        if (!had.accepts(options.model())) {
            throw new ModelMismatchException(path, had, options.model());
        }
    }

    /** The recipe to record: the options' if they say one, else the one recorded (if any). */
    private static String recipe(IndexOptions options, Map<String, String> recorded) {
        return !options.recipe().isEmpty() ? options.recipe() : recorded.getOrDefault(UD_RECIPE, "");
    }

    private static Map<String, String> userData(IndexOptions options, String recipe) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(UD_SCHEMA, SCHEMA_VERSION);
        m.put(UD_MODEL, options.modelId());
        m.put(UD_DIMENSION, Integer.toString(options.dimension()));
        if (!recipe.isEmpty()) {
            m.put(UD_RECIPE, recipe);
        }
        m.put(UD_FORMAT, options.vectorFormat().name());
        return m;
    }

    /**
     * What the last commit of the index in {@code dir} records about its vectors; empty when there
     * is no index there or it records no model (an empty index made by another program). Reads only
     * the commit point ({@code segments_N}), takes no lock.
     *
     * @throws DamagedIndexException if the commit point cannot be read
     * @throws IOException if the recorded dimension is not a number
     */
    static Optional<RecordedModel> recorded(Path dir) throws IOException {
        Path path = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(path)) {
            return Optional.empty();
        }
        try (Directory d = FSDirectory.open(path)) {
            if (!DirectoryReader.indexExists(d)) {
                return Optional.empty();
            }
            Map<String, String> ud;
            try {
                ud = org.apache.lucene.index.SegmentInfos.readLatestCommit(d).getUserData();
            } catch (IOException | RuntimeException e) {
                throw openFailure(path, e);
            }
            String model = ud.get(UD_MODEL);
            String dim = ud.get(UD_DIMENSION);
            if (model == null || dim == null) {
                return Optional.empty();
            }
            int dimension;
            try {
                dimension = Integer.parseInt(dim);
                return Optional.of(new RecordedModel(model, dimension, ud.getOrDefault(UD_RECIPE, "")));
            } catch (IllegalArgumentException e) {
                throw new IOException("index " + path + " records dimension '" + dim + "', not in [1, "
                        + IndexOptions.MAX_DIMENSION + "]", e);
            }
        }
    }

    /** Lucene's default codec with our vector format for the vector field. */
    static Codec codec(IndexOptions options) {
        KnnVectorsFormat format = vectorsFormat(options);
        return new Lucene103Codec() {
            @Override
            public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                return format;
            }
        };
    }

    static KnnVectorsFormat vectorsFormat(IndexOptions o) {
        return switch (o.vectorFormat()) {
            // 7 bits: Lucene's int8 quantization (signed byte range), uncompressed, dynamic
            // confidence interval; no merge threads beyond the merging one
            case INT8 -> new Lucene99HnswScalarQuantizedVectorsFormat(o.maxConn(), o.beamWidth(), 1, 7, false, null, null);
            case FLOAT32 -> new Lucene99HnswVectorsFormat(o.maxConn(), o.beamWidth());
            case BBQ -> new Lucene102HnswBinaryQuantizedVectorsFormat(o.maxConn(), o.beamWidth());
        };
    }

    // ---------------------------------------------------------------- writes

    @Override
    public void put(ChunkedNote note) throws IOException {
        putAll(List.of(note));
    }

    @Override
    public void putAll(Collection<ChunkedNote> notes) throws IOException {
        checkWritable();
        for (ChunkedNote n : notes) {
            checkVectors(n);
        }
        Live l = writable();
        wrote(l);
        try {
            for (ChunkedNote n : notes) {
                l.writer().updateDocuments(new Term(F_ID, n.note().id()), documents(n));
            }
        } catch (IOException | RuntimeException e) {
            if (writeFailure(e)) {
                throw failed(l, e, "cannot write to the index");
            }
            throw e;
        } finally {
            writes.incrementAndGet(); // also after a failure: what was written must become visible
        }
    }

    @Override
    public void delete(String id) throws IOException {
        Objects.requireNonNull(id, "id");
        deleteAll(List.of(id));
    }

    @Override
    public void deleteAll(Collection<String> ids) throws IOException {
        checkWritable();
        Term[] terms = ids.stream().map(id -> new Term(F_ID, Objects.requireNonNull(id, "id"))).toArray(Term[]::new);
        if (terms.length > 0) {
            Live l = writable();
            wrote(l);
            try {
                l.writer().deleteDocuments(terms);
            } catch (IOException | RuntimeException e) {
                if (writeFailure(e)) {
                    throw failed(l, e, "cannot write to the index");
                }
                throw e;
            } finally {
                writes.incrementAndGet();
            }
        }
    }

    @Override
    public void commit() throws IOException {
        checkWritable();
        long[] mine = wroteTo.get();
        Live l = writable();
        if (mine[0] >= 0 && mine[0] != l.generation()) {
            mine[0] = -1;
            throw new IndexWriteException(path, "not saved: an earlier write failed and the index went back to its"
                    + " last commit, dropping this thread's changes since; write them again", null);
        }
        synchronized (commitLock) {
            try {
                l.writer().setLiveCommitData(userData(options, recipe).entrySet());
                l.writer().commit();
            } catch (IOException | RuntimeException e) {
                if (writeFailure(e)) {
                    throw failed(l, e, "cannot save the index");
                }
                throw e;
            }
        }
        mine[0] = -1;
    }

    private void checkVectors(ChunkedNote cn) {
        options.checkNote(cn);
    }

    static List<Document> documents(ChunkedNote cn) {
        Note n = cn.note();
        List<Document> docs = new ArrayList<>(cn.chunks().size());
        for (Chunk c : cn.chunks()) {
            Document d = new Document();
            d.add(new StringField(F_ID, n.id(), Field.Store.YES));
            d.add(new SortedDocValuesField(F_ID, new BytesRef(n.id())));
            d.add(new StoredField(F_ORD, c.ordinal()));
            d.add(new StoredField(F_NCHUNKS, cn.chunks().size()));
            d.add(new StoredField(F_START, c.start()));
            d.add(new StoredField(F_END, c.end()));
            if (c.page() > 0) {
                d.add(new StoredField(F_PAGE, c.page()));
            }
            if (!c.section().isEmpty()) {
                d.add(new StoredField(F_SECTION, c.section()));
            }
            d.add(new StoredField(F_TITLE, n.title()));
            d.add(new StoredField(F_CHUNK, c.text()));
            d.add(new StoredField(F_SOURCE, n.source())); // on every chunk, so a hit carries it
            d.add(new TextField(F_TEXT, n.title().isEmpty() ? c.text() : n.title() + "\n" + c.text(), Field.Store.NO));
            for (String t : n.tags()) {
                d.add(new StringField(F_TAG, t, Field.Store.YES));
            }
            addTime(d, F_CREATED, n.created());
            addTime(d, F_UPDATED, n.updated());
            d.add(new KnnFloatVectorField(F_VECTOR, cn.vectors().get(c.ordinal()), VectorSimilarityFunction.DOT_PRODUCT));
            if (c.ordinal() == 0) {
                d.add(new StringField(F_HEAD, "1", Field.Store.NO));
                d.add(new StoredField(F_BODY, n.body()));
                if (!cn.fingerprint().isEmpty()) {
                    d.add(new StoredField(F_FINGERPRINT, cn.fingerprint()));
                }
            }
            docs.add(d);
        }
        return docs;
    }

    private static void addTime(Document d, String field, Instant t) {
        long ms = t.toEpochMilli();
        d.add(new LongPoint(field, ms));
        d.add(new StoredField(field, ms));
        d.add(new NumericDocValuesField(field, ms));
    }

    // ---------------------------------------------------------------- reads

    /** A searcher that sees every write made before this call. */
    private IndexSearcher acquire() throws IOException {
        checkOpen();
        if (readOnly) {
            try {
                return live.searchers().acquire();
            } catch (IOException | RuntimeException e) {
                throw damagedOr(path, e);
            }
        }
        for (int attempt = 0; ; attempt++) {
            Live l;
            try {
                l = writable();
            } catch (IndexWriteException e) {
                return lastCommit(e); // no writer for now: read what was committed
            }
            try {
                long w = writes.get();
                if (w != refreshedWrites) {
                    l.searchers().maybeRefreshBlocking();
                    refreshedWrites = w;
                }
                return l.searchers().acquire();
            } catch (org.apache.lucene.store.AlreadyClosedException e) {
                if (attempt > 0) { // a writer that failed again at once: its last commit
                    return lastCommit(new IndexWriteException(path, "the index writer keeps failing", e));
                }
                // the writer failed while we refreshed: the next attempt reopens it
            } catch (IOException | RuntimeException e) {
                throw damagedOr(path, e);
            }
        }
    }

    /** A searcher of the last commit (while no writer can be opened). */
    private IndexSearcher lastCommit(IndexWriteException why) throws IOException {
        synchronized (reopenLock) {
            try {
                if (lastCommit == null) {
                    lastCommit = new SearcherManager(directory, searcherFactory(options));
                    LOG.log(System.Logger.Level.WARNING, "reading " + path + " at its last commit: " + why.getMessage());
                } else {
                    lastCommit.maybeRefreshBlocking();
                }
                return lastCommit.acquire();
            } catch (IOException | RuntimeException e) {
                e.addSuppressed(why);
                throw e;
            }
        }
    }

    /**
     * {@code r} on a searcher that sees every write made before this call, released after; what
     * reading damaged files throws becomes a {@link DamagedIndexException}.
     */
    private <T> T read(SearcherRead<T> r) throws IOException {
        IndexSearcher s = acquire();
        try {
            return r.apply(s);
        } catch (IOException | RuntimeException e) {
            throw damagedOr(path, e);
        } finally {
            release(s);
        }
    }

    @FunctionalInterface
    private interface SearcherRead<T> {
        T apply(IndexSearcher s) throws IOException;
    }

    private void release(IndexSearcher s) throws IOException {
        s.getIndexReader().decRef(); // what SearcherManager.release does, whichever manager it came from
    }

    @Override
    public Optional<Note> get(String id) throws IOException {
        return read(s -> {
            int doc = headDoc(s, id);
            return doc < 0 ? Optional.<Note>empty() : Optional.of(note(s.storedFields().document(doc)));
        });
    }

    @Override
    public List<Chunk> chunks(String id) throws IOException {
        return read(s -> {
            TopDocs td = s.search(new TermQuery(new Term(F_ID, id)), 100_000);
            StoredFields sf = s.storedFields();
            List<Chunk> out = new ArrayList<>(td.scoreDocs.length);
            for (ScoreDoc sd : td.scoreDocs) {
                Document d = sf.document(sd.doc);
                String title = d.get(F_TITLE);
                String text = d.get(F_CHUNK);
                out.add(new Chunk(intField(d, F_ORD), intField(d, F_START), intField(d, F_END), text,
                        title.isBlank() ? text : title.strip() + "\n" + text, page(d), section(d)));
            }
            out.sort(Comparator.comparingInt(Chunk::ordinal));
            return out;
        });
    }

    @Override
    public Optional<String> fingerprint(String id) throws IOException {
        return read(s -> {
            int doc = headDoc(s, id);
            if (doc < 0) {
                return Optional.empty();
            }
            String f = s.storedFields().document(doc, Set.of(F_FINGERPRINT)).get(F_FINGERPRINT);
            return Optional.of(f == null ? "" : f);
        });
    }

    @Override
    public Optional<ChunkedNote> getChunked(String id) throws IOException {
        return read(s -> {
            int head = headDoc(s, id);
            if (head < 0) {
                return Optional.empty();
            }
            StoredFields sf = s.storedFields();
            Document hd = sf.document(head);
            Note note = note(hd);
            String fingerprint = hd.get(F_FINGERPRINT) == null ? "" : hd.get(F_FINGERPRINT);
            TopDocs td = s.search(new TermQuery(new Term(F_ID, id)), 100_000);
            Chunk[] chunks = new Chunk[td.scoreDocs.length];
            float[][] vectors = new float[td.scoreDocs.length][];
            List<LeafReaderContext> leaves = s.getIndexReader().leaves();
            for (ScoreDoc sd : td.scoreDocs) {
                Document d = sf.document(sd.doc, CHUNK_FIELDS);
                int ord = intField(d, F_ORD);
                if (ord < 0 || ord >= chunks.length || chunks[ord] != null) {
                    throw new DamagedIndexException(path, "note '" + id + "' has a chunk with ordinal " + ord
                            + " (it has " + chunks.length + " chunks)", null);
                }
                String text = d.get(F_CHUNK);
                chunks[ord] = new Chunk(ord, intField(d, F_START), intField(d, F_END), text,
                        note.title().isBlank() ? text : note.title().strip() + "\n" + text, page(d), section(d));
                LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(sd.doc, leaves));
                vectors[ord] = vector(leaf, sd.doc - leaf.docBase);
                if (vectors[ord] == null) {
                    throw new DamagedIndexException(path, "chunk " + ord + " of note '" + id + "' has no vector", null);
                }
            }
            return Optional.of(new ChunkedNote(note, List.of(chunks), List.of(vectors), fingerprint));
        });
    }

    /** Stored fields of a chunk that {@link #getChunked} reads. */
    private static final Set<String> CHUNK_FIELDS = Set.of(F_ORD, F_START, F_END, F_CHUNK, F_PAGE, F_SECTION);

    /** A chunk's page; 0 when it has none (or was written before pages were stored). */
    private static int page(Document d) {
        IndexableField f = d.getField(F_PAGE);
        return f == null || f.numericValue() == null ? 0 : Math.max(0, f.numericValue().intValue());
    }

    /** A chunk's heading path; "" when it has none (or was written before sections were stored). */
    private static String section(Document d) {
        String s = d.get(F_SECTION);
        return s == null || s.length() > Chunk.MAX_SECTION_LENGTH ? "" : s;
    }

    /** The Lucene doc id of the note's chunk 0, or -1. */
    private static int headDoc(IndexSearcher s, String id) throws IOException {
        TopDocs td = s.search(new BooleanQuery.Builder()
                .add(new TermQuery(new Term(F_ID, id)), Occur.FILTER)
                .add(new TermQuery(new Term(F_HEAD, "1")), Occur.FILTER)
                .build(), 1);
        return td.scoreDocs.length == 0 ? -1 : td.scoreDocs[0].doc;
    }

    /** The full-precision vector of a document of a leaf, or null if it has none. */
    static float[] vector(LeafReaderContext leaf, int doc) throws IOException {
        FloatVectorValues values = leaf.reader().getFloatVectorValues(F_VECTOR);
        if (values == null) {
            return null;
        }
        KnnVectorValues.DocIndexIterator it = values.iterator();
        if (it.advance(doc) != doc) {
            return null;
        }
        return values.vectorValue(it.index()).clone();
    }

    @Override
    public List<Note> list(SearchFilter filter, int offset, int limit) throws IOException {
        if (offset < 0) {
            throw new IllegalArgumentException("offset=" + offset + ", must be >= 0");
        }
        if (limit < 0 || (long) offset + limit > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("limit=" + limit + ", must be in [0, " + (Integer.MAX_VALUE - 16 - offset) + "]");
        }
        return read(s -> {
            BooleanQuery.Builder q = new BooleanQuery.Builder().add(new TermQuery(new Term(F_HEAD, "1")), Occur.FILTER);
            Query f = filterQuery(filter);
            if (f != null) {
                q.add(f, Occur.FILTER);
            }
            int n = Math.min(offset + limit, Math.max(1, s.getIndexReader().maxDoc()));
            if (limit == 0) {
                return List.of();
            }
            Sort sort = new Sort(new SortField(F_UPDATED, SortField.Type.LONG, true), new SortField(F_ID, SortField.Type.STRING));
            TopDocs td = s.search(q.build(), n, sort);
            StoredFields sf = s.storedFields();
            List<Note> out = new ArrayList<>();
            for (int i = offset; i < td.scoreDocs.length; i++) {
                out.add(note(sf.document(td.scoreDocs[i].doc)));
            }
            return out;
        });
    }

    @Override
    public IndexStats stats() throws IOException {
        return read(s -> {
            long notes = s.count(new TermQuery(new Term(F_HEAD, "1")));
            long chunks = s.getIndexReader().numDocs();
            long size = 0;
            for (String f : directory.listAll()) {
                try {
                    size += directory.fileLength(f);
                } catch (NoSuchFileException | java.io.FileNotFoundException e) {
                    // deleted by a concurrent merge: not part of the index any more
                }
            }
            return new IndexStats(notes, chunks, size, options.modelId(), options.dimension(), recipe,
                    options.vectorFormat(), s.getIndexReader().leaves().size());
        });
    }

    private static Note note(Document d) {
        return new Note(d.get(F_ID), d.get(F_TITLE), d.get(F_BODY), List.of(d.getValues(F_TAG)), d.get(F_SOURCE),
                Instant.ofEpochMilli(longField(d, F_CREATED)), Instant.ofEpochMilli(longField(d, F_UPDATED)));
    }

    private static int intField(Document d, String name) {
        IndexableField f = d.getField(name);
        return f.numericValue().intValue();
    }

    private static long longField(Document d, String name) {
        IndexableField f = d.getField(name);
        return f.numericValue().longValue();
    }

    // ---------------------------------------------------------------- search

    /** A chunk in one list: Lucene doc id, note id, score. */
    private record ListHit(int doc, String noteId, float score) {}

    @Override
    public List<SearchHit> search(SearchRequest r) throws IOException {
        options.checkQuery(r.vector());
        return read(s -> {
            if (s.getIndexReader().numDocs() == 0) {
                return List.of(); // nothing to find (and Lucene's kNN rescoring expects a non-empty index)
            }
            Query filter = filterQuery(r.filter());
            int depth = r.mode() == SearchMode.HYBRID ? r.depth() : r.k();
            List<ListHit> dense = r.mode() == SearchMode.BM25 ? List.of() : dense(s, r.vector(), filter, depth, r.groupByNote());
            List<ListHit> bm25 = r.mode() == SearchMode.DENSE ? List.of() : bm25(s, r.text(), filter, depth, r.groupByNote());
            StoredFields sf = s.storedFields();
            List<SearchHit> out = new ArrayList<>();
            switch (r.mode()) {
                case DENSE -> {
                    for (int i = 0; i < dense.size(); i++) {
                        ListHit h = dense.get(i);
                        out.add(hit(s, sf, h.doc, i + 1, h.score, i + 1, h.score, 0, Double.NaN));
                    }
                }
                case BM25 -> {
                    for (int i = 0; i < bm25.size(); i++) {
                        ListHit h = bm25.get(i);
                        out.add(hit(s, sf, h.doc, i + 1, h.score, 0, Double.NaN, i + 1, h.score));
                    }
                }
                case HYBRID -> {
                    // items: chunk doc ids, or note ids when grouped (each list then ranks notes)
                    for (Rrf.HybridHit<ListHit> h : Rrf.hybrid(dense, bm25,
                            l -> r.groupByNote() ? l.noteId : (Object) l.doc, r.rrfK(), r.k())) {
                        out.add(hit(s, sf, h.shown().doc, h.rank(), h.score(), h.denseRank(),
                                h.dense() == null ? Double.NaN : h.dense().score, h.bm25Rank(),
                                h.bm25() == null ? Double.NaN : h.bm25().score));
                    }
                }
            }
            return out;
        });
    }

    private List<ListHit> dense(IndexSearcher s, float[] vector, Query filter, int n, boolean group) throws IOException {
        if (filter != null && s.count(filter) == 0) {
            // no chunk passes the filter: Lucene's rescoring of an empty kNN result fails (an assertion,
            // else an ArrayIndexOutOfBoundsException that read() would report as a damaged index)
            return List.of();
        }
        int fetch = n;
        while (true) {
            int candidates = Math.max(fetch, options.knnCandidates());
            Query q = new KnnFloatVectorQuery(F_VECTOR, vector, candidates, filter);
            if (options.vectorFormat() != VectorFormat.FLOAT32) {
                // quantized graph search, then exact scores from the stored float vectors
                q = RescoreTopNQuery.createFullPrecisionRescorerQuery(q, vector, F_VECTOR, fetch);
            }
            TopDocs td = s.search(q, fetch);
            List<ListHit> hits = listHits(s, td, n, group);
            if (!group || hits.size() >= n || td.scoreDocs.length < fetch || fetch >= MAX_GROUPING_FETCH) {
                return hits;
            }
            fetch = Math.min(MAX_GROUPING_FETCH, fetch * 4);
        }
    }

    private List<ListHit> bm25(IndexSearcher s, String text, Query filter, int n, boolean group) throws IOException {
        Query q = textQuery(text);
        if (q == null) {
            return List.of();
        }
        if (filter != null) {
            q = new BooleanQuery.Builder().add(q, Occur.MUST).add(filter, Occur.FILTER).build();
        }
        int fetch = n;
        while (true) {
            TopDocs td = s.search(q, fetch);
            List<ListHit> hits = listHits(s, td, n, group);
            if (!group || hits.size() >= n || td.scoreDocs.length < fetch || fetch >= MAX_GROUPING_FETCH) {
                return hits;
            }
            fetch = Math.min(MAX_GROUPING_FETCH, fetch * 4);
        }
    }

    /**
     * The hits in order, at most n; with grouping, only each note's first (best) chunk. Note ids
     * come from the {@code id} doc values (no stored-field decompression per hit).
     */
    private static List<ListHit> listHits(IndexSearcher s, TopDocs td, int n, boolean group) throws IOException {
        List<LeafReaderContext> leaves = s.getIndexReader().leaves();
        List<ListHit> out = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>();
        for (ScoreDoc sd : td.scoreDocs) {
            LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(sd.doc, leaves));
            SortedDocValues ids = DocValues.getSorted(leaf.reader(), F_ID);
            if (!ids.advanceExact(sd.doc - leaf.docBase)) {
                throw new IOException("index " + leaf.reader() + ": chunk document " + sd.doc + " has no note id");
            }
            String id = ids.lookupOrd(ids.ordValue()).utf8ToString();
            if (!group || seen.add(id)) {
                out.add(new ListHit(sd.doc, id, sd.score));
                if (out.size() == n) {
                    break;
                }
            }
        }
        return out;
    }

    /**
     * The BM25 query of a text: its analysed terms as SHOULD clauses, each boosted by how often it
     * occurs (a bag of words, as Anserini builds it); null when no term survives analysis.
     */
    Query textQuery(String text) throws IOException {
        Map<String, Integer> counts = new LinkedHashMap<>();
        try (TokenStream ts = analyzer.tokenStream(F_TEXT, text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                counts.merge(term.toString(), 1, Integer::sum);
            }
            ts.end();
        }
        if (counts.isEmpty()) {
            return null;
        }
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        int clauses = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (clauses++ == IndexSearcher.getMaxClauseCount()) {
                break; // a query longer than Lucene's clause limit keeps its first terms
            }
            Query tq = new TermQuery(new Term(F_TEXT, e.getKey()));
            b.add(e.getValue() == 1 ? tq : new BoostQuery(tq, e.getValue()), Occur.SHOULD);
        }
        return b.build();
    }

    /** The Lucene filter of a search filter, or null when it admits everything. */
    static Query filterQuery(SearchFilter f) {
        if (f.isEmpty()) {
            return null;
        }
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        for (String t : f.allTags()) {
            b.add(new TermQuery(new Term(F_TAG, t)), Occur.FILTER);
        }
        if (!f.anyTags().isEmpty()) {
            BooleanQuery.Builder any = new BooleanQuery.Builder();
            for (String t : f.anyTags()) {
                any.add(new TermQuery(new Term(F_TAG, t)), Occur.SHOULD);
            }
            b.add(any.build(), Occur.FILTER);
        }
        addRange(b, F_CREATED, f.createdFrom(), f.createdTo());
        addRange(b, F_UPDATED, f.updatedFrom(), f.updatedTo());
        BooleanQuery q = b.build();
        return q.clauses().isEmpty() ? new MatchAllDocsQuery() : q;
    }

    private static void addRange(BooleanQuery.Builder b, String field, Instant from, Instant to) {
        if (from == null && to == null) {
            return;
        }
        long lo = from == null ? Long.MIN_VALUE : from.toEpochMilli();
        long hi = to == null ? Long.MAX_VALUE : to.toEpochMilli() - 1; // exclusive upper bound
        b.add(LongPoint.newRangeQuery(field, lo, hi), Occur.FILTER);
    }

    /** Stored fields a hit needs (not the note body kept on chunk 0). */
    private static final Set<String> HIT_FIELDS = Set.of(F_ID, F_TITLE, F_TAG, F_ORD, F_CHUNK, F_START, F_END,
            F_SOURCE, F_CREATED, F_PAGE, F_SECTION);
    private static final Set<String> SOURCE_FIELD = Set.of(F_SOURCE);

    private static SearchHit hit(IndexSearcher s, StoredFields sf, int doc, int rank, double score, int dr, double ds,
            int br, double bs) throws IOException {
        Document d = sf.document(doc, HIT_FIELDS);
        String source = d.get(F_SOURCE);
        if (source == null) {
            // a chunk other than 0 written before every chunk stored the source: read it from chunk 0
            int head = headDoc(s, d.get(F_ID));
            source = head < 0 ? "" : Objects.requireNonNullElse(sf.document(head, SOURCE_FIELD).get(F_SOURCE), "");
        }
        return new SearchHit(d.get(F_ID), d.get(F_TITLE), List.of(d.getValues(F_TAG)), source,
                Instant.ofEpochMilli(longField(d, F_CREATED)), intField(d, F_ORD),
                d.get(F_CHUNK), intField(d, F_START), intField(d, F_END), rank, score, dr, ds, br, bs, page(d),
                section(d));
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public Path path() {
        return path;
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("index " + path + " is closed");
        }
    }

    private void checkWritable() {
        checkOpen();
        if (readOnly) {
            throw new IllegalStateException("index " + path + " is open read-only");
        }
    }

    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        IOException first = null;
        IndexWriter writer = live.writer();
        SearcherManager searchers = live.searchers();
        try {
            if (writer != null && writer.isOpen()) {
                synchronized (commitLock) {
                    if (writer.hasUncommittedChanges()) { // nothing to commit after only reading
                        writer.setLiveCommitData(userData(options, recipe).entrySet());
                        writer.commit();
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            first = e instanceof IOException io ? io : new IOException("commit on close of " + path + " failed", e);
        }
        if (writer != null) {
            try {
                Files.deleteIfExists(path.resolve(HOLDER_FILE)); // before the lock goes
            } catch (IOException e) {
                // a stale file names a process that is gone: ignored by holder()
            }
        }
        for (AutoCloseable c : new AutoCloseable[] {searchers, lastCommit, writer, directory, analyzer}) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof IOException io ? io : new IOException("closing " + path + " failed", e);
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // already failing; the first exception is the one that matters
        }
    }
}
