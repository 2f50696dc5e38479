package dev.pocketrag.desktop;

import com.formdev.flatlaf.FlatClientProperties;
import dev.pocketrag.index.Note;
import java.awt.BorderLayout;
import java.awt.CardLayout;
import java.awt.Color;
import java.awt.FlowLayout;
import java.awt.Font;
import java.awt.GridBagConstraints;
import java.awt.GridBagLayout;
import java.awt.Insets;
import java.awt.Rectangle;
import java.awt.event.InputEvent;
import java.awt.event.KeyEvent;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import javax.swing.AbstractAction;
import javax.swing.BorderFactory;
import javax.swing.JButton;
import javax.swing.JComponent;
import javax.swing.JLabel;
import javax.swing.JOptionPane;
import javax.swing.JPanel;
import javax.swing.JScrollPane;
import javax.swing.JTextArea;
import javax.swing.JTextField;
import javax.swing.KeyStroke;
import javax.swing.SwingConstants;
import javax.swing.SwingUtilities;
import javax.swing.event.DocumentEvent;
import javax.swing.event.DocumentListener;
import javax.swing.text.BadLocationException;
import javax.swing.text.DefaultHighlighter;
import javax.swing.text.JTextComponent;

/**
 * Shows one note and edits it: title, tags, body. Saving (Ctrl+S) re-indexes the note in the
 * background; opening a note at a passage selects and scrolls to it and marks the query terms.
 * Event thread only.
 */
final class NoteEditor extends JPanel {
    private static final long serialVersionUID = 1L;
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("d MMM yyyy HH:mm", Locale.ENGLISH)
            .withZone(ZoneId.systemDefault());

    private final transient Host host;
    private final CardLayout cards = new CardLayout();
    private final JTextField title = new JTextField();
    private final JTextField tags = new JTextField();
    private final JTextArea body = new JTextArea();
    private final JLabel info = new JLabel(" ");
    private final JLabel state = new JLabel(" ");
    private final JButton save = new JButton("Save");
    private final JButton delete = new JButton("Delete");

    /** The note as stored; null for a new note not saved yet. */
    private transient Note current;
    private boolean editing;
    private boolean saving;
    private boolean loading;
    private int passageStart = -1;
    private int passageEnd = -1;
    private transient List<String> terms = List.of();

    NoteEditor(Host host) {
        super();
        this.host = host;
        setLayout(cards);
        add(emptyState(), "empty");
        add(editorCard(), "editor");
        cards.show(this, "empty");
    }

    private JComponent emptyState() {
        JLabel l = new JLabel("<html><div style='text-align:center'>Select a note on the left,<br>"
                + "or create one with <b>New note</b> (Ctrl+N).</div></html>", SwingConstants.CENTER);
        l.putClientProperty(FlatClientProperties.STYLE_CLASS, "large");
        JPanel p = new JPanel(new BorderLayout());
        p.add(l, BorderLayout.CENTER);
        return p;
    }

    private JComponent editorCard() {
        title.putClientProperty(FlatClientProperties.PLACEHOLDER_TEXT, "Title");
        title.putClientProperty(FlatClientProperties.STYLE, "font: +4 bold");
        title.setName("noteTitle");
        tags.putClientProperty(FlatClientProperties.PLACEHOLDER_TEXT, "tags, separated by commas");
        tags.setName("noteTags");
        body.setLineWrap(true);
        body.setWrapStyleWord(true);
        body.setMargin(new Insets(8, 10, 8, 10));
        body.setFont(body.getFont().deriveFont(Font.PLAIN, body.getFont().getSize2D() + 1f));
        body.setName("noteBody");
        info.setName("noteInfo");
        info.putClientProperty(FlatClientProperties.STYLE_CLASS, "small");
        state.setName("noteState");

        DocumentListener changed = new DocumentListener() {
            @Override
            public void insertUpdate(DocumentEvent e) {
                edited();
            }

            @Override
            public void removeUpdate(DocumentEvent e) {
                edited();
            }

            @Override
            public void changedUpdate(DocumentEvent e) {
                // attributes only
            }
        };
        title.getDocument().addDocumentListener(changed);
        tags.getDocument().addDocumentListener(changed);
        body.getDocument().addDocumentListener(changed);

        save.setName("saveNote");
        save.putClientProperty(FlatClientProperties.BUTTON_TYPE, FlatClientProperties.BUTTON_TYPE_ROUND_RECT);
        save.addActionListener(e -> save());
        delete.setName("deleteNote");
        delete.addActionListener(e -> deleteNote());

        JPanel fields = new JPanel(new GridBagLayout());
        GridBagConstraints c = new GridBagConstraints();
        c.gridx = 0;
        c.fill = GridBagConstraints.HORIZONTAL;
        c.weightx = 1;
        c.insets = new Insets(0, 0, 6, 0);
        fields.add(title, c);
        fields.add(tags, c);
        fields.add(info, c);

        JPanel buttons = new JPanel(new FlowLayout(FlowLayout.RIGHT, 6, 0));
        buttons.add(state);
        buttons.add(delete);
        buttons.add(save);

        JPanel p = new JPanel(new BorderLayout(0, 6));
        p.setBorder(BorderFactory.createEmptyBorder(10, 10, 10, 10));
        p.add(fields, BorderLayout.NORTH);
        JScrollPane scroll = new JScrollPane(body);
        scroll.setName("noteBodyScroll");
        p.add(scroll, BorderLayout.CENTER);
        p.add(buttons, BorderLayout.SOUTH);

        bindKey(p, KeyStroke.getKeyStroke(KeyEvent.VK_S, InputEvent.CTRL_DOWN_MASK), "save-note", this::save);
        return p;
    }

    private static void bindKey(JComponent c, KeyStroke key, String name, Runnable r) {
        c.getInputMap(WHEN_ANCESTOR_OF_FOCUSED_COMPONENT).put(key, name);
        c.getActionMap().put(name, new AbstractAction() {
            private static final long serialVersionUID = 1L;

            @Override
            public void actionPerformed(java.awt.event.ActionEvent e) {
                r.run();
            }
        });
    }

    // ---- showing

    /** Shows {@code note}, the passage [start, end) selected (start &lt; 0: none) and {@code marks} marked. */
    void show(Note note, int start, int end, List<String> marks) {
        loading = true;
        try {
            current = note;
            editing = true;
            title.setText(note.title());
            tags.setText(String.join(", ", note.tags()));
            body.setText(note.body());
            terms = List.copyOf(marks);
        } finally {
            loading = false;
        }
        int len = body.getDocument().getLength();
        passageStart = start < 0 ? -1 : Math.min(start, len);
        passageEnd = start < 0 ? -1 : Math.max(passageStart, Math.min(end, len));
        updateInfo();
        state.setText(" ");
        cards.show(this, "editor");
        paintMarks();
        if (passageStart >= 0) {
            body.setCaretPosition(passageStart);
            body.moveCaretPosition(passageEnd);
            SwingUtilities.invokeLater(this::scrollToPassage);
        } else {
            body.setCaretPosition(0);
            SwingUtilities.invokeLater(() -> body.scrollRectToVisible(new Rectangle(0, 0, 1, 1)));
        }
        refreshButtons();
    }

    /** A new empty note. */
    void newNote() {
        loading = true;
        try {
            current = null;
            editing = true;
            title.setText("");
            tags.setText("");
            body.setText("");
            terms = List.of();
        } finally {
            loading = false;
        }
        passageStart = passageEnd = -1;
        body.getHighlighter().removeAllHighlights();
        info.setText("New note: not saved yet");
        state.setText(" ");
        cards.show(this, "editor");
        refreshButtons();
        title.requestFocusInWindow();
    }

    /** Nothing shown (e.g. after deleting the note). */
    void clear() {
        current = null;
        editing = false;
        passageStart = passageEnd = -1;
        cards.show(this, "empty");
    }

    private void updateInfo() {
        if (current == null) {
            info.setText("New note: not saved yet");
            return;
        }
        StringBuilder b = new StringBuilder();
        b.append("Created ").append(WHEN.format(current.created()));
        if (!current.updated().equals(current.created())) {
            b.append("  ·  updated ").append(WHEN.format(current.updated()));
        }
        if (!current.source().isEmpty()) {
            b.append("  ·  imported from ").append(current.source())
                    .append(" (importing that folder again replaces edits made here)");
        }
        info.setText(b.toString());
        info.setToolTipText(b.toString());
    }

    /** The passage background and the query-term marks; called again after a theme change. */
    void paintMarks() {
        javax.swing.text.Highlighter h = body.getHighlighter();
        h.removeAllHighlights();
        try {
            // the highlighter paints the first added on top: the marks first, then the passage under them
            Color mark = Theme.markBackground();
            for (int[] r : Highlighter.ranges(body.getText(), terms)) {
                h.addHighlight(r[0], r[1], new DefaultHighlighter.DefaultHighlightPainter(mark));
            }
            if (passageStart >= 0 && passageEnd > passageStart) {
                h.addHighlight(passageStart, passageEnd,
                        new DefaultHighlighter.DefaultHighlightPainter(Theme.passageBackground()));
            }
        } catch (BadLocationException e) {
            throw new IllegalStateException("highlight outside the note's text", e);
        }
    }

    private void scrollToPassage() {
        if (passageStart < 0) {
            return;
        }
        try {
            Rectangle r = body.modelToView2D(passageStart).getBounds();
            Rectangle visible = body.getVisibleRect();
            body.scrollRectToVisible(new Rectangle(0, Math.max(0, r.y - 12), 1, Math.max(r.height, visible.height)));
        } catch (BadLocationException e) {
            throw new IllegalStateException("passage offset " + passageStart + " outside the note's text", e);
        }
    }

    // ---- editing

    private void edited() {
        if (loading) {
            return;
        }
        if (passageStart >= 0 || !terms.isEmpty()) {
            // the offsets no longer match the text
            passageStart = passageEnd = -1;
            terms = List.of();
            body.getHighlighter().removeAllHighlights();
        }
        state.setText(isDirty() ? "Unsaved changes" : " ");
        refreshButtons();
    }

    private void refreshButtons() {
        save.setEnabled(editing && !saving && isDirty());
        delete.setEnabled(editing && !saving && current != null);
    }

    /** Whether what is shown differs from the stored note (a new note: whether anything was typed). */
    boolean isDirty() {
        if (!editing) {
            return false;
        }
        if (current == null) {
            return !title.getText().isBlank() || !body.getText().isBlank() || !tags.getText().isBlank();
        }
        return !title.getText().equals(current.title()) || !body.getText().equals(current.body())
                || !parseTags(tags.getText()).equals(current.tags());
    }

    /** The tags typed: split at commas and spaces, a leading # dropped, sorted, each once. */
    static List<String> parseTags(String text) {
        java.util.TreeSet<String> out = new java.util.TreeSet<>();
        for (String t : text.split("[,\\s]+")) {
            String s = t.startsWith("#") ? t.substring(1) : t;
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return new ArrayList<>(out);
    }

    /**
     * Asks whether to save unsaved changes before something replaces them; returns false if the
     * user cancels. Saving starts in the background and is not waited for.
     */
    boolean confirmLeave() {
        if (!isDirty() || saving) {
            return true;
        }
        String name = title.getText().isBlank() ? "this note" : "\u201c" + title.getText().strip() + "\u201d";
        int choice = JOptionPane.showConfirmDialog(SwingUtilities.getWindowAncestor(this),
                "Save the changes to " + name + "?", "Unsaved changes", JOptionPane.YES_NO_CANCEL_OPTION,
                JOptionPane.WARNING_MESSAGE);
        if (choice == JOptionPane.YES_OPTION) {
            save();
            return true;
        }
        return choice == JOptionPane.NO_OPTION;
    }

    /** Saves in the background: adds a new note or replaces the stored one, then re-indexes it. */
    void save() {
        if (!editing || saving || !isDirty()) {
            return;
        }
        Note draft;
        try {
            draft = draft();
        } catch (IllegalArgumentException e) {
            host.showError("Cannot save the note", e);
            return;
        }
        boolean isNew = current == null;
        saving = true;
        state.setText("Saving and re-indexing\u2026");
        refreshButtons();
        host.run(Host.Lane.WRITE, "Saving \u201c" + draft.title() + "\u201d", nb -> isNew ? nb.add(draft) : nb.update(draft),
                saved -> {
                    boolean sameNote = editing && (current == null ? isNew : current.id().equals(saved.id()));
                    if (sameNote) {
                        current = saved;
                        updateInfo();
                        state.setText(isDirty() ? "Unsaved changes" : "Saved");
                    }
                    host.status("Saved \u201c" + (saved.title().isEmpty() ? saved.id() : saved.title())
                            + "\u201d and re-indexed it");
                    host.notesChanged();
                }, () -> {
                    saving = false;
                    if (state.getText().startsWith("Saving")) {
                        state.setText("Not saved");
                    }
                    refreshButtons();
                });
    }

    /** The note as edited (a new id for a new note). */
    Note draft() {
        Instant now = Instant.now();
        List<String> t = parseTags(tags.getText());
        String ti = title.getText().strip();
        String b = body.getText();
        if (current == null) {
            return new Note(UUID.randomUUID().toString(), ti, b, t, "", now, now);
        }
        Instant updated = now.isAfter(current.updated()) ? now : current.updated().plusMillis(1);
        return new Note(current.id(), ti, b, t, current.source(), current.created(), updated);
    }

    private void deleteNote() {
        if (current == null || saving) {
            return;
        }
        Note n = current;
        String name = n.title().isEmpty() ? n.id() : "\u201c" + n.title() + "\u201d";
        int choice = JOptionPane.showConfirmDialog(SwingUtilities.getWindowAncestor(this),
                "Delete " + name + "? This cannot be undone.", "Delete note", JOptionPane.OK_CANCEL_OPTION,
                JOptionPane.WARNING_MESSAGE);
        if (choice != JOptionPane.OK_OPTION) {
            return;
        }
        saving = true;
        refreshButtons();
        host.run(Host.Lane.WRITE, "Deleting " + name, nb -> nb.delete(n.id()), existed -> {
            if (current != null && current.id().equals(n.id())) {
                clear();
            }
            host.status(existed ? "Deleted " + name : name + " was already gone");
            host.notesChanged();
        }, () -> {
            saving = false;
            refreshButtons();
        });
    }

    // ---- for tests and the window

    /** The id of the note shown, null for none or a new note. */
    String noteId() {
        return editing && current != null ? current.id() : null;
    }

    boolean isSaving() {
        return saving;
    }

    JTextField titleField() {
        return title;
    }

    JTextField tagsField() {
        return tags;
    }

    JTextComponent bodyArea() {
        return body;
    }

    JButton saveButton() {
        return save;
    }
}
