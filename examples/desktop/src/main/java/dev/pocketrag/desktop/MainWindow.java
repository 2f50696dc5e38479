package dev.pocketrag.desktop;

import dev.pocketrag.retrieval.Settings;
import com.formdev.flatlaf.FlatClientProperties;
import com.formdev.flatlaf.icons.FlatSearchIcon;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.generation.GgufChatModel;
import dev.pocketrag.index.IndexStats;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.Errors;
import dev.pocketrag.retrieval.SearchOptions;
import java.awt.BorderLayout;
import java.awt.CardLayout;
import java.awt.Component;
import java.awt.Dimension;
import java.awt.event.ComponentAdapter;
import java.awt.event.ComponentEvent;
import java.awt.event.InputEvent;
import java.awt.event.KeyEvent;
import java.awt.event.WindowAdapter;
import java.awt.event.WindowEvent;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.swing.AbstractAction;
import javax.swing.BorderFactory;
import javax.swing.DefaultComboBoxModel;
import javax.swing.DefaultListCellRenderer;
import javax.swing.DefaultListModel;
import javax.swing.JButton;
import javax.swing.JComboBox;
import javax.swing.JComponent;
import javax.swing.JFileChooser;
import javax.swing.JFrame;
import javax.swing.JLabel;
import javax.swing.JList;
import javax.swing.JPanel;
import javax.swing.JScrollPane;
import javax.swing.JSplitPane;
import javax.swing.JTabbedPane;
import javax.swing.JTable;
import javax.swing.JTextField;
import javax.swing.JToggleButton;
import javax.swing.JToolBar;
import javax.swing.KeyStroke;
import javax.swing.ListSelectionModel;
import javax.swing.SwingConstants;
import javax.swing.SwingUtilities;
import javax.swing.Timer;
import javax.swing.event.DocumentEvent;
import javax.swing.event.DocumentListener;
import javax.swing.table.AbstractTableModel;
import javax.swing.table.DefaultTableCellRenderer;

/**
 * The app's window: notes list (filterable by tag) or search results on the left, the note editor
 * and the Ask panel on the right, import progress and status at the bottom, errors in a bar at the
 * top. Everything that touches the notebook runs on one of three background lanes (see
 * {@link Host.Lane}); the event thread only builds and updates components.
 */
final class MainWindow extends JFrame implements Host {
    private static final long serialVersionUID = 1L;
    /** Delay after the last key before a search runs. */
    static final int SEARCH_DEBOUNCE_MILLIS = 250;
    /** Notes listed at most (the list is for browsing; search finds the rest). */
    static final int LIST_LIMIT = 5000;
    private static final String ALL_TAGS = "All tags";
    private static final DateTimeFormatter UPDATED = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT)
            .withZone(ZoneId.systemDefault());

    private final transient AppOptions options;
    private final transient NotebookSession session;
    /** The background lanes (see {@link Lanes}). */
    private final transient Lanes lanes;
    /** Work that does not need the notebook: loading a model, estimating memory, writing the config. */
    private final transient ExecutorService background;

    private final JTextField searchField = new JTextField();
    private final JComboBox<String> tagFilter = new JComboBox<>();
    private final JToggleButton darkToggle = new JToggleButton("Dark");
    private final JButton importButton = new JButton("Import folder\u2026");
    private final JPanel errorBar = new JPanel(new BorderLayout(8, 0));
    private final JLabel errorLabel = new JLabel();
    private final JPanel busyBar = new JPanel(new BorderLayout(8, 0));
    private final JLabel busyLabel = new JLabel();
    private final CardLayout leftCards = new CardLayout();
    private final JPanel left = new JPanel(leftCards);
    private final JLabel leftHeader = new JLabel(" ");
    private final NotesModel notesModel = new NotesModel();
    private final JTable notesTable = new JTable(notesModel);
    private final DefaultListModel<SearchHit> resultsModel = new DefaultListModel<>();
    private final JList<SearchHit> resultsList = new JList<>(resultsModel) {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean getScrollableTracksViewportWidth() {
            return true; // the cells wrap to the visible width instead of scrolling sideways
        }
    };
    private final JTabbedPane tabs = new JTabbedPane();
    private final NoteEditor editor;
    private final AskPanel askPanel;
    private final ImportBar importBar;
    private final StatusBar statusBar;
    private final Timer searchTimer;

    private transient List<Note> allNotes = List.of();
    private final AtomicLong searchSeq = new AtomicLong();
    private String resultsQuery;
    private transient List<String> resultsTerms = List.of();
    private boolean updatingLists;
    private long lastRefresh;
    private String lastError;
    private transient Path modelPath;
    private int modelCtx;
    private volatile boolean closing;
    private final CountDownLatch closed = new CountDownLatch(1);

    MainWindow(AppOptions options) {
        super("pocketrag \u2014 " + options.directory());
        this.options = options;
        this.modelPath = options.model();
        this.modelCtx = options.ctx();
        session = new NotebookSession(options.directory(), options.embedders(), options.retryEvery(),
                options.idleAfter(), new NotebookSession.Listener() {
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
        lanes = new Lanes(session, () -> closing, this::showError);
        background = lanes.background();
        importBar = new ImportBar(this, importButton);
        statusBar = new StatusBar(importBar);
        editor = new NoteEditor(this);
        askPanel = new AskPanel(this);
        searchTimer = new Timer(SEARCH_DEBOUNCE_MILLIS, e -> runSearch());
        searchTimer.setRepeats(false);

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
            searchField.requestFocusInWindow();
            searchField.selectAll();
        });
        bindKey(root, KeyStroke.getKeyStroke(KeyEvent.VK_N, InputEvent.CTRL_DOWN_MASK), "new-note", this::newNote);

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

        searchField.setName("search");
        searchField.putClientProperty(FlatClientProperties.PLACEHOLDER_TEXT, "Search your notes (Ctrl+F)");
        searchField.putClientProperty(FlatClientProperties.TEXT_FIELD_LEADING_ICON, new FlatSearchIcon());
        searchField.putClientProperty(FlatClientProperties.TEXT_FIELD_SHOW_CLEAR_BUTTON, true);
        searchField.setPreferredSize(new Dimension(420, searchField.getPreferredSize().height + 4));
        searchField.getDocument().addDocumentListener(new DocumentListener() {
            @Override
            public void insertUpdate(DocumentEvent e) {
                queryChanged();
            }

            @Override
            public void removeUpdate(DocumentEvent e) {
                queryChanged();
            }

            @Override
            public void changedUpdate(DocumentEvent e) {
                // attributes only
            }
        });
        searchField.getInputMap().put(KeyStroke.getKeyStroke(KeyEvent.VK_ESCAPE, 0), "clear-search");
        searchField.getActionMap().put("clear-search", new AbstractAction() {
            private static final long serialVersionUID = 1L;

            @Override
            public void actionPerformed(java.awt.event.ActionEvent e) {
                searchField.setText("");
            }
        });
        searchField.getInputMap().put(KeyStroke.getKeyStroke(KeyEvent.VK_DOWN, 0), "to-results");
        searchField.getActionMap().put("to-results", new AbstractAction() {
            private static final long serialVersionUID = 1L;

            @Override
            public void actionPerformed(java.awt.event.ActionEvent e) {
                if (resultsQuery != null && !resultsModel.isEmpty()) {
                    resultsList.requestFocusInWindow();
                    resultsList.setSelectedIndex(0);
                } else if (notesModel.getRowCount() > 0) {
                    notesTable.requestFocusInWindow();
                    notesTable.setRowSelectionInterval(0, 0);
                }
            }
        });
        bar.add(searchField);
        bar.addSeparator(new Dimension(8, 0));

        tagFilter.setName("tagFilter");
        tagFilter.setModel(new DefaultComboBoxModel<>(new String[] {ALL_TAGS}));
        tagFilter.setToolTipText("Only notes with this tag (the list, search and Ask)");
        tagFilter.setMaximumSize(new Dimension(180, 40));
        tagFilter.addActionListener(e -> {
            if (!updatingLists) {
                showNotes();
                if (!searchField.getText().isBlank()) {
                    runSearch();
                }
            }
        });
        bar.add(tagFilter);
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

    private JComponent leftPane() {
        notesTable.setName("notes");
        notesTable.setSelectionMode(ListSelectionModel.SINGLE_SELECTION);
        notesTable.setFillsViewportHeight(true);
        notesTable.setRowHeight(notesTable.getRowHeight() + 8);
        notesTable.setAutoCreateRowSorter(true);
        notesTable.getColumnModel().getColumn(0).setPreferredWidth(250);
        notesTable.getColumnModel().getColumn(1).setPreferredWidth(110);
        notesTable.getColumnModel().getColumn(2).setPreferredWidth(140);
        notesTable.getColumnModel().getColumn(2).setMinWidth(140);
        notesTable.getColumnModel().getColumn(2).setCellRenderer(new DefaultTableCellRenderer() {
            private static final long serialVersionUID = 1L;

            @Override
            protected void setValue(Object value) {
                setText(value instanceof Instant i ? UPDATED.format(i) : "");
            }
        });
        notesTable.getSelectionModel().addListSelectionListener(e -> {
            if (e.getValueIsAdjusting() || updatingLists) {
                return;
            }
            int view = notesTable.getSelectedRow();
            if (view >= 0) {
                Note n = notesModel.note(notesTable.convertRowIndexToModel(view));
                openNote(n.id(), -1, -1, List.of());
            }
        });

        resultsList.setName("results");
        resultsList.setSelectionMode(ListSelectionModel.SINGLE_SELECTION);
        resultsList.setCellRenderer(new ResultRenderer());
        resultsList.addListSelectionListener(e -> {
            if (e.getValueIsAdjusting() || updatingLists) {
                return;
            }
            SearchHit h = resultsList.getSelectedValue();
            if (h != null) {
                openNote(h.noteId(), h.start(), h.end(), resultsTerms);
            }
        });
        JScrollPane resultsScroll = new JScrollPane(resultsList, JScrollPane.VERTICAL_SCROLLBAR_AS_NEEDED,
                JScrollPane.HORIZONTAL_SCROLLBAR_NEVER);
        resultsScroll.addComponentListener(new ComponentAdapter() {
            @Override
            public void componentResized(ComponentEvent e) {
                // the HTML cells wrap to the list's width: make the list measure them again
                resultsList.setFixedCellHeight(10);
                resultsList.setFixedCellHeight(-1);
            }
        });

        left.add(new JScrollPane(notesTable), "notes");
        left.add(resultsScroll, "results");
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
        searchField.requestFocusInWindow();
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
        searchTimer.stop();
        importBar.cancel();
        askPanel.cancel();
        setVisible(false);
        Thread t = new Thread(() -> {
            try {
                lanes.shutdownAndAwait();
                session.close();
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
        if (!searchField.getText().isBlank()) {
            runSearch();
        }
    }

    @Override
    public SearchFilter filter() {
        String tag = selectedTag();
        return tag == null ? SearchFilter.NONE : SearchFilter.tags(tag);
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

    private String selectedTag() {
        Object t = tagFilter.getSelectedItem();
        return t == null || ALL_TAGS.equals(t) ? null : t.toString();
    }

    // ---- notes list

    /** Reloads the notes and the tags (in the background). */
    void refreshNotes() {
        lastRefresh = System.nanoTime();
        run(Lane.READ, "Loading the notes", nb -> new Listing(nb.list(SearchFilter.NONE, 0, LIST_LIMIT), nb.stats()),
                listing -> {
                    allNotes = listing.notes();
                    updateTags();
                    showNotes();
                    IndexStats s = listing.stats();
                    statusBar.stats(String.format(Locale.ROOT, "%d notes \u00b7 %d chunks", s.notes(), s.chunks()),
                            options.directory().toAbsolutePath().toString());
                    if (statusBar.status().startsWith("Opening ")) {
                        status("Ready: " + options.directory().toAbsolutePath());
                    }
                }, null);
    }

    private record Listing(List<Note> notes, IndexStats stats) {}

    private void updateTags() {
        TreeSet<String> tags = new TreeSet<>();
        for (Note n : allNotes) {
            tags.addAll(n.tags());
        }
        String selected = selectedTag();
        updatingLists = true;
        try {
            DefaultComboBoxModel<String> m = new DefaultComboBoxModel<>();
            m.addElement(ALL_TAGS);
            tags.forEach(m::addElement);
            tagFilter.setModel(m);
            tagFilter.setSelectedItem(selected != null && tags.contains(selected) ? selected : ALL_TAGS);
        } finally {
            updatingLists = false;
        }
    }

    /** The notes with the selected tag; the list is shown when the search box is empty. */
    private void showNotes() {
        String tag = selectedTag();
        List<Note> shown = new ArrayList<>();
        for (Note n : allNotes) {
            if (tag == null || n.tags().contains(tag)) {
                shown.add(n);
            }
        }
        String selectedId = editor.noteId();
        updatingLists = true;
        try {
            notesModel.set(shown);
            for (int i = 0; i < shown.size() && selectedId != null; i++) {
                if (shown.get(i).id().equals(selectedId)) {
                    int view = notesTable.convertRowIndexToView(i);
                    notesTable.setRowSelectionInterval(view, view);
                }
            }
        } finally {
            updatingLists = false;
        }
        if (searchField.getText().isBlank()) {
            leftCards.show(left, "notes");
            leftHeader.setText(allNotes.isEmpty() ? "No notes yet: import a folder or create a note"
                    : shown.size() + (shown.size() == 1 ? " note" : " notes") + (tag == null ? "" : " tagged " + tag));
        }
    }

    private void newNote() {
        if (editor.confirmLeave()) {
            tabs.setSelectedComponent(editor);
            notesTable.clearSelection();
            resultsList.clearSelection();
            editor.newNote();
        }
    }

    // ---- search

    private void queryChanged() {
        if (searchField.getText().isBlank()) {
            searchTimer.stop();
            searchSeq.incrementAndGet(); // a search still running is stale now
            resultsQuery = null;
            showNotes();
        } else {
            searchTimer.restart();
        }
    }

    private void runSearch() {
        String q = searchField.getText().strip();
        if (q.isEmpty()) {
            return;
        }
        long seq = searchSeq.incrementAndGet();
        SearchOptions o = SearchOptions.defaults().withK(20).withFilter(filter());
        leftHeader.setText("Searching\u2026");
        run(Lane.READ, "Searching \u201c" + q + "\u201d", nb -> seq == searchSeq.get() ? nb.search(q, o) : null, hits -> {
            if (hits != null && seq == searchSeq.get()) {
                showResults(q, hits);
            }
        }, null);
    }

    private void showResults(String q, List<SearchHit> hits) {
        resultsQuery = q;
        resultsTerms = Highlighter.terms(q);
        updatingLists = true;
        try {
            resultsModel.clear();
            resultsModel.addAll(hits);
            resultsList.setFixedCellHeight(10);
            resultsList.setFixedCellHeight(-1);
        } finally {
            updatingLists = false;
        }
        String tag = selectedTag();
        leftHeader.setText((hits.isEmpty() ? "No results" : hits.size() + (hits.size() == 1 ? " result" : " results"))
                + " for \u201c" + q + "\u201d" + (tag == null ? "" : " tagged " + tag));
        leftCards.show(left, "results");
    }

    /** Renders a hit: title, tags, and the passage with the query terms marked. */
    private final class ResultRenderer extends DefaultListCellRenderer {
        private static final long serialVersionUID = 1L;

        @Override
        public Component getListCellRendererComponent(JList<?> list, Object value, int index, boolean selected,
                boolean focused) {
            super.getListCellRendererComponent(list, "", index, selected, focused);
            SearchHit h = (SearchHit) value;
            // wrap to the visible width: the viewport's, minus this cell's border and a margin
            Component viewport = list.getParent();
            int width = Math.max(160, (viewport != null ? viewport.getWidth() : list.getWidth()) - 36);
            String muted = selected ? "" : " style='color:" + Theme.hex(Theme.muted()) + "'";
            // Swing's CSS scales px by 1.3 (javax.swing.text.html.CSS: "determined by experimentation"); pt is 1:1
            StringBuilder b = new StringBuilder("<html><div style='width:").append(width).append("pt'>");
            b.append("<b>").append(Highlighter.escape(h.title().isEmpty() ? h.noteId() : h.title())).append("</b>");
            if (!h.tags().isEmpty()) {
                b.append("&nbsp;&nbsp;<span").append(muted).append(">");
                for (String t : h.tags()) {
                    b.append('#').append(Highlighter.escape(t)).append(' ');
                }
                b.append("</span>");
            }
            // on the selection colour a marker background is hard to read: underline instead
            b.append("<br>").append(Highlighter.html(Highlighter.excerpt(h.chunkText(), resultsTerms, 260),
                    resultsTerms, selected ? "<b><u>" : Theme.markOpen(), selected ? "</u></b>" : Theme.markClose()));
            b.append("</div></html>");
            setText(b.toString());
            setVerticalAlignment(SwingConstants.TOP);
            setBorder(BorderFactory.createEmptyBorder(8, 10, 8, 10));
            return this;
        }
    }

    // ---- import

    private void chooseImportFolder() {
        JFileChooser chooser = new JFileChooser();
        chooser.setDialogTitle("Import a folder of notes (.md, .markdown, .txt)");
        chooser.setFileSelectionMode(JFileChooser.DIRECTORIES_ONLY);
        if (chooser.showOpenDialog(this) == JFileChooser.APPROVE_OPTION) {
            startImport(chooser.getSelectedFile().toPath());
        }
    }

    /** Imports {@code folder} in the background with a cancellable progress bar (see {@link ImportBar}). */
    void startImport(Path folder) {
        importBar.startImport(folder);
    }

    // ---- settings, model, theme

    private void openSettings() {
        SettingsDialog d = new SettingsDialog(this, background,
                new SettingsDialog.Choice(modelPath, modelCtx, Theme.isDark(), true), options.configFile());
        d.ask().ifPresent(this::applySettings);
    }

    void applySettings(SettingsDialog.Choice c) {
        if (c.dark() != Theme.isDark()) {
            setDark(c.dark(), false);
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
        resultsList.repaint();
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

    // ---- the notes table

    private static final class NotesModel extends AbstractTableModel {
        private static final long serialVersionUID = 1L;
        private transient List<Note> notes = List.of();

        void set(List<Note> n) {
            notes = List.copyOf(n);
            fireTableDataChanged();
        }

        Note note(int row) {
            return notes.get(row);
        }

        @Override
        public int getRowCount() {
            return notes.size();
        }

        @Override
        public int getColumnCount() {
            return 3;
        }

        @Override
        public String getColumnName(int column) {
            return switch (column) {
                case 0 -> "Title";
                case 1 -> "Tags";
                default -> "Updated";
            };
        }

        @Override
        public Class<?> getColumnClass(int column) {
            return column == 2 ? Instant.class : String.class;
        }

        @Override
        public Object getValueAt(int row, int column) {
            Note n = notes.get(row);
            return switch (column) {
                case 0 -> n.title().isEmpty() ? n.id() : n.title();
                case 1 -> String.join(", ", n.tags());
                default -> n.updated();
            };
        }
    }

    // ---- for tests

    JTextField searchField() {
        return searchField;
    }

    JList<SearchHit> resultsList() {
        return resultsList;
    }

    /** The query the results shown are for; null while the notes list is shown. */
    String resultsQuery() {
        return resultsQuery;
    }

    List<String> resultsTerms() {
        return resultsTerms;
    }

    JTable notesTable() {
        return notesTable;
    }

    JComboBox<String> tagFilter() {
        return tagFilter;
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
}
