package dev.pocketrag.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.IndexOptions;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.index.SearchRequest;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The demo notes on a real 3-node SolrCloud cluster (2 shards, 2 replicas of each): half imported
 * and committed, then the other half imported note by note while the node the index URL names is
 * stopped under it; searching goes on (through the other nodes), writes go on once the cluster has
 * new shard leaders (a write refused meanwhile is done again, as a rerun of the import would), and
 * in the end every note is there, whole, and found: nothing acknowledged was lost.
 */
class ThreeNodeClusterTest {

    @Test
    void a_node_stopped_mid_import_loses_nothing_acknowledged_and_search_goes_on() throws Exception {
        Path notesDir = DemoNotes.folder();
        assumeTrue(Files.isDirectory(notesDir), "the demo notes are not at " + notesDir);
        List<ChunkedNote> notes = DemoNotes.read(notesDir);
        assertTrue(notes.size() >= 40, "demo notes: " + notes.size());
        int half = notes.size() / 2;
        IndexOptions options = IndexOptions.of("hashed-words-64", DemoNotes.DIM);
        Path dir = Files.createTempDirectory("pocketrag-solr3");
        try (TestCluster cluster = TestCluster.start(3, dir)) {
            URI url = URI.create(cluster.base(0) + "/demo?shards=2&replicas=2");
            try (NoteIndex index = NoteIndex.open(url, options)) {
                index.putAll(notes.subList(0, half));
                index.commit();
                String query = "car insurance renewal premium";
                assertTrue(top3(index, query).contains("finance/car-insurance-renewal"), top3(index, query).toString());

                // the other half is imported note by note while the node the URL names stops under it
                List<ChunkedNote> rest = notes.subList(half, notes.size());
                List<String> acknowledged = new CopyOnWriteArrayList<>();
                List<ChunkedNote> failed = new CopyOnWriteArrayList<>();
                CountDownLatch going = new CountDownLatch(3);
                Thread importer = Thread.ofPlatform().start(() -> {
                    for (ChunkedNote n : rest) {
                        try {
                            index.put(n);
                            acknowledged.add(n.note().id());
                        } catch (IOException | RuntimeException e) {
                            failed.add(n); // not acknowledged: the import does it again below, as a rerun would
                        }
                        going.countDown();
                    }
                });
                assertTrue(going.await(60, TimeUnit.SECONDS), "the import did not start");
                cluster.stop(0);
                assertTrue(top3(index, query).contains("finance/car-insurance-renewal"), "search after the stop");
                importer.join();
                System.out.println("ThreeNodeClusterTest: " + acknowledged.size() + " notes acknowledged during the stop, "
                        + failed.size() + " refused and imported again");
                for (ChunkedNote n : failed) {
                    index.put(n);
                }
                index.commit();
                assertEquals(notes.size(), index.stats().notes());
                long chunks = notes.stream().mapToLong(n -> n.chunks().size()).sum();
                assertEquals(chunks, index.stats().chunks());
            }
            // another process, at a node still up, finds every note whole
            URI other = cluster.url(1, "demo");
            try (NoteIndex index = NoteIndex.open(other, options)) {
                for (ChunkedNote n : notes) {
                    assertEquals(n.note(), index.get(n.note().id()).orElseThrow(), n.note().id());
                    assertEquals(n.chunks(), index.chunks(n.note().id()), n.note().id());
                }
                for (ChunkedNote n : List.of(notes.get(0), notes.get(half - 1), notes.get(half), notes.get(notes.size() - 1))) {
                    String title = n.note().title();
                    List<SearchHit> hits = index.search(SearchRequest.hybrid(DemoNotes.embed(title), title, 5).groupedByNote());
                    assertTrue(hits.stream().anyMatch(h -> h.noteId().equals(n.note().id())), title + ": " + hits);
                }
            }
        } finally {
            ClusterNoteIndexContractTest.deleteTree(dir);
        }
    }

    private static List<String> top3(NoteIndex index, String q) throws IOException {
        return index.search(SearchRequest.hybrid(DemoNotes.embed(q), q, 3).groupedByNote()).stream()
                .map(SearchHit::noteId).toList();
    }
}
