package dev.pocketrag.index;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A child JVM running a test class's main with the current java and class path; stdout as lines. */
final class ChildJvm implements AutoCloseable {
    final Process process;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread reader;
    private static final String EOF = "\u0000EOF";

    private ChildJvm(Process p) {
        this.process = p;
        this.reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the child died: what was read is what counts
            } finally {
                lines.add(EOF);
            }
        });
    }

    static ChildJvm start(Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("-Xshare:auto");
        cmd.add("-XX:TieredStopAtLevel=1"); // quick start; the child is short-lived
        cmd.add("-Xmx256m");
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        return new ChildJvm(pb.start());
    }

    /** The next line, or null at end of output or after the timeout. */
    String nextLine(long timeoutMs) throws InterruptedException {
        String l = lines.poll(timeoutMs, TimeUnit.MILLISECONDS);
        return l == null || l.equals(EOF) ? null : l;
    }

    /** Every line the child printed, after it has died (waits for its output to end). */
    List<String> remainingLines() throws InterruptedException {
        process.waitFor(30, TimeUnit.SECONDS);
        reader.join(30_000);
        List<String> out = new ArrayList<>();
        String l;
        while ((l = lines.poll()) != null && !l.equals(EOF)) {
            out.add(l);
        }
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        process.waitFor(30, TimeUnit.SECONDS);
    }
}
