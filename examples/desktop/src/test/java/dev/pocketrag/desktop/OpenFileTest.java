package dev.pocketrag.desktop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.pocketrag.retrieval.Answer;
import java.awt.Desktop;
import java.awt.GraphicsEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which cited passages offer "Open file": a document that exists on this machine, and only where the desktop can open files. */
class OpenFileTest {
    static Answer.Passage from(String source) {
        return new Answer.Passage(1, "file:1", "Policy", source, "text", 0, 4, 0.5, "", 3, "");
    }

    @Test
    void only_an_existing_local_document_can_be_opened(@TempDir Path dir) throws Exception {
        Path pdf = Files.write(dir.resolve("policy.pdf"), new byte[] {'%', 'P', 'D', 'F'});
        Path md = Files.writeString(dir.resolve("note.md"), "# note");
        assertNull(AskPanel.openableFile(from("")), "no source");
        assertNull(AskPanel.openableFile(from("https://example.com/policy.pdf")), "not a local path");
        assertNull(AskPanel.openableFile(from(md.toString())), "a note is opened in the app, not outside");
        assertNull(AskPanel.openableFile(from(dir.resolve("gone.pdf").toString())), "a file that is gone");
        boolean canOpen = !GraphicsEnvironment.isHeadless() && Desktop.isDesktopSupported()
                && Desktop.getDesktop().isSupported(Desktop.Action.OPEN);
        assertEquals(canOpen ? pdf : null, AskPanel.openableFile(from(pdf.toString())),
                "the PDF, where this desktop can open files");
    }
}
