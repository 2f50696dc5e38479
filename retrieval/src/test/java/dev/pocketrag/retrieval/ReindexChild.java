package dev.pocketrag.retrieval;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Child-process main for {@link ReindexCrashTest}: {@code DIR} re-indexes the notebook there to
 * bge-small, one note per commit. Prints {@code READY}, then {@code saved N} after each commit; once
 * 3 notes are saved it prints {@code PAUSED} and waits for a line on stdin, then goes on, sleeping
 * 20 ms after each commit (so that the parent's kill lands mid-way); {@code FINISHED PHASE} at the end.
 */
public final class ReindexChild {
    private ReindexChild() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Embedder bge = Embedders.named("bge-small"); Notebook nb = Notebook.builder(dir).build()) {
            nb.describeHolder("pocketrag reindex (the test's child)");
            say("READY");
            boolean[] paused = {false};
            ReindexProgress p = nb.reindex(bge, progress -> {
                say("saved " + progress.saved());
                try {
                    if (!paused[0] && progress.saved() >= 3) {
                        paused[0] = true;
                        say("PAUSED");
                        in.readLine();
                    } else if (paused[0]) {
                        Thread.sleep(20);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return true;
            }, 1);
            say("FINISHED " + p.phase());
        }
    }

    private static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
