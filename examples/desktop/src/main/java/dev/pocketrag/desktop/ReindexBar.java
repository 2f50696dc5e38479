package dev.pocketrag.desktop;

import dev.pocketrag.retrieval.ReindexProgress;
import java.awt.Dimension;
import java.awt.FlowLayout;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.swing.JButton;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JProgressBar;

/**
 * A re-index in the status bar: counts, a progress bar and a Stop button (it stops after the batch
 * under way; what is embedded is kept, and the next re-index carries on); hidden when none runs.
 * The work itself is started by the window ({@link MainWindow#startReindex}); this shows it.
 */
final class ReindexBar extends JPanel {
    private static final long serialVersionUID = 1L;

    private final JProgressBar progress = new JProgressBar();
    private final JLabel label = new JLabel();
    private final JButton stop = new JButton("Stop");
    private transient AtomicBoolean stopped = new AtomicBoolean();
    private boolean running;
    private String to = "";

    ReindexBar() {
        super(new FlowLayout(FlowLayout.RIGHT, 8, 0));
        progress.setName("reindexProgress");
        progress.setStringPainted(true);
        progress.setPreferredSize(new Dimension(220, progress.getPreferredSize().height));
        label.setName("reindexText");
        stop.setName("stopReindex");
        stop.setToolTipText("Stop after this batch; re-index again later to carry on");
        stop.addActionListener(e -> {
            stopped.set(true);
            stop.setEnabled(false);
            label.setText("Stopping after this batch\u2026");
        });
        add(label);
        add(progress);
        add(stop);
        setVisible(false);
    }

    boolean isRunning() {
        return running;
    }

    /** Whether the user (or the window closing) asked it to stop. */
    boolean stopRequested() {
        return stopped.get();
    }

    /** Stops a running re-index after its batch (the window is closing). */
    void stop() {
        stopped.set(true);
    }

    /** Shows a re-index to {@code name} starting. */
    void start(String name) {
        running = true;
        to = name;
        stopped = new AtomicBoolean();
        stop.setEnabled(true);
        progress.setIndeterminate(true);
        progress.setString("loading " + name);
        label.setText("Re-indexing with " + name + "\u2026");
        setVisible(true);
    }

    /** Shows where it stands (on the event thread). */
    void show(ReindexProgress p, double seconds) {
        if (!running) {
            return;
        }
        long total = Math.max(1, Math.max(p.total(), p.done()));
        progress.setIndeterminate(false);
        progress.setMaximum((int) Math.min(Integer.MAX_VALUE, total));
        progress.setValue((int) Math.min(Integer.MAX_VALUE, p.done()));
        progress.setString(p.done() + " / " + p.total() + " notes");
        if (!stopped.get()) {
            label.setText(p.phase() == ReindexProgress.Phase.CATCHING_UP ? "Switching to " + to + "\u2026"
                    : String.format(Locale.ROOT, "Re-indexing with %s: %d embedded, %d kept \u00b7 %.1f notes/s", to,
                            p.embedded(), p.kept(), seconds <= 0 ? 0 : p.embedded() / seconds));
        }
    }

    /** Hides it. */
    void end() {
        running = false;
        setVisible(false);
    }
}
