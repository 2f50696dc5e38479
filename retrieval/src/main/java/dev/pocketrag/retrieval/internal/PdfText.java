package dev.pocketrag.retrieval.internal;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.contentstream.operator.Operator;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.io.MemoryUsageSetting;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.apache.pdfbox.text.PDFTextStripper;

/**
 * The text of a PDF, page by page, with Apache PDFBox.
 *
 * <p>The body is each page's text followed by a line break and a form feed ({@code \f}), as
 * {@code pdftotext} writes it, so page {@code p} is the text after the {@code (p-1)}-th form feed
 * ({@link Locations}); form feeds inside a page's text become spaces. Title: the document
 * information's title, else the first heading-like line of the text, else the file name.
 *
 * <p>Refused with a reason: bytes without a {@code %PDF-} header in the first KiB ("not a PDF"),
 * or without {@code %%EOF} in the last KiB (truncated: PDFBox would read what is left and give part
 * of the text); one that PDFBox cannot open (damaged); one that needs a password (an empty user
 * password is tried: such a file opens, unless its permissions forbid copying text); more than
 * {@value #MAX_PAGES} pages; more than {@link Documents#MAX_CHARS} characters; more than {@value
 * #MAX_OPERATORS} content-stream operators (a page that draws forever); PDFBox needing more than
 * {@value #MAX_MEMORY} bytes of buffers; and no text at all ("no text layer: OCR not supported":
 * scans and pictures).
 */
final class PdfText {
    /** The most pages read; a PDF with more is skipped. */
    static final int MAX_PAGES = 2_000;
    /** The most content-stream operators run over the whole file. */
    static final long MAX_OPERATORS = 20_000_000L;
    /** The most bytes PDFBox may hold for decoded streams (main memory only, no scratch file). */
    static final long MAX_MEMORY = 256L << 20;
    /** What the stripper writes after a paragraph (by its spacing and indentation heuristics). */
    private static final String PARAGRAPH_END = "\n\u0000\n";
    /** Where the header and the end-of-file marker are looked for. */
    private static final int MARKER_WINDOW = 1024;

    /**
     * PDFBox's own logger (through commons-logging: to slf4j when it is there, else to JUL), held
     * so that its level stays set. PDFBox warns about every oddity it works around in a damaged
     * file; the import reports what matters as a skip reason, so only its errors are shown (unless
     * the user configured those loggers).
     */
    private static final java.util.logging.Logger PDFBOX_JUL = java.util.logging.Logger.getLogger("org.apache.pdfbox");

    static {
        if (System.getProperty("org.slf4j.simpleLogger.log.org.apache.pdfbox") == null) {
            System.setProperty("org.slf4j.simpleLogger.log.org.apache.pdfbox", "error");
        }
        if (PDFBOX_JUL.getLevel() == null) {
            PDFBOX_JUL.setLevel(java.util.logging.Level.SEVERE);
        }
    }

    private PdfText() {}

    static NoteFiles.Parsed parse(byte[] bytes, String stem) throws NoteFiles.NotText {
        if (indexOf(bytes, "%PDF-", 0, Math.min(bytes.length, MARKER_WINDOW)) < 0) {
            throw new NoteFiles.NotText("not a PDF (no %PDF- header)");
        }
        if (indexOf(bytes, "%%EOF", Math.max(0, bytes.length - MARKER_WINDOW), bytes.length) < 0) {
            throw new NoteFiles.NotText("truncated or damaged PDF (no %%EOF at its end)");
        }
        List<String> pages;
        String infoTitle;
        try (PDDocument doc = Loader.loadPDF(bytes, "", null, null,
                MemoryUsageSetting.setupMainMemoryOnly(MAX_MEMORY).streamCache)) {
            if (doc.isEncrypted() && !doc.getCurrentAccessPermission().canExtractContent()) {
                throw new NoteFiles.NotText("encrypted: opens without a password, but its permissions forbid "
                        + "copying its text");
            }
            int n = doc.getNumberOfPages();
            if (n > MAX_PAGES) {
                throw new NoteFiles.NotText("too large: " + n + " pages, at most " + MAX_PAGES);
            }
            if (n == 0) {
                throw new NoteFiles.NotText("damaged PDF (no pages)");
            }
            infoTitle = doc.getDocumentInformation() == null ? null : doc.getDocumentInformation().getTitle();
            Stripper s = new Stripper();
            s.writeText(doc, s.buffer);
            pages = s.pages;
        } catch (InvalidPasswordException e) {
            throw new NoteFiles.NotText("encrypted: needs a password (the empty password does not open it)");
        } catch (Documents.OverBound e) {
            throw new NoteFiles.NotText("too large: " + e.getMessage());
        } catch (IOException | RuntimeException | StackOverflowError e) {
            // damaged structure, bad streams, and PDFBox's own errors on hostile files
            String m = e instanceof StackOverflowError ? "objects nested too deep" : e.getMessage();
            throw new NoteFiles.NotText("damaged PDF (" + SafeZip.abbreviate(
                    m == null ? e.getClass().getSimpleName() : m.replaceAll("\\s+", " ").strip()) + ")");
        }
        StringBuilder body = new StringBuilder();
        boolean any = false;
        for (String page : pages) {
            String t = HtmlText.tidy(Documents.clean(unwrap(page))).strip();
            any |= !t.isEmpty();
            body.append(t).append("\n\f");
        }
        if (!any) {
            throw new NoteFiles.NotText("no text layer: OCR not supported");
        }
        String title = infoTitle == null ? "" : Documents.clean(infoTitle).replace('\n', ' ').strip();
        if (title.isEmpty()) {
            title = Documents.headingLike(body.toString().replace('\f', '\n'), stem);
        }
        return new NoteFiles.Parsed(title, body.toString(), List.of(), Optional.empty());
    }

    /**
     * A page's text with the lines of each paragraph joined (a PDF breaks lines where the page is
     * full, not where a sentence ends; a word hyphenated at a line's end is joined again),
     * paragraphs separated by a blank line. Lines that start like a list item, and lines after one
     * shorter than 60% of the paragraph's longest (a heading, a closing line), stay lines.
     */
    static String unwrap(String page) {
        StringBuilder out = new StringBuilder(page.length());
        // (a NUL in the text itself at worst ends a paragraph early; clean() makes it a space)
        for (String para : page.split(java.util.regex.Pattern.quote(PARAGRAPH_END), -1)) {
            List<String> lines = para.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
            int longest = lines.stream().mapToInt(String::length).max().orElse(0);
            StringBuilder p = new StringBuilder();
            String prev = null;
            for (String line : lines) {
                if (prev == null) {
                    p.append(line);
                } else if (LIST_ITEM.matcher(line).lookingAt() || prev.length() * 10 < longest * 6) {
                    // a list item, or after a line well short of the others: a line of its own
                    p.append('\n').append(line);
                } else if (p.length() >= 2 && p.charAt(p.length() - 1) == '-'
                        && Character.isLetter(p.charAt(p.length() - 2)) && Character.isLowerCase(line.charAt(0))) {
                    p.setLength(p.length() - 1); // "ei-" + "ther"
                    p.append(line);
                } else {
                    p.append(' ').append(line);
                }
                prev = line;
            }
            if (!p.isEmpty()) {
                out.append(p).append("\n\n");
            }
        }
        return out.toString();
    }

    private static final java.util.regex.Pattern LIST_ITEM =
            java.util.regex.Pattern.compile("([-•*–]|\\d{1,3}[.)])\\s");

    private static int indexOf(byte[] b, String ascii, int from, int to) {
        byte[] m = ascii.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = from; i + m.length <= to; i++) {
            for (int k = 0; k < m.length; k++) {
                if (b[i + k] != m[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** PDFBox's text stripper, recording each page's text and counting its work. */
    private static final class Stripper extends PDFTextStripper {
        final StringWriter buffer = new StringWriter();
        final List<String> pages = new ArrayList<>();
        private int mark;
        private long operators;
        private long chars;

        Stripper() {
            setPageStart("");
            setPageEnd("");
            setLineSeparator("\n");
            setParagraphStart("");
            setParagraphEnd(PARAGRAPH_END);
        }

        @Override
        protected void processOperator(Operator operator, List<COSBase> operands) throws IOException {
            if (++operators > MAX_OPERATORS) {
                throw new Documents.OverBound("more than " + MAX_OPERATORS + " drawing operators");
            }
            super.processOperator(operator, operands);
        }

        @Override
        protected void endPage(PDPage page) throws IOException {
            super.endPage(page);
            StringBuffer sb = buffer.getBuffer();
            String text = sb.substring(mark);
            chars += text.length();
            if (chars > Documents.MAX_CHARS) {
                throw new Documents.OverBound("more than " + Documents.MAX_CHARS + " characters of text");
            }
            pages.add(text);
            sb.setLength(0);
            mark = 0;
        }
    }
}
