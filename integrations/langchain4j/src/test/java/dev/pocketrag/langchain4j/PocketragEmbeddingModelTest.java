package dev.pocketrag.langchain4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.request.EmbeddingInput;
import dev.langchain4j.model.embedding.request.EmbeddingInputType;
import dev.langchain4j.model.embedding.request.EmbeddingRequest;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PocketragEmbeddingModelTest {

    @Test
    void gives_the_embedders_own_vectors_in_order() {
        try (Embedder direct = Embedders.miniLm(); PocketragEmbeddingModel model = PocketragEmbeddingModel.miniLm()) {
            List<String> texts = List.of("The car insurance renews on 1 June.", "Kyoto hotel check-in is at 15:00.");
            List<Embedding> got = model.embedAll(texts.stream().map(TextSegment::from).toList()).content();
            List<float[]> want = direct.embedAll(texts);
            assertEquals(2, got.size());
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(want.get(i), got.get(i).vector(), 1e-6f, "text " + i);
            }
            assertEquals(384, model.dimension());
            assertEquals(direct.modelId(), model.modelName());
            float[] v = model.embed("one text").content().vector();
            double norm = 0;
            for (float x : v) {
                norm += x * x;
            }
            assertEquals(1.0, Math.sqrt(norm), 1e-4, "unit length");
        }
    }

    /** Records which of its methods embedded what, with a vector telling passages from queries. */
    static final class Marking implements Embedder {
        final List<String> calls = new ArrayList<>();
        boolean closed;

        @Override
        public float[] embed(String text) {
            calls.add("passage:" + text);
            return new float[] {1, 0};
        }

        @Override
        public float[] embedQuery(String text) {
            calls.add("query:" + text);
            return new float[] {0, 1};
        }

        @Override
        public Embedder.Embedding embedWithInfo(String text) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<float[]> embedAll(List<String> texts) {
            return texts.stream().map(this::embed).toList();
        }

        @Override
        public int dimension() {
            return 2;
        }

        @Override
        public int maxTokens() {
            return 512;
        }

        @Override
        public String modelId() {
            return "marking";
        }

        @Override
        public int countTokens(String text) {
            return 1;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void query_requests_embed_as_queries_and_the_rest_as_passages() {
        Marking m = new Marking();
        PocketragEmbeddingModel model = PocketragEmbeddingModel.of(m);
        List<Embedding> q = model.embed(EmbeddingRequest.builder().inputs(List.of(EmbeddingInput.from("hotel?")))
                .inputType(EmbeddingInputType.QUERY).build()).embeddings();
        assertArrayEquals(new float[] {0, 1}, q.getFirst().vector());
        model.embed("a passage");
        model.embedAll(List.of(TextSegment.from("p1"), TextSegment.from("p2")));
        assertEquals(List.of("query:hotel?", "passage:a passage", "passage:p1", "passage:p2"), m.calls);
        model.close();
        assertFalse(m.closed, "an embedder given with of() stays open");
        PocketragEmbeddingModel owning = PocketragEmbeddingModel.named("minilm");
        owning.close();
        owning.close(); // idempotent
        assertTrue(owning.embedder() != null);
    }
}
