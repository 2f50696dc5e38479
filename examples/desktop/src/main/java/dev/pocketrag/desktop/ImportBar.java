package dev.pocketrag.desktop;

import dev.pocketrag.desktop.Host.Lane;
import dev.pocketrag.retrieval.ImportProgress;
import java.awt.Dimension;
import java.awt.FlowLayout;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.swing.JButton;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JProgressBar;
import javax.swing.SwingUtilities;

/**
 * The import in the status bar: a folder imported on the {@link Lane#IMPORT} lane with counts, a
 * progress bar and a Cancel button (the import stops after the file it is on); hidden when no
 * import runs. The toolbar's import button is disabled meanwhile.
 */
final class ImportBar extends JPanel {
    private static final long serialVersionUID = 1L;

    private final transient Host host;
    private final JButton importButton;
    private final JProgressBar importProgress = new JProgressBar();
    private final JLabel importLabel = new JLabel();
    private final JButton cancelImport = new JButton("Cancel");
    private boolean importing;
    private transient AtomicBoolean importCancel = new AtomicBoolean();
    private long importStarted;

    /** @param importButton the toolbar's button that starts an import */
    ImportBar(Host host, JButton importButton) {
        super(new FlowLayout(FlowLayout.RIGHT, 8, 0));
        this.host = host;
        this.importButton = importButton;
        importProgress.setName("importProgress");
        importProgress.setStringPainted(true);
        importProgress.setPreferredSize(new Dimension(220, importProgress.getPreferredSize().height));
        importLabel.setName("importText");
        cancelImport.setName("cancelImport");
        cancelImport.addActionListener(e -> {
            importCancel.set(true);
            cancelImport.setEnabled(false);
            importLabel.setText("Cancelling after this file\u2026");
        });
        add(importLabel);
        add(importProgress);
        add(cancelImport);
        setVisible(false);
    }

    boolean isImporting() {
        return importing;
    }

    /** Stops a running import after the file it is on (the window is closing). */
    void cancel() {
        importCancel.set(true);
    }

    /** Imports {@code folder} in the background with a cancellable progress bar. */
    void startImport(Path folder) {
        if (importing) {
            host.showError("Importing " + folder, new IllegalStateException("an import is already running"));
            return;
        }
        importing = true;
        importCancel = new AtomicBoolean();
        AtomicBoolean cancel = importCancel;
        importStarted = System.nanoTime();
        importButton.setEnabled(false);
        cancelImport.setEnabled(true);
        importProgress.setIndeterminate(true);
        importProgress.setString("scanning");
        importLabel.setText("Importing " + folder.getFileName() + "\u2026");
        setVisible(true);
        host.status("Importing " + folder + "\u2026");
        host.run(Lane.IMPORT, "Importing " + folder, nb -> nb.importFolder(folder, p -> {
            SwingUtilities.invokeLater(() -> showImportProgress(p));
            return !cancel.get();
        }), p -> {
            double secs = (System.nanoTime() - importStarted) / 1e9;
            String counts = String.format(Locale.ROOT,
                    "%d added, %d updated, %s%d unchanged, %d deleted, %d skipped, %d failed (%d chunks embedded) in %.1f s",
                    p.added(), p.updated(), p.renamed() > 0 ? p.renamed() + " renamed, " : "", p.unchanged(), p.deleted(), p.skipped(), p.failed(), p.chunks(), secs);
            host.status(p.done() < p.total()
                    ? "Import cancelled after " + p.done() + " of " + p.total() + " files: " + counts
                            + ". Import the folder again to carry on."
                    : "Imported " + folder.getFileName() + ": " + counts);
        }, () -> {
            importing = false;
            setVisible(false);
            importButton.setEnabled(true);
            host.notesChanged();
        });
    }

    private void showImportProgress(ImportProgress p) {
        if (!importing) {
            return;
        }
        importProgress.setIndeterminate(false);
        importProgress.setMaximum(Math.max(1, p.total()));
        importProgress.setValue(p.done());
        importProgress.setString(p.done() + " / " + p.total() + " files");
        if (!importCancel.get()) {
            double secs = Math.max(1e-3, (System.nanoTime() - importStarted) / 1e9);
            importLabel.setText(String.format(Locale.ROOT, "%d new, %d updated, %d unchanged \u00b7 %d chunks \u00b7 %.1f files/s",
                    p.added(), p.updated(), p.unchanged(), p.chunks(), p.done() / secs));
        }
    }
}
