package dev.pocketrag.desktop;

import com.formdev.flatlaf.FlatClientProperties;
import com.formdev.flatlaf.icons.FlatSearchIcon;
import dev.pocketrag.desktop.Host.Lane;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.retrieval.SearchOptions;
import java.awt.Component;
import java.awt.Dimension;
import java.awt.event.ComponentAdapter;
import java.awt.event.ComponentEvent;
import java.awt.event.KeyEvent;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.swing.AbstractAction;
import javax.swing.BorderFactory;
import javax.swing.DefaultListCellRenderer;
import javax.swing.DefaultListModel;
import javax.swing.JComponent;
import javax.swing.JList;
import javax.swing.JScrollPane;
import javax.swing.JTextField;
import javax.swing.KeyStroke;
import javax.swing.ListSelectionModel;
import javax.swing.SwingConstants;
import javax.swing.Timer;
import javax.swing.event.DocumentEvent;
import javax.swing.event.DocumentListener;

/**
 * The search pane: the toolbar's search box (a search runs {@value #SEARCH_DEBOUNCE_MILLIS} ms after
 * the last key, on the {@link Lane#READ} lane, with the tag filter in effect; a search overtaken by
 * a newer one is dropped) and the list of results, each a note's title, tags and best passage with
 * the query's words marked. Selecting a result opens its note at the passage through the {@link Host}.
 */
final class SearchPane {
    /** Delay after the last key before a search runs. */
    static final int SEARCH_DEBOUNCE_MILLIS = 250;

    /** What the window shows around the pane. */
    interface Listener {
        /** The search box was emptied: show the notes again. */
        void cleared();

        /** Replace the pane's header (e.g. "Searching…"). */
        void header(String text);

        /** Results for a query arrived: show the results with this header. */
        void showResults(String header);

        /** Down in the search box with no results shown: focus the notes list. */
        void toNotes();
    }

    private final Host host;
    private final Listener listener;
    private final Supplier<String> selectedTag;
    private final JTextField searchField = new JTextField();
    private final DefaultListModel<SearchHit> resultsModel = new DefaultListModel<>();
    private final JList<SearchHit> resultsList = new JList<>(resultsModel) {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean getScrollableTracksViewportWidth() {
            return true; // the cells wrap to the visible width instead of scrolling sideways
        }
    };
    private final JScrollPane resultsScroll;
    private final Timer searchTimer;
    private final AtomicLong searchSeq = new AtomicLong();
    private String resultsQuery;
    private List<String> resultsTerms = List.of();
    /** True while the results are changed by code (the selection listener then does nothing). */
    private boolean updating;

    /** @param selectedTag the tag chosen in the toolbar (null: all), for the header */
    SearchPane(Host host, Listener listener, Supplier<String> selectedTag) {
        this.host = host;
        this.listener = listener;
        this.selectedTag = selectedTag;
        searchTimer = new Timer(SEARCH_DEBOUNCE_MILLIS, e -> runSearch());
        searchTimer.setRepeats(false);

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
                } else {
                    listener.toNotes();
                }
            }
        });

        resultsList.setName("results");
        resultsList.setSelectionMode(ListSelectionModel.SINGLE_SELECTION);
        resultsList.setCellRenderer(new ResultRenderer());
        resultsList.addListSelectionListener(e -> {
            if (e.getValueIsAdjusting() || updating) {
                return;
            }
            SearchHit h = resultsList.getSelectedValue();
            if (h != null) {
                host.openNote(h.noteId(), h.start(), h.end(), resultsTerms);
            }
        });
        resultsScroll = new JScrollPane(resultsList, JScrollPane.VERTICAL_SCROLLBAR_AS_NEEDED,
                JScrollPane.HORIZONTAL_SCROLLBAR_NEVER);
        resultsScroll.addComponentListener(new ComponentAdapter() {
            @Override
            public void componentResized(ComponentEvent e) {
                // the HTML cells wrap to the list's width: make the list measure them again
                resultsList.setFixedCellHeight(10);
                resultsList.setFixedCellHeight(-1);
            }
        });
    }

    /** The search box (for the toolbar). */
    JTextField field() {
        return searchField;
    }

    /** The results in their scroll pane. */
    JComponent resultsView() {
        return resultsScroll;
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

    /** Whether the search box is empty (the notes list is shown). */
    boolean isBlank() {
        return searchField.getText().isBlank();
    }

    /** Stops a search that is waiting for the debounce delay (the window is closing). */
    void stop() {
        searchTimer.stop();
    }

    void clearSelection() {
        resultsList.clearSelection();
    }

    /** Paints the results again (the theme changed). */
    void repaint() {
        resultsList.repaint();
    }

    private void queryChanged() {
        if (searchField.getText().isBlank()) {
            searchTimer.stop();
            searchSeq.incrementAndGet(); // a search still running is stale now
            resultsQuery = null;
            listener.cleared();
        } else {
            searchTimer.restart();
        }
    }

    /** Searches for what is in the search box now (nothing if it is empty). */
    void runSearch() {
        String q = searchField.getText().strip();
        if (q.isEmpty()) {
            return;
        }
        long seq = searchSeq.incrementAndGet();
        SearchOptions o = SearchOptions.defaults().withK(20).withFilter(host.filter());
        listener.header("Searching\u2026");
        host.run(Lane.READ, "Searching \u201c" + q + "\u201d", nb -> seq == searchSeq.get() ? nb.search(q, o) : null,
                hits -> {
                    if (hits != null && seq == searchSeq.get()) {
                        showResults(q, hits);
                    }
                }, null);
    }

    private void showResults(String q, List<SearchHit> hits) {
        resultsQuery = q;
        resultsTerms = Highlighter.terms(q);
        updating = true;
        try {
            resultsModel.clear();
            resultsModel.addAll(hits);
            resultsList.setFixedCellHeight(10);
            resultsList.setFixedCellHeight(-1);
        } finally {
            updating = false;
        }
        String tag = selectedTag.get();
        listener.showResults((hits.isEmpty() ? "No results" : hits.size() + (hits.size() == 1 ? " result" : " results"))
                + " for \u201c" + q + "\u201d" + (tag == null ? "" : " tagged " + tag));
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
            String where = (h.page() > 0 ? "p. " + h.page() : "")
                    + (h.page() > 0 && !h.section().isEmpty() ? ", " : "") + h.section();
            if (!where.isEmpty()) {
                b.append("<span").append(muted).append("> &middot; ").append(Highlighter.escape(where)).append("</span>");
            }
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
}
