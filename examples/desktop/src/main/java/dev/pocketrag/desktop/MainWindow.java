package dev.pocketrag.desktop;

import dev.pocketrag.retrieval.FolderChange;
import dev.pocketrag.retrieval.FolderWatcher;
import dev.pocketrag.retrieval.ImportProgress;
import dev.pocketrag.retrieval.Settings;
import com.formdev.flatlaf.FlatClientProperties;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.generation.GgufChatModel;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.index.RecordedModel;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.EmbedderMismatchException;
import dev.pocketrag.retrieval.Errors;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.ReindexProgress;
import java.awt.BorderLayout;
import java.awt.CardLayout;
import java.awt.Dimension;
import java.awt.event.InputEvent;
import java.awt.event.KeyEvent;
import java.awt.event.WindowAdapter;
import java.awt.event.WindowEvent;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.swing.AbstractAction;
import javax.swing.BorderFactory;
import javax.swing.JButton;
import javax.swing.JComboBox;
import javax.swing.JComponent;
import javax.swing.JFileChooser;
import javax.swing.JFrame;
import javax.swing.JLabel;
import javax.swing.JList;
import javax.swing.JPanel;
import javax.swing.JSplitPane;
import javax.swing.JTabbedPane;
import javax.swing.JTable;
import javax.swing.JTextField;
import javax.swing.JToggleButton;
import javax.swing.JToolBar;
import javax.swing.KeyStroke;
import javax.swing.SwingUtilities;

/**
 * The app's window: notes list (filterable by tag) or search results on the left, the note editor
 * and the Ask panel on the right, import progress and status at the bottom, errors in a bar at the
 * top. Everything that touches the notebook runs on one of three background lanes (see
 * {@link Host.Lane}); the event thread only builds and updates components.
 *
 * <p>The window puts the parts together and is their {@link Host}: {@link NotesPane} (the notes
 * table and the tag box), {@link SearchPane} (the search box and the results), {@link NoteEditor},
 * {@link AskPanel}, {@link ImportBar} inside the {@link StatusBar}, and the {@link Lanes} that run
 * the work.
 */
final class MainWindow extends JFrame implements Host {
    private static final long serialVersionUID = 1L;

    private final transient AppOptions options;
    private final transient NotebookSession session;
    /** The background lanes (see {@link Lanes}). */
    private final transient Lanes lanes;
    /** Work that does not need the notebook: loading a model, estimating memory, writing the config. */
    private final transient ExecutorService background;

    private final JToggleButton darkToggle = new JToggleButton("Dark");
    private final JButton importButton = new JButton("Import folder\u2026");
    private final JPanel errorBar = new JPanel(new BorderLayout(8, 0));
    private final JLabel errorLabel = new JLabel();
    private final JPanel busyBar = new JPanel(new BorderLayout(8, 0));
    private final JLabel busyLabel = new JLabel();
    /** Offers a re-index when the settings name another embedder than the notebook's. */
    private final JPanel embedderBar = new JPanel(new BorderLayout(8, 0));
    private final JLabel embedderLabel = new JLabel();
    private final JButton reindexButton = new JButton();
    private final JButton keepButton = new JButton();
    private transient EmbedderMismatchException offered;
    private final ReindexBar reindexBar = new ReindexBar();
    private final CardLayout leftCards = new CardLayout();
    private final JPanel left = new JPanel(leftCards);
    private final JLabel leftHeader = new JLabel(" ");
    private final NotesPane notesPane;
    private final SearchPane searchPane;
    private final JTabbedPane tabs = new JTabbedPane();
    private final NoteEditor editor;
    private final AskPanel askPanel;
    private final ImportBar importBar;
    private final transient WatchedFolders watched;
    /** Shows the notes again a second after the last change a watched folder brought. */
    private final javax.swing.Timer notesRefresh = new javax.swing.Timer(1000, e -> notesChanged());
    private final StatusBar statusBar;
    private long lastRefresh;
    private String lastError;
    private transient Path modelPath;
    private int modelCtx;
    private volatile boolean closing;
    private final CountDownLatch closed = new CountDownLatch(1);

    MainWindow(AppOptions options) {
        super("pocketrag \u2014 " + options.directory() + (options.indexUrl() == null ? ""
                : " (index at " + dev.pocketrag.retrieval.RemoteIndexException.redacted(options.indexUrl()) + ")"));
        this.options = options;
        this.modelPath = options.model();
        this.modelCtx = options.ctx();
        session = new NotebookSession(options.directory(), options.indexUrl(), options.embedders(), options.embedder(),
                options.retryEvery(), options.idleAfter(), new NotebookSession.Listener() {
                    @Override
                    public void busy(Path directory, int attempt, Duration retryIn) {
                        SwingUtilities.invokeLater(() -> showBusy(directory, attempt, retryIn));
                    }

                    @Override
                    public void available(Path directory) {
                        SwingUtilities.invokeLater(() -> {
                            busyBar.setVisible(false);
                            status("The notebook is free again");
                        });
                    }

                    @Override
                    public void closeFailed(Exception e) {
                        SwingUtilities.invokeLater(() -> showError("Closing the idle notebook", e));
                    }
                });
        watched = new WatchedFolders(session, FolderWatcher.Options.defaults(), new FolderWatcher.Listener() {
            @Override
            public void changed(FolderChange c) {
                SwingUtilities.invokeLater(() -> watchChanged(c));
            }

            @Override
            public void progress(String root, ImportProgress p) {
                if (p.total() > 0 && p.done() % 10 == 0) {
                    SwingUtilities.invokeLater(() -> watchLine(String.format(Locale.ROOT, "Scanning %s: %d/%d files",
                            Path.of(root).getFileName(), p.done(), p.total())));
                }
            }

            @Override
            public void scanFailed(String root, Exception e) {
                if (!closing) {
                    SwingUtilities.invokeLater(() -> showError("Watching " + root, e));
                }
            }
        });
        lanes = new Lanes(session, () -> closing, this::showError);
        background = lanes.background();
        importBar = new ImportBar(this, importButton);
        statusBar = new StatusBar(importBar, reindexBar);
        editor = new NoteEditor(this);
        askPanel = new AskPanel(this);
        notesPane = new NotesPane(this, this::tagChanged);
        searchPane = new SearchPane(this, new SearchPane.Listener() {
            @Override
            public void cleared() {
                showNotes();
            }

            @Override
            public void header(String text) {
                leftHeader.setText(text);
            }

            @Override
            public void showResults(String header) {
                leftHeader.setText(header);
                leftCards.show(left, "results");
            }

            @Override
            public void toNotes() {
                notesPane.focusFirst();
            }
        }, notesPane::selectedTag);

        setDefaultCloseOperation(DO_NOTHING_ON_CLOSE);
        addWindowListener(new WindowAdapter() {
            @Override
            public void windowClosing(WindowEvent e) {
                if (editor.confirmLeave()) {
                    shutdown();
                }
            }
        });
        addWindowFocusListener(new WindowAdapter() {
            @Override
            public void windowGainedFocus(WindowEvent e) {
                // pick up notes the CLI added while the window was in the background
                if (!importBar.isImporting() && System.nanoTime() - lastRefresh > TimeUnit.SECONDS.toNanos(5)) {
                    refreshNotes();
                }
            }
        });

        JPanel root = new JPanel(new BorderLayout());
        JPanel north = new JPanel(new BorderLayout());
        north.add(toolbar(), BorderLayout.NORTH);
        JPanel bars = new JPanel();
        bars.setLayout(new javax.swing.BoxLayout(bars, javax.swing.BoxLayout.Y_AXIS));
        bars.add(errorBar());
        bars.add(busyBar());
        bars.add(embedderBar());
        north.add(bars, BorderLayout.SOUTH);
        root.add(north, BorderLayout.NORTH);

        tabs.setName("tabs");
        tabs.addTab("Note", editor);
        tabs.addTab("Ask", askPanel);
        tabs.putClientProperty(FlatClientProperties.TABBED_PANE_TAB_TYPE, FlatClientProperties.TABBED_PANE_TAB_TYPE_UNDERLINED);
        JSplitPane split = new JSplitPane(JSplitPane.HORIZONTAL_SPLIT, leftPane(), tabs);
        split.setResizeWeight(0.4);
        split.setDividerLocation(480);
        root.add(split, BorderLayout.CENTER);
        root.add(statusBar, BorderLayout.SOUTH);
        setContentPane(root);

        bindKey(root, KeyStroke.getKeyStroke(KeyEvent.VK_F, InputEvent.CTRL_DOWN_MASK), "focus-search", () -> {
            searchPane.field().requestFocusInWindow();
            searchPane.field().selectAll();
        });
        bindKey(root, KeyStroke.getKeyStroke(KeyEvent.VK_N, InputEvent.CTRL_DOWN_MASK), "new-note", this::newNote);

        notesRefresh.setRepeats(false);
        try {
            watched.start();
            if (watched.count() > 0) {
                watchLine("scanning");
            }
        } catch (IOException | RuntimeException e) {
            showError("Watching folders", e);
        }

        setMinimumSize(new Dimension(900, 600));
        setSize(1280, 820);
        setLocationByPlatform(true);
    }

    private static void bindKey(JComponent c, KeyStroke key, String name, Runnable r) {
        c.getInputMap(JComponent.WHEN_IN_FOCUSED_WINDOW).put(key, name);
        c.getActionMap().put(name, new AbstractAction() {
            private static final long serialVersionUID = 1L;

            @Override
            public void actionPerformed(java.awt.event.ActionEvent e) {
                r.run();
            }
        });
    }

    // ---- layout

    private JComponent toolbar() {
        JToolBar bar = new JToolBar();
        bar.setFloatable(false);
        bar.setBorder(BorderFactory.createEmptyBorder(6, 8, 6, 8));

        bar.add(searchPane.field());
        bar.addSeparator(new Dimension(8, 0));
        bar.add(notesPane.tagFilter());
        bar.add(javax.swing.Box.createHorizontalGlue());

        JButton newNote = new JButton("New note");
        newNote.setName("newNote");
        newNote.setToolTipText("Ctrl+N");
        newNote.addActionListener(e -> newNote());
        bar.add(newNote);
        importButton.setName("importFolder");
        importButton.addActionListener(e -> chooseImportFolder());
        bar.add(importButton);
        JButton settings = new JButton("Settings\u2026");
        settings.setName("settings");
        settings.addActionListener(e -> openSettings());
        bar.add(settings);
        darkToggle.setName("darkMode");
        darkToggle.setSelected(Theme.isDark());
        darkToggle.setToolTipText("Switch between the light and the dark theme");
        darkToggle.addActionListener(e -> setDark(darkToggle.isSelected(), true));
        bar.add(darkToggle);
        return bar;
    }

    private JComponent errorBar() {
        errorBar.setName("errorBar");
        errorBar.setBorder(BorderFactory.createEmptyBorder(6, 12, 6, 8));
        errorLabel.setName("errorText");
        JButton dismiss = new JButton("Dismiss");
        dismiss.putClientProperty(FlatClientProperties.BUTTON_TYPE, FlatClientProperties.BUTTON_TYPE_BORDERLESS);
        dismiss.addActionListener(e -> errorBar.setVisible(false));
        errorBar.add(errorLabel, BorderLayout.CENTER);
        errorBar.add(dismiss, BorderLayout.EAST);
        errorBar.setVisible(false);
        return errorBar;
    }

    private JComponent busyBar() {
        busyBar.setName("busyBar");
        busyBar.setBorder(BorderFactory.createEmptyBorder(6, 12, 6, 8));
        busyLabel.setName("busyText");
        busyBar.add(busyLabel, BorderLayout.CENTER);
        busyBar.setVisible(false);
        return busyBar;
    }

    private JComponent embedderBar() {
        embedderBar.setName("embedderBar");
        embedderBar.setBorder(BorderFactory.createEmptyBorder(6, 12, 6, 8));
        embedderLabel.setName("embedderText");
        reindexButton.setName("offerReindex");
        keepButton.setName("keepEmbedder");
        reindexButton.addActionListener(e -> {
            EmbedderMismatchException m = offered;
            if (m != null && m.wantedName().isPresent()) {
                embedderBar.setVisible(false);
                startReindex(m.wantedName().get(), true);
            }
        });
        keepButton.addActionListener(e -> {
            EmbedderMismatchException m = offered;
            embedderBar.setVisible(false);
            offered = null;
            background.execute(() -> {
                try {
                    session.useNotebooksOwnEmbedder();
                    SwingUtilities.invokeLater(this::refreshNotes);
                } catch (IOException | RuntimeException ex) {
                    SwingUtilities.invokeLater(() -> showError("Opening the notebook", ex));
                }
            });
            if (m != null && m.recordedName().isPresent()) {
                saveConfig(java.util.Collections.singletonMap("embedder", m.recordedName().get()));
            }
        });
        JPanel buttons = new JPanel(new java.awt.FlowLayout(java.awt.FlowLayout.RIGHT, 6, 0));
        buttons.setOpaque(false);
        buttons.add(reindexButton);
        buttons.add(keepButton);
        embedderBar.add(embedderLabel, BorderLayout.CENTER);
        embedderBar.add(buttons, BorderLayout.EAST);
        embedderBar.setVisible(false);
        return embedderBar;
    }

    private JComponent leftPane() {
        left.add(notesPane.view(), "notes");
        left.add(searchPane.resultsView(), "results");
        leftHeader.setName("leftHeader");
        leftHeader.setBorder(BorderFactory.createEmptyBorder(6, 10, 6, 10));
        leftHeader.putClientProperty(FlatClientProperties.STYLE_CLASS, "h4");
        JPanel p = new JPanel(new BorderLayout());
        p.add(leftHeader, BorderLayout.NORTH);
        p.add(left, BorderLayout.CENTER);
        p.setPreferredSize(new Dimension(480, 600));
        return p;
    }

    /** Colours that are ours (not the look's): set again after a theme change. */
    private void applyOwnColors() {
        errorBar.setBackground(Theme.errorBackground());
        busyBar.setBackground(Theme.warningBackground());
        embedderBar.setBackground(Theme.warningBackground());
        statusBar.applyOwnColors();
    }

    // ---- start and stop

    /** Shows the window and starts loading: the notes, then the chat model if one is configured. */
    void start() {
        applyOwnColors();
        statusBar.mode(answerMode());
        setVisible(true);
        status("Opening " + options.directory() + "\u2026 (loading the embedding model)");
        leftHeader.setText("Loading notes\u2026");
        refreshNotes();
        if (modelPath != null) {
            loadModel(modelPath, modelCtx);
        }
        searchPane.field().requestFocusInWindow();
    }

    /**
     * Closes the window: cancels an import and a question, waits for the work in flight, closes
     * the notebook, then disposes the window. Returns at once; {@link #awaitClosed} waits.
     */
    void shutdown() {
        if (closing) {
            return;
        }
        closing = true;
        watched.stopSoon();
        searchPane.stop();
        importBar.cancel();
        reindexBar.stop();
        askPanel.cancel();
        setVisible(false);
        Thread t = new Thread(() -> {
            try {
                lanes.shutdownAndAwait();
                session.close();
                watched.close();
            } catch (IOException | RuntimeException e) {
                System.err.println("pocketrag desktop: error closing the notebook: " + describe(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                SwingUtilities.invokeLater(() -> {
                    dispose();
                    closed.countDown();
                });
            }
        }, "pocketrag-shutdown");
        t.start();
    }

    /** Waits until the window is closed and the notebook released. */
    boolean awaitClosed(long timeout, TimeUnit unit) throws InterruptedException {
        return closed.await(timeout, unit);
    }

    void awaitClosed() throws InterruptedException {
        closed.await();
    }

    // ---- Host

    @Override
    public <T> void run(Lane lane, String what, NotebookSession.Task<T> task, Consumer<T> onDone, Runnable onFinally) {
        lanes.run(lane, what, task, onDone, onFinally);
    }

    @Override
    public void showError(String what, Throwable t) {
        EmbedderMismatchException mismatch = mismatch(t);
        if (mismatch != null && mismatch.wantedName().isPresent() && mismatch.recordedName().isPresent()) {
            offerReindex(mismatch); // not an error: a choice to make
            return;
        }
        String text = what + ": " + describe(t);
        lastError = text;
        errorLabel.setText(text);
        errorLabel.setToolTipText(text);
        errorBar.setVisible(true);
        System.err.println("pocketrag desktop: " + text);
    }

    @Override
    public void status(String message) {
        statusBar.status(message);
    }

    @Override
    public void openNote(String noteId, int start, int end, List<String> terms) {
        if (!editor.confirmLeave()) {
            return;
        }
        tabs.setSelectedComponent(editor);
        run(Lane.READ, "Opening the note", nb -> nb.get(noteId), found -> {
            if (found.isPresent()) {
                editor.show(found.get(), start, end, terms);
            } else {
                showError("Opening the note", new NoSuchElementException("the note " + noteId
                        + " is no longer in the notebook"));
                refreshNotes();
            }
        }, null);
    }

    @Override
    public void notesChanged() {
        refreshNotes();
        if (!searchPane.isBlank()) {
            searchPane.runSearch();
        }
    }

    @Override
    public SearchFilter filter() {
        return notesPane.filter();
    }

    @Override
    public AskThread askThread() {
        return session.askThread();
    }

    @Override
    public String answerMode() {
        ChatModel m = session.chatModel();
        return m == null ? "Answers: extractive (no chat model)"
                : "Answers: " + m.name() + " (" + m.contextLength() + "-token context)";
    }

    @Override
    public int answerTokens() {
        int full = AskOptions.defaults().maxAnswerTokens();
        ChatModel m = session.chatModel();
        return m == null ? full : Math.max(16, Math.min(full, m.contextLength() / 4));
    }

    // ---- notes list

    /** Reloads the notes and the tags (in the background). */
    void refreshNotes() {
        lastRefresh = System.nanoTime();
        notesPane.refresh(s -> {
            showNotes();
            statusBar.stats(String.format(Locale.ROOT, "%d notes \u00b7 %d chunks", s.notes(), s.chunks()),
                    options.directory().toAbsolutePath().toString());
            if (statusBar.status().startsWith("Opening ")) {
                status("Ready: " + options.directory().toAbsolutePath());
            }
        });
    }

    /** Another tag was chosen: list its notes, and search again if there is a query. */
    private void tagChanged() {
        showNotes();
        if (!searchPane.isBlank()) {
            searchPane.runSearch();
        }
    }

    /** The notes with the selected tag; the list is shown when the search box is empty. */
    private void showNotes() {
        String header = notesPane.show(editor.noteId());
        if (searchPane.isBlank()) {
            leftCards.show(left, "notes");
            leftHeader.setText(header);
        }
    }

    private void newNote() {
        if (editor.confirmLeave()) {
            tabs.setSelectedComponent(editor);
            notesPane.clearSelection();
            searchPane.clearSelection();
            editor.newNote();
        }
    }

    // ---- import

    private void chooseImportFolder() {
        JFileChooser chooser = new JFileChooser();
        chooser.setDialogTitle("Import a folder of notes and documents (.md, .txt, .html, .pdf, .docx, .odt, .epub)");
        chooser.setFileSelectionMode(JFileChooser.DIRECTORIES_ONLY);
        if (chooser.showOpenDialog(this) == JFileChooser.APPROVE_OPTION) {
            startImport(chooser.getSelectedFile().toPath());
        }
    }

    /** Imports {@code folder} in the background with a cancellable progress bar (see {@link ImportBar}). */
    void startImport(Path folder) {
        importBar.startImport(folder);
    }

    // ---- embedder

    private static EmbedderMismatchException mismatch(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof EmbedderMismatchException m) {
                return m;
            }
        }
        return null;
    }

    /**
     * The settings name another embedder than the one the notebook's notes were embedded with:
     * offer to re-index with it, or to go on with the notebook's own.
     */
    private void offerReindex(EmbedderMismatchException m) {
        if (closing || reindexBar.isRunning()) {
            return;
        }
        offered = m;
        String own = m.recordedName().orElseThrow();
        String wanted = m.wantedName().orElseThrow();
        embedderLabel.setText("The notes of this notebook were embedded with " + own + "; the settings ask for "
                + wanted + ". Re-index them with " + wanted + " (the notebook stays usable meanwhile), or keep " + own + ".");
        reindexButton.setText("Re-index with " + wanted);
        keepButton.setText("Keep " + own);
        embedderBar.setVisible(true);
        status("Choose the embedding model");
    }

    /** The built-in name of the notebook's embedder (the default for a new notebook), or null if it is not built in. */
    String notebookEmbedder() {
        try {
            java.util.Optional<RecordedModel> m = Notebook.recordedModel(options.directory(), options.indexUrl());
            if (m.isEmpty()) {
                return session.wantedEmbedder() != null ? session.wantedEmbedder() : Embedders.DEFAULT;
            }
            return Embedders.modelWithId(m.get().modelId()).map(b -> b.name()).orElse(null);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Re-indexes the notebook with the built-in embedder {@code name} on the import lane, with a
     * progress bar in the status bar; the notebook stays usable meanwhile. {@code remember}: save
     * {@code embedder=NAME} in the config file once it is done.
     */
    void startReindex(String name, boolean remember) {
        if (reindexBar.isRunning()) {
            showError("Re-indexing with " + name, new IllegalStateException("a re-index is already running"));
            return;
        }
        reindexBar.start(name);
        status("Re-indexing the notes with " + name + "…");
        long t0 = System.nanoTime();
        lanes.runWork(Lane.IMPORT, "Re-indexing with " + name,
                () -> session.reindex(Embedders.namedInBackground(name), p -> {
                    SwingUtilities.invokeLater(() -> reindexBar.show(p, (System.nanoTime() - t0) / 1e9));
                    return !reindexBar.stopRequested();
                }), p -> {
                    double secs = (System.nanoTime() - t0) / 1e9;
                    offered = null;
                    status(switch (p.phase()) {
                        case DONE -> String.format(Locale.ROOT, "Re-indexed with %s: %d notes embedded in %.1f s", name,
                                p.embedded(), secs);
                        case UNCHANGED -> "The notebook already uses " + name;
                        default -> String.format(Locale.ROOT, "Re-index stopped: %d of %d notes are on %s so far; the"
                                + " notebook still uses its old model. Choose %s again in Settings to carry on.",
                                p.saved(), p.total(), name, name);
                    });
                    if (remember && p.phase() != ReindexProgress.Phase.STOPPED) {
                        saveConfig(java.util.Collections.singletonMap("embedder", name));
                    }
                }, () -> {
                    reindexBar.end();
                    notesChanged();
                });
    }

    boolean isReindexing() {
        return reindexBar.isRunning();
    }

    // ---- settings, model, theme

    /** The watched folders' line in the status bar, after {@code last}. */
    private void watchLine(String last) {
        int n = watched.count();
        statusBar.watching(n == 0 ? null : "Watching " + n + (n == 1 ? " folder" : " folders") + " \u00b7 " + last,
                "Settings \u2192 Watched folders: each folder's state and problems");
    }

    /** A file or folder changed under a watched folder: say it, and show the notes again soon. */
    private void watchChanged(FolderChange c) {
        if (closing) {
            return;
        }
        String name = Path.of(c.path()).getFileName() == null ? c.path() : Path.of(c.path()).getFileName().toString();
        String kind = c.kind().name().toLowerCase(Locale.ROOT);
        watchLine(switch (c.kind()) {
            case SCANNED -> "scanned " + name;
            case OFFLINE -> name + " is offline (notes kept)";
            case ONLINE -> name + " is back";
            default -> kind + " " + name;
        });
        switch (c.kind()) {
            case ADDED, UPDATED, RENAMED, DELETED, SCANNED -> notesRefresh.restart();
            default -> {
                // nothing in the notebook changed
            }
        }
    }

    /** The watched folders (Settings, tests). */
    WatchedFolders watched() {
        return watched;
    }

    private void openSettings() {
        SettingsDialog d = new SettingsDialog(this, background,
                new SettingsDialog.Choice(modelPath, modelCtx, Theme.isDark(), true, notebookEmbedder()),
                options.configFile(), watched);
        d.ask().ifPresent(this::applySettings);
    }

    void applySettings(SettingsDialog.Choice c) {
        if (c.dark() != Theme.isDark()) {
            setDark(c.dark(), false);
        }
        if (c.embedder() != null && !c.embedder().equals(notebookEmbedder())) {
            embedderBar.setVisible(false);
            startReindex(c.embedder(), c.remember()); // saved once the notes are on it
        } else if (c.embedder() != null && c.remember()) {
            saveConfig(java.util.Collections.singletonMap("embedder", c.embedder()));
        }
        boolean modelChanged = !java.util.Objects.equals(c.model(), modelPath) || c.ctx() != modelCtx;
        modelPath = c.model();
        modelCtx = c.ctx();
        if (modelChanged) {
            loadModel(c.model(), c.ctx());
        }
        if (c.remember()) {
            Map<String, String> updates = new java.util.LinkedHashMap<>();
            updates.put("model", c.model() == null ? null : c.model().toAbsolutePath().toString());
            updates.put("ctx", c.ctx() > 0 ? Integer.toString(c.ctx()) : null);
            updates.put(AppOptions.THEME_KEY, c.dark() ? "dark" : "light");
            saveConfig(updates);
        }
    }

    /** Loads (or unloads, for null) the chat model in the background; the notebook reopens with it. */
    private void loadModel(Path model, int ctx) {
        status(model == null ? "Switching to extractive answers\u2026" : "Loading " + model.getFileName() + "\u2026");
        background.execute(() -> {
            try {
                ChatModel m = model == null ? null
                        : GgufChatModel.load(model, GgufChatModel.Options.defaults().withContextLength(ctx)
                                .withPromptCache(session.directory().resolve(GgufChatModel.Options.PROMPT_CACHE_FOLDER)));
                session.setChatModel(m);
                SwingUtilities.invokeLater(() -> {
                    statusBar.mode(answerMode());
                    askPanel.render();
                    status(m == null ? "Answers are extractive now" : "Loaded " + m.name());
                });
            } catch (Exception e) {
                SwingUtilities.invokeLater(() -> {
                    showError("Chat model", e);
                    statusBar.mode(answerMode());
                    status(answerMode());
                });
            }
        });
    }

    /** Switches the theme (on the event thread) and, if {@code remember}, saves it in the config file. */
    void setDark(boolean dark, boolean remember) {
        Theme.apply(dark);
        darkToggle.setSelected(dark);
        applyOwnColors();
        askPanel.render();
        editor.paintMarks();
        searchPane.repaint();
        if (remember) {
            saveConfig(Map.of(AppOptions.THEME_KEY, dark ? "dark" : "light"));
        }
    }

    private void saveConfig(Map<String, String> updates) {
        Map<String, String> copy = new HashMap<>(updates);
        background.execute(() -> {
            try {
                Settings.save(options.configFile(), copy);
            } catch (RuntimeException e) {
                SwingUtilities.invokeLater(() -> showError("Saving the settings", e));
            }
        });
    }

    private void showBusy(Path directory, int attempt, Duration retryIn) {
        if (closing) {
            return;
        }
        busyLabel.setText("The notebook is busy: another pocketrag process is using " + directory
                + ". Retrying every " + (retryIn.toMillis() % 1000 == 0 ? retryIn.toSeconds() + " s" : retryIn.toMillis() + " ms")
                + " (attempt " + attempt + ")\u2026");
        busyBar.setVisible(true);
        status("Waiting for the notebook\u2026");
    }

    /** One line for an error: {@link Errors#describe}. */
    static String describe(Throwable t) {
        return Errors.describe(t);
    }

    // ---- for tests

    JTextField searchField() {
        return searchPane.field();
    }

    JList<SearchHit> resultsList() {
        return searchPane.resultsList();
    }

    /** The query the results shown are for; null while the notes list is shown. */
    String resultsQuery() {
        return searchPane.resultsQuery();
    }

    List<String> resultsTerms() {
        return searchPane.resultsTerms();
    }

    JTable notesTable() {
        return notesPane.table();
    }

    JComboBox<String> tagFilter() {
        return notesPane.tagFilter();
    }

    JTabbedPane tabs() {
        return tabs;
    }

    NoteEditor editor() {
        return editor;
    }

    AskPanel askPanel() {
        return askPanel;
    }

    boolean isImporting() {
        return importBar.isImporting();
    }

    JLabel statusLabel() {
        return statusBar.statusLabel();
    }

    JLabel watchLabel() {
        return statusBar.watchLabel();
    }

    String lastError() {
        return lastError;
    }

    /** The busy message shown, null when none is. */
    String busyMessage() {
        return busyBar.isVisible() ? busyLabel.getText() : null;
    }

    NotebookSession session() {
        return session;
    }

    /** The offer to re-index shown, null when none is. */
    String embedderOffer() {
        return embedderBar.isVisible() ? embedderLabel.getText() : null;
    }

    /** Clicks "Re-index with ..." of the offer. */
    void acceptEmbedderOffer() {
        reindexButton.doClick();
    }
}
