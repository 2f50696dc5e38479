package dev.pocketrag.retrieval.internal;

import dev.pocketrag.index.Chunk;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a chunk is in its note, read from the body itself, so that every way a note is chunked
 * (add, import, reindex) gives the same locations:
 * <ul>
 *   <li>page: a body with form feeds ({@code \f}, U+000C) is paged, as {@code pdftotext} writes
 *       it: page {@code p} is the text after the {@code (p-1)}-th form feed; a chunk's page is
 *       the page its first character is on (the chunker never lets a chunk cross a form feed).
 *       A body without a form feed has no pages (0).</li>
 *   <li>section: the Markdown ATX headings ({@code #} to {@code ######}, up to three spaces
 *       before, a space or the line's end after; not inside a {@code ```} or {@code ~~~} fenced
 *       block) above the chunk's own text (its first line that is not a heading), as a path {@code "Chapter 2 > Dough"}: a
 *       heading ends the sections of its level and deeper. A first heading equal to the note's
 *       title is left out (it says nothing the title does not). Cut to {@link
 *       Chunk#MAX_SECTION_LENGTH} characters.</li>
 * </ul>
 * One pass over the body up to the last chunk's start, and one over each chunk: linear in the
 * body's length and the chunks' (a test of the chunker holds it to that on eight megabytes).
 */
public final class Locations {
    /** Joins the headings of a section path. */
    public static final String SEPARATOR = " > ";

    private Locations() {}

    /** {@code chunks} with their locations. */
    public static List<Chunk> locate(String title, String body, List<Chunk> chunks) {
        String t = title.strip();
        int[] feeds = formFeeds(body); // offsets of the form feeds, ascending; none: not paged
        List<Chunk> out = new ArrayList<>(chunks.size());
        Headings h = new Headings(body, t);
        for (Chunk c : chunks) {
            int page = 0;
            if (feeds.length > 0) {
                int k = java.util.Arrays.binarySearch(feeds, c.start());
                page = 1 + (k >= 0 ? k : -k - 1); // form feeds before the chunk's start
            }
            out.add(c.withLocation(page, h.at(anchor(body, c))));
        }
        return out;
    }

    /**
     * Where a chunk's own text begins: its first line that is neither blank nor a heading (a chunk
     * that starts with "# Garden", "## Tomatoes" and then text is in "Garden > Tomatoes"); the
     * start of its last line if it has only headings.
     */
    private static int anchor(String body, Chunk c) {
        int end = Math.min(c.end(), body.length());
        int pos = Math.min(c.start(), end);
        int lastLine = pos;
        while (pos < end) {
            int lineEnd = pos;
            while (lineEnd < end && body.charAt(lineEnd) != '\n') { // not indexOf: it would read past the chunk
                lineEnd++;
            }
            String line = body.substring(pos, lineEnd);
            if (!line.isBlank() && headingLevel(line.replace('\f', ' ')) == 0) {
                return pos;
            }
            if (!line.isBlank()) {
                lastLine = pos;
            }
            pos = lineEnd + 1;
        }
        return lastLine;
    }

    private static int[] formFeeds(String body) {
        return java.util.stream.IntStream.range(0, body.length()).filter(i -> body.charAt(i) == '\f').toArray();
    }

    /** The heading path at increasing offsets, one scan of the body's lines. */
    private static final class Headings {
        private final String body;
        private final String title;
        private final String[] open = new String[7]; // open[level], 1..6: the headings in force
        /** Start of the next line to read. */
        private int lineStart;
        /** Start of the last line read. */
        private int lastLine;
        private boolean fenced;
        private String fence = "";
        private String section = "";

        Headings(String body, String title) {
            this.body = body;
            this.title = title;
        }

        /** The path of the headings on lines that start at or before {@code offset}. */
        String at(int offset) {
            if (offset < lastLine) { // before the last line read (out of order): from the start again
                java.util.Arrays.fill(open, null);
                lineStart = 0;
                lastLine = 0;
                fenced = false;
                section = "";
            }
            // (an offset on the last line read needs nothing more: several chunks of one long line)
            while (lineStart <= offset && lineStart < body.length()) {
                int nl = body.indexOf('\n', lineStart);
                int lineEnd = nl < 0 ? body.length() : nl;
                line(body.substring(lineStart, lineEnd));
                lastLine = lineStart;
                lineStart = lineEnd + 1;
            }
            return section;
        }

        private void line(String line) {
            String stripped = line.replace('\f', ' ').strip();
            if (stripped.startsWith("```") || stripped.startsWith("~~~")) {
                String marker = stripped.substring(0, 3);
                if (!fenced) {
                    fenced = true;
                    fence = marker;
                } else if (marker.equals(fence)) {
                    fenced = false;
                }
                return;
            }
            int level = fenced ? 0 : headingLevel(line.replace('\f', ' '));
            if (level == 0) {
                return;
            }
            String text = headingText(line.replace('\f', ' '), level);
            open[level] = text.isEmpty() ? null : text;
            for (int l = level + 1; l <= 6; l++) {
                open[l] = null;
            }
            section = path(open, title);
        }
    }

    /** 1..6 for an ATX heading line, else 0. */
    static int headingLevel(String line) {
        int i = 0;
        while (i < line.length() && i < 3 && line.charAt(i) == ' ') {
            i++;
        }
        int hashes = 0;
        while (i < line.length() && line.charAt(i) == '#') {
            hashes++;
            i++;
        }
        if (hashes < 1 || hashes > 6) {
            return 0;
        }
        return i == line.length() || line.charAt(i) == ' ' || line.charAt(i) == '\t' ? hashes : 0;
    }

    private static String headingText(String line, int level) {
        String s = line.strip().substring(level).strip();
        // an optional closing sequence of #s
        int e = s.length();
        while (e > 0 && s.charAt(e - 1) == '#') {
            e--;
        }
        if (e < s.length() && (e == 0 || s.charAt(e - 1) == ' ')) {
            s = s.substring(0, e).strip();
        }
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> sb.appendCodePoint(Character.isISOControl(cp) ? ' ' : cp));
        return sb.toString();
    }

    private static String path(String[] open, String title) {
        StringBuilder sb = new StringBuilder();
        for (int l = 1; l <= 6; l++) {
            if (open[l] == null) {
                continue;
            }
            if (sb.isEmpty() && open[l].equals(title)) {
                continue;
            }
            if (!sb.isEmpty()) {
                sb.append(SEPARATOR);
            }
            sb.append(open[l]);
        }
        if (sb.length() > Chunk.MAX_SECTION_LENGTH) {
            int cut = Chunk.MAX_SECTION_LENGTH - 1;
            if (Character.isLowSurrogate(sb.charAt(cut))) {
                cut--;
            }
            sb.setLength(cut);
            sb.append('…');
        }
        return sb.toString();
    }
}
