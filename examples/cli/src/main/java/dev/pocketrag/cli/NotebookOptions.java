package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Settings;

import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.retrieval.Notebook;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --dir}, shared by every command that opens the notebook. */
final class NotebookOptions {
    @Option(names = "--dir", paramLabel = "DIR",
            description = "Notebook directory (default: $POCKETRAG_DIR, dir= in the config file, "
                    + "$XDG_DATA_HOME/pocketrag or ~/.local/share/pocketrag).")
    Path dir;

    /** The command this is mixed into: its name says what holds the notebook. */
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    Path directory(Settings config) {
        return config.dataDir(dir);
    }

    /**
     * Opens the notebook to change it; the chat model (if any) is closed with it. The embedding
     * model loads when first used: a command that only deletes notes never loads it. Another
     * process that finds the notebook in use is told this command holds it.
     */
    Notebook open(Settings config, ChatModel model) throws IOException {
        return described(Notebook.builder(directory(config)).chatModel(model, true).build());
    }

    /**
     * Opens the notebook to read only: no lock, so reading works while another process (say
     * {@code serve}) holds the notebook, and in a folder this user cannot write.
     */
    Notebook openToRead(Settings config) throws IOException {
        return Notebook.builder(directory(config)).readOnly().build();
    }

    /** {@link #openToRead} for a command that will embed (a query, a question). */
    Notebook openToReadAndEmbed(Settings config, ChatModel model) throws IOException {
        return Notebook.builder(directory(config)).readOnly().embedder(Embedders.miniLmInBackground(), true)
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
        return open(config, null);
    }

    /**
     * {@link #open(Settings, ChatModel)} for a command that will embed (a query, a question, a
     * note): the embedding model starts loading on another thread now, while the index opens.
     */
    Notebook openToEmbed(Settings config, ChatModel model) throws IOException {
        return described(Notebook.builder(directory(config)).embedder(Embedders.miniLmInBackground(), true)
                .chatModel(model, true).build());
    }

    /** Loads a chat model (or returns {@code null}: none); may throw what loading a model throws. */
    interface ModelLoader {
        ChatModel load() throws IOException;
    }

    /**
     * {@link #openToReadAndEmbed(Settings, ChatModel)} with the chat model loaded by {@code loader}
     * while the embedding model already loads on another thread (the two take about the same time
     * cold).
     */
    Notebook openToEmbedWhileLoading(Settings config, ModelLoader loader) throws IOException {
        Embedder embedder = Embedders.miniLmInBackground();
        ChatModel model = null;
        boolean ok = false;
        try {
            model = loader.load();
            Notebook nb = Notebook.builder(directory(config)).readOnly().embedder(embedder, true)
                    .chatModel(model, true).build();
            ok = true;
            return nb;
        } finally {
            if (!ok) {
                embedder.close();
                if (model != null) {
                    model.close();
                }
            }
        }
    }
}
