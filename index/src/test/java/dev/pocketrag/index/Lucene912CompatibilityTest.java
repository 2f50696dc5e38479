package dev.pocketrag.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.apache.lucene.index.CheckIndex;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An index written by Lucene 9.12.3 (src/test/resources/lucene912-fixture, made by
 * index/fixture-gen, see its javadoc for the contents) opens, searches and takes new notes
 * through lucene-backward-codecs.
 */
class Lucene912CompatibilityTest {
    @TempDir
    Path dir;

    static final IndexOptions OPTIONS = IndexOptions.of("fixture-model@1", 8);

    @BeforeEach
    void copyFixture() throws IOException {
        Path src = Path.of("src/test/resources/lucene912-fixture");
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : files.toList()) {
                try (InputStream in = Files.newInputStream(f)) {
                    Files.copy(in, dir.resolve(f.getFileName().toString()));
                }
            }
        }
    }

    /** The generator's vector formula: normalised cos((8 * (2i + c) + d) * 0.7), d in 0..7. */
    static float[] vector(int i, int c) {
        float[] v = new float[8];
        double sq = 0;
        for (int d = 0; d < 8; d++) {
            v[d] = (float) Math.cos((8 * (2 * i + c) + d) * 0.7);
            sq += v[d] * v[d];
        }
        for (int d = 0; d < 8; d++) {
            v[d] = (float) (v[d] / Math.sqrt(sq));
        }
        return v;
    }

    @Test
    void the_fixture_really_was_written_by_lucene_9() throws IOException {
        try (FSDirectory d = FSDirectory.open(dir)) {
            SegmentInfos infos = SegmentInfos.readLatestCommit(d);
            assertEquals(9, infos.getIndexCreatedVersionMajor());
            assertEquals("9.12.3", infos.getMinSegmentLuceneVersion().toString());
            assertEquals(2, infos.size());
        }
    }

    @Test
    void a_lucene_912_index_opens_searches_and_takes_new_notes() throws IOException {
        try (NoteIndex index = NoteIndex.open(dir, OPTIONS)) {
            IndexStats s = index.stats();
            assertEquals(12, s.notes());
            assertEquals(18, s.chunks()); // notes 1, 3, ..., 11 have two chunks
            Note n0 = index.get("note-0").orElseThrow();
            assertEquals("Fixture note 0 about lighthouse replaced", n0.title());
            assertEquals(List.of("fixture", "group-0"), n0.tags());
            assertEquals(Instant.parse("2024-01-01T00:00:00Z"), n0.created());

            List<SearchHit> bm = index.search(SearchRequest.bm25("glaciers", 3)); // stemmed
            assertEquals("note-2", bm.get(0).noteId());

            List<SearchHit> knn = index.search(SearchRequest.dense(vector(7, 1), 1));
            assertEquals("note-7", knn.get(0).noteId());
            assertEquals(1, knn.get(0).chunkOrdinal());
            assertEquals("A second chunk mentions monsoon again.", knn.get(0).chunkText());
            assertEquals(1.0, knn.get(0).score(), 1e-5);
            // chunk 1 of an old note has no source of its own: the hit reads chunk 0's
            assertEquals("fixture:note-7", knn.get(0).source());
            assertEquals(index.get("note-7").orElseThrow().created(), knn.get(0).created());
            // written before chunks had a location: none, not an error
            assertEquals(0, knn.get(0).page());
            assertEquals("", knn.get(0).section());
            index.chunks("note-7").forEach(c -> assertEquals(0, c.page()));

            // filter inside kNN on the old segments: nearest to note 7 among group-2 notes
            List<SearchHit> filtered = index.search(SearchRequest.dense(vector(7, 1), 20)
                    .withFilter(SearchFilter.tags("group-2")).groupedByNote());
            assertEquals(4, filtered.size()); // notes 2, 5, 8, 11
            filtered.forEach(h -> assertTrue(h.tags().contains("group-2"), h.toString()));

            index.put(new ChunkedNote(Note.of("new", "Written by Lucene 10", "A lighthouse keeper's log."),
                    List.of(new Chunk(0, 0, 26, "A lighthouse keeper's log.", "Written by Lucene 10\nA lighthouse keeper's log.")),
                    List.of(vector(20, 0))));
            index.put(new ChunkedNote(index.get("note-3").orElseThrow().withBody("short", Instant.now()),
                    List.of(new Chunk(0, 0, 5, "short", "short")), List.of(vector(3, 0))));
        }
        try (FSDirectory d = FSDirectory.open(dir); CheckIndex check = new CheckIndex(d)) {
            assertTrue(check.checkIndex().clean);
        }
        try (NoteIndex index = NoteIndex.open(dir, OPTIONS)) {
            assertEquals(13, index.stats().notes());
            assertEquals(18, index.stats().chunks()); // +1 new, note-3 lost a chunk
            List<SearchHit> bm = index.search(SearchRequest.bm25("lighthouse", 5));
            assertEquals(List.of("new", "note-0"), bm.stream().map(SearchHit::noteId).sorted().toList());
        }
    }

    @Test
    void the_fixture_refuses_another_model() {
        assertThrows(ModelMismatchException.class, () -> NoteIndex.open(dir, IndexOptions.of("other", 8)));
    }
}
