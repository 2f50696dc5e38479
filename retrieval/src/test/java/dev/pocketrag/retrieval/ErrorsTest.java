package dev.pocketrag.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class ErrorsTest {

    @Test
    void gives_the_first_line_of_the_most_specific_message_past_wrappers() {
        assertEquals("disk full", Errors.describe(new IOException("disk full\nat block 7")));
        assertEquals("bad header", Errors.describe(new ExecutionException("wrapped", new IOException("bad header"))));
        assertEquals("bad header", Errors.describe(new CompletionException(new IllegalStateException("bad header"))));
        assertEquals("inner", Errors.describe(new RuntimeException((String) null, new IOException("inner"))));
        assertEquals("outer", Errors.describe(new UncheckedIOException("outer", new IOException("inner"))),
                "a message of its own is kept");
        assertEquals("IllegalStateException", Errors.describe(new IllegalStateException()));
    }

    @Test
    void words_file_errors_with_the_file() {
        assertEquals("no such file: /a/b.md", Errors.describe(new NoSuchFileException("/a/b.md")));
        assertEquals("not a folder: /a/b.md",
                Errors.describe(new ExecutionException(new NotDirectoryException("/a/b.md"))));
        assertEquals("permission denied: /root", Errors.describe(new AccessDeniedException("/root")));
    }

    @Test
    void finds_no_damage_where_there_is_none() {
        assertNull(Errors.damage(new ExecutionException(new IOException("x"))));
    }
}
