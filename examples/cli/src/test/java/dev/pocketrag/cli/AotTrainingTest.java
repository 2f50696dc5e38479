package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The AOT cache's training run: every command it runs does what it should, all inside its own folder. */
class AotTrainingTest {

    @Test
    void the_training_commands_all_succeed_and_stay_in_their_work_folder(@TempDir Path work) throws Exception {
        assertEquals(0, AotTraining.run(work.resolve("base"), false), "failed training commands are printed above");
        assertEquals(0, AotTraining.run(work.resolve("vector"), true), "failed training commands are printed above");
        work = work.resolve("vector");
        // the throwaway notebook and notes are where the training was told to work
        assertTrue(Files.isDirectory(work.resolve("notebook/index")), "notebook in the work folder");
        assertEquals(AotTraining.NOTES.size(), Files.list(work.resolve("notes")).count());
    }

    @Test
    void onnx_runtime_libraries_are_copied_as_onnx_runtime_names_them(@TempDir Path dir) throws Exception {
        assumeTrue(System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")
                && System.getProperty("os.arch").equals("amd64"), "checked on Linux x64");
        assertTrue(AotTraining.extractOnnxRuntime(dir));
        for (String name : List.of("libonnxruntime.so", "libonnxruntime4j_jni.so")) {
            byte[] expected;
            try (var in = getClass().getClassLoader().getResourceAsStream("ai/onnxruntime/native/linux-x64/" + name)) {
                expected = in.readAllBytes();
            }
            assertArrayEquals(expected, Files.readAllBytes(dir.resolve(name)), name);
        }
        assertTrue(Files.isRegularFile(dir.resolve("complete")), "written last, for the launcher to check");
    }
}
