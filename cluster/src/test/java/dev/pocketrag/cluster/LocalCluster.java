package dev.pocketrag.cluster;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Starts a SolrCloud test cluster of N nodes on this machine (loopback ports) and prints the index
 * URL to give {@code pocketrag import/ask/search/serve/eval ... --index-url URL}; runs until stopped
 * (Ctrl-C), then shuts the nodes down and deletes their data. For trying the cluster index by hand,
 * not for keeping notes: the data lives in a temporary folder. Run it with {@code cluster/local-cluster [NODES]}.
 */
public final class LocalCluster {
    private LocalCluster() {}

    /** {@code [NODES [COLLECTION]]}: 3 nodes and collection {@code notes} unless said. */
    public static void main(String[] args) throws Exception {
        int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        if (nodes < 1 || nodes > 9) {
            System.err.println("nodes=" + nodes + ", must be in [1, 9]");
            System.exit(2);
        }
        String collection = args.length > 1 ? args[1] : "notes";
        Path dir = Files.createTempDirectory("pocketrag-local-cluster");
        TestCluster cluster = TestCluster.start(nodes, dir);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                cluster.close();
                ClusterNoteIndexContractTest.deleteTree(dir);
            } catch (Exception e) {
                System.err.println("stopping the cluster: " + e);
            }
        }));
        int replicas = Math.min(2, nodes);
        int shards = Math.max(1, nodes - 1);
        System.out.println();
        System.out.println("SolrCloud test cluster: " + nodes + " node(s), data in " + dir);
        for (int i = 0; i < nodes; i++) {
            System.out.println("  node " + i + ": " + cluster.base(i));
        }
        System.out.println("index URL (the first pocketrag command creates the collection, " + shards + " shard(s) x "
                + replicas + " replica(s)):");
        System.out.println("  " + cluster.base(0) + "/" + collection + "?shards=" + shards + "&replicas=" + replicas);
        System.out.println("Ctrl-C stops it (and deletes its data).");
        System.out.flush();
        Thread.currentThread().join();
    }
}
