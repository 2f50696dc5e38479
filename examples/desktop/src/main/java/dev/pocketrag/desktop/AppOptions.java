package dev.pocketrag.desktop;

import dev.pocketrag.retrieval.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How the app runs.
 *
 * @param directory the notebook directory
 * @param model the chat model file to load at start; null for extractive answers
 * @param ctx the chat model's context window; 0 for the model's own (at most 4096)
 * @param dark start in the dark theme
 * @param configFile where settings are saved (shared with the CLI)
 * @param embedders makes the embedder ({@link NotebookSession#BUILT_IN}: the notebook's own, or the
 *     built-in one named)
 * @param embedder the built-in embedder the config file names ({@code embedder=}); null for the
 *     notebook's own
 * @param retryEvery how often to retry a notebook another process holds
 * @param idleAfter how long the notebook stays open (locked) without use
 * @param indexUrl the index the notes are in ({@code index-url=} of the config file, or {@code
 *     $POCKETRAG_INDEX_URL}); null: the notebook directory's own
 */
record AppOptions(Path directory, Path model, int ctx, boolean dark, Path configFile,
        NotebookSession.EmbedderFactory embedders, String embedder, Duration retryEvery, Duration idleAfter,
        java.net.URI indexUrl) {

    /** Options with the notes in the notebook directory. */
    AppOptions(Path directory, Path model, int ctx, boolean dark, Path configFile,
            NotebookSession.EmbedderFactory embedders, String embedder, Duration retryEvery, Duration idleAfter) {
        this(directory, model, ctx, dark, configFile, embedders, embedder, retryEvery, idleAfter, null);
    }

    static final Duration RETRY_EVERY = Duration.ofSeconds(2);
    static final Duration IDLE_AFTER = Duration.ofSeconds(10);
    /** The config file key of the theme (this app's own; the CLI ignores it). */
    static final String THEME_KEY = "desktop.theme";

    AppOptions {
        Objects.requireNonNull(directory, "directory");
        if (ctx < 0) {
            throw new IllegalArgumentException("ctx must be 0 (the model's own) or positive; ctx=" + ctx);
        }
        Objects.requireNonNull(configFile, "configFile");
        Objects.requireNonNull(embedders, "embedders");
        Objects.requireNonNull(retryEvery, "retryEvery");
        Objects.requireNonNull(idleAfter, "idleAfter");
    }

    /**
     * The options from the command line's flags (each may be null / 0) and the config.
     *
     * @throws IllegalArgumentException if the config file names an embedder that is not built in,
     *     or an index URL that is not one
     */
    static AppOptions resolve(Settings config, Path dirFlag, Path modelFlag, int ctxFlag) {
        return new AppOptions(config.dataDir(dirFlag), config.model(modelFlag).orElse(null), config.ctx(ctxFlag),
                "dark".equalsIgnoreCase(config.get(THEME_KEY, "light")), config.fileLocation(),
                NotebookSession.BUILT_IN, config.embedder(null).orElse(null), RETRY_EVERY, IDLE_AFTER,
                config.indexUrl(null).orElse(null));
    }

    AppOptions withDark(boolean d) {
        return new AppOptions(directory, model, ctx, d, configFile, embedders, embedder, retryEvery, idleAfter,
                indexUrl);
    }
}
