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

/** The title and visible text of an HTML page, one line per block; table cells joined by " | ". */
final class HtmlText {
    /** Elements that start and end a line of text. */
    private static final Set<String> BLOCKS = Set.of("address", "article", "aside", "blockquote", "body", "dd",
            "details", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
            "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
            "tbody", "thead", "tr", "ul");

    private HtmlText() {}

    static NoteFiles.Parsed parse(byte[] bytes, String stem) throws NoteFiles.NotText {
        Document doc;
        try {
            doc = Jsoup.parse(new ByteArrayInputStream(bytes), null, "");
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array never fails to read
        }
        StringBuilder out = new StringBuilder();
        doc.body().traverse(new NodeVisitor() {
            @Override
            public void head(Node node, int depth) {
                if (node instanceof TextNode t) {
                    boolean pre = t.parent() instanceof Element e && e.closest("pre") != null;
                    String text = pre ? t.getWholeText() : t.text();
                    if (!pre && !text.isBlank() && !out.isEmpty() && lastChar(out) != '\n' && lastChar(out) != ' '
                            && t.getWholeText().startsWith(" ")) {
                        out.append(' ');
                    }
                    out.append(pre ? text : text.strip());
                    if (!pre && t.getWholeText().endsWith(" ") && !text.isBlank()) {
                        out.append(' ');
                    }
                } else if (node instanceof Element e) {
                    String tag = e.normalName();
                    if (tag.equals("br")) {
                        out.append('\n');
                    } else if (BLOCKS.contains(tag)) {
                        newline(out);
                        if (tag.equals("li")) {
                            out.append("- ");
                        }
                    } else if ((tag.equals("td") || tag.equals("th")) && e.elementSiblingIndex() > 0) {
                        out.append(" | ");
                    }
                }
            }

            @Override
            public void tail(Node node, int depth) {
                if (node instanceof Element e && BLOCKS.contains(e.normalName())) {
                    newline(out);
                }
            }
        });
        String body = out.toString().replaceAll("[ \\t]+\\n", "\n").replaceAll("\\n{3,}", "\n\n").strip();
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
