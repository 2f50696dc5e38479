package dev.pocketrag.retrieval.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeVisitor;

/**
 * The title and visible text of an HTML page, one line per block; table cells joined by " | ".
 * Linear in the page's size whatever its nesting (one traversal that keeps its own state; no
 * ancestor or sibling searches per node, no backtracking regular expressions).
 */
final class HtmlText {
    /** Elements that start and end a line of text. */
    private static final Set<String> BLOCKS = Set.of("address", "article", "aside", "blockquote", "body", "dd",
            "details", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
            "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
            "tbody", "thead", "tr", "ul");

    private HtmlText() {}

    static NoteFiles.Parsed parse(byte[] bytes, String stem) throws NoteFiles.NotText {
        return parse(bytes, stem, false);
    }

    /**
     * As {@link #parse(byte[], String)}; with {@code markHeadings}, a heading {@code <hN>} starts
     * with N {@code #}s and a space, as in Markdown (for e-book chapters, whose headings make
     * sections).
     */
    static NoteFiles.Parsed parse(byte[] bytes, String stem, boolean markHeadings) throws NoteFiles.NotText {
        Document doc;
        try {
            doc = Jsoup.parse(new ByteArrayInputStream(bytes), null, "");
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array never fails to read
        }
        StringBuilder out = new StringBuilder();
        doc.body().traverse(new NodeVisitor() {
            /** Open {@code <pre>} elements around the node: their text keeps its spacing. */
            int pre;

            @Override
            public void head(Node node, int depth) {
                if (node instanceof TextNode t) {
                    String whole = t.getWholeText();
                    if (pre > 0) {
                        out.append(whole);
                        return;
                    }
                    String text = t.text();
                    if (!text.isBlank() && !out.isEmpty() && lastChar(out) != '\n' && lastChar(out) != ' '
                            && startsWithSpace(whole)) {
                        out.append(' ');
                    }
                    out.append(text.strip());
                    if (endsWithSpace(whole) && !text.isBlank()) {
                        out.append(' ');
                    }
                } else if (node instanceof Element e) {
                    String tag = e.normalName();
                    if (tag.equals("pre")) {
                        pre++;
                    }
                    if (tag.equals("br")) {
                        out.append('\n');
                    } else if (BLOCKS.contains(tag)) {
                        newline(out);
                        if (tag.equals("li")) {
                            out.append("- ");
                        } else if (markHeadings && tag.length() == 2 && tag.charAt(0) == 'h'
                                && tag.charAt(1) >= '1' && tag.charAt(1) <= '6') {
                            if (!out.isEmpty()) {
                                out.append('\n'); // a blank line before a heading
                            }
                            out.append("#".repeat(tag.charAt(1) - '0')).append(' ');
                        }
                    } else if ((tag.equals("td") || tag.equals("th")) && e.previousElementSibling() != null) {
                        out.append(" | ");
                    }
                }
            }

            @Override
            public void tail(Node node, int depth) {
                if (node instanceof Element e) {
                    if (e.normalName().equals("pre")) {
                        pre--;
                    }
                    if (BLOCKS.contains(e.normalName())) {
                        newline(out);
                    }
                }
            }
        });
        String body = tidy(out).strip();
        if (body.isBlank()) {
            throw new NoteFiles.NotText("no visible text");
        }
        String title = doc.title().strip();
        if (title.isEmpty()) {
            Element h1 = doc.selectFirst("h1");
            title = h1 == null ? stem : h1.text().strip();
        }
        return new NoteFiles.Parsed(title.isEmpty() ? stem : title, body, List.of(), Optional.empty());
    }

    /** As {@code text.startsWith(" ")}, for the whitespace jsoup's {@code text()} folds. */
    private static boolean startsWithSpace(String s) {
        return !s.isEmpty() && s.charAt(0) == ' ';
    }

    private static boolean endsWithSpace(String s) {
        return !s.isEmpty() && s.charAt(s.length() - 1) == ' ';
    }

    /**
     * Spaces and tabs before a line break removed, and runs of more than two line breaks cut to
     * two: one pass (the regular expressions this replaces backtracked over long runs of spaces).
     */
    static String tidy(CharSequence in) {
        StringBuilder sb = new StringBuilder(in.length());
        int blanks = 0; // spaces and tabs held back until we know whether a line break follows
        int breaks = 0; // line breaks in a row written so far
        for (int i = 0; i < in.length(); i++) {
            char c = in.charAt(i);
            if (c == ' ' || c == '\t') {
                blanks++;
                continue;
            }
            if (c == '\n') {
                blanks = 0;
                if (++breaks <= 2) {
                    sb.append('\n');
                }
                continue;
            }
            for (int k = i - blanks; k < i; k++) {
                sb.append(in.charAt(k));
            }
            blanks = 0;
            breaks = 0;
            sb.append(c);
        }
        for (int k = in.length() - blanks; k < in.length(); k++) {
            sb.append(in.charAt(k));
        }
        return sb.toString();
    }

    private static char lastChar(StringBuilder sb) {
        return sb.charAt(sb.length() - 1);
    }

    private static void newline(StringBuilder out) {
        int n = out.length();
        while (n > 0 && out.charAt(n - 1) == ' ') {
            n--;
        }
        out.setLength(n);
        if (n > 0 && out.charAt(n - 1) != '\n') {
            out.append('\n');
        }
    }
}
