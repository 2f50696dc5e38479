package dev.pocketrag.retrieval.internal;

import java.io.ByteArrayInputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * The text of Word (DOCX, Office Open XML) and OpenDocument text (ODT) files, read with the
 * JDK's ZIP ({@link SafeZip}) and StAX. The XML reader has DTDs and external entities turned off.
 *
 * <p>DOCX: {@code word/document.xml}: one line per paragraph ({@code w:p}: the text of its
 * {@code w:t} runs, {@code w:tab} a tab, {@code w:br}/{@code w:cr} a line break); a paragraph whose
 * style ({@code w:pStyle}, looked up in {@code word/styles.xml}) is a heading, or that has an
 * outline level ({@code w:outlineLvl} 0..5), becomes {@code #} to {@code ######} and the
 * heading's text; one with a numbering ({@code w:numPr}) a {@code - } list item, indented two
 * spaces per level ({@code w:ilvl}); table cells are joined by {@code " | "}, one line per row.
 * Title: {@code dc:title} of {@code docProps/core.xml}, else the first paragraph in the Title
 * style, else the first heading-like line, else the file name.
 *
 * <p>ODT: {@code content.xml}'s {@code office:text}: {@code text:h} (with {@code
 * text:outline-level}) a heading, {@code text:p} a paragraph, {@code text:list-item} a {@code - }
 * item, indented by list depth; {@code text:s} (with {@code text:c}) spaces, {@code text:tab},
 * {@code text:line-break}; table cells as in DOCX. Title: {@code dc:title} of {@code meta.xml},
 * else a paragraph in the Title style, else as DOCX.
 */
final class OfficeText {
    static final String W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
    static final String DC = "http://purl.org/dc/elements/1.1/";
    static final String TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
    static final String TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
    static final String OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";

    private static final Pattern HEADING_NAME = Pattern.compile("(?i)heading\\s*([1-6])");

    private OfficeText() {}

    /** A StAX reader that never reads a DTD or an external entity. */
    static XMLStreamReader xml(byte[] bytes) throws XMLStreamException {
        XMLInputFactory f = XMLInputFactory.newFactory();
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
        f.setProperty(XMLInputFactory.IS_COALESCING, false);
        return f.createXMLStreamReader(new ByteArrayInputStream(bytes));
    }

    // ------------------------------------------------------------------ DOCX

    static NoteFiles.Parsed docx(byte[] bytes, String stem) throws NoteFiles.NotText {
        Map<String, byte[]> zip = SafeZip.read(bytes,
                n -> n.equals("word/document.xml") || n.equals("word/styles.xml") || n.equals("docProps/core.xml"),
                "DOCX");
        byte[] document = zip.get("word/document.xml");
        if (document == null) {
            throw new NoteFiles.NotText("not a DOCX file (no word/document.xml in the ZIP archive)");
        }
        Map<String, Integer> levels = new HashMap<>(); // style id -> heading level 1..6, 0: Title
        if (zip.containsKey("word/styles.xml")) {
            levels = xmlPart("word/styles.xml", "DOCX", () -> docxStyles(zip.get("word/styles.xml")));
        }
        Map<String, Integer> styles = levels;
        String[] titleStyle = new String[1];
        String body = xmlPart("word/document.xml", "DOCX", () -> docxBody(document, styles, titleStyle));
        return result(body, titleStyle[0], zip.get("docProps/core.xml"), "docProps/core.xml", "DOCX", stem);
    }

    /** Heading levels of the styles: by outline level, else by a name "heading N"; "Title" as 0. */
    private static Map<String, Integer> docxStyles(byte[] styles) throws XMLStreamException {
        Map<String, Integer> out = new HashMap<>();
        XMLStreamReader r = xml(styles);
        String id = null;
        while (r.hasNext()) {
            int ev = r.next();
            if (ev != XMLStreamConstants.START_ELEMENT || !W.equals(r.getNamespaceURI())) {
                continue;
            }
            switch (r.getLocalName()) {
                case "style" -> id = r.getAttributeValue(W, "styleId");
                case "name" -> {
                    String v = r.getAttributeValue(W, "val");
                    if (id != null && v != null) {
                        Matcher m = HEADING_NAME.matcher(v.strip());
                        if (m.matches()) {
                            out.putIfAbsent(id, Integer.parseInt(m.group(1)));
                        } else if (v.strip().equalsIgnoreCase("title")) {
                            out.putIfAbsent(id, 0);
                        }
                    }
                }
                case "outlineLvl" -> {
                    Integer lvl = outline(r.getAttributeValue(W, "val"));
                    if (id != null && lvl != null) {
                        out.put(id, lvl);
                    }
                }
                default -> { }
            }
        }
        return out;
    }

    private static Integer outline(String val) {
        try {
            int v = Integer.parseInt(val == null ? "" : val.strip());
            return v >= 0 && v <= 5 ? v + 1 : null; // 9 is "body text"
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String docxBody(byte[] document, Map<String, Integer> styles, String[] titleStyle)
            throws XMLStreamException {
        Documents.Text out = new Documents.Text();
        XMLStreamReader r = xml(document);
        StringBuilder para = null; // the paragraph being read
        int level = -1; // its heading level (0: title), -1: none
        int listLevel = -1; // its list level, -1: not a list item
        int cell = 0; // cells so far in the current table row
        int tables = 0; // open tables
        boolean inText = false;
        while (r.hasNext()) {
            int ev = r.next();
            if (ev == XMLStreamConstants.START_ELEMENT && W.equals(r.getNamespaceURI())) {
                switch (r.getLocalName()) {
                    case "p" -> {
                        para = new StringBuilder();
                        level = -1;
                        listLevel = -1;
                    }
                    case "pStyle" -> {
                        Integer l = styles.get(String.valueOf(r.getAttributeValue(W, "val")));
                        if (l != null && para != null) {
                            level = l;
                        } else if (para != null && HEADING_NAME.matcher(String.valueOf(r.getAttributeValue(W, "val"))
                                .strip()).matches()) {
                            Matcher m = HEADING_NAME.matcher(r.getAttributeValue(W, "val").strip());
                            m.matches();
                            level = Integer.parseInt(m.group(1));
                        }
                    }
                    case "outlineLvl" -> {
                        Integer l = outline(r.getAttributeValue(W, "val"));
                        if (l != null && para != null) {
                            level = l;
                        }
                    }
                    case "numPr" -> listLevel = Math.max(listLevel, 0);
                    case "ilvl" -> {
                        try {
                            listLevel = Math.min(8, Math.max(0, Integer.parseInt(
                                    String.valueOf(r.getAttributeValue(W, "val")).strip())));
                        } catch (NumberFormatException e) {
                            listLevel = Math.max(listLevel, 0);
                        }
                    }
                    case "t", "delText" -> inText = r.getLocalName().equals("t");
                    case "tab" -> {
                        if (para != null) {
                            para.append('\t');
                        }
                    }
                    case "br", "cr" -> {
                        if (para != null) {
                            para.append('\n');
                        }
                    }
                    case "tbl" -> {
                        if (tables++ == 0) {
                            out.blankLine();
                        }
                    }
                    case "tr" -> cell = 0;
                    case "tc" -> {
                        if (cell++ > 0) {
                            out.append(" | ");
                        }
                    }
                    default -> { }
                }
            } else if (ev == XMLStreamConstants.CHARACTERS || ev == XMLStreamConstants.CDATA) {
                if (inText && para != null) {
                    para.append(r.getText());
                    if (para.length() > Documents.MAX_CHARS) {
                        throw new Documents.OverBound("more than " + Documents.MAX_CHARS + " characters of text");
                    }
                }
            } else if (ev == XMLStreamConstants.END_ELEMENT && W.equals(r.getNamespaceURI())) {
                switch (r.getLocalName()) {
                    case "t", "delText" -> inText = false;
                    case "p" -> {
                        if (para != null) {
                            String text = Documents.clean(para).strip();
                            if (tables > 0) {
                                if (!text.isEmpty()) {
                                    if (out.lineOpen() && !out.sb.toString().endsWith(" | ")) {
                                        out.append(' ');
                                    }
                                    out.append(text.replace('\n', ' '));
                                }
                            } else {
                                paragraph(out, text, level, listLevel, titleStyle);
                            }
                        }
                        para = null;
                    }
                    case "tr" -> out.newline();
                    case "tbl" -> {
                        tables = Math.max(0, tables - 1);
                        if (tables == 0) {
                            out.blankLine();
                        }
                    }
                    default -> { }
                }
            }
        }
        return out.toString();
    }

    /** Writes a paragraph: a heading (level 1..6), the title (0), a list item, or plain text. */
    private static void paragraph(Documents.Text out, String text, int level, int listLevel, String[] titleStyle) {
        if (text.isEmpty()) {
            return;
        }
        if (level == 0 && titleStyle[0] == null) {
            titleStyle[0] = text.replace('\n', ' ');
        }
        if (level >= 1) {
            out.blankLine();
            out.append("#".repeat(level)).append(' ').append(text.replace('\n', ' '));
            out.blankLine();
        } else if (listLevel >= 0) {
            out.newline();
            out.append("  ".repeat(listLevel)).append("- ").append(text.replace("\n", "\n  "));
            out.newline();
        } else {
            if (endsWithListItem(out)) {
                out.blankLine();
            }
            out.append(text);
            out.blankLine();
        }
    }

    private static boolean endsWithListItem(Documents.Text out) {
        String s = out.sb.length() > 400 ? out.sb.substring(out.sb.length() - 400) : out.sb.toString();
        int nl = s.lastIndexOf('\n', s.length() - 2);
        return s.endsWith("\n") && s.substring(nl + 1).stripLeading().startsWith("- ");
    }

    // ------------------------------------------------------------------ ODT

    static NoteFiles.Parsed odt(byte[] bytes, String stem) throws NoteFiles.NotText {
        Map<String, byte[]> zip = SafeZip.read(bytes,
                n -> n.equals("content.xml") || n.equals("meta.xml") || n.equals("mimetype"), "ODT");
        byte[] content = zip.get("content.xml");
        if (content == null) {
            throw new NoteFiles.NotText("not an ODT file (no content.xml in the ZIP archive)");
        }
        String[] titleStyle = new String[1];
        String body = xmlPart("content.xml", "ODT", () -> odtBody(content, titleStyle));
        return result(body, titleStyle[0], zip.get("meta.xml"), "meta.xml", "ODT", stem);
    }

    private static String odtBody(byte[] content, String[] titleStyle) throws XMLStreamException {
        Documents.Text out = new Documents.Text();
        XMLStreamReader r = xml(content);
        Set<String> titleStyles = new java.util.HashSet<>(Set.of("Title"));
        Deque<StringBuilder> paras = new ArrayDeque<>(); // open text:p / text:h (notes nest them)
        Deque<Integer> levels = new ArrayDeque<>();
        Deque<Boolean> titles = new ArrayDeque<>();
        int lists = 0; // open text:list
        boolean itemStart = false; // the next paragraph starts a list item
        int cell = 0;
        int tables = 0;
        boolean inBody = false;
        String styleName = null; // the automatic style being read
        while (r.hasNext()) {
            int ev = r.next();
            if (ev == XMLStreamConstants.START_ELEMENT) {
                String ns = r.getNamespaceURI();
                String local = r.getLocalName();
                if (OFFICE.equals(ns) && local.equals("text")) {
                    inBody = true;
                } else if ("urn:oasis:names:tc:opendocument:xmlns:style:1.0".equals(ns) && local.equals("style")) {
                    styleName = r.getAttributeValue(ns, "name");
                    String parent = r.getAttributeValue(ns, "parent-style-name");
                    if (styleName != null && parent != null && titleStyles.contains(parent)) {
                        titleStyles.add(styleName); // an automatic style derived from Title
                    }
                } else if (!inBody) {
                    continue;
                } else if (TEXT.equals(ns)) {
                    switch (local) {
                        case "p", "h" -> {
                            paras.push(new StringBuilder());
                            int lvl = 0;
                            if (local.equals("h")) {
                                lvl = 1;
                                String v = r.getAttributeValue(TEXT, "outline-level");
                                try {
                                    lvl = Math.min(6, Math.max(1, Integer.parseInt(v == null ? "1" : v.strip())));
                                } catch (NumberFormatException e) {
                                    lvl = 1;
                                }
                            }
                            levels.push(lvl);
                            titles.push(titleStyles.contains(String.valueOf(r.getAttributeValue(TEXT, "style-name"))));
                        }
                        case "s" -> {
                            if (!paras.isEmpty()) {
                                int c = 1;
                                try {
                                    String v = r.getAttributeValue(TEXT, "c");
                                    c = v == null ? 1 : Math.min(100, Math.max(1, Integer.parseInt(v.strip())));
                                } catch (NumberFormatException e) {
                                    c = 1;
                                }
                                paras.peek().append(" ".repeat(c));
                            }
                        }
                        case "tab" -> {
                            if (!paras.isEmpty()) {
                                paras.peek().append('\t');
                            }
                        }
                        case "line-break" -> {
                            if (!paras.isEmpty()) {
                                paras.peek().append('\n');
                            }
                        }
                        case "list" -> lists++;
                        case "list-item", "list-header" -> itemStart = true;
                        case "note", "tracked-changes" -> skip(r); // footnotes, deleted text
                        default -> { }
                    }
                } else if (TABLE.equals(ns)) {
                    switch (local) {
                        case "table" -> {
                            if (tables++ == 0) {
                                out.blankLine();
                            }
                        }
                        case "table-row" -> cell = 0;
                        case "table-cell" -> {
                            if (cell++ > 0) {
                                out.append(" | ");
                            }
                        }
                        default -> { }
                    }
                }
            } else if (ev == XMLStreamConstants.CHARACTERS || ev == XMLStreamConstants.CDATA) {
                if (!paras.isEmpty()) {
                    StringBuilder p = paras.peek();
                    p.append(r.getText());
                    if (p.length() > Documents.MAX_CHARS) {
                        throw new Documents.OverBound("more than " + Documents.MAX_CHARS + " characters of text");
                    }
                }
            } else if (ev == XMLStreamConstants.END_ELEMENT) {
                String ns = r.getNamespaceURI();
                String local = r.getLocalName();
                if (OFFICE.equals(ns) && local.equals("text")) {
                    inBody = false;
                } else if (TEXT.equals(ns) && (local.equals("p") || local.equals("h")) && !paras.isEmpty()) {
                    // ODT's text:s folds runs of spaces; the XML's own whitespace is not text
                    String text = Documents.clean(paras.pop().toString().replaceAll("[ \\n\\t]*\\n[ \\n\\t]*", "\n"))
                            .strip();
                    int lvl = levels.pop();
                    boolean title = titles.pop();
                    if (tables > 0) {
                        if (!text.isEmpty()) {
                            if (out.lineOpen() && !out.sb.toString().endsWith(" | ")) {
                                out.append(' ');
                            }
                            out.append(text.replace('\n', ' '));
                        }
                    } else {
                        int listLevel = lists > 0 && itemStart ? lists - 1 : -1;
                        if (lists > 0 && !itemStart && !text.isEmpty()) {
                            // a second paragraph of a list item: a continuation line
                            out.newline();
                            out.append("  ".repeat(lists)).append(text.replace('\n', ' '));
                            out.newline();
                        } else {
                            paragraph(out, text, title ? 0 : lvl == 0 ? -1 : lvl, listLevel, titleStyle);
                        }
                        itemStart = false;
                    }
                } else if (TEXT.equals(ns) && local.equals("list")) {
                    lists = Math.max(0, lists - 1);
                    if (lists == 0) {
                        out.blankLine();
                    }
                } else if (TABLE.equals(ns) && local.equals("table-row")) {
                    out.newline();
                } else if (TABLE.equals(ns) && local.equals("table")) {
                    tables = Math.max(0, tables - 1);
                    if (tables == 0) {
                        out.blankLine();
                    }
                }
            }
        }
        return out.toString();
    }

    /** Skips the element just started, with everything in it. */
    private static void skip(XMLStreamReader r) throws XMLStreamException {
        int depth = 1;
        while (depth > 0 && r.hasNext()) {
            int ev = r.next();
            if (ev == XMLStreamConstants.START_ELEMENT) {
                depth++;
            } else if (ev == XMLStreamConstants.END_ELEMENT) {
                depth--;
            }
        }
    }

    // ------------------------------------------------------------------ both

    /** The {@code dc:title} of a metadata part (docProps/core.xml, meta.xml), if any. */
    private static Optional<String> dcTitle(byte[] meta) {
        if (meta == null) {
            return Optional.empty();
        }
        try {
            XMLStreamReader r = xml(meta);
            while (r.hasNext()) {
                if (r.next() == XMLStreamConstants.START_ELEMENT && DC.equals(r.getNamespaceURI())
                        && r.getLocalName().equals("title")) {
                    String t = Documents.clean(r.getElementText()).replace('\n', ' ').strip();
                    return t.isEmpty() ? Optional.empty() : Optional.of(t);
                }
            }
        } catch (XMLStreamException | RuntimeException e) {
            // bad metadata: the title comes from the text
        }
        return Optional.empty();
    }

    private static NoteFiles.Parsed result(String body, String titleStyle, byte[] meta, String metaName, String kind,
            String stem) throws NoteFiles.NotText {
        String text = HtmlText.tidy(body).strip();
        if (text.isBlank()) {
            throw new NoteFiles.NotText("no text in the " + kind + " file");
        }
        String title = dcTitle(meta).orElse(titleStyle != null ? titleStyle : Documents.headingLike(text, stem));
        return new NoteFiles.Parsed(title, text + "\n", List.of(), Optional.empty());
    }

    @FunctionalInterface
    private interface XmlWork<T> {
        T run() throws XMLStreamException;
    }

    /** Runs a reader of one XML part; bad XML and passed bounds become a reason. */
    private static <T> T xmlPart(String part, String kind, XmlWork<T> work) throws NoteFiles.NotText {
        try {
            return work.run();
        } catch (XMLStreamException e) {
            String m = e.getMessage() == null ? "" : e.getMessage().replaceAll("\\s+", " ").strip();
            throw new NoteFiles.NotText("damaged " + kind + " file (bad XML in " + part + ": "
                    + SafeZip.abbreviate(m) + ")");
        } catch (Documents.OverBound e) {
            throw new NoteFiles.NotText("too large: " + e.getMessage());
        } catch (RuntimeException e) {
            // the StAX reader's own limits (entity expansion, depth) and its internal errors
            throw new NoteFiles.NotText("damaged " + kind + " file (" + part + ": "
                    + SafeZip.abbreviate(String.valueOf(e.getMessage())) + ")");
        }
    }
}
