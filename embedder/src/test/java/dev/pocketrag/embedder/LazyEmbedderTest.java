package dev.pocketrag.embedder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.embedder.internal.LazyEmbedder;
import dev.pocketrag.embedder.internal.OnnxEmbedder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LazyEmbedderTest {

    @Test
    void the_built_in_model_is_described_without_loading_it_and_embeds_like_the_eager_one() {
        try (Embedder eager = Embedders.miniLm(); Embedder lazy = Embedders.miniLmOnFirstUse()) {
            long sessions = OnnxEmbedder.sessionsCreated();
            // the eager embedder hashes the model bytes and probes the model: the reference
            assertEquals(eager.modelId(), lazy.modelId());
            assertEquals(eager.dimension(), lazy.dimension());
            assertEquals(eager.maxTokens(), lazy.maxTokens());
            assertEquals(sessions, OnnxEmbedder.sessionsCreated(), "describing the model loads nothing");
            assertFalse(((LazyEmbedder) lazy).isLoaded());

            assertArrayEquals(eager.embed("Flight to Lisbon at 07:45"), lazy.embed("Flight to Lisbon at 07:45"));
            assertEquals(sessions + 1, OnnxEmbedder.sessionsCreated(), "the first embedding loads the model once");
            assertEquals(eager.countTokens("naïve café"), lazy.countTokens("naïve café"));
            assertEquals(sessions + 1, OnnxEmbedder.sessionsCreated());
        }
    }

    @Test
    void the_known_sha256_and_crc32_are_those_of_the_model_file_in_the_jar() throws Exception {
        byte[] onnx;
        try (var in = Embedders.class.getClassLoader().getResourceAsStream(Embedders.MINILM_ONNX)) {
            onnx = in.readAllBytes();
        }
        assertEquals(Embedders.MINILM_SHA256, java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(onnx)));
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(onnx);
        assertEquals(Embedders.MINILM_CRC32, crc.getValue());
    }

    @Test
    void an_unpacked_copy_of_the_model_is_read_only_if_it_is_the_same_file(@TempDir Path dir) throws Exception {
        Path copy = dir.resolve("minilm.onnx");
        Embedders.unpackMiniLm(copy);
        String before = System.getProperty(Embedders.MINILM_FILE_PROPERTY);
        try {
            System.setProperty(Embedders.MINILM_FILE_PROPERTY, copy.toString());
            assertEquals(copy.toString(), Embedders.knownMiniLm().source());
            byte[] b = Files.readAllBytes(copy);
            b[b.length / 2] ^= 1; // one bit off: another file
            Files.write(copy, b);
            assertEquals("classpath:" + Embedders.MINILM_ONNX, Embedders.knownMiniLm().source());
            System.setProperty(Embedders.MINILM_FILE_PROPERTY, dir.resolve("missing.onnx").toString());
            assertEquals("classpath:" + Embedders.MINILM_ONNX, Embedders.knownMiniLm().source());
        } finally {
            if (before == null) {
                System.clearProperty(Embedders.MINILM_FILE_PROPERTY);
            } else {
                System.setProperty(Embedders.MINILM_FILE_PROPERTY, before);
            }
        }
    }

    @Test
    void refuses_a_loaded_model_that_is_not_the_declared_one_and_closes_it() {
        Fake fake = new Fake("minilm@sha256:bbbb", 384, 256);
        LazyEmbedder lazy = new LazyEmbedder("minilm@sha256:aaaa", 384, 256, () -> fake);
        assertEquals("minilm@sha256:aaaa", lazy.modelId());
        EmbedderException e = assertThrows(EmbedderException.class, () -> lazy.embed("x"));
        assertTrue(e.getMessage().contains("minilm@sha256:bbbb") && e.getMessage().contains("minilm@sha256:aaaa"),
                e.getMessage());
        assertTrue(fake.closed);

        Fake otherDim = new Fake("m", 768, 256);
        LazyEmbedder wrongDim = new LazyEmbedder("m", 384, 256, () -> otherDim);
        EmbedderException d = assertThrows(EmbedderException.class, () -> wrongDim.countTokens("x"));
        assertTrue(d.getMessage().contains("dimension 768, expected 384"), d.getMessage());
    }

    @Test
    void concurrent_first_calls_load_once_and_close_is_idempotent() throws Exception {
        AtomicInteger loads = new AtomicInteger();
        List<Fake> made = new ArrayList<>();
        LazyEmbedder lazy = new LazyEmbedder("m", 3, 8, () -> {
            loads.incrementAndGet();
            Fake f = new Fake("m", 3, 8);
            synchronized (made) {
                made.add(f);
            }
            return f;
        });
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<float[]>> fs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                fs.add(pool.submit(() -> {
                    start.await();
                    return lazy.embed("t");
                }));
            }
            start.countDown();
            for (Future<float[]> f : fs) {
                assertArrayEquals(new float[] {1, 2, 3}, f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, loads.get());
        lazy.close();
        lazy.close();
        assertTrue(made.get(0).closed);
        assertThrows(IllegalStateException.class, () -> lazy.embed("t"));
    }

    @Test
    void a_closed_embedder_never_loads_and_bad_declarations_are_refused() {
        AtomicInteger loads = new AtomicInteger();
        LazyEmbedder lazy = new LazyEmbedder("m", 3, 8, () -> {
            loads.incrementAndGet();
            return new Fake("m", 3, 8);
        });
        lazy.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> lazy.embedQuery("q"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertEquals(0, loads.get());

        IllegalArgumentException dim = assertThrows(IllegalArgumentException.class,
                () -> new LazyEmbedder("m", 0, 8, () -> null));
        assertTrue(dim.getMessage().contains("dimension=0"), dim.getMessage());
        IllegalArgumentException max = assertThrows(IllegalArgumentException.class,
                () -> new LazyEmbedder("m", 3, -1, () -> null));
        assertTrue(max.getMessage().contains("maxTokens=-1"), max.getMessage());
    }

    @Test
    void a_background_load_is_the_only_load_and_the_first_use_waits_for_it() throws Exception {
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        LazyEmbedder lazy = new LazyEmbedder("m", 3, 8, () -> {
            loads.incrementAndGet();
            await(release);
            return new Fake("m", 3, 8);
        });
        assertTrue(lazy == lazy.loadInBackground());
        lazy.loadInBackground(); // started already: no second load
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<float[]> first = pool.submit(() -> lazy.embed("t"));
            assertFalse(lazy.isLoaded(), "the loader is held");
            release.countDown();
            assertArrayEquals(new float[] {1, 2, 3}, first.get());
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, loads.get());
        lazy.close();
    }

    @Test
    void closing_while_the_model_loads_in_the_background_waits_for_the_load_and_closes_what_it_made()
            throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean loadEnded = new java.util.concurrent.atomic.AtomicBoolean();
        Fake fake = new Fake("m", 3, 8);
        LazyEmbedder lazy = new LazyEmbedder("m", 3, 8, () -> {
            entered.countDown();
            await(release);
            loadEnded.set(true);
            return fake;
        }).loadInBackground();
        await(entered);
        java.util.concurrent.atomic.AtomicBoolean endedBeforeCloseReturned = new java.util.concurrent.atomic.AtomicBoolean();
        Thread closer = new Thread(() -> {
            lazy.close();
            endedBeforeCloseReturned.set(loadEnded.get());
        }, "closer");
        closer.start();
        // close() must block while the loader is held: the closer waits (or, if close did not wait, ends)
        while (closer.getState() != Thread.State.WAITING && closer.getState() != Thread.State.TIMED_WAITING
                && closer.getState() != Thread.State.TERMINATED) {
            Thread.onSpinWait();
        }
        release.countDown();
        closer.join(30_000);
        assertFalse(closer.isAlive(), "close returned once the load ended");
        assertTrue(endedBeforeCloseReturned.get(), "close returned before the load under way ended");
        assertTrue(fake.closedLatch.await(30, java.util.concurrent.TimeUnit.SECONDS), "what the load made is closed");
        assertThrows(IllegalStateException.class, () -> lazy.embed("t"));
    }

    @Test
    void a_failed_load_is_reported_to_the_caller_and_tried_again_on_the_next_call() {
        AtomicInteger loads = new AtomicInteger();
        LazyEmbedder lazy = new LazyEmbedder("m", 3, 8, () -> {
            if (loads.incrementAndGet() == 1) {
                throw new EmbedderException("model resource missing");
            }
            return new Fake("m", 3, 8);
        });
        EmbedderException e = assertThrows(EmbedderException.class, () -> lazy.embed("t"));
        assertEquals("model resource missing", e.getMessage());
        assertArrayEquals(new float[] {1, 2, 3}, lazy.embed("t"));
        assertEquals(2, loads.get());
        lazy.close();
    }

    static void await(CountDownLatch l) {
        try {
            if (!l.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("test latch not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** An embedder that returns {1, 2, 3} for everything. */
    static final class Fake implements Embedder {
        final String id;
        final int dim;
        final int max;
        volatile boolean closed;
        final CountDownLatch closedLatch = new CountDownLatch(1);

        Fake(String id, int dim, int max) {
            this.id = id;
            this.dim = dim;
            this.max = max;
        }

        @Override
        public float[] embed(String text) {
            if (closed) {
                throw new IllegalStateException("closed");
            }
            return new float[] {1, 2, 3};
        }

        @Override
        public Embedding embedWithInfo(String text) {
            return new Embedding(embed(text), 1, 1);
        }

        @Override
        public List<float[]> embedAll(List<String> texts) {
            return texts.stream().map(this::embed).toList();
        }

        @Override
        public int dimension() {
            return dim;
        }

        @Override
        public int maxTokens() {
            return max;
        }

        @Override
        public String modelId() {
            return id;
        }

        @Override
        public int countTokens(String text) {
            return 1;
        }

        @Override
        public void close() {
            closed = true;
            closedLatch.countDown();
        }
    }
}
