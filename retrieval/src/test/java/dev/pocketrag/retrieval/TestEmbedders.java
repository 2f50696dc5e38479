package dev.pocketrag.retrieval;

import dev.pocketrag.embedder.Embedder;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Embedders around a real one, for tests: another name, or counting what it embeds. */
final class TestEmbedders {
    private TestEmbedders() {}

    /** Delegates everything; does not close the delegate. */
    static class Delegating implements Embedder {
        final Embedder d;

        Delegating(Embedder d) {
            this.d = d;
        }

        @Override
        public float[] embed(String text) {
            return d.embed(text);
        }

        @Override
        public float[] embedQuery(String text) {
            return d.embedQuery(text);
        }

        @Override
        public Embedding embedWithInfo(String text) {
            return d.embedWithInfo(text);
        }

        @Override
        public List<float[]> embedAll(List<String> texts) {
            return d.embedAll(texts);
        }

        @Override
        public int dimension() {
            return d.dimension();
        }

        @Override
        public int maxTokens() {
            return d.maxTokens();
        }

        @Override
        public String modelId() {
            return d.modelId();
        }

        @Override
        public String recipe() {
            return d.recipe();
        }

        @Override
        public int countTokens(String text) {
            return d.countTokens(text);
        }

        @Override
        public void close() {}
    }

    /** The delegate's vectors under another model id and recipe: a model pocketrag does not have built in. */
    static final class Renamed extends Delegating {
        private final String id;
        private final String recipe;

        Renamed(Embedder d, String id, String recipe) {
            super(d);
            this.id = id;
            this.recipe = recipe;
        }

        @Override
        public String modelId() {
            return id;
        }

        @Override
        public String recipe() {
            return recipe;
        }
    }

    /** Counts the passages (not queries) it embeds. */
    static final class Counting extends Delegating {
        final AtomicLong passages = new AtomicLong();

        Counting(Embedder d) {
            super(d);
        }

        @Override
        public float[] embed(String text) {
            passages.incrementAndGet();
            return d.embed(text);
        }

        @Override
        public Embedding embedWithInfo(String text) {
            passages.incrementAndGet();
            return d.embedWithInfo(text);
        }

        @Override
        public List<float[]> embedAll(List<String> texts) {
            passages.addAndGet(texts.size());
            return d.embedAll(texts);
        }
    }
}
