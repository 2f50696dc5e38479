package dev.pocketrag.desktop;

import com.formdev.flatlaf.FlatClientProperties;
import dev.pocketrag.embedder.Embedders;
import java.awt.BorderLayout;
import java.awt.FlowLayout;
import java.awt.Font;
import java.awt.GridBagConstraints;
import java.awt.GridBagLayout;
import java.awt.Insets;
import java.awt.Window;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import javax.swing.BorderFactory;
import javax.swing.ButtonGroup;
import javax.swing.JButton;
import javax.swing.JCheckBox;
import javax.swing.JComboBox;
import javax.swing.JComponent;
import javax.swing.JDialog;
import javax.swing.JFileChooser;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JRadioButton;
import javax.swing.JScrollPane;
import javax.swing.JSpinner;
import javax.swing.JTextArea;
import javax.swing.JTextField;
import javax.swing.SpinnerNumberModel;
import javax.swing.SwingUtilities;
import javax.swing.Timer;
import javax.swing.event.DocumentEvent;
import javax.swing.event.DocumentListener;
import javax.swing.filechooser.FileNameExtensionFilter;

/**
 * Settings: the chat model (a .gguf file, or none for extractive answers), its context size with
 * what {@code pocketrag fits} says about them, the embedding model (another one than the notebook's
 * re-indexes it), the theme, and whether to save them in the config file the CLI reads too. The memory estimate is computed in the background.
 */
final class SettingsDialog extends JDialog {
    private static final long serialVersionUID = 1L;
    /** The largest context offered (1M tokens). */
    static final int MAX_CTX = 1 << 20;

    /**
     * What the user chose.
     *
     * @param model the chat model file, null for none (extractive answers)
     * @param ctx context size, 0 for the model's own (at most 4096)
     * @param dark the dark theme
     * @param remember save model and ctx (and the theme, and the embedder) in the config file
     * @param embedder the built-in embedding model ({@code minilm}, {@code bge-small}, {@code
     *     e5-small}); another than the notebook's re-indexes it; null: the notebook's, unchanged (in
     *     what the dialog returns: the one it showed was kept)
     */
    record Choice(Path model, int ctx, boolean dark, boolean remember, String embedder) {
        Choice {
            if (ctx < 0 || ctx > MAX_CTX) {
                throw new IllegalArgumentException("ctx must be in 0.." + MAX_CTX + "; ctx=" + ctx);
            }
            if (embedder != null) {
                embedder = Embedders.model(embedder).name();
            }
        }

        /** With the notebook's embedder unchanged. */
        Choice(Path model, int ctx, boolean dark, boolean remember) {
            this(model, ctx, dark, remember, null);
        }
    }

    private final transient ExecutorService background;
    private final JTextField modelField = new JTextField(36);
    private final JSpinner ctxSpinner;
    private final JTextArea fits = new JTextArea(9, 60);
    private final JRadioButton light = new JRadioButton("Light");
    private final JRadioButton dark = new JRadioButton("Dark");
    private final JCheckBox remember;
    private final JComboBox<String> embedder = new JComboBox<>(Embedders.names().toArray(String[]::new));
    /** The embedder selected when the dialog opened: choosing it again changes nothing. */
    private final String shownEmbedder;
    private final Timer fitsDebounce;
    private final AtomicLong fitsSeq = new AtomicLong();
    private transient Choice result;
    private final transient WatchedFolders watched;
    private final javax.swing.DefaultListModel<dev.pocketrag.retrieval.Sources.Root> folders =
            new javax.swing.DefaultListModel<>();
    private final javax.swing.JList<dev.pocketrag.retrieval.Sources.Root> folderList = new javax.swing.JList<>(folders);
    private final JTextArea folderProblems = new JTextArea(4, 60);

    SettingsDialog(Window owner, ExecutorService background, Choice current, Path configFile) {
        this(owner, background, current, configFile, null);
    }

    /** @param watched the notebook's watched folders (added and removed at once, not on OK); null: not shown */
    SettingsDialog(Window owner, ExecutorService background, Choice current, Path configFile, WatchedFolders watched) {
        super(owner, "Settings", ModalityType.APPLICATION_MODAL);
        this.background = background;
        this.watched = watched;
        setName("settings");
        modelField.setName("modelFile");
        modelField.putClientProperty(FlatClientProperties.PLACEHOLDER_TEXT, "none: extractive answers");
        modelField.setText(current.model() == null ? "" : current.model().toString());
        ctxSpinner = new JSpinner(new SpinnerNumberModel(current.ctx(), 0, MAX_CTX, 512));
        ctxSpinner.setName("contextSize");
        fits.setName("fits");
        fits.setEditable(false);
        fits.setFont(new Font(Font.MONOSPACED, Font.PLAIN, fits.getFont().getSize()));
        (current.dark() ? dark : light).setSelected(true);
        ButtonGroup g = new ButtonGroup();
        g.add(light);
        g.add(dark);
        embedder.setName("embedder");
        embedder.setSelectedItem(current.embedder() == null ? Embedders.DEFAULT : current.embedder());
        shownEmbedder = (String) embedder.getSelectedItem();
        embedder.setToolTipText("minilm: all-MiniLM-L6-v2 (the default, fastest); bge-small: BAAI bge-small-en-v1.5;"
                + " e5-small: intfloat e5-small-v2");
        remember = new JCheckBox("Save in the config file, shared with the CLI (" + configFile + ")", true);
        remember.setName("remember");

        JButton browse = new JButton("Choose .gguf\u2026");
        browse.addActionListener(e -> chooseModel());
        JButton none = new JButton("None");
        none.setToolTipText("No chat model: extractive answers");
        none.addActionListener(e -> modelField.setText(""));

        JPanel form = new JPanel(new GridBagLayout());
        form.setBorder(BorderFactory.createEmptyBorder(12, 12, 6, 12));
        GridBagConstraints c = new GridBagConstraints();
        c.insets = new Insets(4, 4, 4, 4);
        c.anchor = GridBagConstraints.WEST;
        int row = 0;
        addRow(form, c, row++, "Chat model", row(modelField, browse, none));
        addRow(form, c, row++, "Context size", row(ctxSpinner, hint("tokens; 0 = the model's own, at most 4096")));
        c.gridx = 1;
        c.gridy = row++;
        c.fill = GridBagConstraints.BOTH;
        c.weightx = 1;
        c.weighty = 1;
        form.add(new JScrollPane(fits), c);
        c.fill = GridBagConstraints.NONE;
        c.weighty = 0;
        addRow(form, c, row++, "Embedding model", row(embedder,
                hint("another one embeds every note again (the notebook stays usable meanwhile)")));
        addRow(form, c, row++, "Theme", row(light, dark));
        if (watched != null) {
            c.fill = GridBagConstraints.BOTH;
            addRow(form, c, row++, "Watched folders", watchedFolders());
            c.fill = GridBagConstraints.NONE;
        }
        c.gridx = 1;
        c.gridy = row;
        form.add(remember, c);

        JButton ok = new JButton("OK");
        ok.setName("settingsOk");
        ok.addActionListener(e -> accept());
        JButton cancel = new JButton("Cancel");
        cancel.addActionListener(e -> dispose());
        JPanel buttons = new JPanel(new FlowLayout(FlowLayout.RIGHT));
        buttons.add(ok);
        buttons.add(cancel);
        getRootPane().setDefaultButton(ok);

        JPanel content = new JPanel(new BorderLayout());
        content.add(form, BorderLayout.CENTER);
        content.add(buttons, BorderLayout.SOUTH);
        setContentPane(content);

        fitsDebounce = new Timer(250, e -> updateFits());
        fitsDebounce.setRepeats(false);
        modelField.getDocument().addDocumentListener(new DocumentListener() {
            @Override
            public void insertUpdate(DocumentEvent e) {
                fitsDebounce.restart();
            }

            @Override
            public void removeUpdate(DocumentEvent e) {
                fitsDebounce.restart();
            }

            @Override
            public void changedUpdate(DocumentEvent e) {
                // attributes only
            }
        });
        ctxSpinner.addChangeListener(e -> fitsDebounce.restart());
        updateFits();
        pack();
        setLocationRelativeTo(owner);
    }

    /**
     * The watched folders: one line each (path, online or offline, counts), Add and Remove, and
     * the problems of the selected one.
     */
    private JComponent watchedFolders() {
        folderList.setName("watchedFolders");
        folderList.setVisibleRowCount(4);
        folderList.setCellRenderer(new javax.swing.DefaultListCellRenderer() {
            private static final long serialVersionUID = 1L;

            @Override
            public java.awt.Component getListCellRendererComponent(javax.swing.JList<?> list, Object value, int index,
                    boolean selected, boolean focused) {
                return super.getListCellRendererComponent(list, describe((dev.pocketrag.retrieval.Sources.Root) value),
                        index, selected, focused);
            }
        });
        folderProblems.setName("watchedProblems");
        folderProblems.setEditable(false);
        folderList.addListSelectionListener(e -> showProblems());
        JButton add = new JButton("Add folder\u2026");
        add.setName("addWatched");
        add.addActionListener(e -> addFolder());
        JButton remove = new JButton("Remove\u2026");
        remove.setName("removeWatched");
        remove.setToolTipText("Stop watching the folder and delete its notes (the files stay)");
        remove.addActionListener(e -> removeFolder());
        JPanel p = new JPanel(new BorderLayout(0, 4));
        p.add(new JScrollPane(folderList), BorderLayout.NORTH);
        p.add(new JScrollPane(folderProblems), BorderLayout.CENTER);
        p.add(row(add, remove, hint("kept in sync while the app runs; an offline folder (unmounted drive) keeps its notes")),
                BorderLayout.SOUTH);
        refreshFolders();
        return p;
    }

    /** One line for a watched folder. */
    static String describe(dev.pocketrag.retrieval.Sources.Root r) {
        String state = !r.online() ? "offline: notes kept" : r.lastScan() == null ? "scanning\u2026"
                : r.notes() + " notes" + (r.skipped() > 0 ? ", " + r.skipped() + " skipped" : "")
                        + (r.failed() > 0 ? ", " + r.failed() + " failed" : "");
        return r.path() + "  (" + state + ")";
    }

    private void refreshFolders() {
        int at = folderList.getSelectedIndex();
        folders.clear();
        dev.pocketrag.retrieval.Sources s = watched.status();
        for (dev.pocketrag.retrieval.Sources.Root r : s.roots()) {
            folders.addElement(r);
        }
        if (!folders.isEmpty()) {
            folderList.setSelectedIndex(Math.max(0, Math.min(at, folders.size() - 1)));
        }
        showProblems();
        if (!s.warning().isEmpty()) {
            folderProblems.setText(s.warning());
        }
    }

    private void showProblems() {
        dev.pocketrag.retrieval.Sources.Root r = folderList.getSelectedValue();
        if (r == null) {
            folderProblems.setText(folders.isEmpty() ? "No watched folders: Add one to keep the notebook in sync with it."
                    : "");
            return;
        }
        StringBuilder b = new StringBuilder();
        for (dev.pocketrag.retrieval.ImportProgress.Problem p : r.problems()) {
            b.append(p.failed() ? "failed   " : "skipped  ").append(p.path()).append(": ").append(p.reason()).append('\n');
        }
        folderProblems.setText(b.isEmpty() ? "No problems." : b.toString().strip());
        folderProblems.setCaretPosition(0);
    }

    private void addFolder() {
        JFileChooser chooser = new JFileChooser();
        chooser.setDialogTitle("Watch a folder");
        chooser.setFileSelectionMode(JFileChooser.DIRECTORIES_ONLY);
        if (chooser.showOpenDialog(this) == JFileChooser.APPROVE_OPTION) {
            addWatched(chooser.getSelectedFile().toPath());
        }
    }

    /** Watches {@code folder} too (in the background); the list shows it at once. */
    void addWatched(Path folder) {
        background.execute(() -> {
            String error = null;
            try {
                watched.add(folder);
            } catch (IllegalArgumentException | java.io.IOException e) {
                error = e.getMessage();
            }
            String err = error;
            SwingUtilities.invokeLater(() -> {
                refreshFolders();
                if (err != null) {
                    folderProblems.setText(err);
                }
            });
        });
    }

    private void removeFolder() {
        dev.pocketrag.retrieval.Sources.Root r = folderList.getSelectedValue();
        if (r == null) {
            return;
        }
        int answer = javax.swing.JOptionPane.showConfirmDialog(this, "Stop watching " + r.path()
                + " and delete its " + r.notes() + " notes from the notebook?\nThe files themselves are not touched.",
                "Remove watched folder", javax.swing.JOptionPane.OK_CANCEL_OPTION);
        if (answer == javax.swing.JOptionPane.OK_OPTION) {
            removeWatched(r.path());
        }
    }

    /** Stops watching the folder and deletes its notes (in the background). */
    void removeWatched(String path) {
        folderProblems.setText("Removing " + path + "\u2026");
        background.execute(() -> {
            String text;
            try {
                text = "Removed " + path + ": " + watched.remove(path) + " notes deleted.";
            } catch (Exception e) {
                text = "Removing " + path + " failed: " + MainWindow.describe(e);
            }
            String t = text;
            SwingUtilities.invokeLater(() -> {
                refreshFolders();
                folderProblems.setText(t);
            });
        });
    }

    javax.swing.JList<dev.pocketrag.retrieval.Sources.Root> folderList() {
        return folderList;
    }

    JTextArea folderProblems() {
        return folderProblems;
    }

    private static void addRow(JPanel form, GridBagConstraints c, int row, String label, JComponent field) {
        c.gridx = 0;
        c.gridy = row;
        c.weightx = 0;
        form.add(new JLabel(label), c);
        c.gridx = 1;
        c.weightx = 1;
        form.add(field, c);
    }

    private static JPanel row(JComponent... parts) {
        JPanel p = new JPanel(new FlowLayout(FlowLayout.LEFT, 6, 0));
        for (JComponent part : parts) {
            p.add(part);
        }
        return p;
    }

    private static JLabel hint(String text) {
        JLabel l = new JLabel(text);
        l.putClientProperty(FlatClientProperties.STYLE_CLASS, "small");
        return l;
    }

    private void chooseModel() {
        JFileChooser chooser = new JFileChooser();
        chooser.setDialogTitle("Choose a chat model");
        chooser.setFileFilter(new FileNameExtensionFilter("GGUF models (*.gguf)", "gguf"));
        Path now = modelPath();
        if (now != null && now.toAbsolutePath().getParent() != null) {
            chooser.setCurrentDirectory(now.toAbsolutePath().getParent().toFile());
        }
        if (chooser.showOpenDialog(this) == JFileChooser.APPROVE_OPTION) {
            modelField.setText(chooser.getSelectedFile().toPath().toString());
        }
    }

    private Path modelPath() {
        String t = modelField.getText().strip();
        return t.isEmpty() ? null : Path.of(t);
    }

    private int ctx() {
        return ((Number) ctxSpinner.getValue()).intValue();
    }

    /** What {@code fits} says for the model and context shown, computed in the background. */
    private void updateFits() {
        Path model = modelPath();
        int ctx = ctx();
        long seq = fitsSeq.incrementAndGet();
        if (model == null) {
            fits.setText("No chat model: answers are the best sentences of your notes, with citations.");
            return;
        }
        fits.setText("Estimating the memory " + model.getFileName() + " needs\u2026");
        background.execute(() -> {
            String text;
            try {
                if (!Files.isRegularFile(model)) {
                    text = "No such file: " + model;
                } else {
                    long ram = FitsReport.physicalMemory();
                    text = ram > 0 ? FitsReport.describe(model, ctx, ram)
                            : "This JDK cannot tell the machine's memory.";
                }
            } catch (Exception e) {
                text = "Not a usable GGUF model: " + MainWindow.describe(e);
            }
            String t = text;
            SwingUtilities.invokeLater(() -> {
                if (seq == fitsSeq.get()) {
                    fits.setText(t);
                    fits.setCaretPosition(0);
                }
            });
        });
    }

    private void accept() {
        try {
            ctxSpinner.commitEdit();
        } catch (java.text.ParseException e) {
            fits.setText("The context size must be a whole number from 0 to " + MAX_CTX + ".");
            return;
        }
        String chosen = (String) embedder.getSelectedItem();
        result = new Choice(modelPath(), ctx(), dark.isSelected(), remember.isSelected(),
                chosen.equals(shownEmbedder) ? null : chosen); // null: unchanged
        dispose();
    }

    /** Shows the dialog (modal) and returns what the user chose, empty if cancelled. */
    Optional<Choice> ask() {
        setVisible(true);
        return Optional.ofNullable(result);
    }

    JTextArea fitsArea() {
        return fits;
    }

    JTextField modelField() {
        return modelField;
    }

    JComboBox<String> embedderBox() {
        return embedder;
    }
}
