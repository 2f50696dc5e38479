package dev.pocketrag.cli;

/**
 * A progress bar counted in MiB for a job that reports bytes done of a total (convert, quantize):
 * shown only for jobs of at least {@link #MIN_BYTES} (by the total reported, or by the input's size
 * known before), made at the first report.
 */
final class MibProgress implements AutoCloseable {
    /** Smaller jobs finish too fast for a bar. */
    static final long MIN_BYTES = 64L << 20;

    private final String label;
    private final boolean show;
    private final long minTotal;
    private ProgressBar bar;
    private long doneMib;
    private long totalMib;

    /** A bar shown when the total the job reports is at least {@link #MIN_BYTES}. */
    MibProgress(String label) {
        this.label = label;
        this.show = true;
        this.minTotal = MIN_BYTES;
    }

    /** @param show whether to show the bar, decided before the job starts (by the input's size) */
    MibProgress(String label, boolean show) {
        this.label = label;
        this.show = show;
        this.minTotal = 0;
    }

    /** {@code done} of {@code total} bytes. */
    void update(long done, long total) {
        if (!show || total < minTotal) {
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
