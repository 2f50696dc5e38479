package dev.pocketrag.cluster;

import dev.pocketrag.index.NoteIndexContract;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link NoteIndexContract} on a real SolrCloud node with ZooKeeper in this JVM ({@link
 * SharedCluster}): one collection, emptied for each test, opened through {@code NoteIndex.open(URI)} and the service
 * loader, as the notebook opens it.
 */
class ClusterNoteIndexContractTest extends NoteIndexContract {
    private static TestCluster cluster;
    private static final AtomicInteger NEXT = new AtomicInteger();

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = SharedCluster.get();
    }

    /**
     * The first test's collection is made by the index; later tests get it back emptied (every
     * document, the model record too, deleted and committed): an index that records nothing yet,
     * without a second or two of collection creation per test.
     */
    @Override
    protected URI newLocation() throws IOException {
        if (NEXT.getAndIncrement() > 0) {
            cluster.wipe("contract");
        }
        return cluster.url(0, "contract");
    }

    @Override
    protected int concurrentWrites() {
        return 40; // each is two requests to the cluster: enough replacements to race the readers
    }

    static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (var s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
