package dev.pocketrag.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.pocketrag.index.Chunk;
import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.IndexOptions;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.SearchRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.solr.client.solrj.request.CollectionAdminRequest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What only the cluster index does: its URL, credentials, faults, schema versions, and writers in several processes. */
class ClusterNoteIndexTest {
    private static final IndexOptions OPTIONS = IndexOptions.of("test-model@1", 4);
    private static final SolrHttp.Retry QUICK = new SolrHttp.Retry(3, Duration.ofMillis(20), Duration.ofMillis(40));
    private static final AtomicInteger NEXT = new AtomicInteger();
    private static TestCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = SharedCluster.get();
    }

    private static URI newCollection() {
        return cluster.url(0, "only" + NEXT.incrementAndGet());
    }

    private static ChunkedNote note(String id, String title, String body, float[] v) {
        Note n = new Note(id, title, body, List.of(), "", Instant.EPOCH, Instant.EPOCH);
        return new ChunkedNote(n, List.of(new Chunk(0, 0, body.length(), body, title + "\n" + body)), List.of(v));
    }

    @Test
    void opens_through_the_service_loader_creating_the_collection_and_has_no_local_folder() throws IOException {
        URI url = newCollection();
        assertEquals(Optional.empty(), NoteIndex.recorded(url), "no collection yet");
        try (NoteIndex index = NoteIndex.open(url, OPTIONS)) {
            assertInstanceOf(ClusterNoteIndex.class, index);
            assertEquals(url, index.location());
            var e = assertThrows(UnsupportedOperationException.class, index::path);
            assertTrue(e.getMessage().contains(url.toString()), e.getMessage());
            index.put(note("a", "Kyoto", "hotel near the station", new float[] {1, 0, 0, 0}));
            assertEquals("a", index.search(SearchRequest.bm25("hotels", 1)).get(0).noteId());
            index.commit();
            assertTrue(index.stats().sizeOnDisk() > 0, "the replicas' index sizes, as the nodes report them");
            assertEquals(dev.pocketrag.index.VectorFormat.FLOAT32, index.stats().vectorFormat());
        }
        assertEquals(OPTIONS.model(), NoteIndex.recorded(url).orElseThrow());
        // the query of the URL only shapes a new collection: the same index opens with it
        try (NoteIndex index = NoteIndex.open(URI.create(url + "?shards=2&replicas=1"), OPTIONS)) {
            assertEquals(1, index.stats().notes());
            assertEquals(url, index.location());
        }
    }

    @Test
    void refuses_urls_that_name_no_collection_or_carry_credentials_without_repeating_the_password() {
        for (String bad : List.of("http://localhost:8983/", "http://localhost:8983/solr/", "http://localhost:8983/solr/no%20spaces",
                "http://localhost:8983/notes")) {
            var e = assertThrows(IllegalArgumentException.class, () -> ClusterNoteIndex.Target.of(URI.create(bad)), bad);
            assertTrue(e.getMessage().contains("collection name"), e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class,
                () -> ClusterNoteIndex.Target.of(URI.create("http://me:s3cret@localhost:8983/solr/notes")));
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
        assertTrue(e.getMessage().contains("POCKETRAG_INDEX_PASSWORD") && e.getMessage().contains("localhost:8983/solr/notes"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ClusterNoteIndex.Target.of(URI.create("http://localhost:8983/solr/notes?replicas=0")));
        assertEquals("replicas=0 in the index URL, must be a number in [1, 64]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ClusterNoteIndex.Target.of(URI.create("http://localhost:8983/solr/notes?password=x")));
        assertEquals("unknown parameter 'password' in the index URL (known: shards, replicas)", e.getMessage());
        ClusterNoteIndex.Target t = ClusterNoteIndex.Target.of(URI.create("https://h.example:8443/api/solr/notes/?shards=3"));
        assertEquals("https://h.example:8443/api/solr", t.base());
        assertEquals("notes", t.collection());
        assertEquals(3, t.shards());
        assertEquals(URI.create("https://h.example:8443/api/solr/notes"), t.shown());
    }

    @Test
    void credentials_come_from_the_environment_and_are_never_shown() {
        SolrHttp.Credentials basic = SolrHttp.Credentials.from(Map.of("POCKETRAG_INDEX_USER", "me",
                "POCKETRAG_INDEX_PASSWORD", "s3cret"));
        assertEquals("Basic " + java.util.Base64.getEncoder().encodeToString("me:s3cret".getBytes(StandardCharsets.UTF_8)),
                basic.header());
        assertFalse(basic.toString().contains("s3cret"));
        SolrHttp.Credentials token = SolrHttp.Credentials.from(Map.of("POCKETRAG_INDEX_TOKEN", "tok123",
                "POCKETRAG_INDEX_USER", "me"));
        assertEquals("Bearer tok123", token.header(), "a token wins over a user");
        assertFalse(token.toString().contains("tok123"));
        assertEquals(SolrHttp.Credentials.NONE, SolrHttp.Credentials.from(Map.of()));
    }

    @Test
    void an_unreachable_cluster_is_tried_again_then_named_without_credentials() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        URI url = URI.create("http://127.0.0.1:" + port + "/solr/notes");
        SolrHttp.Credentials secret = SolrHttp.Credentials.from(Map.of("POCKETRAG_INDEX_USER", "me",
                "POCKETRAG_INDEX_PASSWORD", "s3cret"));
        IOException e = assertThrows(IOException.class, () -> ClusterNoteIndex.open(url, OPTIONS, secret, QUICK));
        assertTrue(e.getMessage().startsWith("cannot reach the index at " + url + " (3 attempts over 1 node): cannot reach"
                + " 127.0.0.1:" + port), e.getMessage());
        assertFalse(e.getMessage().contains("s3cret"));
    }

    @Test
    void a_cluster_that_is_not_ready_is_asked_again_and_refusals_name_the_credentials_kind_only() throws IOException {
        List<String> auth = new CopyOnWriteArrayList<>();
        AtomicInteger requests = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", x -> {
            auth.add(String.valueOf(x.getRequestHeaders().getFirst("Authorization")));
            int status = requests.incrementAndGet() <= 3 ? 503 : 401;
            byte[] body = "{\"error\":{\"msg\":\"not now\",\"code\":1}}".getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(status, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        server.start();
        try {
            URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/solr/notes");
            SolrHttp.Credentials secret = SolrHttp.Credentials.from(Map.of("POCKETRAG_INDEX_USER", "me",
                    "POCKETRAG_INDEX_PASSWORD", "s3cret"));
            IOException e = assertThrows(IOException.class, () -> ClusterNoteIndex.open(url, OPTIONS, secret, QUICK));
            assertEquals(3, requests.get(), "three attempts, each answered 503");
            assertTrue(e.getMessage().contains("HTTP 503") && e.getMessage().contains("not now"), e.getMessage());
            e = assertThrows(IOException.class, () -> ClusterNoteIndex.open(url, OPTIONS, secret, QUICK));
            assertEquals(4, requests.get(), "a 401 is not tried again");
            assertTrue(e.getMessage().contains("HTTP 401") && e.getMessage().contains("basic auth"), e.getMessage());
            assertFalse(e.getMessage().contains("s3cret"));
            assertEquals(secret.header(), auth.get(0), "the credentials went with every request");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void a_collection_of_another_schema_version_or_with_other_fields_is_refused_naming_the_difference() throws Exception {
        Map<String, byte[]> files = ClusterNoteIndex.configset(OPTIONS);
        String schema = new String(files.get("schema.xml"), StandardCharsets.UTF_8);
        String later = schema.replace("name=\"pocketrag-1\"", "name=\"pocketrag-2\"");
        String changed = schema.replace("<field name=\"fingerprint\" type=\"stored\"/>", "<field name=\"extra\" type=\"stored\"/>")
                .replace("<field name=\"ord\" type=\"pint\"", "<field name=\"ord\" type=\"plong\"");
        for (String[] c : List.of(new String[] {"later", later, "has schema 'pocketrag-2', made by another version of pocketrag"},
                new String[] {"changed", changed, "differs from this version's: field 'fingerprint' is missing; field 'ord' is of"
                        + " type 'plong', not 'pint'; field 'extra' is not pocketrag's"})) {
            Path dir = Files.createTempDirectory("configset");
            Files.write(dir.resolve("solrconfig.xml"), files.get("solrconfig.xml"));
            Files.writeString(dir.resolve("schema.xml"), c[1]);
            String name = "schema-" + c[0];
            cluster.uploadConfigSet(dir, name);
            CollectionAdminRequest.createCollection(name, name, 1, 1).process(cluster.mini().getSolrClient());
            URI url = cluster.url(0, name);
            IOException e = assertThrows(IOException.class, () -> NoteIndex.open(url, OPTIONS));
            assertTrue(e.getMessage().contains(c[2]) && e.getMessage().contains(url.toString()), e.getMessage());
            ClusterNoteIndexContractTest.deleteTree(dir);
        }
    }

    @Test
    void two_writers_racing_on_one_note_leave_one_whole_version_the_last_written() throws Exception {
        URI url = newCollection();
        float[] v = {1, 0, 0, 0};
        ChunkedNote a = longNote("x", "Alpha", 6, v);
        ChunkedNote b = longNote("x", "Beta", 3, v);
        try (NoteIndex one = NoteIndex.open(url, OPTIONS); NoteIndex two = NoteIndex.open(url, OPTIONS)) {
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            List<Thread> writers = new ArrayList<>();
            for (NoteIndex w : List.of(one, two)) {
                ChunkedNote mine = w == one ? a : b;
                writers.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < 10; i++) {
                            w.put(mine);
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
            for (Thread t : writers) {
                t.join();
            }
            assertEquals(List.of(), failures);
            one.put(b); // the last write
            for (NoteIndex r : List.of(one, two)) {
                assertEquals(b.chunks(), r.chunks("x"));
                assertEquals("Beta", r.get("x").orElseThrow().title());
                assertEquals(1, r.stats().notes());
                assertEquals(3, r.stats().chunks());
            }
        }
    }

    private static ChunkedNote longNote(String id, String title, int chunks, float[] v) {
        StringBuilder body = new StringBuilder();
        List<Chunk> cs = new ArrayList<>();
        List<float[]> vs = new ArrayList<>();
        for (int i = 0; i < chunks; i++) {
            String text = title.toLowerCase() + " part " + i + ".";
            if (i > 0) {
                body.append(' ');
            }
            int start = body.length();
            body.append(text);
            cs.add(new Chunk(i, start, body.length(), text, title + "\n" + text));
            vs.add(v);
        }
        return new ChunkedNote(new Note(id, title, body.toString(), List.of(), "", Instant.EPOCH, Instant.EPOCH), cs, vs);
    }
}
