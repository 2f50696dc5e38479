package dev.pocketrag.cluster;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * Real SolrCloud nodes (Jetty + Solr) and an embedded ZooKeeper in this JVM, on loopback ports
 * chosen by the system: Solr's own {@code MiniSolrCloudCluster}, started without its JUnit 4 base
 * classes. Each node's base URL is {@code http://127.0.0.1:PORT/solr}.
 */
final class TestCluster implements AutoCloseable {
    private final MiniSolrCloudCluster cluster;

    private TestCluster(MiniSolrCloudCluster cluster) {
        this.cluster = cluster;
    }

    /** Starts {@code nodes} nodes with their data under {@code dir}. */
    static TestCluster start(int nodes, Path dir) throws Exception {
        // loopback only: nodes and ZooKeeper listen on 127.0.0.1
        System.setProperty("host", "127.0.0.1");
        System.setProperty("solr.log.dir", dir.resolve("logs").toString());
        return new TestCluster(new MiniSolrCloudCluster(nodes, dir, JettyConfig.builder().build()));
    }

    List<JettySolrRunner> nodes() {
        return cluster.getJettySolrRunners();
    }

    /** The base URL of node {@code i} ({@code http://127.0.0.1:PORT/solr}). */
    String base(int i) {
        return nodes().get(i).getBaseUrl().toString();
    }

    /** The index URL of a collection on node {@code i}. */
    URI url(int i, String collection) {
        return URI.create(base(i) + "/" + collection);
    }

    /** Uploads a configset from a folder (for tests that make a collection pocketrag did not). */
    void uploadConfigSet(Path dir, String name) throws Exception {
        cluster.uploadConfigSet(dir, name);
    }

    /** Deletes every document of a collection and commits; nothing when there is no such collection. */
    void wipe(String collection) throws java.io.IOException {
        try {
            if (cluster.getSolrClient().getClusterState().hasCollection(collection)) {
                cluster.getSolrClient().deleteByQuery(collection, "*:*");
                cluster.getSolrClient().commit(collection);
            }
        } catch (org.apache.solr.client.solrj.SolrServerException e) {
            throw new java.io.IOException(e);
        }
    }

    /** Stops node {@code i} (as a crash would: its port stops answering). */
    void stop(int i) throws Exception {
        cluster.stopJettySolrRunner(i);
    }

    MiniSolrCloudCluster mini() {
        return cluster;
    }

    @Override
    public void close() throws Exception {
        cluster.shutdown();
    }
}
