package dev.pocketrag.index;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Child-process main for {@link SecondWriterTest}: {@code hold DIR} opens the index, prints
 * "OPEN" and keeps it until stdin closes; {@code try DIR} tries to open it and prints "OK" or
 * the exception's class and message.
 */
public final class LockHolder {
    private LockHolder() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[1]);
        IndexOptions options = IndexOptions.of(TestSupport.MODEL, TestSupport.DIM);
        if (args[0].equals("hold")) {
            try (NoteIndex index = NoteIndex.open(dir, options)) {
                index.put(TestSupport.chunked(Note.of("held", "Held", "A note committed by the holder."),
                        TestSupport.axis(0, TestSupport.DIM), 64));
                index.commit();
                index.describeHolder("the lock-holder test child: let go of it first");
                System.out.println("OPEN");
                System.out.flush();
                while (System.in.read() >= 0) {
                    // wait for the parent to close our stdin
                }
            }
            System.out.println("CLOSED");
        } else {
            try (NoteIndex index = NoteIndex.open(dir, options)) {
                System.out.println("OK");
            } catch (IndexInUseException e) {
                System.out.println(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
        System.out.flush();
    }
}
