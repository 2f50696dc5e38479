package dev.pocketrag.remote;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;

/**
 * A call to a remote chat server failed: it could not be reached, timed out, answered with an
 * HTTP error, or sent something that is not the OpenAI chat API. The message names the URL and,
 * for HTTP errors, the status and the server's own error message.
 */
public final class RemoteModelException extends UncheckedIOException {
    private static final long serialVersionUID = 1L;

    private final URI uri;
    private final int status;

    /**
     * @param uri the endpoint called
     * @param status the HTTP status the server answered, 0 if there was no answer
     * @param message what went wrong, in one line
     * @param cause the underlying I/O failure, or null
     */
    public RemoteModelException(URI uri, int status, String message, IOException cause) {
        super(message, cause != null ? cause : new IOException(message));
        this.uri = uri;
        this.status = status;
    }

    /** The endpoint that failed. */
    public URI uri() {
        return uri;
    }

    /** The HTTP status the server answered with, 0 if it did not answer (or the stream broke). */
    public int status() {
        return status;
    }
}
