package dev.pocketrag.desktop;

import java.awt.BorderLayout;
import java.awt.FlowLayout;
import javax.swing.BorderFactory;
import javax.swing.JLabel;
import javax.swing.JPanel;

/**
 * The bottom of the window: the status line on the left; the watched folders' last change, the {@link ImportBar} (while an import
 * runs), the {@link ReindexBar} (while a re-index runs), the notebook's counts and how answers are
 * made on the right.
 */
final class StatusBar extends JPanel {
    private static final long serialVersionUID = 1L;

    private final JLabel statusLabel = new JLabel("Starting\u2026");
    private final JLabel modeLabel = new JLabel(" ");
    private final JLabel statsLabel = new JLabel(" ");
    private final JLabel watchLabel = new JLabel();

    StatusBar(ImportBar importBar, JPanel reindexBar) {
        super(new BorderLayout(12, 0));
        statusLabel.setName("status");
        modeLabel.setName("mode");
        add(statusLabel, BorderLayout.CENTER);
        JPanel right = new JPanel(new FlowLayout(FlowLayout.RIGHT, 12, 0));
        watchLabel.setName("watching");
        watchLabel.setVisible(false);
        right.add(watchLabel);
        right.add(importBar);
        right.add(reindexBar);
        statsLabel.setName("stats");
        right.add(statsLabel);
        right.add(modeLabel);
        add(right, BorderLayout.EAST);
    }

    /** The line on the left. */
    void status(String message) {
        statusLabel.setText(message);
    }

    String status() {
        return statusLabel.getText();
    }

    JLabel statusLabel() {
        return statusLabel;
    }

    /** How answers are made (the chat model or extractive). */
    void mode(String text) {
        modeLabel.setText(text);
    }

    /** The watched folders' line ("Watching 2 folders · added a.md"); hidden for null. */
    void watching(String text, String tooltip) {
        watchLabel.setVisible(text != null);
        watchLabel.setText(text == null ? "" : text);
        watchLabel.setToolTipText(tooltip);
    }

    JLabel watchLabel() {
        return watchLabel;
    }

    /** The notebook's counts, with its folder as the tooltip. */
    void stats(String text, String tooltip) {
        statsLabel.setText(text);
        statsLabel.setToolTipText(tooltip);
    }

    /** Colours that are ours (not the look's): set again after a theme change. */
    void applyOwnColors() {
        setBorder(BorderFactory.createCompoundBorder(
                BorderFactory.createMatteBorder(1, 0, 0, 0, javax.swing.UIManager.getColor("Separator.foreground")),
                BorderFactory.createEmptyBorder(4, 10, 4, 10)));
    }
}
