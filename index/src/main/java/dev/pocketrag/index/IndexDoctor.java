package dev.pocketrag.index;

import static dev.pocketrag.index.LuceneNoteIndex.F_BODY;
import static dev.pocketrag.index.LuceneNoteIndex.F_CHUNK;
import static dev.pocketrag.index.LuceneNoteIndex.F_CREATED;
import static dev.pocketrag.index.LuceneNoteIndex.F_END;
import static dev.pocketrag.index.LuceneNoteIndex.F_FINGERPRINT;
import static dev.pocketrag.index.LuceneNoteIndex.F_ID;
import static dev.pocketrag.index.LuceneNoteIndex.F_NCHUNKS;
import static dev.pocketrag.index.LuceneNoteIndex.F_ORD;
import static dev.pocketrag.index.LuceneNoteIndex.F_SOURCE;
import static dev.pocketrag.index.LuceneNoteIndex.F_START;
import static dev.pocketrag.index.LuceneNoteIndex.F_TAG;
import static dev.pocketrag.index.LuceneNoteIndex.F_TITLE;
import static dev.pocketrag.index.LuceneNoteIndex.F_UPDATED;
import static dev.pocketrag.index.LuceneNoteIndex.F_VECTOR;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.CheckIndex;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.FilterDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.LockObtainFailedException;
import org.apache.lucene.util.Bits;

/**
 * Checks and repairs a {@link LuceneNoteIndex} (see {@link NoteIndex#check} and {@link
 * NoteIndex#repair}).
 *
 * <p>A check holds the index's write lock throughout (no writer may change it meanwhile) and:
 * <ol>
 *   <li>runs Lucene's {@link CheckIndex}: every file's checksum, every segment decoded. A segment
 *       that fails is "broken";</li>
 *   <li>reads every segment on its own (a commit of just that segment, made in memory, so one
 *       broken segment does not stop the others being read, and nothing is written) and every
 *       live chunk document in it, document by document, each read that fails counted;</li>
 *   <li>checks each note against the index's rules (the layout in {@link LuceneNoteIndex}):
 *       one first chunk holding the text, chunks {@code 0..n-1} each once with the same {@code
 *       nchunks} and title, each chunk's text equal to its slice of the note's text, and (outside
 *       broken segments) each chunk a finite unit vector of the index's dimension; the
 *       commit records this embedding model. A note that passes, in a sound segment, is sound; one
 *       whose text is readable and consistent with the chunks that were read is rebuildable; any
 *       other is lost.</li>
 * </ol>
 * A repair does the same, then copies the index to the backup folder, drops the broken segments
 * ({@link CheckIndex#exorciseIndex}), deletes what is left of the rebuildable and lost notes, and
 * indexes the rebuildable ones again from their text (chunked and embedded by the caller),
 * keeping their dates, tags, source and fingerprint.
 */
final class IndexDoctor {
    /** Notes re-embedded together during a repair. */
    private static final int REBUILD_BATCH = 32;
    private static final double NORM_TOLERANCE = 1e-3;

    private final Path path;
    private final IndexOptions options;
    private final List<String> problems = new ArrayList<>();
    private long problemCount;
    private long sound;
    private long chunks;
    private long unidentified;
    /** Notes to index again from their text, by id (the newest version when there are several). */
    private final Map<String, Rebuild> rebuild = new LinkedHashMap<>();
    /** Lost notes by id: their titles (or ""). */
    private final Map<String, String> lost = new LinkedHashMap<>();
    /** Ids met in a sound block so far, to find a note that is there twice. */
    private final Set<String> seen = new HashSet<>();
    private final List<String> brokenSegments = new ArrayList<>();
    private boolean unreadableCommit;
    /** What the commit records, once read. */
    private RecordedModel recorded;

    /** A note to index again, and the fingerprint it had. */
    record Rebuild(Note note, String fingerprint) {}

    private IndexDoctor(Path path, IndexOptions options) {
        this.path = path;
        this.options = options;
    }

    static IndexCheck check(Path dir, IndexOptions options) throws IOException {
        Path path = dir.toAbsolutePath().normalize();
        IndexDoctor d = new IndexDoctor(path, options);
        if (!Files.isDirectory(path)) {
            return d.report(false, Optional.empty());
        }
        try (Directory fs = FSDirectory.open(path); CheckIndex checker = checker(path, fs)) {
            d.examine(fs, checker);
        }
        return d.report(false, Optional.empty());
    }

    static IndexCheck repair(Path dir, IndexOptions options, Path backup,
            Function<List<Note>, List<ChunkedNote>> reindex) throws IOException {
        Path path = dir.toAbsolutePath().normalize();
        IndexDoctor d = new IndexDoctor(path, options);
        if (!Files.isDirectory(path)) {
            return d.report(true, Optional.empty());
        }
        try (Directory fs = FSDirectory.open(path); CheckIndex checker = checker(path, fs)) {
            CheckIndex.Status status = d.examine(fs, checker);
            if (d.unreadableCommit) {
                throw new DamagedIndexException(path, d.problems.get(0) + "; nothing can be read without it:"
                        + " restore a backup of the index (or export from one)", null);
            }
            if (d.problemCount == 0) {
                return d.report(true, Optional.empty()); // nothing to repair, nothing written
            }
            copy(path, backup);
            if (!d.brokenSegments.isEmpty()) {
                checker.exorciseIndex(status); // a new commit without the broken segments
            }
        }
        try (NoteIndex index = LuceneNoteIndex.open(path, options)) {
            Set<String> remove = new HashSet<>(d.rebuild.keySet());
            remove.addAll(d.lost.keySet());
            index.deleteAll(remove);
            List<Rebuild> all = new ArrayList<>(d.rebuild.values());
            for (int i = 0; i < all.size(); i += REBUILD_BATCH) {
                List<Rebuild> batch = all.subList(i, Math.min(all.size(), i + REBUILD_BATCH));
                List<ChunkedNote> made = reindex.apply(batch.stream().map(Rebuild::note).toList());
                List<ChunkedNote> put = new ArrayList<>(made.size());
                for (int k = 0; k < made.size(); k++) {
                    put.add(made.get(k).withFingerprint(batch.get(k).fingerprint()));
                }
                index.putAll(put);
            }
            index.commit();
        }
        return d.report(true, Optional.of(backup));
    }

    private static CheckIndex checker(Path path, Directory fs) throws IOException {
        try {
            CheckIndex c = new CheckIndex(fs);
            c.setLevel(CheckIndex.Level.MIN_LEVEL_FOR_INTEGRITY_CHECKS);
            c.setInfoStream(null);
            return c;
        } catch (LockObtainFailedException e) {
            throw new IndexInUseException(path, LuceneNoteIndex.holder(path), e);
        }
    }

    /** Steps 1 to 3 of the class comment. */
    private CheckIndex.Status examine(Directory fs, CheckIndex checker) throws IOException {
        CheckIndex.Status status = checker.checkIndex();
        if (status.missingSegments) {
            if (SegmentInfos.getLastCommitSegmentsFileName(fs) == null) {
                return status; // no index at all: nothing wrong, nothing there
            }
            unreadableCommit = true;
            problem("the commit point " + SegmentInfos.getLastCommitSegmentsFileName(fs)
                    + " (the list of the index's segments) cannot be read");
            return status;
        }
        SegmentInfos infos = SegmentInfos.readLatestCommit(fs);
        checkRecorded(infos.getUserData());
        Map<String, CheckIndex.Status.SegmentInfoStatus> byName = new HashMap<>();
        for (CheckIndex.Status.SegmentInfoStatus s : status.segmentInfos) {
            byName.put(s.name, s);
        }
        for (SegmentCommitInfo sci : infos) {
            CheckIndex.Status.SegmentInfoStatus s = byName.get(sci.info.name);
            boolean broken = s == null || s.error != null;
            int live = sci.info.maxDoc() - sci.getDelCount();
            if (broken) {
                brokenSegments.add(sci.info.name);
                String why = s == null ? "not checked" : describe(s.error);
                problem("segment " + sci.info.name + " (" + live + " chunk documents) is damaged: " + why);
            }
            readSegment(fs, infos, sci, broken, live);
        }
        return status;
    }

    private void checkRecorded(Map<String, String> userData) throws IOException {
        String model = userData.get(LuceneNoteIndex.UD_MODEL);
        String dim = userData.get(LuceneNoteIndex.UD_DIMENSION);
        if (model == null || dim == null) {
            problem("the last commit records no embedding model");
            return;
        }
        try {
            recorded = new RecordedModel(model, Integer.parseInt(dim), userData.getOrDefault(LuceneNoteIndex.UD_RECIPE, ""));
        } catch (IllegalArgumentException e) {
            problem("the last commit records dimension '" + dim + "', not a number in [1, " + IndexOptions.MAX_DIMENSION + "]");
            return;
        }
        if (!recorded.accepts(options.model())) {
            throw new ModelMismatchException(path, recorded, options.model());
        }
    }

    /** Reads one segment on its own; every note block in it is judged when it ends. */
    private void readSegment(Directory fs, SegmentInfos infos, SegmentCommitInfo sci, boolean broken, int live)
            throws IOException {
        SegmentInfos one = infos.clone();
        one.clear();
        one.add(sci.clone());
        ByteBuffersDirectory memory = new ByteBuffersDirectory();
        one.commit(memory);
        try (DirectoryReader reader = DirectoryReader.open(new SegmentView(fs, memory))) {
            LeafReader leaf = reader.leaves().get(0).reader();
            Bits liveDocs = leaf.getLiveDocs();
            StoredFields stored = leaf.storedFields();
            Vectors vectors = broken ? null : vectors(leaf, sci.info.name);
            Block block = null;
            for (int doc = 0; doc < leaf.maxDoc(); doc++) {
                if (liveDocs != null && !liveDocs.get(doc)) {
                    continue;
                }
                Chunk c;
                try {
                    c = chunk(stored.document(doc), doc, vectors);
                } catch (IOException | RuntimeException e) {
                    unidentified++;
                    if (block != null) {
                        block.unreadable++;
                    }
                    if (!broken) {
                        problem("segment " + sci.info.name + ": chunk document " + doc + " cannot be read: " + describe(e));
                    }
                    continue;
                }
                chunks++;
                if (block != null && !block.id.equals(c.id)) {
                    judge(block);
                    block = null;
                }
                if (block == null) {
                    block = new Block(c.id, broken);
                }
                block.add(c);
            }
            if (block != null) {
                judge(block);
            }
        } catch (IOException | RuntimeException e) {
            // the segment does not even open: its documents cannot be read at all
            unidentified += live;
            if (!broken) {
                problem("segment " + sci.info.name + " cannot be opened: " + describe(e));
            }
        }
    }

    /** The vectors of a segment: which documents have a sound one. */
    private record Vectors(BitSet present, BitSet bad, String problem) {}

    private Vectors vectors(LeafReader leaf, String segment) throws IOException {
        FieldInfo fi = leaf.getFieldInfos().fieldInfo(F_VECTOR);
        BitSet present = new BitSet(leaf.maxDoc());
        BitSet bad = new BitSet(leaf.maxDoc());
        if (fi == null || !fi.hasVectorValues()) {
            return new Vectors(present, bad, null);
        }
        if (fi.getVectorDimension() != options.dimension()) {
            problem("segment " + segment + ": its vectors have " + fi.getVectorDimension() + " dimensions, the index's"
                    + " model '" + options.modelId() + "' has " + options.dimension());
            return new Vectors(present, bad, "has a vector of " + fi.getVectorDimension() + " dimensions");
        }
        FloatVectorValues values = leaf.getFloatVectorValues(F_VECTOR);
        if (values == null) {
            return new Vectors(present, bad, null);
        }
        KnnVectorValues.DocIndexIterator it = values.iterator();
        for (int doc = it.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = it.nextDoc()) {
            present.set(doc);
            float[] v = values.vectorValue(it.index());
            double sq = 0;
            boolean finite = true;
            for (float x : v) {
                finite &= Float.isFinite(x);
                sq += (double) x * x;
            }
            if (!finite || Math.abs(sq - 1) > NORM_TOLERANCE) {
                bad.set(doc);
            }
        }
        return new Vectors(present, bad, null);
    }

    /** What one chunk document holds; {@code vector} says what is wrong with its vector, or null. */
    private record Chunk(String id, int ord, int nchunks, int start, int end, String title, String text,
            List<String> tags, long created, long updated, String body, String source, String fingerprint,
            String vector) {}

    private static Chunk chunk(Document d, int doc, Vectors vectors) {
        String id = d.get(F_ID);
        if (id == null) {
            throw new IllegalStateException("no note id");
        }
        String vector = null;
        if (vectors != null) {
            vector = vectors.problem() != null ? vectors.problem()
                    : !vectors.present().get(doc) ? "has no vector"
                    : vectors.bad().get(doc) ? "has a vector that is not a finite unit vector" : null;
        }
        return new Chunk(id, num(d, F_ORD), num(d, F_NCHUNKS), num(d, F_START), num(d, F_END),
                require(d, F_TITLE), require(d, F_CHUNK), List.of(d.getValues(F_TAG)), time(d, F_CREATED),
                time(d, F_UPDATED), d.get(F_BODY), d.get(F_SOURCE), d.get(F_FINGERPRINT), vector);
    }

    private static String require(Document d, String field) {
        String v = d.get(field);
        if (v == null) {
            throw new IllegalStateException("no " + field);
        }
        return v;
    }

    private static int num(Document d, String field) {
        IndexableField f = d.getField(field);
        if (f == null || f.numericValue() == null) {
            throw new IllegalStateException("no " + field);
        }
        return f.numericValue().intValue();
    }

    private static long time(Document d, String field) {
        IndexableField f = d.getField(field);
        if (f == null || f.numericValue() == null) {
            throw new IllegalStateException("no " + field);
        }
        return f.numericValue().longValue();
    }

    /** The chunk documents of one note, in a row in one segment. */
    private static final class Block {
        final String id;
        final boolean inBrokenSegment;
        final List<Chunk> chunks = new ArrayList<>();
        int unreadable;

        Block(String id, boolean inBrokenSegment) {
            this.id = id;
            this.inBrokenSegment = inBrokenSegment;
        }

        void add(Chunk c) {
            chunks.add(c);
        }
    }

    /** Sound, rebuildable or lost (see the class comment). */
    private void judge(Block b) {
        Chunk head = null;
        int heads = 0;
        for (Chunk c : b.chunks) {
            if (c.body != null) {
                heads++;
                head = c;
            }
        }
        String name = "note '" + b.id + "'" + (b.chunks.isEmpty() ? "" : " (" + abbreviate(b.chunks.get(0).title) + ")");
        List<String> wrong = new ArrayList<>();
        if (b.unreadable > 0 && !b.inBrokenSegment) {
            wrong.add(b.unreadable + " of its chunks cannot be read");
        }
        if (heads == 0) {
            if (!b.inBrokenSegment) {
                problem(name + ": its first chunk, which holds the note's text, is missing");
            }
            lost(b.id, b.chunks.isEmpty() ? "" : b.chunks.get(0).title);
            return;
        }
        if (heads > 1) {
            wrong.add("it has " + heads + " first chunks");
        }
        // which version of the note: the first chunk's (the one with the text)
        int n = head.nchunks;
        String body = head.body;
        int[] copies = new int[Math.max(0, Math.min(n, 100_000))];
        boolean consistent = n >= 1 && n <= 100_000;
        for (Chunk c : b.chunks) {
            if (c.ord < 0 || c.ord >= copies.length || c.nchunks != n) {
                wrong.add("chunk " + c.ord + " says the note has " + c.nchunks + " chunks, the first says " + n);
                consistent = false;
                continue;
            }
            copies[c.ord]++;
            if (c.start < 0 || c.end > body.length() || c.start > c.end
                    || !body.regionMatches(c.start, c.text, 0, c.text.length()) || c.end - c.start != c.text.length()) {
                wrong.add("chunk " + c.ord + "'s text is not the note's text at [" + c.start + ", " + c.end + ")");
                consistent = false;
            }
            if (!c.title.equals(head.title) || !c.tags.equals(head.tags) || c.created != head.created
                    || c.updated != head.updated) {
                wrong.add("chunk " + c.ord + "'s title, tags or dates differ from the first chunk's");
                consistent = false;
            }
            if (c.vector != null) {
                wrong.add("chunk " + c.ord + " " + c.vector);
            }
        }
        for (int i = 0; i < copies.length; i++) {
            if (copies[i] == 0) {
                wrong.add("chunk " + i + " of " + n + " is missing");
            } else if (copies[i] > 1) {
                wrong.add("chunk " + i + " is there " + copies[i] + " times");
            }
        }
        if (!seen.add(b.id) || rebuild.containsKey(b.id)) {
            wrong.add("the note is in the index more than once");
        }
        Note note;
        try {
            note = new Note(b.id, head.title, body, head.tags, head.source == null ? "" : head.source,
                    Instant.ofEpochMilli(head.created), Instant.ofEpochMilli(head.updated));
        } catch (IllegalArgumentException e) {
            problem(name + ": " + e.getMessage());
            lost(b.id, head.title);
            return;
        }
        if (b.inBrokenSegment && (!consistent || b.unreadable > 0)) {
            lost(b.id, head.title); // what was read of it cannot be trusted
            return;
        }
        if (!b.inBrokenSegment && wrong.isEmpty()) {
            sound++;
            return;
        }
        if (!b.inBrokenSegment) {
            problem(name + ": " + String.join("; ", wrong));
        }
        Rebuild previous = rebuild.get(b.id);
        if (previous == null || previous.note().updated().isBefore(note.updated())) {
            rebuild.put(b.id, new Rebuild(note, head.fingerprint == null ? "" : head.fingerprint));
        }
        lost.remove(b.id);
    }

    private void lost(String id, String title) {
        if (!rebuild.containsKey(id)) {
            lost.putIfAbsent(id, title);
        }
    }

    private void problem(String p) {
        problemCount++;
        if (problems.size() < IndexCheck.MAX_PROBLEMS) {
            problems.add(p);
        }
    }

    private IndexCheck report(boolean repaired, Optional<Path> backup) {
        List<IndexCheck.NoteRef> refs = new ArrayList<>();
        for (Map.Entry<String, String> e : lost.entrySet()) {
            if (refs.size() == IndexCheck.MAX_PROBLEMS) {
                break;
            }
            refs.add(new IndexCheck.NoteRef(e.getKey(), e.getValue()));
        }
        if (!lost.isEmpty() && problemCount == 0) {
            problemCount++; // lost notes are always a problem
        }
        return new IndexCheck(repaired, sound, rebuild.size(), lost.size(), unidentified, chunks, problems,
                problemCount, refs, backup, Optional.ofNullable(recorded));
    }

    /** A failure in words: damage as {@link LuceneNoteIndex#damage} says it, else its message. */
    private static String describe(Throwable e) {
        if (e == null) {
            return "unknown";
        }
        String d = LuceneNoteIndex.damage(e);
        if (d == null && e.getCause() != null) {
            d = LuceneNoteIndex.damage(e.getCause());
        }
        if (d != null) {
            return d;
        }
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + abbreviate(m.replaceAll("\\s+", " ")));
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /** Copies every file of the index (not its lock) into {@code backup}, which must not exist. */
    private static void copy(Path from, Path backup) throws IOException {
        if (Files.exists(backup)) {
            throw new IOException("backup folder " + backup + " exists already; name another one");
        }
        Files.createDirectories(backup);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.equals("write.lock") || name.startsWith(LuceneNoteIndex.HOLDER_FILE) || !Files.isRegularFile(f)) {
                    continue;
                }
                Files.copy(f, backup.resolve(name));
            }
        }
        try (Directory b = FSDirectory.open(backup)) {
            b.sync(Arrays.asList(b.listAll()));
            b.syncMetaData();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * The index directory as read with another commit point: the segment files from the index, the
     * {@code segments_N} file from memory (and nothing written to the index).
     */
    private static final class SegmentView extends FilterDirectory {
        private final Directory memory;

        SegmentView(Directory fs, Directory memory) {
            super(fs);
            this.memory = memory;
        }

        private boolean inMemory(String name) throws IOException {
            return Arrays.asList(memory.listAll()).contains(name);
        }

        @Override
        public String[] listAll() throws IOException {
            List<String> names = new ArrayList<>();
            for (String n : in.listAll()) {
                if (!n.startsWith("segments") && !n.startsWith("pending_segments")) {
                    names.add(n);
                }
            }
            names.addAll(Arrays.asList(memory.listAll()));
            names.sort(null);
            return names.toArray(String[]::new);
        }

        @Override
        public IndexInput openInput(String name, IOContext context) throws IOException {
            return inMemory(name) ? memory.openInput(name, context) : in.openInput(name, context);
        }

        @Override
        public long fileLength(String name) throws IOException {
            return inMemory(name) ? memory.fileLength(name) : in.fileLength(name);
        }

        @Override
        public void close() {
            // the index's directory is closed by its owner
        }

        @Override
        public String toString() {
            return "SegmentView(" + in + ")";
        }
    }

    /** For messages: "1,204". */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
