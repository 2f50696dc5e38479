package dev.pocketrag.server;

/**
 * A failed request, answered in OpenAI's error shape:
 * {@code {"error": {"message", "type", "param", "code"}}} with {@link #status}.
 */
final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final String type;
    final String param;
    final String code;

    ApiError(int status, String type, String message, String param, String code) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: bad JSON or a bad parameter (named in {@code param}). */
    static ApiError badRequest(String message, String param) {
        return new ApiError(400, "invalid_request_error", message, param, "invalid_value");
    }

    /** 400 with a specific code, e.g. {@code context_length_exceeded}. */
    static ApiError badRequest(String message, String param, String code) {
        return new ApiError(400, "invalid_request_error", message, param, code);
    }

    static ApiError unauthorized(String message) {
        return new ApiError(401, "invalid_request_error", message, null, "invalid_api_key");
    }

    static ApiError forbidden(String message) {
        return new ApiError(403, "invalid_request_error", message, null, "forbidden");
    }

    static ApiError notFound(String message) {
        return new ApiError(404, "invalid_request_error", message, null, "not_found");
    }

    static ApiError methodNotAllowed(String method, String path, String allow) {
        return new ApiError(405, "invalid_request_error",
                method + " is not allowed on " + path + "; allowed: " + allow, null, "method_not_allowed");
    }

    static ApiError tooLarge(long limit) {
        return new ApiError(413, "invalid_request_error",
                "the request body is larger than the limit of " + limit + " bytes", null, "request_too_large");
    }

    static ApiError unsupportedMediaType(String message) {
        return new ApiError(415, "invalid_request_error", message, null, "unsupported_media_type");
    }

    static ApiError queueFull(String message) {
        return new ApiError(429, "rate_limit_error", message, null, "queue_full");
    }

    static ApiError noModel() {
        return new ApiError(503, "server_error",
                "no chat model is loaded: start the server with --model FILE.gguf or --chat-url URL", "model",
                "model_not_loaded");
    }

    static ApiError internal(String message) {
        return new ApiError(500, "server_error", message, null, "internal_error");
    }
}
