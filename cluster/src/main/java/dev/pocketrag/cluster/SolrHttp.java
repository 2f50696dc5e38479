package dev.pocketrag.cluster;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Requests to a SolrCloud cluster over HTTP (the JDK's client), JSON answers (gson).
 *
 * <p>Every request goes to one of the cluster's nodes (the one the URL names first, then the live
 * nodes the cluster reported); when a node cannot be reached, or the cluster answers that it is
 * not ready (502, 503, 504, or a 500 about a missing shard leader while one is elected), the
 * request is tried again on the next node after a pause that doubles each time ({@link Retry}).
 * When every attempt failed the {@link IOException} names the collection's URL (never the
 * credentials), the attempts and the last cause.
 */
final class SolrHttp {

    /**
     * How often and how patiently a request is tried.
     *
     * @param attempts tries in all, at least 1
     * @param firstPause the pause after the first failure; each next pause is twice the last
     * @param maxPause the longest pause
     */
    record Retry(int attempts, Duration firstPause, Duration maxPause) {
        /** About 20 s of retrying: enough for SolrCloud to elect a new shard leader after a node died. */
        static final Retry DEFAULT = new Retry(9, Duration.ofMillis(100), Duration.ofSeconds(5));

        Retry {
            if (attempts < 1 || attempts > 100) {
                throw new IllegalArgumentException("attempts=" + attempts + ", must be in [1, 100]");
            }
            Objects.requireNonNull(firstPause, "firstPause");
            Objects.requireNonNull(maxPause, "maxPause");
        }
    }

    /**
     * Credentials sent with every request; {@link #toString()} never shows them.
     *
     * @param header the Authorization header's value, or null for none
     */
    record Credentials(String header) {
        static final Credentials NONE = new Credentials(null);

        /**
         * From the environment: {@code POCKETRAG_INDEX_TOKEN} (a bearer token), else {@code
         * POCKETRAG_INDEX_USER} with {@code POCKETRAG_INDEX_PASSWORD} (basic), else none.
         */
        static Credentials from(Map<String, String> env) {
            String token = env.get("POCKETRAG_INDEX_TOKEN");
            if (token != null && !token.isBlank()) {
                return new Credentials("Bearer " + token.strip());
            }
            String user = env.get("POCKETRAG_INDEX_USER");
            if (user != null && !user.isBlank()) {
                String password = Objects.requireNonNullElse(env.get("POCKETRAG_INDEX_PASSWORD"), "");
                return new Credentials("Basic " + Base64.getEncoder().encodeToString(
                        (user + ":" + password).getBytes(StandardCharsets.UTF_8)));
            }
            return NONE;
        }

        @Override
        public String toString() {
            return header == null ? "no credentials" : header.startsWith("Bearer") ? "a bearer token" : "basic auth";
        }
    }

    /** The cluster refused a write because the note's version moved (HTTP 409). */
    static final class VersionConflict extends IOException {
        private static final long serialVersionUID = 1L;

        VersionConflict(String message) {
            super(message);
        }
    }

    /** Solr answered with an error status that retrying does not cure (the message is Solr's). */
    static final class SolrError extends IOException {
        private static final long serialVersionUID = 1L;
        private final int status;

        SolrError(int status, String message) {
            super(message);
            this.status = status;
        }

        int status() {
            return status;
        }
    }

    private static final System.Logger LOG = System.getLogger(SolrHttp.class.getName());
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(120);

    private final HttpClient client;
    /** What messages call the cluster: the collection's URL without credentials. */
    private final String shownAs;
    private final Credentials credentials;
    private final Retry retry;
    /** Base URLs of nodes ({@code http://host:port/solr}), the first the one the user named. */
    private volatile List<String> nodes;
    /** The node requests go to now (an index into {@link #nodes}). */
    private volatile int current;

    SolrHttp(String baseUrl, String shownAs, Credentials credentials, Retry retry) {
        this.client = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.shownAs = shownAs;
        this.credentials = credentials;
        this.retry = retry;
        this.nodes = List.of(baseUrl);
    }

    /** Adds nodes (base URLs) to fail over to, after those known. */
    void addNodes(List<String> more) {
        List<String> all = new ArrayList<>(nodes);
        for (String n : more) {
            if (!all.contains(n)) {
                all.add(n);
            }
        }
        nodes = List.copyOf(all);
    }

    List<String> nodes() {
        return nodes;
    }

    /** GET {@code path} (below a node's base URL) with {@code params}; the answer's JSON. */
    JsonObject get(String path, Map<String, ?> params) throws IOException {
        return send("GET", path, params, null, null);
    }

    /** GET from one node, once (no retry, no failover): for what each node says of itself. */
    JsonObject getOnce(String node, String path, Map<String, ?> params) throws IOException {
        return send(node, 1, "GET", path, params, null, null);
    }

    /** POST a JSON body. */
    JsonObject postJson(String path, Map<String, ?> params, String json) throws IOException {
        return send("POST", path, params, json.getBytes(StandardCharsets.UTF_8), "application/json");
    }

    /** POST bytes of a type. */
    JsonObject post(String path, Map<String, ?> params, byte[] body, String contentType) throws IOException {
        return send("POST", path, params, body, contentType);
    }

    /** POST form parameters (a long query's parameters do not fit a URL). */
    JsonObject postForm(String path, Map<String, ?> params) throws IOException {
        return send("POST", path, Map.of(), query(params).getBytes(StandardCharsets.UTF_8),
                "application/x-www-form-urlencoded");
    }

    /** {@code k=v&k=v...} URL-encoded; a list value repeats its key. */
    static String query(Map<String, ?> params) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, ?> e : params.entrySet()) {
            List<?> values = e.getValue() instanceof List<?> l ? l : List.of(e.getValue());
            for (Object v : values) {
                if (!sb.isEmpty()) {
                    sb.append('&');
                }
                sb.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(String.valueOf(v), StandardCharsets.UTF_8));
            }
        }
        return sb.toString();
    }

    private JsonObject send(String method, String path, Map<String, ?> params, byte[] body, String contentType)
            throws IOException {
        return send(null, retry.attempts(), method, path, params, body, contentType);
    }

    /** {@code fixedNode}: that node only, else the current node and failover; {@code attempts} in all. */
    private JsonObject send(String fixedNode, int attempts, String method, String path, Map<String, ?> params,
            byte[] body, String contentType) throws IOException {
        Map<String, Object> all = new LinkedHashMap<>(params);
        all.put("wt", "json");
        String q = query(all);
        IOException last = null;
        long pause = retry.firstPause().toMillis();
        for (int attempt = 1; attempt <= attempts; attempt++) {
            List<String> known = nodes;
            int node = Math.floorMod(current, known.size());
            URI uri = URI.create((fixedNode != null ? fixedNode : known.get(node)) + path + "?" + q);
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).header("Accept", "application/json");
            if (credentials.header() != null) {
                b.header("Authorization", credentials.header());
            }
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            if (contentType != null) {
                b.header("Content-Type", contentType);
            }
            String why;
            try {
                HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                int status = r.statusCode();
                if (status == 200) {
                    return parse(r.body(), path);
                }
                String msg = errorMessage(r.body());
                if (status == 409) {
                    throw new VersionConflict(msg);
                }
                if (status == 401 || status == 403) {
                    throw new SolrError(status, "the index at " + shownAs + " refused the request (HTTP " + status + ", "
                            + credentials + " sent; set POCKETRAG_INDEX_USER and POCKETRAG_INDEX_PASSWORD, or"
                            + " POCKETRAG_INDEX_TOKEN): " + msg);
                }
                if (!transientStatus(status, msg)) {
                    throw new SolrError(status, "the index at " + shownAs + " answered HTTP " + status + " to " + path
                            + ": " + msg);
                }
                why = "HTTP " + status + " from " + host(uri) + ": " + msg;
            } catch (HttpTimeoutException e) {
                why = "no answer from " + host(uri) + " in time (" + e.getMessage() + ")";
                last = e;
            } catch (VersionConflict | SolrError e) {
                throw e;
            } catch (IOException e) {
                why = "cannot reach " + host(uri) + ": " + describe(e);
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while talking to the index at " + shownAs);
            }
            IOException failure = new IOException(why, last);
            last = failure;
            if (attempt == attempts) {
                break;
            }
            LOG.log(System.Logger.Level.DEBUG, "attempt " + attempt + " at " + shownAs + " failed (" + why
                    + "); trying again in " + pause + " ms");
            current = node + 1; // the next node, if there is one
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting to retry the index at " + shownAs);
            }
            pause = Math.min(retry.maxPause().toMillis(), pause * 2);
        }
        throw new IOException("cannot reach the index at " + shownAs + " (" + attempts + " attempts over "
                + nodes.size() + " node" + (nodes.size() == 1 ? "" : "s") + "): " + last.getMessage(), last);
    }

    /** Whether an error status means "not now" (a node starting or stopping, a leader being elected). */
    private static boolean transientStatus(int status, String msg) {
        if (status == 502 || status == 503 || status == 504) {
            return true;
        }
        if (status == 500 || status == 400) {
            String m = msg.toLowerCase(java.util.Locale.ROOT);
            return m.contains("leader") || m.contains("no servers hosting shard") || m.contains("no active replica")
                    || m.contains("connection refused") || m.contains("cannot talk to zookeeper")
                    || m.contains("shard is not available") || m.contains("is not live");
        }
        return false;
    }

    private static String host(URI uri) {
        return uri.getHost() + ":" + uri.getPort();
    }

    private JsonObject parse(String body, String path) throws IOException {
        try {
            JsonElement e = JsonParser.parseString(body);
            if (!e.isJsonObject()) {
                throw new IOException("the index at " + shownAs + " answered " + path + " with JSON that is not an object");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IOException("the index at " + shownAs + " answered " + path + " with something that is not JSON"
                    + " (is it a Solr server?)", e);
        }
    }

    /** Solr's error message ({@code error.msg}), or the start of the body. */
    static String errorMessage(String body) {
        try {
            JsonObject o = JsonParser.parseString(body).getAsJsonObject();
            if (o.has("error") && o.getAsJsonObject("error").has("msg")) {
                return oneLine(o.getAsJsonObject("error").get("msg").getAsString());
            }
            if (o.has("exception") && o.getAsJsonObject("exception").has("msg")) {
                return oneLine(o.getAsJsonObject("exception").get("msg").getAsString());
            }
        } catch (RuntimeException e) {
            // not Solr's JSON: the body itself
        }
        return oneLine(body);
    }

    private static String oneLine(String s) {
        String t = s.replaceAll("\\s+", " ").strip();
        return t.length() <= 300 ? t : t.substring(0, 297) + "...";
    }

    static String describe(Throwable t) {
        Throwable cur = t;
        while (cur.getMessage() == null && cur.getCause() != null) {
            cur = cur.getCause();
        }
        return cur.getMessage() != null ? cur.getMessage() : cur.getClass().getSimpleName();
    }
}
