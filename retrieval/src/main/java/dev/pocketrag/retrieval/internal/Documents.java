package dev.pocketrag.retrieval.internal;

import java.nio.file.Path;
import java.util.Set;

/**
 * Documents made by office programs and e-book tools, read into a note's title and body:
 * <ul>
 *   <li>{@code .pdf} ({@link PdfText}, Apache PDFBox): the text of each page; pages are separated
 *       by form feeds, so each chunk knows its page ({@link Locations}).</li>
 *   <li>{@code .docx}, {@code .odt} ({@link OfficeText}, the JDK's ZIP and StAX): paragraphs, headings
 *       as Markdown {@code #} lines (so each chunk knows its heading path), list items as
 *       {@code - } lines, table cells joined by {@code " | "}.</li>
 *   <li>{@code .epub} ({@link EpubText}): the chapters of the spine in order, each read as HTML,
 *       each a section ({@code # chapter title}).</li>
 * </ul>
 * Bounds, so that a hostile file costs neither minutes nor gigabytes: the file's size ({@value
 * #MAX_BYTES} bytes), the text kept ({@value #MAX_CHARS} characters), a PDF's pages ({@value
 * PdfText#MAX_PAGES}), PDF operators run ({@value PdfText#MAX_OPERATORS}) and PDFBox's memory
 * ({@value PdfText#MAX_MEMORY} bytes), and a ZIP's entries, inflated bytes and compression ratio
 * ({@link SafeZip}). A file over a bound, encrypted, damaged or without text is refused with a
 * {@link NoteFiles.NotText} that says why.
 */
public final class Documents {
    /** Extensions of documents, lower case. */
    public static final Set<String> EXTENSIONS = Set.of("pdf", "docx", "odt", "epub");
    /** Larger document files are skipped (PDFs with pictures are larger than notes). */
    public static final long MAX_BYTES = 64L << 20;
    /** The most characters of text one document gives; a document with more is skipped. */
    public static final int MAX_CHARS = 2_000_000;

    private Documents() {}

    /** True if {@code file}'s extension is one of {@link #EXTENSIONS}. */
    public static boolean isDocument(Path file) {
        return EXTENSIONS.contains(NoteFiles.extension(file));
    }

    /** The title and body of a document (no tags, no date: the caller looks for one in the title). */
    static NoteFiles.Parsed parse(Path file, byte[] bytes, String stem) throws NoteFiles.NotText {
        if (bytes.length == 0) {
            throw new NoteFiles.NotText("empty");
        }
        if (bytes.length > MAX_BYTES) {
            throw new NoteFiles.NotText("larger than " + (MAX_BYTES >> 20) + " MiB (" + bytes.length + " bytes)");
        }
        String ext = NoteFiles.extension(file);
        if (!EXTENSIONS.contains(ext)) {
            throw new IllegalArgumentException("not a document: " + file);
        }
        try {
            return switch (ext) {
                case "pdf" -> PdfText.parse(bytes, stem);
                case "docx" -> OfficeText.docx(bytes, stem);
                case "odt" -> OfficeText.odt(bytes, stem);
                default -> EpubText.parse(bytes, stem);
            };
        } catch (OverBound e) {
            throw new NoteFiles.NotText("too large: " + e.getMessage());
        } catch (RuntimeException | StackOverflowError e) {
            // a reader's failure on a file nobody foresaw: this file is skipped, the import goes on
            String m = e.getMessage();
            throw new NoteFiles.NotText("damaged " + ext.toUpperCase(java.util.Locale.ROOT) + " file ("
                    + SafeZip.abbreviate(m == null ? e.getClass().getSimpleName() : m.replaceAll("\\s+", " ")) + ")");
        }
    }

    /**
     * Text as a document gives it, made safe for a note: CR LF and CR to LF, form feeds (page
     * breaks are ours) and other control characters but tab and line feed to spaces.
     */
    static String clean(CharSequence s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r') {
                if (i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                    continue;
                }
                sb.append('\n');
            } else if (c == '\n' || c == '\t') {
                sb.append(c);
            } else if (Character.isISOControl(c) || c == '\uFFFE' || c == '\uFFFF') {
                sb.append(' ');
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /**
     * A title from the text: the first non-blank line that looks like a heading (at most 100
     * characters and 16 words, a letter in it, not ending like a sentence), without Markdown's
     * {@code #}s; else {@code stem}.
     */
    static String headingLike(String text, String stem) {
        int seen = 0;
        for (String line : (Iterable<String>) text.lines()::iterator) {
            String l = line.strip();
            if (l.isEmpty()) {
                continue;
            }
            if (++seen > 5) {
                break;
            }
            l = l.replaceFirst("^#{1,6}\\s+", "").strip();
            if (l.length() <= 100 && l.split("\\s+").length <= 16 && l.chars().anyMatch(Character::isLetter)
                    && !l.endsWith(".") && !l.endsWith(",") && !l.endsWith(";")) {
                return l;
            }
        }
        return stem;
    }

    /** Thrown inside a reader when a bound is passed; becomes a {@link NoteFiles.NotText}. */
    static final class OverBound extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OverBound(String reason) {
            super(reason, null, false, false);
        }
    }

    /** A text buffer that refuses more than {@link #MAX_CHARS} characters. */
    static final class Text {
        final StringBuilder sb = new StringBuilder();

        Text append(CharSequence s) {
            if (sb.length() + s.length() > MAX_CHARS) {
                throw new OverBound("more than " + MAX_CHARS + " characters of text");
            }
            sb.append(s);
            return this;
        }

        Text append(char c) {
            if (sb.length() + 1 > MAX_CHARS) {
                throw new OverBound("more than " + MAX_CHARS + " characters of text");
            }
            sb.append(c);
            return this;
        }

        /** Ends the current line, if one is open. */
        void newline() {
            int n = sb.length();
            while (n > 0 && (sb.charAt(n - 1) == ' ' || sb.charAt(n - 1) == '\t')) {
                n--;
            }
            sb.setLength(n);
            if (n > 0 && sb.charAt(n - 1) != '\n') {
                append('\n');
            }
        }

        /** Ends the current paragraph with a blank line. */
        void blankLine() {
            newline();
            int n = sb.length();
            if (n > 0 && !(n >= 2 && sb.charAt(n - 2) == '\n')) {
                append('\n');
            }
        }

        boolean lineOpen() {
            return !sb.isEmpty() && sb.charAt(sb.length() - 1) != '\n';
        }

        @Override
        public String toString() {
            return sb.toString();
        }
    }
}
