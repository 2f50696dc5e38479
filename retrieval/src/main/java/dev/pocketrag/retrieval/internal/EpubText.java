package dev.pocketrag.retrieval.internal;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * The text of an EPUB (2 or 3) e-book: a ZIP ({@link SafeZip}) whose {@code
 * META-INF/container.xml} names the package document (OPF); the OPF's {@code spine} lists the
 * chapters (XHTML files of its {@code manifest}) in reading order. Each chapter is read as HTML
 * ({@link HtmlText}, headings kept as Markdown {@code #} lines) and becomes a section: a chapter
 * that does not begin with a heading gets one from its {@code <title>} (else "Chapter N"). Spine
 * items marked {@code linear="no"}, the navigation document and chapters without text are left
 * out. Title: the OPF's {@code dc:title}, else the first heading-like line, else the file name.
 *
 * <p>Hrefs are resolved against the OPF's folder as names inside the archive (percent-decoded,
 * {@code .} and {@code ..} folded; one that climbs out of the archive is ignored): never as file
 * paths.
 */
final class EpubText {
    private static final String CONTAINER = "urn:oasis:names:tc:opendocument:xmlns:container";
    private static final String OPF = "http://www.idpf.org/2007/opf";

    private EpubText() {}

    static NoteFiles.Parsed parse(byte[] bytes, String stem) throws NoteFiles.NotText {
        Map<String, byte[]> zip = SafeZip.read(bytes, n -> {
            String l = n.toLowerCase(Locale.ROOT);
            return l.endsWith(".xml") || l.endsWith(".opf") || l.endsWith(".xhtml") || l.endsWith(".html")
                    || l.endsWith(".htm");
        }, "EPUB");
        String opfName = null;
        byte[] container = zip.get("META-INF/container.xml");
        if (container != null) {
            opfName = read("META-INF/container.xml", () -> rootFile(container));
        }
        if (opfName == null || !zip.containsKey(opfName)) {
            opfName = zip.keySet().stream().filter(n -> n.toLowerCase(Locale.ROOT).endsWith(".opf")).findFirst()
                    .orElseThrow(() -> new NoteFiles.NotText("not an EPUB file (no package document: "
                            + "META-INF/container.xml names none and there is no .opf file)"));
        }
        String opf = opfName;
        Package pkg = read(opf, () -> pkg(zip.get(opf)));
        String dir = opf.contains("/") ? opf.substring(0, opf.lastIndexOf('/') + 1) : "";
        Documents.Text out = new Documents.Text();
        int chapter = 0;
        try {
            for (String idref : pkg.spine) {
                Item item = pkg.manifest.get(idref);
                if (item == null || item.properties.contains("nav") || !isHtml(item)) {
                    continue;
                }
                String name = resolve(dir, item.href);
                byte[] xhtml = name == null ? null : zip.get(name);
                if (xhtml == null) {
                    continue;
                }
                chapter++;
                NoteFiles.Parsed p;
                try {
                    p = HtmlText.parse(xhtml, "Chapter " + chapter, true);
                } catch (NoteFiles.NotText e) {
                    chapter--; // a cover picture, an empty page
                    continue;
                }
                String text = p.body().strip();
                out.blankLine();
                if (!text.startsWith("#")) {
                    String heading = p.title().equals(pkg.title) ? "Chapter " + chapter : p.title();
                    out.append("# ").append(heading.replace('\n', ' ')).append("\n\n");
                }
                out.append(Documents.clean(text));
                out.blankLine();
            }
        } catch (Documents.OverBound e) {
            throw new NoteFiles.NotText("too large: " + e.getMessage());
        }
        String body = out.toString().strip();
        if (body.isEmpty()) {
            throw new NoteFiles.NotText("no text in the EPUB file (no chapter of its spine has text)");
        }
        String title = pkg.title != null ? pkg.title : Documents.headingLike(body, stem);
        return new NoteFiles.Parsed(title, body + "\n", List.of(), Optional.empty());
    }

    private static boolean isHtml(Item item) {
        String t = item.mediaType.toLowerCase(Locale.ROOT);
        String h = item.href.toLowerCase(Locale.ROOT);
        return t.contains("html") || t.isEmpty() && (h.endsWith(".xhtml") || h.endsWith(".html") || h.endsWith(".htm"));
    }

    /** {@code href} (relative to the folder {@code dir}, which ends with '/' or is empty) as an entry name. */
    static String resolve(String dir, String href) {
        String h = href;
        int hash = h.indexOf('#');
        if (hash >= 0) {
            h = h.substring(0, hash);
        }
        try {
            h = URLDecoder.decode(h.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (h.isEmpty() || h.contains(":") || h.startsWith("/")) {
            return h.startsWith("/") && !h.startsWith("//") ? fold(h.substring(1)) : null;
        }
        return fold(dir + h);
    }

    /** A name with "." and ".." segments folded; null if it climbs out. */
    private static String fold(String name) {
        Deque<String> parts = new ArrayDeque<>();
        for (String s : name.split("/", -1)) {
            if (s.equals(".") || s.isEmpty() && !parts.isEmpty()) {
                continue;
            }
            if (s.equals("..")) {
                if (parts.isEmpty()) {
                    return null;
                }
                parts.removeLast();
            } else {
                parts.addLast(s);
            }
        }
        return String.join("/", parts);
    }

    private static String rootFile(byte[] container) throws XMLStreamException {
        XMLStreamReader r = OfficeText.xml(container);
        while (r.hasNext()) {
            if (r.next() == XMLStreamConstants.START_ELEMENT && r.getLocalName().equals("rootfile")
                    && (CONTAINER.equals(r.getNamespaceURI()) || r.getNamespaceURI() == null)) {
                String p = r.getAttributeValue(null, "full-path");
                if (p != null && !p.isBlank()) {
                    return fold(p.strip());
                }
            }
        }
        return null;
    }

    private record Item(String href, String mediaType, String properties) {}

    private record Package(String title, Map<String, Item> manifest, List<String> spine) {}

    private static Package pkg(byte[] opf) throws XMLStreamException {
        XMLStreamReader r = OfficeText.xml(opf);
        String title = null;
        Map<String, Item> manifest = new HashMap<>();
        List<String> spine = new ArrayList<>();
        while (r.hasNext()) {
            if (r.next() != XMLStreamConstants.START_ELEMENT) {
                continue;
            }
            String ns = r.getNamespaceURI();
            switch (r.getLocalName()) {
                case "title" -> {
                    if (title == null && OfficeText.DC.equals(ns)) {
                        String t = Documents.clean(r.getElementText()).replace('\n', ' ').strip();
                        title = t.isEmpty() ? null : t;
                    }
                }
                case "item" -> {
                    if (OPF.equals(ns) || ns == null) {
                        String id = r.getAttributeValue(null, "id");
                        String href = r.getAttributeValue(null, "href");
                        if (id != null && href != null && manifest.size() < SafeZip.MAX_ENTRIES) {
                            manifest.putIfAbsent(id, new Item(href, String.valueOf(
                                    Optional.ofNullable(r.getAttributeValue(null, "media-type")).orElse("")),
                                    Optional.ofNullable(r.getAttributeValue(null, "properties")).orElse("")));
                        }
                    }
                }
                case "itemref" -> {
                    if ((OPF.equals(ns) || ns == null) && !"no".equals(r.getAttributeValue(null, "linear"))) {
                        String idref = r.getAttributeValue(null, "idref");
                        if (idref != null && spine.size() < SafeZip.MAX_ENTRIES) {
                            spine.add(idref);
                        }
                    }
                }
                default -> { }
            }
        }
        return new Package(title, manifest, spine);
    }

    @FunctionalInterface
    private interface XmlWork<T> {
        T run() throws XMLStreamException;
    }

    private static <T> T read(String part, XmlWork<T> work) throws NoteFiles.NotText {
        try {
            return work.run();
        } catch (XMLStreamException | RuntimeException e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new NoteFiles.NotText("damaged EPUB file (bad XML in " + SafeZip.abbreviate(part) + ": "
                    + SafeZip.abbreviate(m.replaceAll("\\s+", " ").strip()) + ")");
        }
    }
}
