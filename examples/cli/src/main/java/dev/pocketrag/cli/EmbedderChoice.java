package dev.pocketrag.cli;

import dev.pocketrag.embedder.EmbedderModel;
import dev.pocketrag.embedder.Embedders;
import java.util.Iterator;

/**
 * The {@code --embedder NAME} of the commands that embed without a notebook ({@code embed},
 * {@code eval sts}, {@code eval beir}): the built-in model names, which picocli lists in the help
 * ({@code ${COMPLETION-CANDIDATES}}), and the lookup of one.
 */
final class EmbedderChoice implements Iterable<String> {

    /** The help text of the option: the choices and the default. */
    static final String DESCRIPTION = "Embedding model: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).";

    @Override
    public Iterator<String> iterator() {
        return Embedders.names().iterator();
    }

    /**
     * The built-in model called {@code name}.
     *
     * @throws UserException naming {@code name} and the choices when there is none
     */
    static EmbedderModel model(String name) {
        try {
            return Embedders.model(name);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }
}
