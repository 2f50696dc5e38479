package dev.pocketrag.server;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The client's stdin as the SDK's stdio transport (2.0.1) reads it: only whole lines that are
 * JSON-RPC messages. That transport stops reading for good at the first line it cannot parse (a
 * blank one included) or one longer than 16 Mi characters, and the server would then wait for a
 * client that it no longer hears; here such a line is answered with a JSON-RPC parse error
 * ({@code badLine}) and left out. Each request passed on is told to {@code requests} (its id), and
 * the end of the input waits for {@code atEnd} before the transport sees it.
 */
final class StdioLines extends InputStream {
    /** The longest line passed on, in bytes (the SDK's limit is 16 Mi characters). */
    static final int MAX_LINE = 8 << 20;

    private final InputStream in;
    private final McpJsonMapper mapper;
    private final Consumer<Object> requests;
    private final Consumer<String> badLine;
    private final Runnable atEnd;
    private final byte[] buf = new byte[16384];
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    /** Skipping the rest of a line that was too long. */
    private boolean skipping;
    private byte[] ready = new byte[0];
    private int pos;
    private boolean ended;

    /**
     * @param requests told the id of each request passed on
     * @param badLine answers a line left out (the reason)
     * @param atEnd runs when the input ends, before the reader sees the end
     */
    StdioLines(InputStream in, McpJsonMapper mapper, Consumer<Object> requests, Consumer<String> badLine, Runnable atEnd) {
        this.in = in;
        this.mapper = mapper;
        this.requests = requests;
        this.badLine = badLine;
        this.atEnd = atEnd;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (pos == ready.length) {
            if (ended) {
                return -1;
            }
            int n;
            try {
                n = in.read(buf);
            } catch (IOException e) {
                ended = true;
                atEnd.run();
                throw e;
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (n < 0) {
                ended = true;
                if (!skipping && line.size() > 0) {
                    complete(out); // a last line without its line break
                }
                ready = out.toByteArray();
                pos = 0;
                if (ready.length == 0) {
                    atEnd.run();
                    return -1;
                }
                break;
            }
            for (int i = 0; i < n; i++) {
                byte c = buf[i];
                if (c == '\n') {
                    if (!skipping) {
                        complete(out);
                    }
                    skipping = false;
                    line.reset();
                } else if (!skipping) {
                    if (line.size() >= MAX_LINE) {
                        skipping = true;
                        line.reset();
                        badLine.accept("a message longer than " + MAX_LINE + " bytes");
                    } else {
                        line.write(c);
                    }
                }
            }
            ready = out.toByteArray();
            pos = 0;
        }
        int k = Math.min(len, ready.length - pos);
        System.arraycopy(ready, pos, b, off, k);
        pos += k;
        return k;
    }

    /** Passes the line read on to {@code out} if it is a JSON-RPC message; answers it if not (blank: ignored). */
    private void complete(ByteArrayOutputStream out) {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (text.isBlank()) {
            return;
        }
        McpSchema.JSONRPCMessage m;
        try {
            m = McpSchema.deserializeJsonRpcMessage(mapper, text);
        } catch (IOException | RuntimeException e) {
            badLine.accept("a line that is not a JSON-RPC message: " + Http.oneLine(String.valueOf(e.getMessage())));
            return;
        }
        if (m instanceof McpSchema.JSONRPCRequest r && r.id() != null) {
            requests.accept(r.id());
        }
        byte[] bytes = text.strip().getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, bytes.length);
        out.write('\n');
    }
}
