package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Settings;

import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.retrieval.Notebook;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --dir} and {@code --index-url}, shared by every command that opens the notebook. */
final class NotebookOptions {
    @Option(names = "--dir", paramLabel = "DIR",
            description = "Notebook directory (default: $POCKETRAG_DIR, dir= in the config file, "
                    + "$XDG_DATA_HOME/pocketrag or ~/.local/share/pocketrag).")
    Path dir;

    @Option(names = "--index-url", paramLabel = "URL",
            description = "Keep the notes (text, chunks, vectors, BM25) in the index at URL instead of the notebook"
                    + " directory, e.g. a search cluster shared by several machines (credentials from"
                    + " $POCKETRAG_INDEX_USER and $POCKETRAG_INDEX_PASSWORD, or $POCKETRAG_INDEX_TOKEN), or"
                    + " file:/path/to/index. Threads, watched folders and the prompt cache stay in the notebook"
                    + " directory. Default: $POCKETRAG_INDEX_URL, else index-url= in the config file, else none.")
    String indexUrl;

    /**
     * The index URL: {@code --index-url}, else {@code $POCKETRAG_INDEX_URL}, else {@code index-url=};
     * null for the index in the notebook directory.
     *
     * @throws UserException naming the value and where it comes from if it is not a usable URL
     */
    java.net.URI indexUrl(Settings config) {
        try {
            return config.indexUrl(indexUrl).orElse(null);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }

    /** A builder of the notebook in {@link #directory}, on {@link #indexUrl} when there is one. */
    Notebook.Builder builder(Settings config) {
        return Notebook.builder(directory(config)).indexUrl(indexUrl(config));
    }

    /** Where the notes are, for a command's output: the index URL (without credentials), else the directory. */
    String where(Settings config) {
        java.net.URI u = indexUrl(config);
        return u == null ? directory(config).toString()
                : directory(config) + " (index at " + dev.pocketrag.retrieval.RemoteIndexException.redacted(u) + ")";
    }

    /** The command this is mixed into: its name says what holds the notebook. */
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    Path directory(Settings config) {
        return config.dataDir(dir);
    }

    /**
     * Opens the notebook to change it; the chat model (if any) is closed with it. The embedding
     * model ({@code embedder}: a built-in name, null for the notebook's own) loads when first used:
     * a command that only deletes notes never loads it. Another process that finds the notebook in
     * use is told this command holds it.
     */
    Notebook open(Settings config, ChatModel model, String embedder) throws IOException {
        return described(buildWaitingForWatch(builder(config).embedder(embedder)
                .chatModel(model, true)));
    }

    /** What {@code pocketrag watch} says holds the notebook (it lets go after each write). */
    static final String WATCH_HOLDER = "pocketrag watch (it writes for a moment and lets go; commands that write"
            + " wait for it)";
    /** How long a command that writes waits for {@code pocketrag watch} to let go of the notebook. */
    static final long WAIT_FOR_WATCH_SECONDS = 120;

    /**
     * Builds the notebook; while {@code pocketrag watch} holds it (it writes for a moment at a
     * time), says so once on stderr and tries again, for at most {@value #WAIT_FOR_WATCH_SECONDS}
     * s. Any other holder is an error at once.
     */
    Notebook buildWaitingForWatch(Notebook.Builder b) throws IOException {
        boolean[] said = {false};
        return b.waitWhileHeld(busy -> {
            if (busy.holder() == null || !busy.holder().contains(WATCH_HOLDER)) {
                return false;
            }
            if (!said[0]) {
                java.io.PrintWriter err = command == null ? new java.io.PrintWriter(System.err, true)
                        : command.commandLine().getErr();
                err.println("pocketrag: `pocketrag watch` is writing to the notebook; waiting for it to let go");
                err.flush();
                said[0] = true;
            }
            return true;
        }, java.time.Duration.ofSeconds(WAIT_FOR_WATCH_SECONDS)).build();
    }

    /**
     * Opens the notebook to read only: no lock, so reading works while another process (say
     * {@code serve}) holds the notebook, and in a folder this user cannot write.
     */
    Notebook openToRead(Settings config) throws IOException {
        return openToRead(config, null);
    }

    /** {@link #openToRead(Settings)} with this embedder (a built-in name; null for the notebook's own). */
    Notebook openToRead(Settings config, String embedder) throws IOException {
        return builder(config).readOnly().embedder(embedder).build();
    }

    /** {@link #openToRead} for a command that will embed (a query, a question). */
    Notebook openToReadAndEmbed(Settings config, ChatModel model, String embedder) throws IOException {
        return builder(config).readOnly().embedder(embedder).loadEmbedderInBackground()
                .chatModel(model, true).build();
    }

    private Notebook described(Notebook nb) throws IOException {
        String name = command == null ? "a command" : command.name();
        try {
            nb.describeHolder("pocketrag " + name + " (wait until it is done, or stop it)");
        } catch (IOException e) {
            // a notebook on a disk this process cannot write the note to: others then say less
        }
        return nb;
    }

    Notebook open(Settings config) throws IOException {
        return open(config, null, null);
    }

    /**
     * {@link #open(Settings, ChatModel, String)} for a command that will embed (a query, a
     * question, a note): the embedding model starts loading on another thread now, while the index
     * opens.
     */
    Notebook openToEmbed(Settings config, ChatModel model, String embedder) throws IOException {
        return described(buildWaitingForWatch(builder(config).embedder(embedder)
                .loadEmbedderInBackground().chatModel(model, true)));
    }

    /** Loads a chat model (or returns {@code null}: none); may throw what loading a model throws. */
    interface ModelLoader {
        ChatModel load() throws IOException;
    }

    /**
     * {@link #openToReadAndEmbed(Settings, ChatModel, String)} with the chat model loaded by {@code
     * loader} while the embedding model already loads on another thread (the two take about the same
     * time cold).
     */
    Notebook openToEmbedWhileLoading(Settings config, String embedder, ModelLoader loader) throws IOException {
        Notebook.Builder b = builder(config).readOnly().embedder(embedder).loadEmbedderInBackground();
        Embedder e = b.resolveEmbedder(); // the notebook's own or the one named; a mismatch is refused before a model loads
        ChatModel model = null;
        boolean ok = false;
        try {
            model = loader.load();
            Notebook nb = b.embedder(e, true).chatModel(model, true).build();
            ok = true;
            return nb;
        } finally {
            if (!ok) {
                e.close();
                if (model != null) {
                    model.close();
                }
            }
        }
    }
}
