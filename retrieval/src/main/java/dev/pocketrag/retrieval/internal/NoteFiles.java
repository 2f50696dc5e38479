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
 * </ul>
 * Text files that are not UTF-8 (invalid sequences) and files with NUL bytes are refused with a
 * reason.
 */
public final class NoteFiles {
    /** Extensions imported, lower case. */
    public static final Set<String> EXTENSIONS = Set.of("md", "markdown", "txt", "html", "htm");
    /** Larger files are skipped: notes, not books. */
    public static final long MAX_BYTES = 8L << 20;

    private NoteFiles() {}

    /** A file's content as a note. */
    public record Parsed(String title, String body, List<String> tags, Optional<Instant> date) {}

    /** The lower-case extension of a file name, or "". */
    public static String extension(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot <= 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a file; throws {@link NotText} with a one-line reason when the bytes are not a text
     * note.
     */
    public static Parsed parse(Path file, byte[] bytes) throws NotText {
        if (bytes.length == 0) {
            throw new NotText("empty");
        }
        for (int i = 0, n = Math.min(bytes.length, 8192); i < n; i++) {
            if (bytes[i] == 0) {
                throw new NotText("binary (NUL byte at offset " + i + ")");
            }
        }
        if (Set.of("html", "htm").contains(extension(file))) {
            return HtmlText.parse(bytes, stem(file));
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
            case "md", "markdown" -> markdown(text, stem);
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
        String t = unquote(raw.strip()).strip();
        if (t.startsWith("#")) {
            t = t.substring(1);
        }
        if (!t.isEmpty() && t.length() <= 256 && t.chars().noneMatch(Character::isISOControl) && !tags.contains(t)) {
            tags.add(t);
        }
    }

    private static String unquote(String v) {
        if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
            return v.substring(1, v.length() - 1);
        }
        return v;
    }

    private static Optional<Instant> parseDate(String v) {
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

    /** The file is not a text note; the message says why. */
    public static final class NotText extends Exception {
        private static final long serialVersionUID = 1L;

        public NotText(String reason) {
            super(reason);
        }
    }
}
