package dev.pocketrag.desktop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.generation.GgufChatModel;
import dev.pocketrag.generation.gguf.GgufFormatException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The settings dialog's model chooser: loading a chosen file, and what fits says about it. */
class ModelSettingsTest {

    /** As the window loads the model the dialog chose (GgufChatModel.load, the one GGUF loader). */
    private static ChatModel load(Path file, int ctx) throws Exception {
        return GgufChatModel.load(file, GgufChatModel.Options.defaults().withContextLength(ctx));
    }

    private static Path stories() {
        String shared = System.getProperty("pocketrag.shared");
        assumeTrue(shared != null && Files.isDirectory(Path.of(shared)), "../shared not found (pocketrag.shared)");
        Path p = Path.of(shared, "models", "stories260K.gguf");
        assumeTrue(Files.isRegularFile(p), "no " + p);
        return p;
    }

    @Test
    void rejects_a_missing_file_a_folder_and_a_file_that_is_not_gguf(@TempDir Path tmp) throws Exception {
        assertThrows(NoSuchFileException.class, () -> load(tmp.resolve("nope.gguf"), 0));
        IllegalArgumentException dir = assertThrows(IllegalArgumentException.class, () -> load(tmp, 0));
        assertTrue(dir.getMessage().contains(tmp.toString()), dir.getMessage());
        Path text = tmp.resolve("notes.gguf");
        Files.writeString(text, "these are notes, not a model\n".repeat(10));
        assertThrows(GgufFormatException.class, () -> load(text, 0));
        IllegalArgumentException ctx = assertThrows(IllegalArgumentException.class, () -> load(text, -1));
        assertTrue(ctx.getMessage().contains("contextLength=-1"), ctx.getMessage());
    }

    @Test
    void a_valid_gguf_loads_with_the_context_chosen() throws Exception {
        Path model = stories();
        try (ChatModel m = load(model, 256)) {
            assertEquals(256, m.contextLength());
            assertTrue(m.countTokens("Once upon a time") > 0);
        }
        try (ChatModel m = load(model, 0)) {
            assertEquals(FitsReport.defaultContext(2048), m.contextLength(), "0: the model's own (2048), at most 4096");
        }
    }

    @Test
    void fits_report_says_whether_the_model_fits_in_the_memory_given() throws Exception {
        Path model = stories();
        String roomy = FitsReport.describe(model, 0, 1L << 40);
        List<String> lines = roomy.lines().toList();
        assertTrue(lines.get(0).startsWith("model:     stories260K.gguf (llama, 5 layers"), roomy);
        assertTrue(roomy.contains("RAM:       1.00 TiB: fits") || roomy.contains(": fits"), roomy);
        assertTrue(roomy.contains("largest context that fits"), roomy);

        String tight = FitsReport.describe(model, 0, 1024);
        assertTrue(tight.contains("does NOT fit"), tight);
        assertTrue(tight.contains("none (the weights alone do not fit)"), tight);

        String beyond = FitsReport.describe(model, 1 << 16, 1L << 40);
        assertTrue(beyond.contains("context:   65536 (beyond the trained context"), beyond);
        assertThrows(IllegalArgumentException.class, () -> FitsReport.describe(model, -1, 1L << 40));
    }

    @Test
    void default_context_is_the_trained_one_up_to_4096() {
        assertEquals(2048, FitsReport.defaultContext(2048));
        assertEquals(4096, FitsReport.defaultContext(131072));
        assertEquals(4096, FitsReport.defaultContext(0));
    }

    @Test
    void tags_typed_in_the_editor_are_split_trimmed_and_deduplicated() {
        assertEquals(List.of("health", "knee", "physio"), NoteEditor.parseTags(" #physio, knee  health,,physio "));
        assertEquals(List.of(), NoteEditor.parseTags("  , # "));
    }
}
