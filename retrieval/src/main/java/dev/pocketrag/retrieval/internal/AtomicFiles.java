package dev.pocketrag.retrieval.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Small files replaced whole, crash-safe: the bytes go to a temporary file beside the target
 * ({@code .NAME.<pid>.<thread>.tmp}), forced to disk, renamed over the target, and the folder is
 * forced. A reader sees the old file or the new one, never a part; a writer killed mid-way leaves
 * only its temporary, which the next write removes once its process is gone.
 */
public final class AtomicFiles {

    private AtomicFiles() {
    }

    /** Replaces {@code file} with {@code bytes} (see the class comment); creates its folder. */
    public static void write(Path file, byte[] bytes) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + file.getFileName() + "." + ProcessHandle.current().pid() + "."
                + Thread.currentThread().threadId() + ".tmp");
        boolean ok = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            ok = true;
        } finally {
            if (!ok) {
                Files.deleteIfExists(tmp);
            }
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not every platform can force a folder (Windows); the rename itself is atomic
        }
        removeStaleTemporaries(file);
    }

    /**
     * Deletes the temporary files of {@code file} that a process killed mid-write left behind
     * ({@code .NAME.<pid>.<thread>.tmp} of a process that is gone); those of live processes
     * (a write under way) are left alone.
     */
    static void removeStaleTemporaries(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        String prefix = "." + file.getFileName() + ".";
        try (var files = Files.newDirectoryStream(dir, p -> {
            String n = p.getFileName().toString();
            return n.startsWith(prefix) && n.endsWith(".tmp");
        })) {
            for (Path t : files) {
                String[] parts = t.getFileName().toString().substring(prefix.length()).split("\\.");
                long pid;
                try {
                    pid = parts.length == 3 ? Long.parseLong(parts[0]) : -1;
                } catch (NumberFormatException e) {
                    continue; // not one of ours
                }
                if (pid > 0 && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    Files.deleteIfExists(t);
                }
            }
        }
    }
}
