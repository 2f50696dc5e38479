package dev.pocketrag.desktop;

import com.formdev.flatlaf.FlatClientProperties;
import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.AskOptions;
import java.awt.BorderLayout;
import java.awt.FlowLayout;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.swing.BorderFactory;
import javax.swing.JButton;
import javax.swing.JEditorPane;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JScrollPane;
import javax.swing.JTextField;
import javax.swing.Timer;
import javax.swing.event.HyperlinkEvent;

/**
 * Ask a question of the notes: the answer streams in, its citations are links that open the cited
 * note at the passage. Questions form a conversation ({@link AskThread}): a follow-up is searched
 * for with the context of the turns before it (the rewritten query is shown as "searched for: ..."),
 * the earlier turns are listed below the answer, and "New conversation" starts afresh. Event
 * thread only (the question runs on the ask lane).
 */
final class AskPanel extends JPanel {
    private static final long serialVersionUID = 1L;
    private static final Pattern CITATION = Pattern.compile("\\[(\\d{1,3})\\]");

    private final transient Host host;
    private final JTextField question = new JTextField();
    private final JButton ask = new JButton("Ask");
    private final JButton stop = new JButton("Stop");
    private final JButton newConversation = new JButton("New conversation");
    private final JEditorPane answerPane = new JEditorPane();
    private final JLabel mode = new JLabel(" ");
    private final Timer repaintWhileStreaming;

    private transient Answer answer;
    /** A finished turn shown in the panel. */
    private record Shown(String question, Answer answer) {}
    /** The earlier turns of the conversation, oldest first (the current one is {@link #answer}). */
    private final transient List<Shown> earlier = new java.util.ArrayList<>();
    private String asked = "";
    private boolean busy;
    private transient AtomicBoolean cancel = new AtomicBoolean();
    /** The text streamed so far; appended to by the ask thread. */
    private final StringBuilder streamed = new StringBuilder();
    private int shownLength = -1;

    AskPanel(Host host) {
        super(new BorderLayout(0, 8));
        this.host = host;
        setBorder(BorderFactory.createEmptyBorder(10, 10, 10, 10));

        question.setName("question");
        question.putClientProperty(FlatClientProperties.PLACEHOLDER_TEXT, "Ask your notes a question\u2026");
        question.putClientProperty(FlatClientProperties.TEXT_FIELD_SHOW_CLEAR_BUTTON, true);
        // Enter asks (bound here rather than through the field's action listener, which only
        // fires for the text component that last had the focus)
        question.getInputMap().put(javax.swing.KeyStroke.getKeyStroke(java.awt.event.KeyEvent.VK_ENTER, 0), "ask");
        question.getActionMap().put("ask", new javax.swing.AbstractAction() {
            private static final long serialVersionUID = 1L;

            @Override
            public void actionPerformed(java.awt.event.ActionEvent e) {
                ask();
            }
        });
        ask.setName("ask");
        ask.putClientProperty(FlatClientProperties.BUTTON_TYPE, FlatClientProperties.BUTTON_TYPE_ROUND_RECT);
        ask.addActionListener(e -> ask());
        stop.setName("stop");
        stop.setEnabled(false);
        stop.addActionListener(e -> cancel.set(true));
        newConversation.setName("newConversation");
        newConversation.setToolTipText("Start again: the next question carries nothing of the earlier ones");
        newConversation.setEnabled(false);
        newConversation.addActionListener(e -> newConversation());

        JPanel top = new JPanel(new BorderLayout(6, 0));
        top.add(question, BorderLayout.CENTER);
        JPanel buttons = new JPanel(new FlowLayout(FlowLayout.RIGHT, 6, 0));
        buttons.add(ask);
        buttons.add(stop);
        buttons.add(newConversation);
        top.add(buttons, BorderLayout.EAST);
        mode.setName("answerMode");
        mode.putClientProperty(FlatClientProperties.STYLE_CLASS, "small");
        top.add(mode, BorderLayout.SOUTH);

        answerPane.setName("answer");
        answerPane.setContentType("text/html");
        answerPane.setEditable(false);
        answerPane.putClientProperty(JEditorPane.HONOR_DISPLAY_PROPERTIES, Boolean.TRUE);
        answerPane.addHyperlinkListener(e -> {
            if (e.getEventType() == HyperlinkEvent.EventType.ACTIVATED) {
                followLink(e.getDescription());
            } else if (e.getEventType() == HyperlinkEvent.EventType.ENTERED) {
                answerPane.setToolTipText(tooltip(e.getDescription()));
            } else if (e.getEventType() == HyperlinkEvent.EventType.EXITED) {
                answerPane.setToolTipText(null);
            }
        });
        answerPane.setText(placeholder());

        add(top, BorderLayout.NORTH);
        add(new JScrollPane(answerPane), BorderLayout.CENTER);

        repaintWhileStreaming = new Timer(80, e -> renderStreaming());
    }

    /** Asks the question typed, unless one is being answered. */
    void ask() {
        String q = question.getText().strip();
        if (q.isEmpty() || busy) {
            return;
        }
        busy = true;
        if (answer != null) {
            earlier.add(new Shown(asked, answer));
        }
        asked = q;
        answer = null;
        cancel = new AtomicBoolean();
        AtomicBoolean myCancel = cancel;
        synchronized (streamed) {
            streamed.setLength(0);
        }
        shownLength = -1;
        ask.setEnabled(false);
        stop.setEnabled(true);
        newConversation.setEnabled(false);
        answerPane.setText(html("<p style='color:" + Theme.hex(Theme.muted()) + "'>Searching your notes\u2026</p>"
                + earlierHtml()));
        repaintWhileStreaming.start();
        AskOptions options = AskOptions.defaults().withFilter(host.filter()).withMaxAnswerTokens(host.answerTokens());
        AskThread thread = host.askThread();
        host.run(Host.Lane.ASK, "Asking \u201c" + q + "\u201d", nb -> thread.ask(nb, q, options, piece -> {
            synchronized (streamed) {
                streamed.append(piece);
            }
            return !myCancel.get();
        }), a -> {
            answer = a;
            render();
            String warning = thread.takeWarning();
            String notSaved = thread.notSaved();
            host.status(statusLine(a) + (notSaved == null ? "" : " \u00b7 this conversation is not saved: " + notSaved)
                    + (warning == null ? "" : " \u00b7 " + warning));
        }, () -> {
            busy = false;
            repaintWhileStreaming.stop();
            ask.setEnabled(true);
            stop.setEnabled(false);
            newConversation.setEnabled(answer != null || !earlier.isEmpty());
            if (answer == null) {
                answerPane.setText(earlier.isEmpty() ? placeholder() : html(earlierHtml()));
            }
        });
    }

    /** Starts a new conversation: the next question carries nothing of the earlier ones. */
    void newConversation() {
        if (busy) {
            return;
        }
        host.askThread().reset();
        earlier.clear();
        answer = null;
        asked = "";
        question.setText("");
        newConversation.setEnabled(false);
        answerPane.setText(placeholder());
        host.status("New conversation");
        question.requestFocusInWindow();
    }

    /** Stops a question being answered (the text so far stays). */
    void cancel() {
        cancel.set(true);
    }

    private void renderStreaming() {
        String text;
        synchronized (streamed) {
            if (streamed.length() == shownLength) {
                return;
            }
            shownLength = streamed.length();
            text = streamed.toString();
        }
        if (answer == null && !text.isEmpty()) {
            answerPane.setText(html(paragraphs(Highlighter.escape(text)) + "<p style='color:"
                    + Theme.hex(Theme.muted()) + "'>\u2026</p>" + earlierHtml()));
        }
    }

    /** The whole answer: text with citation links, sources, what was left out, how it was made. Again after a theme change. */
    void render() {
        mode.setText(host.answerMode());
        if (answer == null) {
            if (!busy) {
                answerPane.setText(earlier.isEmpty() ? placeholder() : html(earlierHtml()));
            }
            return;
        }
        Answer a = answer;
        String muted = Theme.hex(Theme.muted());
        String link = Theme.hex(Theme.link());
        StringBuilder b = new StringBuilder();
        b.append("<p style='color:").append(muted).append("'>").append(Highlighter.escape(asked)).append("</p>");
        if (rewritten(asked, a)) {
            b.append("<p style='color:").append(muted).append("'><i>searched for: ")
                    .append(Highlighter.escape(a.searchedFor())).append("</i></p>");
        }
        b.append(paragraphs(linkCitations(Highlighter.escape(a.text()), a, link, "cite:")));
        if (!a.citations().isEmpty()) {
            b.append("<h3>Sources</h3>");
            List<String> terms = Highlighter.terms(asked);
            for (Answer.Citation c : a.citations()) {
                Answer.Passage p = c.passage();
                String name = p.title().isEmpty() ? p.noteId() : p.title();
                b.append("<p><a href='cite:").append(c.n()).append("' style='color:").append(link)
                        .append("; text-decoration:none'><b>[").append(c.n()).append("] ")
                        .append(Highlighter.escape(name)).append("</b></a>")
                        .append(p.location().isEmpty() ? ""
                                : "<span style='color:" + muted + "'> &middot; " + Highlighter.escape(p.location()) + "</span>")
                        .append(p.date().isEmpty() ? "" : "<span style='color:" + muted + "'> &middot; " + p.date() + "</span>")
                        .append(openableFile(p) == null ? "" : " <a href='file:" + c.n() + "' style='color:" + link
                                + "'>" + (p.page() > 0 ? "Open file at page " + p.page() : "Open file") + "</a>")
                        .append("<br><span style='color:").append(muted)
                        .append("'>")
                        .append(Highlighter.html(Highlighter.excerpt(p.text(), terms, 220), terms,
                                Theme.markOpen(), Theme.markClose()))
                        .append("</span></p>");
            }
        }
        if (!a.leftOut().isEmpty()) {
            b.append("<p style='color:").append(muted).append("'>Left out (did not fit in the model's context window): ");
            for (int i = 0; i < a.leftOut().size(); i++) {
                Answer.LeftOut l = a.leftOut().get(i);
                b.append(i == 0 ? "" : ", ").append(Highlighter.escape(l.title().isEmpty() ? l.noteId() : l.title()))
                        .append(" (").append(l.tokens()).append(" tokens)");
            }
            b.append("</p>");
        }
        String note = switch (a.kind()) {
            case EXTRACTIVE -> "Extractive answer: the best sentences of your notes (no chat model)."
                    + " Choose a GGUF model in Settings to generate answers.";
            case NOTHING_RELEVANT, GENERATED -> a.note();
        };
        if (!note.isEmpty()) {
            b.append("<p style='color:").append(muted).append("'><i>").append(Highlighter.escape(note)).append("</i></p>");
        }
        b.append(earlierHtml());
        answerPane.setText(html(b.toString()));
        answerPane.setCaretPosition(0);
    }

    /** Whether a follow-up was searched for with a query other than the question. */
    private static boolean rewritten(String question, Answer a) {
        return !a.searchedFor().isBlank() && !a.searchedFor().strip().equalsIgnoreCase(question.strip());
    }

    /** The earlier turns, newest first: question, "searched for", answer with citation links, sources. */
    private String earlierHtml() {
        if (earlier.isEmpty()) {
            return "";
        }
        String muted = Theme.hex(Theme.muted());
        String link = Theme.hex(Theme.link());
        StringBuilder b = new StringBuilder("<hr><h3>Earlier in this conversation</h3>");
        for (int i = earlier.size() - 1; i >= 0; i--) {
            Shown t = earlier.get(i);
            String prefix = "turn:" + i + ":";
            b.append("<p><b>").append(Highlighter.escape(t.question())).append("</b></p>");
            if (rewritten(t.question(), t.answer())) {
                b.append("<p style='color:").append(muted).append("'><i>searched for: ")
                        .append(Highlighter.escape(t.answer().searchedFor())).append("</i></p>");
            }
            b.append(paragraphs(linkCitations(Highlighter.escape(t.answer().text()), t.answer(), link, prefix)));
            if (!t.answer().citations().isEmpty()) {
                b.append("<p style='color:").append(muted).append("'>Sources: ");
                List<Answer.Citation> cs = t.answer().citations();
                for (int k = 0; k < cs.size(); k++) {
                    Answer.Passage p = cs.get(k).passage();
                    b.append(k == 0 ? "" : ", ").append("<a href='").append(prefix).append(cs.get(k).n())
                            .append("' style='color:").append(link).append("; text-decoration:none'>[")
                            .append(cs.get(k).n()).append("] ")
                            .append(Highlighter.escape(p.title().isEmpty() ? p.noteId() : p.title())).append("</a>");
                }
                b.append("</p>");
            }
        }
        return b.toString();
    }

    private static String linkCitations(String escapedText, Answer a, String linkColor, String prefix) {
        Matcher m = CITATION.matcher(escapedText);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            int n = Integer.parseInt(m.group(1));
            boolean known = a.citations().stream().anyMatch(c -> c.n() == n);
            m.appendReplacement(b, known ? "<a href='" + prefix + n + "' style='color:" + linkColor
                    + "; text-decoration:none'><b>[" + n + "]</b></a>" : "$0");
        }
        m.appendTail(b);
        return b.toString();
    }

    private static String paragraphs(String escaped) {
        StringBuilder b = new StringBuilder();
        for (String para : escaped.strip().split("\\n\\s*\\n")) {
            b.append("<p>").append(para.replace("\n", "<br>")).append("</p>");
        }
        return b.toString();
    }

    private static String html(String body) {
        return "<html><body style='margin:4px'>" + body + "</body></html>";
    }

    private String placeholder() {
        return html("<p style='color:" + Theme.hex(Theme.muted()) + "'>Answers come from your notes, with citations"
                + " like [1] that open the note at the passage.<br>Try: <i>How many clamshells should I do for my knee?</i></p>");
    }

    /**
     * The local file a passage's note was imported from, if it is a document ({@code .pdf},
     * {@code .docx}, {@code .odt}, {@code .epub}) that still exists and the desktop can open files;
     * else null.
     */
    static java.nio.file.Path openableFile(Answer.Passage p) {
        String s = p.source();
        String lower = s.toLowerCase(Locale.ROOT);
        if (!s.startsWith("/") && !(s.length() > 2 && s.charAt(1) == ':')) {
            return null; // not an absolute local path (a URL, or nothing)
        }
        if (!(lower.endsWith(".pdf") || lower.endsWith(".docx") || lower.endsWith(".odt") || lower.endsWith(".epub"))) {
            return null;
        }
        try {
            java.nio.file.Path f = java.nio.file.Path.of(s);
            return java.nio.file.Files.isRegularFile(f) && java.awt.Desktop.isDesktopSupported()
                    && java.awt.Desktop.getDesktop().isSupported(java.awt.Desktop.Action.OPEN) ? f : null;
        } catch (RuntimeException e) { // a path this system cannot name
            return null;
        }
    }

    /** The tooltip of a link: what "Open file" does (the viewer cannot be told a page). */
    private String tooltip(String description) {
        if (description == null || !description.startsWith("file:") || answer == null) {
            return null;
        }
        try {
            int n = Integer.parseInt(description.substring(5));
            for (Answer.Citation c : answer.citations()) {
                if (c.n() == n) {
                    Answer.Passage p = c.passage();
                    return "Opens " + p.source() + " in the program your desktop opens it with"
                            + (p.page() > 0 ? ". It cannot be told a page: the passage is on page " + p.page() + "." : ".");
                }
            }
        } catch (NumberFormatException e) {
            return null;
        }
        return null;
    }

    /** Opens the document a citation came from ({@code file:N}), off the event thread. */
    private void openFile(int n) {
        for (Answer.Citation c : answer.citations()) {
            if (c.n() == n) {
                java.nio.file.Path f = openableFile(c.passage());
                if (f == null) {
                    host.status("cannot open " + c.passage().source());
                    return;
                }
                Thread t = new Thread(() -> {
                    try {
                        java.awt.Desktop.getDesktop().open(f.toFile());
                    } catch (java.io.IOException | RuntimeException e) {
                        javax.swing.SwingUtilities.invokeLater(() -> host.showError("Open " + f.getFileName(), e));
                    }
                }, "pocketrag-open-file");
                t.setDaemon(true);
                t.start();
                host.status("opening " + f.getFileName() + (c.passage().page() > 0
                        ? " (the passage is on page " + c.passage().page() + ")" : ""));
                return;
            }
        }
    }

    /** Opens the passage of a citation link: {@code cite:N} (the current answer) or {@code turn:I:N} (an earlier turn). */
    private void followLink(String description) {
        if (description == null) {
            return;
        }
        if (description.startsWith("file:") && answer != null) {
            try {
                openFile(Integer.parseInt(description.substring(5)));
            } catch (NumberFormatException e) {
                // not a link of ours
            }
            return;
        }
        Answer in;
        String q;
        int n;
        try {
            if (description.startsWith("cite:") && answer != null) {
                in = answer;
                q = asked;
                n = Integer.parseInt(description.substring(5));
            } else if (description.startsWith("turn:")) {
                String[] parts = description.split(":");
                Shown t = earlier.get(Integer.parseInt(parts[1]));
                in = t.answer();
                q = t.question();
                n = Integer.parseInt(parts[2]);
            } else {
                return;
            }
        } catch (RuntimeException e) { // not a link of ours (malformed, or a turn no longer shown)
            return;
        }
        for (Answer.Passage p : in.passages()) {
            if (p.n() == n) {
                host.openNote(p.noteId(), p.start(), p.end(), Highlighter.terms(q));
                return;
            }
        }
    }

    private static String statusLine(Answer a) {
        Answer.Timings t = a.timings();
        String how = switch (a.kind()) {
            case GENERATED -> String.format(Locale.ROOT, "generated %d tokens", t.answerTokens());
            case EXTRACTIVE -> "extractive";
            case NOTHING_RELEVANT -> "nothing relevant found";
        };
        return String.format(Locale.ROOT, "Answered in %.0f ms (%s, %d citation%s)", t.totalMillis(), how,
                a.citations().size(), a.citations().size() == 1 ? "" : "s");
    }

    // ---- for tests and the window

    JTextField questionField() {
        return question;
    }

    JEditorPane answerPane() {
        return answerPane;
    }

    /** The last finished answer, null while answering or before the first. */
    Answer answer() {
        return answer;
    }

    boolean isBusy() {
        return busy;
    }

    JButton newConversationButton() {
        return newConversation;
    }

    /** The questions of the earlier turns shown, oldest first. */
    List<String> earlierQuestions() {
        return earlier.stream().map(Shown::question).toList();
    }
}
