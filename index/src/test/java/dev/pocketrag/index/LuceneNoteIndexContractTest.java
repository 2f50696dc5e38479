package dev.pocketrag.index;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** {@link NoteIndexContract} on the local Lucene index: a new folder (as a {@code file:} URI) per test. */
class LuceneNoteIndexContractTest extends NoteIndexContract {
    @TempDir
    Path dir;

    private final AtomicInteger next = new AtomicInteger();

    @Override
    protected URI newLocation() throws IOException {
        return dir.resolve("index-" + next.incrementAndGet()).toUri();
    }
}
