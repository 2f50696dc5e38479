package dev.pocketrag.desktop;

import dev.pocketrag.desktop.Host.Lane;
import dev.pocketrag.index.IndexStats;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.SearchFilter;
import java.awt.Dimension;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.function.Consumer;
import javax.swing.DefaultComboBoxModel;
import javax.swing.JComboBox;
import javax.swing.JComponent;
import javax.swing.JScrollPane;
import javax.swing.JTable;
import javax.swing.ListSelectionModel;
import javax.swing.table.AbstractTableModel;
import javax.swing.table.DefaultTableCellRenderer;

/**
 * The notes pane: the notes of the notebook, most recently updated first (at most {@link
 * #LIST_LIMIT}), in a sortable table filtered by the tag chosen in the toolbar's tag box (which
 * this pane fills with the notes' tags). Selecting a note opens it through the {@link Host}.
 */
final class NotesPane {
    /** Notes listed at most (the list is for browsing; search finds the rest). */
    static final int LIST_LIMIT = 5000;
    private static final String ALL_TAGS = "All tags";
    private static final DateTimeFormatter UPDATED = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT)
            .withZone(ZoneId.systemDefault());

    private final Host host;
    private final NotesModel notesModel = new NotesModel();
    private final JTable notesTable = new JTable(notesModel);
    private final JComboBox<String> tagFilter = new JComboBox<>();
    private final JScrollPane view;
    private List<Note> allNotes = List.of();
    /** True while the table or the tag box is changed by code (their listeners then do nothing). */
    private boolean updating;

    /** @param tagChanged run when the user picks another tag */
    NotesPane(Host host, Runnable tagChanged) {
        this.host = host;
        tagFilter.setName("tagFilter");
        tagFilter.setModel(new DefaultComboBoxModel<>(new String[] {ALL_TAGS}));
        tagFilter.setToolTipText("Only notes with this tag (the list, search and Ask)");
        tagFilter.setMaximumSize(new Dimension(180, 40));
        tagFilter.addActionListener(e -> {
            if (!updating) {
                tagChanged.run();
            }
        });

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
            if (e.getValueIsAdjusting() || updating) {
                return;
            }
            int row = notesTable.getSelectedRow();
            if (row >= 0) {
                Note n = notesModel.note(notesTable.convertRowIndexToModel(row));
                host.openNote(n.id(), -1, -1, List.of());
            }
        });
        view = new JScrollPane(notesTable);
    }

    /** The table in its scroll pane. */
    JComponent view() {
        return view;
    }

    JTable table() {
        return notesTable;
    }

    /** The toolbar's tag box. */
    JComboBox<String> tagFilter() {
        return tagFilter;
    }

    /** The tag chosen, null for all. */
    String selectedTag() {
        Object t = tagFilter.getSelectedItem();
        return t == null || ALL_TAGS.equals(t) ? null : t.toString();
    }

    /** The tag filter in effect ({@link Host#filter()}). */
    SearchFilter filter() {
        String tag = selectedTag();
        return tag == null ? SearchFilter.NONE : SearchFilter.tags(tag);
    }

    /**
     * Reloads the notes and the tags (in the background); then {@code onLoaded} with the notebook's
     * counts, on the event thread.
     */
    void refresh(Consumer<IndexStats> onLoaded) {
        host.run(Lane.READ, "Loading the notes", nb -> new Listing(nb.list(SearchFilter.NONE, 0, LIST_LIMIT), nb.stats()),
                listing -> {
                    allNotes = listing.notes();
                    updateTags();
                    onLoaded.accept(listing.stats());
                }, null);
    }

    private record Listing(List<Note> notes, IndexStats stats) {}

    private void updateTags() {
        TreeSet<String> tags = new TreeSet<>();
        for (Note n : allNotes) {
            tags.addAll(n.tags());
        }
        String selected = selectedTag();
        updating = true;
        try {
            DefaultComboBoxModel<String> m = new DefaultComboBoxModel<>();
            m.addElement(ALL_TAGS);
            tags.forEach(m::addElement);
            tagFilter.setModel(m);
            tagFilter.setSelectedItem(selected != null && tags.contains(selected) ? selected : ALL_TAGS);
        } finally {
            updating = false;
        }
    }

    /**
     * Lists the notes with the selected tag, the one with {@code selectedId} selected (null: none).
     *
     * @return the pane's header: how many notes are listed, or how to add the first
     */
    String show(String selectedId) {
        String tag = selectedTag();
        List<Note> shown = new ArrayList<>();
        for (Note n : allNotes) {
            if (tag == null || n.tags().contains(tag)) {
                shown.add(n);
            }
        }
        updating = true;
        try {
            notesModel.set(shown);
            for (int i = 0; i < shown.size() && selectedId != null; i++) {
                if (shown.get(i).id().equals(selectedId)) {
                    int row = notesTable.convertRowIndexToView(i);
                    notesTable.setRowSelectionInterval(row, row);
                }
            }
        } finally {
            updating = false;
        }
        return allNotes.isEmpty() ? "No notes yet: import a folder or create a note"
                : shown.size() + (shown.size() == 1 ? " note" : " notes") + (tag == null ? "" : " tagged " + tag);
    }

    /** Moves the focus to the first note; false if none is listed. */
    boolean focusFirst() {
        if (notesModel.getRowCount() == 0) {
            return false;
        }
        notesTable.requestFocusInWindow();
        notesTable.setRowSelectionInterval(0, 0);
        return true;
    }

    void clearSelection() {
        notesTable.clearSelection();
    }

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
}
