package dev.pocketrag.langchain4j;

import dev.langchain4j.rag.content.Content;
import dev.langchain4j.rag.content.ContentMetadata;
import dev.langchain4j.rag.content.retriever.ContentRetriever;
import dev.langchain4j.rag.query.Query;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.SearchOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A notebook's hybrid search (meaning and words, fused by RRF) as a LangChain4j {@link
 * ContentRetriever}, for retrieval-augmented AI services.
 *
 * <pre>{@code
 * try (Notebook nb = Notebook.open(Path.of("notes-db"));
 *      GgufChatModel gguf = GgufChatModel.load(Path.of("model.gguf"))) {
 *     Assistant assistant = AiServices.builder(Assistant.class)
 *             .chatModel(PocketragChatModel.of(gguf))
 *             .contentRetriever(new PocketragContentRetriever(nb, SearchOptions.defaults().withK(3)))
 *             .build();
 *     String answer = assistant.chat("When does the car insurance renew?");
 * }
 * }</pre>
 *
 * <p>Each hit becomes a {@link Content} whose segment is the chunk's text with the note's metadata
 * ({@code note_id}, {@code title}, {@code tags}, {@code source}, {@code created}; see {@link
 * PocketragEmbeddingStore}) and whose content metadata has the fused {@code SCORE} and the note id as
 * {@code EMBEDDING_ID}, best first. The notebook is the caller's: this retriever never closes it.
 */
public final class PocketragContentRetriever implements ContentRetriever {
    private final Notebook notebook;
    private final SearchOptions options;

    /**
     * The top 5 chunks of a hybrid search, one per note.
     *
     * @param notebook the notebook to search
     */
    public PocketragContentRetriever(Notebook notebook) {
        this(notebook, SearchOptions.defaults().withK(5));
    }

    /**
     * A search as {@code options} say (how many hits, hybrid / dense / BM25, a tag or date filter,
     * one hit per note or not).
     *
     * @param notebook the notebook to search
     * @param options how to search
     */
    public PocketragContentRetriever(Notebook notebook, SearchOptions options) {
        this.notebook = Objects.requireNonNull(notebook, "notebook");
        this.options = Objects.requireNonNull(options, "options");
    }

    /**
     * Searches the notebook for the query's text.
     *
     * @throws UncheckedIOException if the index cannot be read
     */
    @Override
    public List<Content> retrieve(Query query) {
        List<SearchHit> hits;
        try {
            hits = notebook.search(query.text(), options);
        } catch (IOException e) {
            throw new UncheckedIOException("searching " + notebook.directory() + " failed: " + e.getMessage(), e);
        }
        List<Content> out = new ArrayList<>(hits.size());
        for (SearchHit h : hits) {
            out.add(Content.from(PocketragEmbeddingStore.segment(h),
                    Map.of(ContentMetadata.SCORE, h.score(), ContentMetadata.EMBEDDING_ID, h.noteId())));
        }
        return out;
    }
}
