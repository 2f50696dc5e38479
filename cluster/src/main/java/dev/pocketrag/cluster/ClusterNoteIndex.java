package dev.pocketrag.cluster;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.pocketrag.index.Chunk;
import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.IndexOptions;
import dev.pocketrag.index.IndexStats;
import dev.pocketrag.index.ModelMismatchException;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.RecordedModel;
import dev.pocketrag.index.Rrf;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.index.SearchMode;
import dev.pocketrag.index.SearchRequest;
import dev.pocketrag.index.VectorFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A {@link NoteIndex} on a SolrCloud cluster, spoken to over HTTP: the same contract as the local
 * index (one atomic write per note, filters inside the kNN search, BM25 with the same analysis,
 * hybrid through {@link Rrf}, the recorded model guarded), for notes shared by a team or too many
 * for one disk. The embedder stays in the process; only vectors and text go to the cluster.
 *
 * <h2>Location</h2>
 * {@code http[s]://host:port/solr/COLLECTION} (the Solr base URL and a collection name: letters,
 * digits, {@code _ - .}), optionally with {@code ?shards=N&replicas=N} for a collection this index
 * creates (default 1 shard, 1 replica; ignored for an existing one). Credentials come from the
 * environment ({@code POCKETRAG_INDEX_USER} and {@code POCKETRAG_INDEX_PASSWORD}, or {@code
 * POCKETRAG_INDEX_TOKEN}), never from the URL (one with {@code user:password@} is refused, without
 * repeating it), and are never printed. When a node cannot be reached the request goes to another
 * live node of the cluster, with pauses that double, and finally fails with an {@link IOException}
 * naming the URL.
 *
 * <h2>Layout</h2>
 * The collection is created on first open with pocketrag's own configset ({@code
 * pocketrag-SCHEMA-HASH}, uploaded when the cluster does not have it: a classic read-only schema,
 * the vector dimension and HNSW and BM25 settings of the {@link IndexOptions}). A note is one Solr
 * block: a parent document {@code n:ID} (kind {@code note}: title, body, tags, source, times,
 * fingerprint) with one child {@code c:ORD:ID} per chunk (kind {@code chunk}: its text, offsets,
 * page, section, vector, and the note's title, tags, source and times for filtering and hits),
 * added in one request: Solr replaces a block whole, so a search sees the old note or the new one.
 * Every write carries the note's {@code _version_} as last read (optimistic concurrency; -1 for
 * "must not exist"): a stale or replayed write is refused by the cluster with 409 and made again
 * on top of what is there now, so the last put wins, as locally, and nothing is half written. The
 * document {@code pocketrag.meta} (kind {@code meta}) records the model id, dimension, recipe and
 * schema version. Field by field in {@code cluster/README.md}.
 *
 * <h2>Visibility and durability</h2>
 * A write is acknowledged once the shard's leader and replicas have it in their transaction logs;
 * reads by this instance see it at once (a read after writes first asks for a soft commit, as the
 * local index refreshes its searcher), and {@link #commit()} makes it durable with a hard commit
 * on every replica. {@link #close()} commits what this instance wrote since its last commit.
 */
public final class ClusterNoteIndex implements NoteIndex {

    /** The version of the schema this code writes and reads; a collection made with another is refused. */
    static final int SCHEMA_VERSION = 1;
    static final String SCHEMA_NAME = "pocketrag-" + SCHEMA_VERSION;
    static final String META_ID = "pocketrag.meta";
    /** How often a write whose version moved under it is made again before giving up. */
    private static final int MAX_VERSION_RETRIES = 20;
    /** Most chunks fetched from one list while looking for enough distinct notes (as the local index). */
    private static final int MAX_GROUPING_FETCH = 100_000;
    /** Boolean clauses Solr allows in one query: a longer query text keeps its first words. */
    private static final int MAX_QUERY_WORDS = 1000;
    private static final Pattern COLLECTION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}");

    /** Fields a hit reads. */
    private static final String HIT_FIELDS =
            "id,note_id,title,tag,source,created,ord,chunk,chunk_start,chunk_end,page,section,score";
    private static final String NOTE_FIELDS = "id,note_id,title,body,tag,source,created,updated,fingerprint";

    private final SolrHttp http;
    private final URI location;
    private final String collection;
    private final IndexOptions options;
    /** The recipe recorded: the options', else the one the index had recorded, else none. */
    private final String recipe;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Incremented after every write; a read first opens a new searcher when it moved. */
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong visible = new AtomicLong();
    private final AtomicLong committed = new AtomicLong();

    /** The cluster's live nodes when this index was opened (base URLs), as the cluster names them. */
    private final List<String> liveNodes;

    private ClusterNoteIndex(SolrHttp http, URI location, String collection, IndexOptions options, String recipe,
            List<String> liveNodes) {
        this.http = http;
        this.liveNodes = List.copyOf(liveNodes);
        this.location = location;
        this.collection = collection;
        this.options = options;
        this.recipe = recipe;
    }

    // ---------------------------------------------------------------- opening

    /**
     * Opens (creating when needed) the index at {@code url}, with credentials from the environment.
     *
     * @throws ModelMismatchException if the collection records another model, dimension or recipe
     * @throws IOException if the cluster cannot be reached, or the collection is not a pocketrag index
     *     of this schema version (the message names what differs)
     * @throws IllegalArgumentException if the URL is not of the form above (the message names it)
     */
    public static ClusterNoteIndex open(URI url, IndexOptions options) throws IOException {
        return open(url, options, SolrHttp.Credentials.from(System.getenv()), SolrHttp.Retry.DEFAULT);
    }

    /**
     * What the collection at {@code url} records about its vectors; empty if there is no such
     * collection yet, or no model recorded in it.
     */
    public static Optional<RecordedModel> recorded(URI url) throws IOException {
        return recorded(url, SolrHttp.Credentials.from(System.getenv()), SolrHttp.Retry.DEFAULT);
    }

    static Optional<RecordedModel> recorded(URI url, SolrHttp.Credentials credentials, SolrHttp.Retry retry)
            throws IOException {
        Target t = Target.of(url);
        SolrHttp http = new SolrHttp(t.base(), t.shown().toString(), credentials, retry);
        if (!collectionExists(http, t.collection())) {
            return Optional.empty();
        }
        return readMeta(http, t.collection()).map(Meta::model);
    }

    static ClusterNoteIndex open(URI url, IndexOptions options, SolrHttp.Credentials credentials, SolrHttp.Retry retry)
            throws IOException {
        Objects.requireNonNull(options, "options");
        Target t = Target.of(url);
        SolrHttp http = new SolrHttp(t.base(), t.shown().toString(), credentials, retry);
        List<String> live = liveNodes(http, t.base());
        http.addNodes(live);
        if (!collectionExists(http, t.collection())) {
            create(http, t, options);
        }
        int schemaDimension = checkSchema(http, t, options);
        String recipe = guardModel(http, t, options, schemaDimension);
        return new ClusterNoteIndex(http, t.shown(), t.collection(), options, recipe, live.isEmpty() ? List.of(t.base()) : live);
    }

    /**
     * The parts of a location.
     *
     * @param base the Solr base URL ({@code http://host:8983/solr})
     * @param collection the collection's name
     * @param shown the location without credentials or query
     * @param shards shards of a collection created here
     * @param replicas replicas of each shard of a collection created here
     */
    record Target(String base, String collection, URI shown, int shards, int replicas) {
        static Target of(URI url) {
            Objects.requireNonNull(url, "url");
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException("a cluster index is at an http: or https: URL, not '" + scheme
                        + ":' (e.g. http://localhost:8983/solr/notes)");
            }
            if (url.getRawUserInfo() != null) {
                throw new IllegalArgumentException("the index URL must not carry credentials (http://user:...@host):"
                        + " set POCKETRAG_INDEX_USER and POCKETRAG_INDEX_PASSWORD, or POCKETRAG_INDEX_TOKEN, instead; URL "
                        + scheme + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
                        + Objects.requireNonNullElse(url.getRawPath(), ""));
            }
            if (url.getHost() == null) {
                throw new IllegalArgumentException("the index URL has no host: " + url);
            }
            String path = Objects.requireNonNullElse(url.getPath(), "");
            while (path.endsWith("/")) {
                path = path.substring(0, path.length() - 1);
            }
            int slash = path.lastIndexOf('/');
            String name = slash < 0 ? "" : path.substring(slash + 1);
            if (slash <= 0 || !COLLECTION.matcher(name).matches()) {
                throw new IllegalArgumentException("the index URL must end in the Solr base path and a collection name"
                        + " (letters, digits, _ - .), e.g. http://localhost:8983/solr/notes; got " + scheme + "://"
                        + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort()) + path);
            }
            String hostPort = url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort());
            String base = scheme + "://" + hostPort + path.substring(0, slash);
            int shards = 1;
            int replicas = 1;
            if (url.getRawQuery() != null) {
                for (String kv : url.getRawQuery().split("&")) {
                    String[] p = kv.split("=", 2);
                    String v = p.length == 2 ? p[1] : "";
                    switch (p[0]) {
                        case "shards" -> shards = count("shards", v);
                        case "replicas" -> replicas = count("replicas", v);
                        default -> throw new IllegalArgumentException("unknown parameter '" + p[0]
                                + "' in the index URL (known: shards, replicas)");
                    }
                }
            }
            URI shown;
            try {
                shown = new URI(scheme, null, url.getHost(), url.getPort(), path, null, null);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("the index URL cannot be read: " + e.getMessage(), e);
            }
            return new Target(base, name, shown, shards, replicas);
        }

        private static int count(String what, String v) {
            try {
                int n = Integer.parseInt(v);
                if (n >= 1 && n <= 64) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw new IllegalArgumentException(what + "=" + v + " in the index URL, must be a number in [1, 64]");
        }
    }

    /** The base URLs of the cluster's live nodes ({@code 127.0.0.1:8983_solr} becomes {@code http://127.0.0.1:8983/solr}). */
    private static List<String> liveNodes(SolrHttp http, String base) throws IOException {
        JsonObject status = http.get("/admin/collections", Map.of("action", "CLUSTERSTATUS"));
        String scheme = base.substring(0, base.indexOf("://"));
        List<String> out = new ArrayList<>();
        JsonObject cluster = status.getAsJsonObject("cluster");
        if (cluster != null && cluster.has("live_nodes")) {
            for (JsonElement n : cluster.getAsJsonArray("live_nodes")) {
                String name = n.getAsString();
                int u = name.indexOf('_');
                if (u > 0) {
                    out.add(scheme + "://" + name.substring(0, u) + "/" + name.substring(u + 1).replace('_', '/'));
                }
            }
        }
        return out;
    }

    private static boolean collectionExists(SolrHttp http, String collection) throws IOException {
        JsonObject r = http.get("/admin/collections", Map.of("action", "LIST"));
        for (JsonElement e : r.getAsJsonArray("collections")) {
            if (e.getAsString().equals(collection)) {
                return true;
            }
        }
        return false;
    }

    /** Creates the collection with pocketrag's configset (uploaded when the cluster lacks it). */
    private static void create(SolrHttp http, Target t, IndexOptions options) throws IOException {
        Map<String, byte[]> files = configset(options);
        String name = "pocketrag-" + SCHEMA_VERSION + "-" + hash(files);
        JsonObject list = http.get("/admin/configs", Map.of("action", "LIST"));
        boolean have = false;
        for (JsonElement e : list.getAsJsonArray("configSets")) {
            have |= e.getAsString().equals(name);
        }
        if (!have) {
            try {
                http.post("/admin/configs", Map.of("action", "UPLOAD", "name", name), zip(files),
                        "application/octet-stream");
            } catch (SolrHttp.SolrError e) {
                if (!e.getMessage().contains("already exists")) {
                    throw e;
                }
            }
        }
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("action", "CREATE");
        p.put("name", t.collection());
        p.put("numShards", t.shards());
        p.put("replicationFactor", t.replicas());
        p.put("collection.configName", name);
        p.put("waitForFinalState", "true");
        try {
            http.get("/admin/collections", p);
        } catch (SolrHttp.SolrError e) {
            if (!e.getMessage().contains("already exists")) { // another process created it meanwhile
                throw e;
            }
        }
    }

    /** The configset's files for these options: solrconfig.xml, and schema.xml with its placeholders filled in. */
    static Map<String, byte[]> configset(IndexOptions o) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        files.put("solrconfig.xml", resource("configset/solrconfig.xml"));
        String schema = new String(resource("configset/schema.xml"), StandardCharsets.UTF_8)
                .replace("${schemaVersion}", Integer.toString(SCHEMA_VERSION))
                .replace("${dimension}", Integer.toString(o.dimension()))
                .replace("${maxConn}", Integer.toString(o.maxConn()))
                .replace("${beamWidth}", Integer.toString(o.beamWidth()))
                .replace("${bm25K1}", Float.toString(o.bm25K1()))
                .replace("${bm25B}", Float.toString(o.bm25B()));
        files.put("schema.xml", schema.getBytes(StandardCharsets.UTF_8));
        return files;
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ClusterNoteIndex.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("resource " + name + " is missing from the pocketrag-cluster jar");
            }
            return in.readAllBytes();
        }
    }

    private static String hash(Map<String, byte[]> files) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                md.update(e.getValue());
            }
            return java.util.HexFormat.of().formatHex(md.digest(), 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static byte[] zip(Map<String, byte[]> files) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** The fields (name to type) of the schema this version writes. */
    static Map<String, String> expectedFields(IndexOptions o) throws IOException {
        String schema = new String(configset(o).get("schema.xml"), StandardCharsets.UTF_8);
        Map<String, String> fields = new TreeMap<>();
        Matcher m = Pattern.compile("<field name=\"([^\"]+)\" type=\"([^\"]+)\"").matcher(schema);
        while (m.find()) {
            fields.put(m.group(1), m.group(2));
        }
        return fields;
    }

    /**
     * Refuses a collection whose schema is not this version's: another schema name, or fields missing,
     * extra or of another type (named). Returns the dimension of the schema's vectors.
     */
    private static int checkSchema(SolrHttp http, Target t, IndexOptions options) throws IOException {
        String path = "/" + t.collection() + "/schema";
        String name = http.get(path + "/name", Map.of()).get("name").getAsString();
        if (!name.equals(SCHEMA_NAME)) {
            throw new IOException("the collection at " + t.shown() + " has schema '" + name + "', "
                    + (name.startsWith("pocketrag-") ? "made by another version of pocketrag" : "not pocketrag's")
                    + "; this version reads and writes '" + SCHEMA_NAME + "' (use a new collection, or the pocketrag"
                    + " version that made it)");
        }
        Map<String, String> have = new TreeMap<>();
        for (JsonElement e : http.get(path + "/fields", Map.of()).getAsJsonArray("fields")) {
            JsonObject f = e.getAsJsonObject();
            have.put(f.get("name").getAsString(), f.get("type").getAsString());
        }
        Map<String, String> want = expectedFields(options);
        List<String> diff = new ArrayList<>();
        for (Map.Entry<String, String> w : want.entrySet()) {
            String h = have.get(w.getKey());
            if (h == null) {
                diff.add("field '" + w.getKey() + "' is missing");
            } else if (!h.equals(w.getValue())) {
                diff.add("field '" + w.getKey() + "' is of type '" + h + "', not '" + w.getValue() + "'");
            }
        }
        for (String h : have.keySet()) {
            if (!want.containsKey(h)) {
                diff.add("field '" + h + "' is not pocketrag's");
            }
        }
        if (!diff.isEmpty()) {
            throw new IOException("the collection at " + t.shown() + " has a schema named '" + name
                    + "' that differs from this version's: " + String.join("; ", diff));
        }
        JsonObject type = http.get(path + "/fieldtypes/vector", Map.of()).getAsJsonObject("fieldType");
        try {
            return Integer.parseInt(type.get("vectorDimension").getAsString());
        } catch (RuntimeException e) {
            throw new IOException("the collection at " + t.shown() + " has no vector dimension in its schema", e);
        }
    }

    /** What the meta document records, and its version. */
    private record Meta(RecordedModel model, int schema, long version) {}

    private static Optional<Meta> readMeta(SolrHttp http, String collection) throws IOException {
        JsonObject r = http.get("/" + collection + "/get", Map.of("id", META_ID, "fl",
                "id,model,dimension,recipe,schema,_version_"));
        JsonElement doc = r.get("doc");
        if (doc == null || doc.isJsonNull()) {
            return Optional.empty();
        }
        JsonObject d = doc.getAsJsonObject();
        String model = str(d, "model");
        int dim = d.has("dimension") ? d.get("dimension").getAsInt() : 0;
        if (model.isEmpty() || dim < 1 || dim > IndexOptions.MAX_DIMENSION) {
            throw new IOException("collection " + collection + " has a '" + META_ID + "' document that records no valid"
                    + " model (model '" + model + "', dimension " + dim + ")");
        }
        return Optional.of(new Meta(new RecordedModel(model, dim, str(d, "recipe")),
                d.has("schema") ? d.get("schema").getAsInt() : 0, d.get("_version_").getAsLong()));
    }

    /** Records the model in a new collection, or checks it against the recorded one; the recipe recorded. */
    private static String guardModel(SolrHttp http, Target t, IndexOptions options, int schemaDimension)
            throws IOException {
        for (int attempt = 0; attempt < MAX_VERSION_RETRIES; attempt++) {
            Optional<Meta> meta = readMeta(http, t.collection());
            if (meta.isPresent()) {
                Meta m = meta.get();
                if (m.schema() != SCHEMA_VERSION) {
                    throw new IOException("the collection at " + t.shown() + " records schema version " + m.schema()
                            + ", this version of pocketrag reads " + SCHEMA_VERSION);
                }
                if (!m.model().accepts(options.model())) {
                    throw new ClusterModelMismatchException(t.shown(), m.model(), options.model());
                }
                if (!m.model().recipe().isEmpty() || options.recipe().isEmpty()) {
                    return m.model().recipe();
                }
                // the first recipe said is recorded
                if (writeMeta(http, t.collection(), options.model(), m.version())) {
                    return options.recipe();
                }
            } else {
                if (schemaDimension != options.dimension()) {
                    throw new IOException("the collection at " + t.shown() + " was made for " + schemaDimension
                            + "-dimensional vectors, not " + options.dimension() + " (model '" + options.modelId()
                            + "'): use a new collection");
                }
                if (writeMeta(http, t.collection(), options.model(), -1)) {
                    return options.recipe();
                }
            }
        }
        throw new IOException("the model record of " + t.shown() + " kept changing while it was read; try again");
    }

    /** Writes the meta document if its version is still {@code version}; false if it moved. */
    private static boolean writeMeta(SolrHttp http, String collection, RecordedModel m, long version) throws IOException {
        JsonObject d = new JsonObject();
        d.addProperty("id", META_ID);
        d.addProperty("kind", "meta");
        d.addProperty("model", m.modelId());
        d.addProperty("dimension", m.dimension());
        d.addProperty("recipe", m.recipe());
        d.addProperty("schema", SCHEMA_VERSION);
        d.addProperty("_version_", version);
        JsonArray a = new JsonArray();
        a.add(d);
        try {
            http.postJson("/" + collection + "/update", Map.of("commit", "true"), a.toString());
            return true;
        } catch (SolrHttp.VersionConflict e) {
            return false;
        }
    }

    /** The model guard's refusal, naming the cluster's URL. */
    static final class ClusterModelMismatchException extends ModelMismatchException {
        private static final long serialVersionUID = 1L;

        ClusterModelMismatchException(URI location, RecordedModel recorded, RecordedModel wanted) {
            super("the index at " + location + " holds vectors of model " + recorded.describe() + ", not of "
                    + wanted.describe() + ": they differ in " + recorded.difference(wanted) + "; use a new collection"
                    + " for the new model and add every note again (or open this one with model '"
                    + recorded.modelId() + "' and its recipe)", (Path) null, recorded, wanted);
        }
    }

    // ---------------------------------------------------------------- writes

    @Override
    public void put(ChunkedNote note) throws IOException {
        Objects.requireNonNull(note, "note");
        putAll(List.of(note));
    }

    /** Most notes sent in one update request by {@link #putAll}. */
    private static final int BATCH_NOTES = 64;
    /** Most characters of JSON sent in one update request by {@link #putAll} (a note bigger alone goes alone). */
    private static final int BATCH_CHARS = 8 << 20;

    /**
     * Validates every note, then sends them in batches: one request with each note's block at the
     * version just read (Solr applies each block whole). If any note's version moved meanwhile the
     * cluster refuses that note and the rest of the batch; the batch's notes are then written one by
     * one (a note already written is written again, the same).
     */
    @Override
    public void putAll(Collection<ChunkedNote> notes) throws IOException {
        checkOpen();
        for (ChunkedNote n : notes) {
            options.checkNote(Objects.requireNonNull(n, "note"));
        }
        List<ChunkedNote> batch = new ArrayList<>();
        int chars = 0;
        List<String> blocks = new ArrayList<>();
        for (ChunkedNote n : notes) {
            String block = block(n);
            if (!batch.isEmpty() && (batch.size() == BATCH_NOTES || chars + block.length() > BATCH_CHARS)) {
                writeBatch(batch, blocks);
                batch.clear();
                blocks.clear();
                chars = 0;
            }
            batch.add(n);
            blocks.add(block);
            chars += block.length();
        }
        if (!batch.isEmpty()) {
            writeBatch(batch, blocks);
        }
    }

    private void writeBatch(List<ChunkedNote> batch, List<String> blocks) throws IOException {
        try {
            List<String> ids = batch.stream().map(n -> n.note().id()).toList();
            Map<String, Long> versions = currentVersions(ids);
            StringBuilder body = new StringBuilder("[");
            for (int i = 0; i < batch.size(); i++) {
                if (i > 0) {
                    body.append(',');
                }
                body.append(withVersion(blocks.get(i), versions.getOrDefault(ids.get(i), -1L)));
            }
            try {
                http.postJson("/" + collection + "/update", Map.of(), body.append(']').toString());
                return;
            } catch (SolrHttp.VersionConflict e) {
                // another writer got in between: note by note, each on top of what is there now
            }
        } finally {
            writes.incrementAndGet();
        }
        for (int i = 0; i < batch.size(); i++) {
            String block = blocks.get(i);
            writeVersioned(batch.get(i).note().id(), v -> "[" + withVersion(block, v) + "]");
        }
    }

    /** The block with its version set (it is written with {@code "_version_":0} at its end). */
    private static String withVersion(String block, long version) {
        int at = block.lastIndexOf("\"_version_\":0}");
        return block.substring(0, at) + "\"_version_\":" + version + "}";
    }

    @Override
    public void delete(String id) throws IOException {
        Objects.requireNonNull(id, "id");
        deleteAll(List.of(id));
    }

    @Override
    public void deleteAll(Collection<String> ids) throws IOException {
        checkOpen();
        for (String id : ids) {
            Objects.requireNonNull(id, "id");
        }
        for (String id : ids) {
            JsonObject del = new JsonObject();
            del.addProperty("id", noteDocId(id));
            writeVersioned(id, v -> {
                if (v < 0) {
                    return null; // nothing to delete
                }
                del.addProperty("_version_", v);
                JsonObject cmd = new JsonObject();
                cmd.add("delete", del);
                return cmd.toString();
            });
        }
    }

    /** Makes a request body for a note's version as last read (-1: no such note), or null for nothing to do. */
    @FunctionalInterface
    private interface VersionedWrite {
        String body(long version);
    }

    /**
     * Sends one write of note {@code id} made for its current version; when the cluster says the
     * version moved meanwhile (another writer, or a replay of a write that did arrive), reads it
     * again and sends the write again on top of it: the last write wins, whole.
     */
    private void writeVersioned(String id, VersionedWrite write) throws IOException {
        try {
            for (int attempt = 0; attempt < MAX_VERSION_RETRIES; attempt++) {
                String body = write.body(currentVersion(id));
                if (body == null) {
                    return;
                }
                try {
                    http.postJson("/" + collection + "/update", Map.of(), body);
                    return;
                } catch (SolrHttp.VersionConflict e) {
                    // moved under us: read the version again
                }
            }
            throw new IOException("note '" + id + "' in " + location + " kept changing under this write ("
                    + MAX_VERSION_RETRIES + " attempts); try again");
        } finally {
            writes.incrementAndGet(); // also after a failure: what may have been written must become visible
        }
    }

    /** The notes' {@code _version_}s (real-time), for those that exist. */
    private Map<String, Long> currentVersions(List<String> ids) throws IOException {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("id", ids.stream().map(ClusterNoteIndex::noteDocId).toList());
        p.put("fl", "note_id,_version_");
        JsonObject r = http.postForm("/" + collection + "/get", p);
        Map<String, Long> out = new HashMap<>();
        JsonObject response = r.getAsJsonObject("response");
        if (r.has("doc") && r.get("doc").isJsonObject()) { // one id asked: Solr answers with the document alone
            JsonObject d = r.getAsJsonObject("doc");
            out.put(str(d, "note_id"), d.get("_version_").getAsLong());
        } else if (response != null) {
            for (JsonElement e : response.getAsJsonArray("docs")) {
                JsonObject d = e.getAsJsonObject();
                out.put(str(d, "note_id"), d.get("_version_").getAsLong());
            }
        }
        return out;
    }

    /** The note's {@code _version_} (real-time: also of writes not yet committed), -1 if there is none. */
    private long currentVersion(String id) throws IOException {
        JsonObject r = http.get("/" + collection + "/get", Map.of("id", noteDocId(id), "fl", "id,_version_"));
        JsonElement doc = r.get("doc");
        return doc == null || doc.isJsonNull() ? -1 : doc.getAsJsonObject().get("_version_").getAsLong();
    }

    static String noteDocId(String id) {
        return "n:" + id;
    }

    static String chunkDocId(String id, int ord) {
        return "c:" + ord + ":" + id;
    }

    /** The note's block as JSON, its version written as {@code "_version_":0} for the caller to set. */
    private static String block(ChunkedNote cn) {
        Note n = cn.note();
        JsonObject parent = new JsonObject();
        parent.addProperty("id", noteDocId(n.id()));
        parent.addProperty("kind", "note");
        noteFields(parent, n);
        parent.addProperty("body", n.body());
        parent.addProperty("nchunks", cn.chunks().size());
        if (!cn.fingerprint().isEmpty()) {
            parent.addProperty("fingerprint", cn.fingerprint());
        }
        JsonArray children = new JsonArray();
        for (Chunk c : cn.chunks()) {
            JsonObject d = new JsonObject();
            d.addProperty("id", chunkDocId(n.id(), c.ordinal()));
            d.addProperty("kind", "chunk");
            noteFields(d, n);
            d.addProperty("ord", c.ordinal());
            d.addProperty("chunk_start", c.start());
            d.addProperty("chunk_end", c.end());
            if (c.page() > 0) {
                d.addProperty("page", c.page());
            }
            if (!c.section().isEmpty()) {
                d.addProperty("section", c.section());
            }
            d.addProperty("chunk", c.text());
            // title, newline, chunk text: one flat field for BM25, as the local index
            d.addProperty("text", n.title().isEmpty() ? c.text() : n.title() + "\n" + c.text());
            JsonArray v = new JsonArray();
            for (float x : cn.vectors().get(c.ordinal())) {
                v.add(x);
            }
            d.add("vector", v);
            children.add(d);
        }
        parent.add("_childDocuments_", children);
        parent.addProperty("_version_", 0);
        return parent.toString();
    }

    private static void noteFields(JsonObject d, Note n) {
        d.addProperty("note_id", n.id());
        d.addProperty("title", n.title());
        d.addProperty("source", n.source());
        JsonArray tags = new JsonArray();
        n.tags().forEach(tags::add);
        d.add("tag", tags);
        d.addProperty("created", n.created().toEpochMilli());
        d.addProperty("updated", n.updated().toEpochMilli());
    }

    @Override
    public void commit() throws IOException {
        checkOpen();
        long w = writes.get();
        http.postJson("/" + collection + "/update", Map.of("commit", "true", "waitSearcher", "true"), "{}");
        advance(visible, w);
        advance(committed, w);
    }

    private static void advance(AtomicLong mark, long to) {
        mark.accumulateAndGet(to, Math::max);
    }

    // ---------------------------------------------------------------- reads

    /** Opens a new searcher on every replica when this instance wrote since the last one (near-real-time reads). */
    private void refresh() throws IOException {
        checkOpen();
        long w = writes.get();
        if (visible.get() < w) {
            http.postJson("/" + collection + "/update", Map.of("softCommit", "true", "waitSearcher", "true"), "{}");
            advance(visible, w);
        }
    }

    /** A search request's answer: its documents. */
    private JsonArray select(Map<String, Object> params) throws IOException {
        JsonObject r = http.postForm("/" + collection + "/select", params);
        return r.getAsJsonObject("response").getAsJsonArray("docs");
    }

    private long count(String kind) throws IOException {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("q", "kind:" + kind);
        p.put("rows", 0);
        JsonObject r = http.postForm("/" + collection + "/select", p);
        return r.getAsJsonObject("response").get("numFound").getAsLong();
    }

    @Override
    public Optional<Note> get(String id) throws IOException {
        checkOpen();
        return noteDoc(id).map(ClusterNoteIndex::note);
    }

    /** The note's parent document, read in real time (writes not yet committed included). */
    private Optional<JsonObject> noteDoc(String id) throws IOException {
        JsonObject r = http.get("/" + collection + "/get", Map.of("id", noteDocId(Objects.requireNonNull(id, "id")),
                "fl", NOTE_FIELDS));
        JsonElement doc = r.get("doc");
        return doc == null || doc.isJsonNull() ? Optional.empty() : Optional.of(doc.getAsJsonObject());
    }

    @Override
    public List<Chunk> chunks(String id) throws IOException {
        List<Chunk> out = new ArrayList<>();
        for (JsonElement e : chunkDocs(id, false)) {
            JsonObject d = e.getAsJsonObject();
            out.add(chunk(d, str(d, "title")));
        }
        return out;
    }

    /** The note's chunk documents in order (with vectors if asked). */
    private JsonArray chunkDocs(String id, boolean vectors) throws IOException {
        refresh();
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("q", "{!term f=note_id v=$nid}");
        p.put("nid", Objects.requireNonNull(id, "id"));
        p.put("fq", "kind:chunk");
        p.put("sort", "ord asc");
        p.put("rows", 100_000);
        p.put("fl", "id,title,ord,chunk,chunk_start,chunk_end,page,section" + (vectors ? ",vector" : ""));
        return select(p);
    }

    private static Chunk chunk(JsonObject d, String title) {
        String text = str(d, "chunk");
        return new Chunk(d.get("ord").getAsInt(), d.get("chunk_start").getAsInt(), d.get("chunk_end").getAsInt(), text,
                title.isBlank() ? text : title.strip() + "\n" + text, d.has("page") ? d.get("page").getAsInt() : 0,
                str(d, "section"));
    }

    @Override
    public Optional<String> fingerprint(String id) throws IOException {
        checkOpen();
        return noteDoc(id).map(d -> str(d, "fingerprint"));
    }

    @Override
    public Optional<ChunkedNote> getChunked(String id) throws IOException {
        for (int attempt = 0; attempt < MAX_VERSION_RETRIES; attempt++) {
            refresh();
            Optional<JsonObject> head = noteDoc(id);
            if (head.isEmpty()) {
                return Optional.empty();
            }
            Note note = note(head.get());
            JsonArray docs = chunkDocs(id, true);
            List<Chunk> chunks = new ArrayList<>();
            List<float[]> vectors = new ArrayList<>();
            for (JsonElement e : docs) {
                JsonObject d = e.getAsJsonObject();
                chunks.add(chunk(d, note.title()));
                JsonArray v = d.getAsJsonArray("vector");
                float[] f = new float[v.size()];
                for (int i = 0; i < f.length; i++) {
                    f[i] = v.get(i).getAsFloat();
                }
                vectors.add(f);
            }
            try {
                return Optional.of(new ChunkedNote(note, chunks, vectors, str(head.get(), "fingerprint")));
            } catch (IllegalArgumentException e) {
                // the note was replaced between the two reads (its chunks are another version's): read again
            }
        }
        throw new IOException("note '" + id + "' in " + location + " kept changing while it was read; try again");
    }

    @Override
    public List<Note> list(SearchFilter filter, int offset, int limit) throws IOException {
        Objects.requireNonNull(filter, "filter");
        if (offset < 0) {
            throw new IllegalArgumentException("offset=" + offset + ", must be >= 0");
        }
        if (limit < 0 || (long) offset + limit > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("limit=" + limit + ", must be in [0, " + (Integer.MAX_VALUE - 16 - offset) + "]");
        }
        refresh();
        if (limit == 0) {
            return List.of();
        }
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("q", "kind:note");
        p.put("fq", filterQueries(filter, p));
        p.put("sort", "updated desc,note_id asc");
        p.put("start", offset);
        p.put("rows", limit);
        p.put("fl", NOTE_FIELDS);
        List<Note> out = new ArrayList<>();
        for (JsonElement e : select(p)) {
            out.add(note(e.getAsJsonObject()));
        }
        return out;
    }

    @Override
    public IndexStats stats() throws IOException {
        refresh();
        return new IndexStats(count("note"), count("chunk"), sizeOnDisk(), options.modelId(), options.dimension(), recipe,
                VectorFormat.FLOAT32, 0);
    }

    /**
     * Bytes of the collection's index files over all its replicas: each node that was live at open
     * asked (once: a node that is down counts nothing) for the status of its cores ({@code
     * /admin/cores?action=STATUS}, which works where the metrics API is off); 0 when no node says.
     */
    private long sizeOnDisk() {
        long size = 0;
        for (String node : liveNodes) {
            try {
                JsonObject status = http.getOnce(node, "/admin/cores", Map.of("action", "STATUS", "indexInfo", "true"))
                        .getAsJsonObject("status");
                if (status == null) {
                    continue;
                }
                for (Map.Entry<String, JsonElement> e : status.entrySet()) {
                    if (!e.getValue().isJsonObject()) {
                        continue;
                    }
                    JsonObject core = e.getValue().getAsJsonObject();
                    JsonObject cloud = core.getAsJsonObject("cloud");
                    boolean ours = cloud != null && cloud.has("collection")
                            ? cloud.get("collection").getAsString().equals(collection)
                            : e.getKey().startsWith(collection + "_shard");
                    JsonObject index = core.getAsJsonObject("index");
                    if (ours && index != null && index.has("sizeInBytes")) {
                        size += index.get("sizeInBytes").getAsLong();
                    }
                }
            } catch (IOException | RuntimeException e) {
                // a node that is down holds no size we can count
            }
        }
        return size;
    }

    private static Note note(JsonObject d) {
        List<String> tags = new ArrayList<>();
        if (d.has("tag")) {
            for (JsonElement t : d.getAsJsonArray("tag")) {
                tags.add(t.getAsString());
            }
        }
        return new Note(str(d, "note_id"), str(d, "title"), str(d, "body"), tags, str(d, "source"),
                Instant.ofEpochMilli(d.get("created").getAsLong()), Instant.ofEpochMilli(d.get("updated").getAsLong()));
    }

    private static String str(JsonObject d, String field) {
        JsonElement e = d.get(field);
        return e == null || e.isJsonNull() ? "" : e.getAsString();
    }

    // ---------------------------------------------------------------- search

    /** A chunk in one list: its document, note id and score. */
    private record ListHit(JsonObject doc, String chunkId, String noteId, double score) {}

    @Override
    public List<SearchHit> search(SearchRequest r) throws IOException {
        Objects.requireNonNull(r, "request");
        options.checkQuery(r.vector());
        refresh();
        int depth = r.mode() == SearchMode.HYBRID ? r.depth() : r.k();
        List<ListHit> dense = r.mode() == SearchMode.BM25 ? List.of() : list(r, true, depth);
        List<ListHit> bm25 = r.mode() == SearchMode.DENSE ? List.of() : list(r, false, depth);
        List<SearchHit> out = new ArrayList<>();
        switch (r.mode()) {
            case DENSE -> {
                for (int i = 0; i < dense.size(); i++) {
                    ListHit h = dense.get(i);
                    out.add(hit(h.doc(), i + 1, h.score(), i + 1, h.score(), 0, Double.NaN));
                }
            }
            case BM25 -> {
                for (int i = 0; i < bm25.size(); i++) {
                    ListHit h = bm25.get(i);
                    out.add(hit(h.doc(), i + 1, h.score(), 0, Double.NaN, i + 1, h.score()));
                }
            }
            case HYBRID -> {
                // items: chunk ids, or note ids when grouped (each list then ranks notes)
                for (Rrf.HybridHit<ListHit> h : Rrf.hybrid(dense, bm25,
                        l -> r.groupByNote() ? l.noteId() : l.chunkId(), r.rrfK(), r.k())) {
                    out.add(hit(h.shown().doc(), h.rank(), h.score(), h.denseRank(),
                            h.dense() == null ? Double.NaN : h.dense().score(), h.bm25Rank(),
                            h.bm25() == null ? Double.NaN : h.bm25().score()));
                }
            }
        }
        return out;
    }

    /**
     * One ranked list, at most {@code n} hits; grouped, each note's best chunk only (fetching
     * deeper, four times as deep each time, until n notes are found or the list ends).
     */
    private List<ListHit> list(SearchRequest r, boolean dense, int n) throws IOException {
        String text = dense ? null : queryText(r.text());
        if (!dense && text.isEmpty()) {
            return List.of(); // no word to search for
        }
        int fetch = n;
        while (true) {
            Map<String, Object> p = new LinkedHashMap<>();
            if (dense) {
                int candidates = Math.max(fetch, options.knnCandidates());
                p.put("q", "{!knn f=vector topK=" + candidates + " v=$qv}");
                p.put("qv", vector(r.vector()));
            } else {
                p.put("q", "{!lucene df=text q.op=OR sow=true v=$qq}");
                p.put("qq", text);
            }
            List<String> fq = filterQueries(r.filter(), p);
            fq.add(0, "kind:chunk");
            p.put("fq", fq); // with a knn main query, Solr applies the fq's inside the HNSW search (a pre-filter)
            p.put("rows", fetch);
            p.put("fl", HIT_FIELDS);
            p.put("sort", "score desc,id asc");
            JsonArray docs = select(p);
            List<ListHit> hits = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (JsonElement e : docs) {
                JsonObject d = e.getAsJsonObject();
                String noteId = str(d, "note_id");
                if (!r.groupByNote() || seen.add(noteId)) {
                    hits.add(new ListHit(d, str(d, "id"), noteId, d.get("score").getAsDouble()));
                    if (hits.size() == n) {
                        break;
                    }
                }
            }
            if (!r.groupByNote() || hits.size() >= n || docs.size() < fetch || fetch >= MAX_GROUPING_FETCH) {
                return hits;
            }
            fetch = Math.min(MAX_GROUPING_FETCH, fetch * 4);
        }
    }

    private static String vector(float[] v) {
        StringBuilder sb = new StringBuilder(v.length * 12).append('[');
        for (int i = 0; i < v.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(v[i]);
        }
        return sb.append(']').toString();
    }

    /** Characters Solr's standard query parser gives a meaning; escaped, they are text. */
    private static final String SYNTAX = "+-&|!(){}[]^\"~*?:\\/";

    /**
     * The query text for Solr's standard parser as words, never as its syntax: every character the
     * parser gives a meaning ({@code + - & | ! ( ) { } [ ] ^ " ~ * ? : \ /}) escaped, and the
     * upper-case operators {@code AND OR NOT TO} lower-cased (to the analyzer they are stop words
     * or plain words), so that the analyzer sees the same words as the local index's; at most
     * {@value #MAX_QUERY_WORDS} whitespace-separated words (Solr's clause limit). Empty when there
     * is no word.
     */
    static String queryText(String text) {
        List<String> words = new ArrayList<>();
        for (String w : text.strip().split("\\s+")) {
            if (w.isEmpty()) {
                continue;
            }
            if (words.size() == MAX_QUERY_WORDS) {
                break;
            }
            if (w.equals("AND") || w.equals("OR") || w.equals("NOT") || w.equals("TO")) {
                w = w.toLowerCase(Locale.ROOT);
            }
            StringBuilder sb = new StringBuilder(w.length() + 4);
            for (int i = 0; i < w.length(); i++) {
                char c = w.charAt(i);
                if (SYNTAX.indexOf(c) >= 0) {
                    sb.append('\\');
                }
                sb.append(c);
            }
            words.add(sb.toString());
        }
        return String.join(" ", words);
    }

    /**
     * The filter as Solr filter queries on the chunk (or note) documents' own fields; values
     * passed as parameters ({@code $ft0}) added to {@code params}, never spliced into query syntax.
     */
    private static List<String> filterQueries(SearchFilter f, Map<String, Object> params) {
        List<String> fq = new ArrayList<>();
        int n = 0;
        for (String t : f.allTags()) {
            String p = "ft" + n++;
            params.put(p, t);
            fq.add("{!term f=tag v=$" + p + "}");
        }
        if (!f.anyTags().isEmpty()) {
            StringBuilder any = new StringBuilder("{!bool");
            for (String t : f.anyTags()) {
                String p = "ft" + n++;
                String q = "fq" + n;
                params.put(p, t);
                params.put(q, "{!term f=tag v=$" + p + "}");
                any.append(" should=$").append(q);
            }
            fq.add(any.append('}').toString());
        }
        range(fq, "created", f.createdFrom(), f.createdTo());
        range(fq, "updated", f.updatedFrom(), f.updatedTo());
        return fq;
    }

    private static void range(List<String> fq, String field, Instant from, Instant to) {
        if (from == null && to == null) {
            return;
        }
        String lo = from == null ? "*" : Long.toString(from.toEpochMilli());
        String hi = to == null ? "*" : Long.toString(to.toEpochMilli() - 1); // exclusive upper bound
        fq.add(field + ":[" + lo + " TO " + hi + "]");
    }

    private static SearchHit hit(JsonObject d, int rank, double score, int dr, double ds, int br, double bs) {
        List<String> tags = new ArrayList<>();
        if (d.has("tag")) {
            for (JsonElement t : d.getAsJsonArray("tag")) {
                tags.add(t.getAsString());
            }
        }
        return new SearchHit(str(d, "note_id"), str(d, "title"), tags, str(d, "source"),
                Instant.ofEpochMilli(d.get("created").getAsLong()), d.get("ord").getAsInt(), str(d, "chunk"),
                d.get("chunk_start").getAsInt(), d.get("chunk_end").getAsInt(), rank, score, dr, ds, br, bs,
                d.has("page") ? d.get("page").getAsInt() : 0, str(d, "section"));
    }

    // ---------------------------------------------------------------- lifecycle

    /** @throws UnsupportedOperationException always: a cluster index has no local folder ({@link #location()}). */
    @Override
    public Path path() {
        throw new UnsupportedOperationException("the index at " + location + " is on a cluster, not in a local folder");
    }

    @Override
    public URI location() {
        return location;
    }

    /** The collection's name. */
    public String collection() {
        return collection;
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("index " + location + " is closed");
        }
    }

    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long w = writes.get();
        if (committed.get() < w) {
            http.postJson("/" + collection + "/update", Map.of("commit", "true", "waitSearcher", "true"), "{}");
        }
    }

    @Override
    public String toString() {
        return "ClusterNoteIndex[" + location + "]";
    }

}
