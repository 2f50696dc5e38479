package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates ../shared (models, references, datasets); tests that need it are skipped without it. */
final class SharedData {
    private SharedData() {}

    static Path file(String relative) {
        Path dir = Path.of(System.getProperty("pocketrag.shared", "../shared"));
        Path f = dir.resolve(relative);
        assumeTrue(Files.exists(f), () -> "skipped: " + f + " not found (../shared beside the checkout is absent)");
        return f;
    }
}
