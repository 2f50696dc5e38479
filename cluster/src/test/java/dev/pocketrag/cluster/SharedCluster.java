package dev.pocketrag.cluster;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One single-node SolrCloud cluster for the test classes of this JVM that need any cluster (the
 * contract and the cluster-only tests): started by the first, stopped when the JVM exits, so that
 * a test class costs no start-up of its own.
 */
final class SharedCluster {
    private static TestCluster cluster;

    private SharedCluster() {}

    static synchronized TestCluster get() throws Exception {
        if (cluster == null) {
            Path dir = Files.createTempDirectory("pocketrag-solr");
            TestCluster c = TestCluster.start(1, dir);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    c.close();
                    ClusterNoteIndexContractTest.deleteTree(dir);
                } catch (Exception e) {
                    // the JVM is going: a temporary folder left behind is all that can happen
                }
            }));
            cluster = c;
        }
        return cluster;
    }
}
