package dev.pocketrag.remote;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Sending a request and reading a bounded answer; every failure is a {@link RemoteModelException} naming the URL. */
final class Transport {
    /** The longest SSE line, event or whole answer read from a server, in characters (bytes for whole answers). */
    static final int MAX_LINE_CHARS = 4 << 20;

    private Transport() {}

    static HttpResponse<InputStream> send(HttpClient client, HttpRequest request, URI uri, Duration timeout) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpConnectTimeoutException e) {
            throw new RemoteModelException(uri, 0, "cannot connect to chat server " + uri + ": timed out", e);
        } catch (HttpTimeoutException e) {
            throw new RemoteModelException(uri, 0, "chat server " + uri + " did not answer within "
                    + seconds(timeout), e);
        } catch (ConnectException e) {
            throw new RemoteModelException(uri, 0, "cannot connect to chat server " + uri + ": " + describe(e), e);
        } catch (IOException e) {
            throw new RemoteModelException(uri, 0, "request to chat server " + uri + " failed: " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RemoteModelException(uri, 0, "interrupted while waiting for chat server " + uri, null);
        }
    }

    static String readLimited(InputStream body, URI uri) {
        try (InputStream in = body) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                if (out.size() > MAX_LINE_CHARS) {
                    throw new RemoteModelException(uri, 0, "chat server " + uri + " sent more than " + MAX_LINE_CHARS
                            + " bytes in one answer", null);
                }
            }
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RemoteModelException(uri, 0, "reading from chat server " + uri + " failed: " + describe(e), e);
        }
    }

    static String seconds(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    static String describe(Throwable t) {
        Throwable cur = t;
        while (cur.getMessage() == null && cur.getCause() != null) {
            cur = cur.getCause();
        }
        return cur.getMessage() != null ? cur.getMessage() : cur.getClass().getSimpleName();
    }
}
