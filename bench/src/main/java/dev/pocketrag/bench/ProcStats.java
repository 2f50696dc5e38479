package dev.pocketrag.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Readings of this process from /proc (Linux); -1 where unavailable. */
final class ProcStats {
    private ProcStats() {}

    /** Peak resident set size (VmHWM) in bytes. */
    static long peakRssBytes() {
        return statusField(Path.of("/proc/self/status"), "VmHWM:") * 1024;
    }

    /** Current resident set size (VmRSS) in bytes. */
    static long rssBytes() {
        return statusField(Path.of("/proc/self/status"), "VmRSS:") * 1024;
    }

    /**
     * Voluntary context switches summed over the live threads of this process: each is a thread
     * going to sleep (and so, later, a wake-up).
     */
    static long voluntaryContextSwitches() {
        long sum = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                long v = statusField(t.resolve("status"), "voluntary_ctxt_switches:");
                if (v > 0) {
                    sum += v;
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return sum;
    }

    private static long statusField(Path status, String key) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
