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

    /** Context switches of one thread: {@code [voluntary, involuntary]}. */
    record Switches(long voluntary, long involuntary) {
        Switches plus(Switches o) {
            return new Switches(voluntary + o.voluntary, involuntary + o.involuntary);
        }

        Switches minus(Switches o) {
            return new Switches(voluntary - o.voluntary, involuntary - o.involuntary);
        }
    }

    /** The calling thread's context switches so far (Linux /proc/thread-self). */
    static Switches currentThread() {
        return switches(Path.of("/proc/thread-self/status"));
    }

    /** Context switches of every live thread of this process, by thread id. */
    static java.util.Map<String, Switches> allThreads() {
        java.util.Map<String, Switches> out = new java.util.HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                out.put(t.getFileName().toString(), switches(t.resolve("status")));
            }
        } catch (IOException e) {
            // not Linux: nothing to report
        }
        return out;
    }

    /** Switches made between two {@link #allThreads()} readings by the threads alive at both. */
    static Switches delta(java.util.Map<String, Switches> before, java.util.Map<String, Switches> after) {
        Switches sum = new Switches(0, 0);
        for (var e : after.entrySet()) {
            Switches b = before.get(e.getKey());
            if (b != null) {
                sum = sum.plus(e.getValue().minus(b));
            }
        }
        return sum;
    }

    private static Switches switches(Path status) {
        return new Switches(Math.max(0, statusField(status, "voluntary_ctxt_switches:")),
                Math.max(0, statusField(status, "nonvoluntary_ctxt_switches:")));
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
