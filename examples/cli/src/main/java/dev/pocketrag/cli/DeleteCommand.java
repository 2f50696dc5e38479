package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Settings;

import dev.pocketrag.retrieval.Notebook;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete notes by id.")
final class DeleteCommand implements Callable<Integer> {
    @Mixin
    NotebookOptions notebook;

    @Parameters(paramLabel = "ID", arity = "1..*", description = "Ids of the notes (see `pocketrag list`).")
    List<String> ids;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        int missing = 0;
        try (Notebook nb = notebook.open(Settings.load())) {
            for (String id : ids) {
                if (nb.delete(id)) {
                    spec.commandLine().getOut().println("deleted " + id);
                } else {
                    spec.commandLine().getErr().println("error: no note with id '" + id + "'");
                    missing++;
                }
            }
        }
        return missing == 0 ? 0 : ErrorHandler.EXIT_ERROR;
    }
}
