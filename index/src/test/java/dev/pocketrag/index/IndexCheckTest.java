package dev.pocketrag.index;

import static dev.pocketrag.index.TestSupport.DIM;
import static dev.pocketrag.index.TestSupport.MODEL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NoMergePolicy;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** check and repair: damage is found, sound notes are kept, readable text is indexed again. */
class IndexCheckTest {
    @TempDir
    Path tmp;

    static final IndexOptions OPTIONS = IndexOptions.of(MODEL, DIM);

    /** Notes of a few chunks each (test tokenizer, 40-token chunks), seeded. */
    static List<Note> notes(Random rnd, String prefix, int n) {
        List<Note> out = new ArrayList<>();
        Instant t = Instant.parse("2025-03-01T10:00:00Z");
        for (int i = 0; i < n; i++) {
            out.add(new Note(prefix + i, "Title " + prefix + i, TestSupport.words(rnd, 30 + rnd.nextInt(120)),
                    List.of("t" + (i % 3)), "/notes/" + prefix + i + ".md", t.plusSeconds(i), t.plusSeconds(i + 60)));
        }
        return out;
    }

    static ChunkedNote chunked(Note n) {
        return TestSupport.chunked(n, TestSupport.axis(Math.abs(n.id().hashCode()) % DIM, DIM), 40);
    }

    /** An index of two segments (no merging), 20 notes each; returns the notes by id. */
    Map<String, Note> build(Path dir) throws IOException {
        Random rnd = new Random(Long.getLong("test.seed", 1));
        Map<String, Note> all = new HashMap<>();
        try (NoteIndex index = NoteIndex.open(dir, OPTIONS)) {
            for (String prefix : new String[] {"a", "b"}) {
                for (Note n : notes(rnd, prefix, 20)) {
                    index.put(chunked(n).withFingerprint("fp-" + n.id()));
                    all.put(n.id(), n);
                }
                index.commit(); // a segment each (20 small notes merge only past 10 segments)
            }
        }
        return all;
    }

    /**
     * The index {@link #build} makes, written with separate files per segment (not compound) so
     * that a test can damage the stored fields alone.
     */
    Map<String, Note> buildWithoutCompoundFiles(Path dir) throws IOException {
        Map<String, Note> all = build(tmp.resolve("model"));
        try (NoteIndex index = NoteIndex.open(tmp.resolve("model"), OPTIONS);
                Directory d = FSDirectory.open(dir);
                IndexWriter w = new IndexWriter(d, new IndexWriterConfig().setCodec(LuceneNoteIndex.codec(OPTIONS))
                        .setUseCompoundFile(false).setMergePolicy(NoMergePolicy.INSTANCE))) {
            for (String prefix : new String[] {"a", "b"}) {
                for (int i = 0; i < 20; i++) {
                    w.addDocuments(LuceneNoteIndex.documents(index.getChunked(prefix + i).orElseThrow()));
                }
                w.setLiveCommitData(Map.of(LuceneNoteIndex.UD_SCHEMA, LuceneNoteIndex.SCHEMA_VERSION,
                        LuceneNoteIndex.UD_MODEL, MODEL, LuceneNoteIndex.UD_DIMENSION, Integer.toString(DIM),
                        LuceneNoteIndex.UD_FORMAT, VectorFormat.INT8.name()).entrySet());
                w.commit();
            }
        }
        return all;
    }

    static IndexCheck repair(Path dir, Path backup, AtomicInteger reindexed) throws IOException {
        return NoteIndex.repair(dir, OPTIONS, backup, batch -> {
            reindexed.addAndGet(batch.size());
            return batch.stream().map(IndexCheckTest::chunked).toList();
        });
    }

    @Test
    void a_sound_index_and_a_missing_one_check_healthy_and_repair_touches_neither() throws Exception {
        Path dir = tmp.resolve("index");
        build(dir);
        IndexCheck c = NoteIndex.check(dir, OPTIONS);
        assertTrue(c.healthy(), c::toString);
        assertEquals(40, c.sound());
        assertEquals(c.chunks(), NoteIndex.openReadOnly(dir, OPTIONS).stats().chunks());
        IndexCheck r = repair(dir, tmp.resolve("backup"), new AtomicInteger());
        assertTrue(r.healthy() && r.backup().isEmpty(), r::toString);
        assertFalse(Files.exists(tmp.resolve("backup")), "nothing to repair: no backup written");
        assertTrue(NoteIndex.check(tmp.resolve("nowhere"), OPTIONS).healthy());
        assertFalse(Files.exists(tmp.resolve("nowhere")), "a check creates nothing");
    }

    @Test
    void check_finds_a_note_with_a_missing_chunk_and_repair_rebuilds_it_from_its_text() throws Exception {
        Path dir = tmp.resolve("index");
        Map<String, Note> notes = build(dir);
        String victim = "b7";
        int before;
        try (NoteIndex index = NoteIndex.open(dir, OPTIONS)) {
            before = index.chunks(victim).size();
        }
        assertTrue(before >= 3, "the note has chunks to lose: " + before);
        deleteChunk(dir, victim, 1);

        IndexCheck c = NoteIndex.check(dir, OPTIONS);
        assertFalse(c.healthy());
        assertEquals(List.of("note 'b7' (Title b7): chunk 1 of " + before + " is missing"), c.problems(), c::toString);
        assertEquals(39, c.sound());
        assertEquals(1, c.rebuilt());
        assertEquals(0, c.lost());

        AtomicInteger reindexed = new AtomicInteger();
        IndexCheck r = repair(dir, tmp.resolve("backup"), reindexed);
        assertEquals(1, reindexed.get(), "only the damaged note is embedded again");
        assertEquals(1, r.rebuilt());
        assertEquals(Optional.of(tmp.resolve("backup")), r.backup());
        assertTrue(NoteIndex.check(dir, OPTIONS).healthy(), "after the repair");
        try (NoteIndex index = NoteIndex.open(dir, OPTIONS)) {
            assertEquals(notes.get(victim), index.get(victim).orElseThrow());
            assertEquals(before, index.chunks(victim).size());
            assertEquals("fp-" + victim, index.fingerprint(victim).orElseThrow(), "its fingerprint is kept");
            assertEquals(40, index.stats().notes());
        }
        // the backup is the index as it was: a check finds the same damage there
        assertEquals(c.problems(), NoteIndex.check(tmp.resolve("backup"), OPTIONS).problems());
    }

    @Test
    void check_finds_a_flipped_byte_and_repair_keeps_every_note_it_can_read() throws Exception {
        Path dir = tmp.resolve("index");
        Map<String, Note> notes = build(dir);
        Path segment = largestSegmentFile(dir, "_1");
        byte[] bytes = Files.readAllBytes(segment);
        bytes[bytes.length / 2] ^= 0x10; // one bit, in the middle of the second segment
        Files.write(segment, bytes);

        IndexCheck c = NoteIndex.check(dir, OPTIONS);
        System.out.println("a flipped byte in " + segment.getFileName() + ": " + c);
        assertFalse(c.healthy(), c::toString);
        assertTrue(c.problems().get(0).startsWith("segment _1 (")
                && c.problems().get(0).contains("is damaged: file " + segment.getFileName()), c.problems().get(0));
        assertEquals(20, c.sound(), "the notes of the other segment are sound");
        assertEquals(20, c.rebuilt() + c.lost(), c::toString);

        IndexCheck r = repair(dir, tmp.resolve("backup"), new AtomicInteger());
        assertEquals(c.rebuilt(), r.rebuilt());
        assertEquals(c.lost(), r.lost());
        assertArrayEquals(bytes, Files.readAllBytes(tmp.resolve("backup").resolve(segment.getFileName())),
                "the backup holds the damaged file as it was");
        assertTrue(NoteIndex.check(dir, OPTIONS).healthy(), "after the repair");
        try (NoteIndex index = NoteIndex.open(dir, OPTIONS)) {
            assertEquals(20 + r.rebuilt(), index.stats().notes());
            for (Note n : notes.values()) {
                Optional<Note> now = index.get(n.id());
                boolean wasLost = r.lostNotes().stream().anyMatch(l -> l.id().equals(n.id()));
                assertEquals(!wasLost, now.isPresent(), n.id());
                now.ifPresent(got -> assertEquals(n, got, "a kept note is the note as it was"));
            }
        }
    }

    @Test
    void a_damaged_commit_point_is_a_typed_error_naming_the_file() throws Exception {
        Path dir = tmp.resolve("index");
        build(dir);
        Path segments;
        try (var s = Files.list(dir)) {
            segments = s.filter(p -> p.getFileName().toString().startsWith("segments_")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(segments);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(segments, bytes);
        DamagedIndexException e = assertThrows(DamagedIndexException.class, () -> NoteIndex.open(dir, OPTIONS));
        assertEquals("index " + dir + " is damaged: file " + segments.getFileName() + " failed its checksum",
                e.getMessage());
        assertThrows(DamagedIndexException.class, () -> NoteIndex.openReadOnly(dir, OPTIONS));
        IndexCheck c = NoteIndex.check(dir, OPTIONS);
        assertFalse(c.healthy());
        DamagedIndexException r = assertThrows(DamagedIndexException.class,
                () -> repair(dir, tmp.resolve("backup"), new AtomicInteger()));
        assertTrue(r.getMessage().contains("restore a backup"), r.getMessage());
    }

    @Test
    void an_index_in_use_is_not_checked() throws Exception {
        Path dir = tmp.resolve("index");
        try (NoteIndex held = NoteIndex.open(dir, OPTIONS)) {
            held.describeHolder("a test");
            IndexInUseException e = assertThrows(IndexInUseException.class, () -> NoteIndex.check(dir, OPTIONS));
            assertTrue(e.getMessage().endsWith(": a test)"), e.getMessage());
        }
    }

    /** Deletes one chunk document of a note, as a bug or a stray tool might. */
    static void deleteChunk(Path dir, String id, int ord) throws IOException {
        try (Directory d = FSDirectory.open(dir);
                IndexWriter w = new IndexWriter(d, new IndexWriterConfig()
                        .setCodec(LuceneNoteIndex.codec(OPTIONS)).setMergePolicy(NoMergePolicy.INSTANCE));
                DirectoryReader r = DirectoryReader.open(w)) {
            boolean done = false;
            for (LeafReaderContext leaf : r.leaves()) {
                var sf = leaf.reader().storedFields();
                for (int doc = 0; doc < leaf.reader().maxDoc() && !done; doc++) {
                    var document = sf.document(doc);
                    if (id.equals(document.get(LuceneNoteIndex.F_ID))
                            && document.getField(LuceneNoteIndex.F_ORD).numericValue().intValue() == ord) {
                        done = w.tryDeleteDocument(r, leaf.docBase + doc) >= 0;
                    }
                }
            }
            assertTrue(done, "found the chunk");
            w.commit();
        }
    }

    /** The largest file of a segment (its compound file, or its stored fields). */
    static Path largestSegmentFile(Path dir, String segment) throws IOException {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(segment + "."))
                    .max(java.util.Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
        }
    }

    @Test
    void a_flipped_byte_in_the_stored_text_loses_only_the_notes_it_spoils() throws Exception {
        Path dir = tmp.resolve("index");
        Map<String, Note> notes = buildWithoutCompoundFiles(dir);
        assertTrue(NoteIndex.check(dir, OPTIONS).healthy());
        Path fdt = dir.resolve("_1.fdt");
        byte[] bytes = Files.readAllBytes(fdt);
        bytes[bytes.length / 2] ^= 0x10;
        Files.write(fdt, bytes);

        IndexCheck c = NoteIndex.check(dir, OPTIONS);
        System.out.println("a flipped byte in _1.fdt: " + c);
        assertTrue(c.problems().get(0).matches(
                "segment _1 \\(\\d+ chunk documents\\) is damaged: file _1.fdt failed its checksum"), c.problems().get(0));
        assertEquals(20, c.sound());
        assertTrue(c.lost() > 0, "the spoilt block's notes cannot be trusted: " + c);
        assertEquals(20, c.rebuilt() + c.lost());

        IndexCheck r = repair(dir, tmp.resolve("backup"), new AtomicInteger());
        assertEquals(c.lost(), r.lost());
        assertTrue(NoteIndex.check(dir, OPTIONS).healthy(), "after the repair");
        try (NoteIndex index = NoteIndex.open(dir, OPTIONS)) {
            assertEquals(r.notes(), index.stats().notes());
            for (IndexCheck.NoteRef l : r.lostNotes()) {
                assertTrue(l.id().startsWith("b"), "only notes of the damaged segment: " + l);
                assertEquals(Optional.empty(), index.get(l.id()));
            }
            for (Note n : notes.values()) {
                index.get(n.id()).ifPresent(got -> assertEquals(n, got, "a kept note is the note as it was"));
            }
        }
    }
}
