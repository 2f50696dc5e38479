package dev.pocketrag.langchain4j;

import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.EmbeddingSearchResult;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.embedding.filter.Filter;
import dev.pocketrag.index.Chunk;
import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.IndexOptions;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.index.SearchRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * pocketrag's note index (Lucene HNSW + BM25 on local disk) as a LangChain4j {@link EmbeddingStore}
 * of {@link TextSegment}s.
 *
 * <pre>{@code
 * try (PocketragEmbeddingModel model = PocketragEmbeddingModel.miniLm();
 *      PocketragEmbeddingStore store = PocketragEmbeddingStore.open(Path.of("lc4j-index"), model)) {
 *     TextSegment s = TextSegment.from("Check-in at the Kyoto hotel is at 15:00.",
 *             Metadata.from("title", "Kyoto").put("tags", "travel,japan"));
 *     String id = store.add(model.embed(s).content(), s);
 *     List<EmbeddingMatch<TextSegment>> found = store.search(EmbeddingSearchRequest.builder()
 *             .queryEmbedding(model.embed("hotel check-in time").content())
 *             .filter(new IsEqualTo("tag", "travel")).maxResults(3).build()).matches();
 *     store.remove(id);
 * }
 * }</pre>
 *
 * <p>Each segment is one note of one chunk, stored with the vector it is given. Its metadata keys
 * {@value #TITLE}, {@value #TAGS} (comma-separated), {@value #SOURCE}, {@value #CREATED} and {@value
 * #UPDATED} (ISO-8601 instants or epoch milliseconds; default: now) become the note's fields, and a
 * search gives them back (with {@value #NOTE_ID}); other keys are not kept. The vectors must be unit
 * length with the index's dimension (those of {@link PocketragEmbeddingModel} are). Filters are
 * applied inside the kNN search: tags, and time ranges on created/updated (see {@code Filters}); an
 * unsupported one throws {@link dev.langchain4j.exception.UnsupportedFeatureException} naming it.
 * Scores are LangChain4j's relevance, {@code (1 + cosine) / 2}. Every add and remove is durable
 * (committed) when it returns. Thread-safe; {@link #close()} closes the index if this store opened it,
 * idempotent. I/O errors are thrown as {@link UncheckedIOException}.
 */
public final class PocketragEmbeddingStore implements EmbeddingStore<TextSegment>, AutoCloseable {
    /** Metadata key: the note's title. */
    public static final String TITLE = "title";
    /** Metadata key: the note's tags, comma-separated ({@code "travel,japan"}). */
    public static final String TAGS = "tags";
    /** Metadata key: where the text came from (a path or URL). */
    public static final String SOURCE = "source";
    /** Metadata key: when the note was created, an ISO-8601 instant (epoch milliseconds accepted on input). */
    public static final String CREATED = "created";
    /** Metadata key: when the note was last updated, as {@link #CREATED}. */
    public static final String UPDATED = "updated";
    /** Metadata key of search results: the note's id (the embedding id). */
    public static final String NOTE_ID = "note_id";

    private final NoteIndex index;
    private final boolean owned;
    private final AtomicBoolean closed = new AtomicBoolean();

    private PocketragEmbeddingStore(NoteIndex index, boolean owned) {
        this.index = Objects.requireNonNull(index, "index");
        this.owned = owned;
    }

    /**
     * Opens (or creates) a note index in {@code directory} for the vectors of {@code model}; an index
     * made for another model is refused.
     *
     * @param directory the index folder
     * @param model the embedding model whose vectors go in (its id, dimension and recipe are recorded)
     * @return a store that closes the index with {@link #close()}
     * @throws UncheckedIOException if the index cannot be opened
     */
    public static PocketragEmbeddingStore open(Path directory, PocketragEmbeddingModel model) {
        IndexOptions options = IndexOptions.of(model.embedder().modelId(), model.dimension())
                .withRecipe(model.embedder().recipe());
        try {
            return new PocketragEmbeddingStore(NoteIndex.open(directory, options), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the note index in " + directory + ": " + e.getMessage(), e);
        }
    }

    /**
     * A store over an index the caller opened and closes.
     *
     * @param index the index
     * @return the adapter
     */
    public static PocketragEmbeddingStore of(NoteIndex index) {
        return new PocketragEmbeddingStore(index, false);
    }

    /** Adds a note without text under a new random id; returns the id. */
    @Override
    public String add(Embedding embedding) {
        String id = UUID.randomUUID().toString();
        add(id, embedding);
        return id;
    }

    /** Adds (or replaces) a note without text under {@code id}. */
    @Override
    public void add(String id, Embedding embedding) {
        addAll(List.of(id), List.of(embedding), null);
    }

    /** Adds the segment as a note under a new random id; returns the id. */
    @Override
    public String add(Embedding embedding, TextSegment textSegment) {
        String id = UUID.randomUUID().toString();
        addAll(List.of(id), List.of(embedding), List.of(textSegment));
        return id;
    }

    /** Adds notes without text under new random ids; returns the ids in order. */
    @Override
    public List<String> addAll(List<Embedding> embeddings) {
        List<String> ids = generateIds(embeddings.size());
        addAll(ids, embeddings, null);
        return ids;
    }

    /**
     * Adds (or replaces, by id) one note per embedding, all validated before any is written.
     *
     * @param ids the notes' ids
     * @param embeddings one vector each
     * @param segments one text each (with the metadata above), or null: notes without text
     */
    @Override
    public void addAll(List<String> ids, List<Embedding> embeddings, List<TextSegment> segments) {
        Objects.requireNonNull(ids, "ids");
        Objects.requireNonNull(embeddings, "embeddings");
        if (ids.size() != embeddings.size() || (segments != null && segments.size() != ids.size())) {
            throw new IllegalArgumentException("ids, embeddings and segments differ in size: " + ids.size() + ", "
                    + embeddings.size() + ", " + (segments == null ? "none" : segments.size()));
        }
        List<ChunkedNote> notes = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            TextSegment s = segments == null ? null : segments.get(i);
            Note note = toNote(Objects.requireNonNull(ids.get(i), "ids[" + i + "]"), s);
            String text = note.body();
            float[] v = Objects.requireNonNull(embeddings.get(i), "embeddings[" + i + "]").vector();
            notes.add(new ChunkedNote(note, List.of(new Chunk(0, 0, text.length(), text, text)), List.of(v)));
        }
        write(() -> index.putAll(notes));
    }

    static Note toNote(String id, TextSegment s) {
        Instant now = Instant.now();
        if (s == null) {
            return new Note(id, "", "", List.of(), "", now, now);
        }
        Metadata m = s.metadata();
        String tags = string(m, TAGS);
        List<String> tagList = tags.isBlank() ? List.of()
                : Arrays.stream(tags.split(",")).map(String::strip).filter(t -> !t.isEmpty()).toList();
        Instant created = instant(m, CREATED, now);
        Instant updated = instant(m, UPDATED, created.isAfter(now) ? created : now);
        return new Note(id, string(m, TITLE), s.text(), tagList, string(m, SOURCE), created, updated);
    }

    private static String string(Metadata m, String key) {
        Object v = m.toMap().get(key);
        return v == null ? "" : v.toString();
    }

    private static Instant instant(Metadata m, String key, Instant otherwise) {
        Object v = m.toMap().get(key);
        if (v == null) {
            return otherwise;
        }
        if (v instanceof Long || v instanceof Integer) {
            return Instant.ofEpochMilli(((Number) v).longValue());
        }
        try {
            return Instant.parse(v.toString());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("metadata '" + key + "' must be an ISO-8601 instant such as "
                    + "2026-04-29T08:00:00Z or epoch milliseconds, got '" + v + "'", e);
        }
    }

    /**
     * The nearest segments to the query embedding (kNN over the notes' vectors), filtered inside the
     * search, with a relevance of at least {@code minScore}.
     */
    @Override
    public EmbeddingSearchResult<TextSegment> search(EmbeddingSearchRequest request) {
        if (request.queryEmbedding() == null) {
            throw new IllegalArgumentException("pocketrag's embedding store searches by a query embedding, and this "
                    + "request has none (for a search by text use PocketragContentRetriever)");
        }
        SearchFilter filter = Filters.toSearchFilter(request.filter());
        int k = Math.min(request.maxResults(), SearchRequest.MAX_K);
        SearchRequest r = SearchRequest.dense(request.queryEmbedding().vector(), k).withFilter(filter);
        List<EmbeddingMatch<TextSegment>> matches = new ArrayList<>();
        try {
            for (SearchHit h : index.search(r)) {
                if (h.score() < request.minScore()) {
                    continue;
                }
                Embedding stored = index.getChunked(h.noteId())
                        .map(c -> Embedding.from(c.vectors().getFirst())).orElse(null);
                matches.add(new EmbeddingMatch<>(h.score(), h.noteId(), stored, segment(h)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("search failed in " + index.path() + ": " + e.getMessage(), e);
        }
        return new EmbeddingSearchResult<>(matches);
    }

    /** A hit as a segment with the note's metadata (shared with {@link PocketragContentRetriever}). */
    static TextSegment segment(SearchHit h) {
        Metadata m = new Metadata().put(NOTE_ID, h.noteId()).put(CREATED, h.created().toString());
        if (!h.title().isEmpty()) {
            m.put(TITLE, h.title());
        }
        if (!h.tags().isEmpty()) {
            m.put(TAGS, String.join(",", h.tags()));
        }
        if (!h.source().isEmpty()) {
            m.put(SOURCE, h.source());
        }
        return TextSegment.from(h.chunkText(), m);
    }

    /** Removes the note with this id; nothing happens if there is none. */
    @Override
    public void remove(String id) {
        removeAll(List.of(Objects.requireNonNull(id, "id")));
    }

    /** Removes the notes with these ids (ids of no note are ignored). */
    @Override
    public void removeAll(Collection<String> ids) {
        List<String> copy = List.copyOf(ids);
        write(() -> index.deleteAll(copy));
    }

    /** Removes the notes the filter matches (tags, created/updated ranges; see the class comment). */
    @Override
    public void removeAll(Filter filter) {
        removeMatching(Filters.toSearchFilter(Objects.requireNonNull(filter, "filter")));
    }

    /** Removes every note. */
    @Override
    public void removeAll() {
        removeMatching(SearchFilter.NONE);
    }

    private void removeMatching(SearchFilter filter) {
        write(() -> {
            List<String> ids = new ArrayList<>();
            List<Note> page;
            while (!(page = index.list(filter, ids.size(), 1000)).isEmpty()) {
                page.forEach(n -> ids.add(n.id()));
            }
            index.deleteAll(ids);
        });
    }

    private interface IndexWrite {
        void run() throws IOException;
    }

    private void write(IndexWrite w) {
        try {
            w.run();
            index.commit();
        } catch (IOException e) {
            throw new UncheckedIOException("write failed in " + index.path() + ": " + e.getMessage(), e);
        }
    }

    /** Closes the index if {@link #open} opened it; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && owned) {
            try {
                index.close();
            } catch (IOException e) {
                throw new UncheckedIOException("closing " + index.path() + ": " + e.getMessage(), e);
            }
        }
    }
}
