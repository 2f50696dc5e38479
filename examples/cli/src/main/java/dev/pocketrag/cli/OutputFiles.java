package dev.pocketrag.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Checks on a file a command is about to write (a model, a logits base), before any work. */
final class OutputFiles {
    private OutputFiles() {}

    /** @throws UserException if the folder {@code file} would be written in does not exist */
    static void requireFolder(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new UserException("cannot write " + file + ": " + parent + " is not a directory");
        }
    }
}
