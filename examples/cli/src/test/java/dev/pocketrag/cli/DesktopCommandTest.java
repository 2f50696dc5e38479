package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pocketrag desktop} without the desktop jar on the class path (as in this module's tests). */
class DesktopCommandTest {

    @Test
    void says_in_one_line_how_to_start_the_app_when_it_is_not_on_the_class_path(@TempDir Path dir) {
        CliRun r = CliRun.of("desktop", "--dir", dir.toString());
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().startsWith("error: the desktop app is not on the class path"), r::toString);
        assertTrue(r.err().contains("./pocketrag desktop"), r::toString);
        assertEquals(1, r.err().strip().lines().count(), "one line, no stack trace: " + r);
    }

    @Test
    void rejects_a_context_below_one() {
        CliRun r = CliRun.of("desktop", "--ctx", "0");
        assertEquals(2, r.exitCode(), r::toString);
        assertTrue(r.err().contains("--ctx 0 must be at least 1"), r::toString);
    }

    @Test
    void is_listed_in_the_help() {
        CliRun r = CliRun.of("--help");
        assertTrue(r.out().contains("desktop"), r::toString);
    }
}
