package dev.pocketrag.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.request.EmbeddingInput;
import dev.langchain4j.model.embedding.request.EmbeddingInputType;
import dev.langchain4j.model.embedding.request.EmbeddingParameter;
import dev.langchain4j.model.embedding.request.EmbeddingRequest;
import dev.langchain4j.model.embedding.request.EmbeddingRequestParameters;
import dev.langchain4j.model.embedding.response.EmbeddingResponse;
import dev.langchain4j.model.embedding.response.EmbeddingResponseMetadata;
import dev.langchain4j.model.output.Response;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * pocketrag's embedders as a LangChain4j {@link EmbeddingModel}: the int8 MiniLM by default (384
 * dimensions, unit length), or {@code bge-small} / {@code e5-small}, in-process, offline.
 *
 * <pre>{@code
 * try (PocketragEmbeddingModel model = PocketragEmbeddingModel.miniLm()) {
 *     Embedding e = model.embed("When does the car insurance renew?").content();   // 384 floats
 * }
 * }</pre>
 *
 * <p>Texts are embedded as passages ({@link Embedder#embedAll}); a request whose {@link
 * EmbeddingRequest#inputType()} is {@link EmbeddingInputType#QUERY} embeds them as search queries
 * ({@link Embedder#embedQuery}), which matters for the models trained with query prefixes (bge, e5).
 * Thread-safe. {@link #close()} closes the embedder if this model made it; idempotent.
 */
public final class PocketragEmbeddingModel implements EmbeddingModel, AutoCloseable {
    private final Embedder embedder;
    private final boolean owned;
    private final AtomicBoolean closed = new AtomicBoolean();

    private PocketragEmbeddingModel(Embedder embedder, boolean owned) {
        this.embedder = Objects.requireNonNull(embedder, "embedder");
        this.owned = owned;
    }

    /**
     * The built-in int8 all-MiniLM-L6-v2, loaded now from the classpath.
     *
     * @return a model that closes its embedder with {@link #close()}
     */
    public static PocketragEmbeddingModel miniLm() {
        return new PocketragEmbeddingModel(Embedders.miniLm(), true);
    }

    /**
     * A built-in embedder by name.
     *
     * @param name {@code minilm}, {@code bge-small} or {@code e5-small} ({@link Embedders#names()})
     * @return a model that closes its embedder with {@link #close()}
     * @throws IllegalArgumentException if there is no built-in embedder of that name (the message
     *     names it and the choices)
     */
    public static PocketragEmbeddingModel named(String name) {
        return new PocketragEmbeddingModel(Embedders.named(name), true);
    }

    /**
     * An embedder the caller owns (e.g. a notebook's {@code embedder()}); {@link #close()} leaves it open.
     *
     * @param embedder the embedder
     * @return the adapter
     */
    public static PocketragEmbeddingModel of(Embedder embedder) {
        return new PocketragEmbeddingModel(embedder, false);
    }

    /**
     * The pocketrag embedder behind this model.
     *
     * @return the embedder
     */
    public Embedder embedder() {
        return embedder;
    }

    /** Embeds the segments' texts as passages, in order. */
    @Override
    public Response<List<Embedding>> embedAll(List<TextSegment> textSegments) {
        Objects.requireNonNull(textSegments, "textSegments");
        List<String> texts = new ArrayList<>(textSegments.size());
        for (int i = 0; i < textSegments.size(); i++) {
            TextSegment s = Objects.requireNonNull(textSegments.get(i), () -> "textSegments[" + texts.size() + "]");
            texts.add(s.text());
        }
        return Response.from(wrap(embedder.embedAll(texts)));
    }

    /** Embeds the inputs as passages, or as queries when the request says {@code QUERY}. */
    @Override
    public EmbeddingResponse doEmbed(EmbeddingRequest request) {
        List<String> texts = new ArrayList<>();
        for (EmbeddingInput input : request.inputs()) {
            texts.add(input.text());
        }
        List<float[]> vectors;
        if (request.inputType() == EmbeddingInputType.QUERY) {
            vectors = new ArrayList<>(texts.size());
            for (String t : texts) {
                vectors.add(embedder.embedQuery(t));
            }
        } else {
            vectors = embedder.embedAll(texts);
        }
        return EmbeddingResponse.builder().embeddings(wrap(vectors))
                .metadata(EmbeddingResponseMetadata.builder().modelName(modelName()).build()).build();
    }

    /** The one per-call parameter honoured: the input type (queries or passages). */
    @Override
    public Set<EmbeddingParameter<?>> supportedParameters() {
        return Set.of(EmbeddingRequestParameters.INPUT_TYPE);
    }

    private static List<Embedding> wrap(List<float[]> vectors) {
        List<Embedding> out = new ArrayList<>(vectors.size());
        for (float[] v : vectors) {
            out.add(Embedding.from(v));
        }
        return out;
    }

    /** The number of dimensions of every vector (384 for the built-in models). */
    @Override
    public int dimension() {
        return embedder.dimension();
    }

    /** The embedder's model id, e.g. {@code all-minilm-l6-v2-q}. */
    @Override
    public String modelName() {
        return embedder.modelId();
    }

    /** Closes the embedder if this model made it ({@link #miniLm()}, {@link #named}); idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && owned) {
            embedder.close();
        }
    }
}
