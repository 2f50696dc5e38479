package dev.pocketrag.retrieval.internal;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a file's bytes into a note's title, body, tags and date.
 *
 * <ul>
 *   <li>{@code .md}, {@code .markdown}: optional YAML front matter between {@code ---} lines
 *       ({@code title:}, {@code tags: [a, b]} or a {@code - a} list, {@code date: YYYY-MM-DD}); the
 *       title is the front matter's, else the first {@code # heading}, else the file name. The body
 *       is the text after the front matter.</li>
 *   <li>{@code .txt}: the first non-blank line is the title if it is short (at most 120
 *       characters), else the file name; the body is the whole text.</li>
 *   <li>{@code .html}, {@code .htm}: parsed with jsoup (the charset from the BOM or the
 *       {@code <meta>} tag, else UTF-8); the title is {@code <title>}, else the first {@code <h1>},
 *       else the file name; the body is the page's visible text, one line per block (paragraph,
 *       heading, list item, table row; cells joined by {@code " | "}), list items marked
 *       {@code "- "}; scripts and styles are dropped.</li>
 *   <li>{@code .pdf}, {@code .docx}, {@code .odt}, {@code .epub}: {@link Documents} (text with
 *       pages or headings kept; bounded; encrypted, damaged and image-only files refused with a
 *       reason).</li>
 * </ul>
 * Text files that are not UTF-8 (invalid sequences) and files with a NUL byte anywhere are refused
 * with a reason.
 *
 * <p>In Markdown and HTML, data URIs ({@code data:image/png;base64,...}) and runs of base64 of
 * {@value #MIN_BASE64_RUN} characters or more are not text: they are replaced by {@code [image]}
 * (a data URI of an image) or {@code [data]}, so a pasted picture is neither embedded nor indexed
 * (the file itself is never changed).
 *
 * <p>The note's date: the front matter's, else a date in the title, else one in the file name
 * ({@link #parse}, {@link NoteDates}).
 *
 * <p>Front matter values may be quoted as YAML does: {@code "..."} with backslash escapes
 * ({@code \" \\ \n \t \r}, and a backslash, {@code u} and four hex digits; an unknown escape is
 * kept as written) or {@code '...'} with
 * {@code ''} for a quote; {@code date}/{@code created} is a day ({@code 2026-05-02}) or an ISO-8601
 * instant ({@code 2026-05-02T09:30:00Z}).
 */
public final class NoteFiles {
    /** Extensions imported, lower case: text notes and {@link Documents#EXTENSIONS}. */
    public static final Set<String> EXTENSIONS = Set.of("md", "markdown", "txt", "html", "htm",
            "pdf", "docx", "odt", "epub");
    /** Larger text files are skipped: notes, not books (documents: {@link Documents#MAX_BYTES}). */
    public static final long MAX_BYTES = 8L << 20;
    /** Shortest run of base64 characters (without whitespace) that is dropped from Markdown and HTML. */
    public static final int MIN_BASE64_RUN = 200;

    private NoteFiles() {}

    /** A file's content as a note. */
    public record Parsed(String title, String body, List<String> tags, Optional<Instant> date) {}

    /** The most bytes of {@code file} read: {@link Documents#MAX_BYTES} for a document, else {@link #MAX_BYTES}. */
    public static long maxBytes(Path file) {
        return Documents.isDocument(file) ? Documents.MAX_BYTES : MAX_BYTES;
    }

    /** The lower-case extension of a file name, or "". */
    public static String extension(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot <= 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a file; throws {@link NotText} with a one-line reason when the bytes are not a text
     * note. The note's date: the front matter's {@code date:} or {@code created:}, else the one day
     * the title names, else the one day the file name names ({@link NoteDates}: a whole day with its
     * year, never a day without a year or one of several); none if none of them gives one (an
     * importer then takes the file's modification time).
     */
    public static Parsed parse(Path file, byte[] bytes) throws NotText {
        if (bytes.length == 0) {
            throw new NotText("empty");
        }
        if (Documents.isDocument(file)) {
            return dated(file, Documents.parse(file, bytes, stem(file)));
        }
        for (int i = 0; i < bytes.length; i++) { // all of it: a binary may start with kilobytes of text
            if (bytes[i] == 0) {
                throw new NotText("binary (NUL byte at offset " + i + ")");
            }
        }
        return dated(file, content(file, bytes));
    }

    /** {@code p}, dated by its title or the file name if it has no date of its own. */
    private static Parsed dated(Path file, Parsed p) {
        if (p.date().isPresent()) {
            return p;
        }
        Optional<LocalDate> day = NoteDates.inTitle(p.title())
                .or(() -> NoteDates.inFileName(file.getFileName().toString()));
        return new Parsed(p.title(), p.body(), p.tags(), day.map(d -> d.atStartOfDay(ZoneOffset.UTC).toInstant()));
    }

    /** The file's title, body, tags and front matter date, by its kind. */
    private static Parsed content(Path file, byte[] bytes) throws NotText {
        if (Set.of("html", "htm").contains(extension(file))) {
            NoteFiles.Parsed p = HtmlText.parse(bytes, stem(file));
            return new Parsed(p.title(), dropBinary(p.body()), p.tags(), p.date());
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new NotText("not UTF-8 text");
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        text = text.replace("\r\n", "\n").replace('\r', '\n');
        if (text.isBlank()) {
            throw new NotText("blank");
        }
        String stem = stem(file);
        return switch (extension(file)) {
            case "md", "markdown" -> {
                Parsed p = markdown(text, stem);
                yield new Parsed(p.title(), dropBinary(p.body()), p.tags(), p.date());
            }
            default -> plain(text, stem);
        };
    }

    static Parsed plain(String text, String stem) {
        String first = text.strip().lines().findFirst().orElse("").strip();
        String title = !first.isEmpty() && first.length() <= 120 ? first : stem;
        return new Parsed(title, text, List.of(), Optional.empty());
    }

    static Parsed markdown(String text, String stem) {
        String title = null;
        List<String> tags = new ArrayList<>();
        Optional<Instant> date = Optional.empty();
        String body = text;
        if (text.startsWith("---\n")) {
            int end = text.indexOf("\n---", 4);
            if (end > 0) {
                int after = text.indexOf('\n', end + 4);
                String front = text.substring(4, end);
                body = after < 0 ? "" : text.substring(after + 1);
                boolean inTags = false;
                for (String line : front.split("\n")) {
                    String l = line.strip();
                    if (inTags && l.startsWith("- ")) {
                        addTag(tags, l.substring(2));
                        continue;
                    }
                    inTags = false;
                    int colon = l.indexOf(':');
                    if (colon <= 0) {
                        continue;
                    }
                    String key = l.substring(0, colon).strip().toLowerCase(Locale.ROOT);
                    String value = l.substring(colon + 1).strip();
                    switch (key) {
                        case "title" -> title = unquote(value);
                        case "tags", "tag" -> {
                            if (value.isEmpty()) {
                                inTags = true;
                            } else {
                                for (String t : value.replaceAll("^\\[|]$", "").split(",")) {
                                    addTag(tags, t);
                                }
                            }
                        }
                        case "date", "created" -> date = parseDate(unquote(value)).or(() -> Optional.empty());
                        default -> { }
                    }
                }
            }
        }
        if (title == null || title.isBlank()) {
            title = body.lines().map(String::strip).filter(l -> l.startsWith("# ")).findFirst()
                    .map(l -> l.substring(2).strip()).orElse(stem);
        }
        return new Parsed(title, body, tags, date);
    }

    private static void addTag(List<String> tags, String raw) {
        String r = raw.strip();
        String t = unquote(r).strip();
        if (t.startsWith("#") && !isQuoted(r)) { // #tag is a habit; "#tag" is meant
            t = t.substring(1);
        }
        if (!t.isEmpty() && t.length() <= 256 && t.chars().noneMatch(Character::isISOControl) && !tags.contains(t)) {
            tags.add(t);
        }
    }

    private static boolean isQuoted(String v) {
        return v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"));
    }

    /** A front matter value without its quotes, YAML's escapes resolved (see the class comment). */
    static String unquote(String v) {
        if (!isQuoted(v)) {
            return v;
        }
        String inner = v.substring(1, v.length() - 1);
        if (v.charAt(0) == '\'') {
            return inner.replace("''", "'");
        }
        StringBuilder sb = new StringBuilder(inner.length());
        for (int i = 0; i < inner.length(); i++) {
            char c = inner.charAt(i);
            if (c != '\\' || i + 1 == inner.length()) {
                sb.append(c);
                continue;
            }
            char e = inner.charAt(i + 1);
            int hex = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
            String replacement = switch (e) {
                case '"' -> "\"";
                case '\\' -> "\\";
                case '/' -> "/";
                case 'n' -> "\n";
                case 't' -> "\t";
                case 'r' -> "\r";
                case '0' -> "\0";
                default -> null;
            };
            if (replacement == null && hex > 0 && i + 2 + hex <= inner.length()) {
                try {
                    int cp = Integer.parseInt(inner.substring(i + 2, i + 2 + hex), 16);
                    if (Character.isValidCodePoint(cp) && inner.substring(i + 2, i + 2 + hex).chars()
                            .allMatch(ch -> Character.digit(ch, 16) >= 0)) {
                        replacement = Character.toString(cp);
                        i += hex;
                    }
                } catch (NumberFormatException ignored) {
                    // not hex digits: kept as written
                }
            }
            if (replacement == null) {
                sb.append(c); // an unknown escape is kept as written (a Windows path, say)
            } else {
                sb.append(replacement);
                i++;
            }
        }
        return sb.toString();
    }

    /** {@code s} as a YAML double-quoted string that {@link #unquote} reads back exactly. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || c == '\uFEFF'
                            || Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < s.length()
                                    && Character.isLowSurrogate(s.charAt(i + 1))
                                    || Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1)))) {
                        sb.append(String.format(Locale.ROOT, "\\u%04X", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    private static Optional<Instant> parseDate(String v) {
        try {
            return Optional.of(Instant.parse(v));
        } catch (DateTimeParseException e) {
            // a day, or a day and more
        }
        try {
            return Optional.of(LocalDate.parse(v.length() >= 10 ? v.substring(0, 10) : v)
                    .atStartOfDay(ZoneOffset.UTC).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static String stem(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return (dot <= 0 ? name : name.substring(0, dot)).replace('-', ' ').replace('_', ' ');
    }

    /**
     * {@code text} with data URIs and long base64 runs replaced by {@code [image]} or {@code [data]}
     * (see the class comment); one pass, linear in the text's length.
     */
    static String dropBinary(String text) {
        StringBuilder out = null;
        int copied = 0;
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            int end = -1;
            String marker = null;
            if ((c == 'd' || c == 'D') && (i == 0 || !Character.isLetterOrDigit(text.charAt(i - 1)))
                    && text.regionMatches(true, i, "data:", 0, 5)) {
                end = dataUriEnd(text, i);
                if (end > 0) {
                    marker = text.regionMatches(true, i + 5, "image/", 0, 6) ? "[image]" : "[data]";
                }
            }
            if (end < 0 && isBase64(c) && (i == 0 || !isBase64(text.charAt(i - 1)))) {
                int j = i;
                int classes = 0; // 1: upper case, 2: lower case, 4: digit
                while (j < n && isBase64(text.charAt(j))) {
                    char d = text.charAt(j++);
                    classes |= d >= 'A' && d <= 'Z' ? 1 : d >= 'a' && d <= 'z' ? 2 : d >= '0' && d <= '9' ? 4 : 0;
                }
                while (j < n && text.charAt(j) == '=') {
                    j++;
                }
                if (j - i >= MIN_BASE64_RUN && classes == 7) {
                    end = j;
                    marker = "[data]";
                } else {
                    i = j; // not base64 (or too short): none of it starts a run
                    continue;
                }
            }
            if (end < 0) {
                i++;
                continue;
            }
            if (out == null) {
                out = new StringBuilder(n);
            }
            out.append(text, copied, i).append(marker);
            copied = end;
            i = end;
        }
        return out == null ? text : out.append(text, copied, n).toString();
    }

    /** Characters of (URL-safe) base64, without the padding. */
    private static boolean isBase64(char c) {
        return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
                || c == '-' || c == '_';
    }

    /**
     * The end of the data URI starting at {@code start} ({@code data:[type][;param=value]...[;base64],payload}),
     * or -1 if there is none: a base64 payload ends at the first character that is not base64 (or
     * padding), another at whitespace, a quote, a closing bracket or {@code >}.
     */
    private static int dataUriEnd(String text, int start) {
        int n = text.length();
        int i = start + 5;
        int headerEnd = Math.min(n, i + 256); // a media type and its parameters are short
        while (i < headerEnd && text.charAt(i) != ',') {
            char c = text.charAt(i);
            if (Character.isWhitespace(c) || c == ')' || c == '"' || c == '\'' || c == '<' || c == '>') {
                return -1;
            }
            i++;
        }
        if (i >= headerEnd) {
            return -1;
        }
        boolean base64 = text.substring(start + 5, i).toLowerCase(Locale.ROOT).endsWith(";base64");
        i++; // the comma
        if (base64) {
            while (i < n && (isBase64(text.charAt(i)) || text.charAt(i) == '=' || text.charAt(i) == '%')) {
                i++;
            }
        } else {
            while (i < n) {
                char c = text.charAt(i);
                if (Character.isWhitespace(c) || c == ')' || c == '"' || c == '\'' || c == '<' || c == '>') {
                    break;
                }
                i++;
            }
        }
        return i;
    }

    /** The file is not a text note; the message says why. */
    public static final class NotText extends Exception {
        private static final long serialVersionUID = 1L;

        public NotText(String reason) {
            super(reason);
        }
    }
}
