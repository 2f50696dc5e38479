package dev.pocketrag.cli;

/**
 * One status line on stderr (a long command's bar, counts and rate), redrawn in place at most 10
 * times a second (and at once when asked) while stderr is a terminal; nothing otherwise. The
 * commands' summaries go to stdout apart from it.
 */
final class StatusLine {
    private static final int BAR_WIDTH = 24;

    private final boolean interactive;
    private long lastDraw;
    private String last = "";

    StatusLine(boolean interactive) {
        this.interactive = interactive;
    }

    /** {@code [####    ]}: {@code done} of {@code total} (full when the total is 0). */
    static String bar(long done, long total) {
        int filled = total == 0 ? BAR_WIDTH : (int) (BAR_WIDTH * done / total);
        return "[" + "#".repeat(filled) + " ".repeat(BAR_WIDTH - filled) + "]";
    }

    /** Shows {@code text}: drawn when 100 ms have passed since the last draw, or at once if {@code now}. */
    void show(String text, boolean now) {
        last = text;
        long t = System.nanoTime();
        if (interactive && (now || t - lastDraw > 100_000_000L)) {
            lastDraw = t;
            System.err.print("\r" + last);
            System.err.flush();
        }
    }

    /** Draws the last text once more and ends the line. */
    void end() {
        if (interactive && !last.isEmpty()) {
            System.err.print("\r" + last + "\n");
            System.err.flush();
        }
    }
}
