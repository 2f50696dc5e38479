package dev.pocketrag.server;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The chat page: {@code index.html}, {@code app.js} and {@code style.css} from this jar
 * ({@code dev/pocketrag/server/web/}), served with a Content-Security-Policy that allows nothing
 * but this server, so the page works offline and cannot load anything from elsewhere.
 */
final class StaticPage {
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private record Asset(byte[] bytes, String type) {}

    private final Map<String, Asset> assets;

    StaticPage() {
        this.assets = Map.of(
                "/", load("index.html", "text/html; charset=utf-8"),
                "/index.html", load("index.html", "text/html; charset=utf-8"),
                "/app.js", load("app.js", "text/javascript; charset=utf-8"),
                "/style.css", load("style.css", "text/css; charset=utf-8"));
    }

    private static Asset load(String name, String type) {
        try (InputStream in = StaticPage.class.getResourceAsStream("web/" + name)) {
            if (in == null) {
                throw new IllegalStateException("resource dev/pocketrag/server/web/" + name + " is missing from the jar");
            }
            return new Asset(in.readAllBytes(), type);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the page resource " + name, e);
        }
    }

    void serve(HttpExchange ex, String path) throws IOException {
        String method = ex.getRequestMethod();
        if (path.equals("/favicon.ico")) {
            PocketragServer.allow(ex, method, "GET, HEAD");
            ex.sendResponseHeaders(204, -1);
            ex.close();
            return;
        }
        Asset a = assets.get(path);
        if (a == null) {
            throw ApiError.notFound("no such page: " + path);
        }
        PocketragServer.allow(ex, method, "GET, HEAD");
        var h = ex.getResponseHeaders();
        h.set("Content-Type", a.type());
        h.set("Content-Security-Policy", CSP);
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Referrer-Policy", "no-referrer");
        h.set("Cache-Control", "no-cache");
        boolean head = method.equals("HEAD");
        ex.sendResponseHeaders(200, head ? -1 : a.bytes().length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(a.bytes());
            }
        }
        ex.close();
    }
}
