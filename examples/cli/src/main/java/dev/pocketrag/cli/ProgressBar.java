package dev.pocketrag.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar on stderr: redrawn in place (at most 5 times a second) when stderr is a
 * terminal, otherwise one summary line at the end.
 */
final class ProgressBar implements AutoCloseable {
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final String label;
    private final long total;
    private final boolean interactive;
    private final long start = System.nanoTime();
    private long done;
    private long lastDraw;
    private boolean closed;

    ProgressBar(String label, long total) {
        this(System.err, label, total, System.console() != null);
    }

    ProgressBar(PrintStream out, String label, long total, boolean interactive) {
        this.out = out;
        this.label = label;
        this.total = Math.max(0, total);
        this.interactive = interactive;
    }

    void step(long n) {
        done += n;
        long now = System.nanoTime();
        if (interactive && now - lastDraw > 200_000_000L) {
            lastDraw = now;
            out.print("\r" + line());
            out.flush();
        }
    }

    long done() {
        return done;
    }

    double ratePerSecond() {
        double s = (System.nanoTime() - start) / 1e9;
        return s <= 0 ? 0 : done / s;
    }

    String line() {
        int filled = total == 0 ? WIDTH : (int) Math.min(WIDTH, WIDTH * done / total);
        return String.format(Locale.ROOT, "%s [%s%s] %d/%d (%.0f/s)", label,
                "#".repeat(filled), " ".repeat(WIDTH - filled), done, total, ratePerSecond());
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        out.print((interactive ? "\r" : "") + line() + System.lineSeparator());
        out.flush();
    }
}
