package dev.pocketrag.cli;

/**
 * A progress bar counted in MiB for a job that reports bytes done of a total (convert, quantize):
 * shown only for jobs of at least {@link #MIN_BYTES}, made at the first report.
 */
final class MibProgress implements AutoCloseable {
    /** Smaller jobs finish too fast for a bar. */
    static final long MIN_BYTES = 64L << 20;

    private final String label;
    private final boolean show;
    private ProgressBar bar;
    private long doneMib;
    private long totalMib;

    /** @param show false to never show the bar (a small job, known before it starts) */
    MibProgress(String label, boolean show) {
        this.label = label;
        this.show = show;
    }

    /** {@code done} of {@code total} bytes. */
    void update(long done, long total) {
        if (!show || total < MIN_BYTES) {
            return;
        }
        if (bar == null) {
            totalMib = total >> 20;
            bar = new ProgressBar(label, totalMib);
        }
        bar.step((done >> 20) - doneMib);
        doneMib = done >> 20;
    }

    /** Fills the bar: the job ended well. */
    void finish() {
        if (bar != null) {
            bar.step(totalMib - doneMib);
            doneMib = totalMib;
        }
    }

    /** Ends the bar's line; idempotent. */
    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
