package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Settings;
import picocli.CommandLine.Option;

/** {@code --embedder}, shared by the commands that embed (or make a notebook). */
final class EmbedderOption {
    @Option(names = "--embedder", paramLabel = "NAME",
            description = "Embedding model: minilm (the default), bge-small or e5-small. A new notebook is made with it;"
                    + " an existing one keeps the one it was made with (default: that one, else embedder= in the config"
                    + " file), and naming another is refused: switch with `pocketrag reindex --embedder NAME`.")
    String name;

    /**
     * The built-in embedder to use: {@code --embedder}, else {@code embedder=} of the config file;
     * null for the notebook's own.
     *
     * @throws UserException if the name is not a built-in embedder (naming it and the choices)
     */
    String resolve(Settings config) {
        try {
            return config.embedder(name).orElse(null);
        } catch (IllegalArgumentException e) {
            throw new UserException((name != null ? "--embedder: " : "") + e.getMessage());
        }
    }
}
