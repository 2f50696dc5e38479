package dev.pocketrag.retrieval.internal;

import dev.pocketrag.retrieval.Answer.Passage;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A child process for {@link ThreadFileTest}: rewrites one thread file in a loop, alternating two
 * versions (3 and 150 turns, so a torn write would be visible), printing a line after each write,
 * until killed.
 */
public final class ThreadFileWriter {
    private ThreadFileWriter() {}

    static List<ThreadFile.StoredTurn> version(int turns) {
        List<ThreadFile.StoredTurn> out = new ArrayList<>();
        for (int i = 0; i < turns; i++) {
            out.add(new ThreadFile.StoredTurn("question " + i + " " + "x".repeat(200), "query " + i,
                    "answer " + i + " " + "y".repeat(500), Instant.ofEpochMilli(1_700_000_000_000L + i),
                    List.of(new Passage(1, "note-" + i, "Title " + i, "src/" + i + ".md", "z".repeat(300), i, i + 300,
                            Double.NaN, "", i % 3, i % 2 == 0 ? "" : "Part " + i + " > Dough"))));
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        List<ThreadFile.StoredTurn> a = version(3);
        List<ThreadFile.StoredTurn> b = version(150);
        for (long i = 0; ; i++) {
            ThreadFile.write(file, i % 2 == 0 ? a : b);
            System.out.println("wrote " + i);
            System.out.flush();
        }
    }
}
