package dev.pocketrag.retrieval.internal;

import dev.pocketrag.index.Note;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Set;

/**
 * A note as a Markdown file that {@link NoteFiles#parse} reads back as the same note.
 *
 * <p>Layout (UTF-8, {@code \n} line ends in the front matter):
 * <pre>
 * ---
 * title: "Porto weekend"            quoted as {@link NoteFiles#quote} does, escapes and all
 * tags:                             a "- " line per tag, quoted; "tags: []" without tags
 *   - "travel"
 * created: 2026-05-02T09:30:00Z     ISO-8601 instants, to the millisecond
 * updated: 2026-05-03T10:00:00.250Z
 * id: "4b1f..."                     for the reader: import makes ids from paths
 * source: "/home/me/notes/porto.md" for the reader; absent when empty
 * ---
 * the note's text, byte for byte (its UTF-8), up to the end of the file
 * </pre>
 * The file's modification time is the note's {@code updated}: import takes {@code updated} from
 * it and {@code created} from the front matter. What import reads differently is said by {@link
 * #differs}.
 */
public final class NoteExport {
    /** Longest file name stem made from a title. */
    static final int MAX_STEM = 60;
    private static final Set<String> RESERVED = Set.of("con", "prn", "aux", "nul", "com1", "com2", "com3", "com4",
            "com5", "com6", "com7", "com8", "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8",
            "lpt9");

    private NoteExport() {}

    /** The file's bytes: front matter, then the text. */
    public static byte[] markdown(Note n) {
        StringBuilder sb = new StringBuilder(n.body().length() + 256);
        sb.append("---\n");
        sb.append("title: ").append(NoteFiles.quote(n.title())).append('\n');
        if (n.tags().isEmpty()) {
            sb.append("tags: []\n");
        } else {
            sb.append("tags:\n");
            for (String t : n.tags()) {
                sb.append("  - ").append(NoteFiles.quote(t)).append('\n');
            }
        }
        sb.append("created: ").append(n.created()).append('\n');
        sb.append("updated: ").append(n.updated()).append('\n');
        sb.append("id: ").append(NoteFiles.quote(n.id())).append('\n');
        if (!n.source().isEmpty()) {
            sb.append("source: ").append(NoteFiles.quote(n.source())).append('\n');
        }
        sb.append("---\n");
        sb.append(n.body());
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A file name stem for a title: ASCII letters and digits (accents dropped), words joined by
     * {@code -}, lower case, at most {@value #MAX_STEM} characters; {@code "note"} when nothing is
     * left. Never a name Windows reserves.
     */
    public static String stem(String title) {
        String ascii = Normalizer.normalize(title, Normalizer.Form.NFKD);
        StringBuilder sb = new StringBuilder(Math.min(ascii.length(), MAX_STEM));
        boolean dash = false;
        for (int i = 0; i < ascii.length() && sb.length() < MAX_STEM; i++) {
            char c = ascii.charAt(i);
            if (c < 128 && Character.isLetterOrDigit(c)) {
                if (dash && !sb.isEmpty()) {
                    sb.append('-');
                }
                dash = false;
                sb.append(Character.toLowerCase(c));
            } else if (Character.getType(c) != Character.NON_SPACING_MARK) {
                dash = true;
            }
        }
        String s = sb.length() > MAX_STEM ? sb.substring(0, MAX_STEM) : sb.toString();
        s = s.replaceAll("-+$", "");
        if (s.isEmpty()) {
            return "note";
        }
        return RESERVED.contains(s) ? s + "-note" : s;
    }

    /**
     * Why {@link NoteFiles#parse} reads {@code bytes} (written by {@link #markdown} for {@code n})
     * as another note, in a few words; null if it reads the same title, text, tags and date.
     */
    public static String differs(Note n, Path file, byte[] bytes) {
        NoteFiles.Parsed p;
        try {
            p = NoteFiles.parse(file, bytes);
        } catch (NoteFiles.NotText e) {
            return "import would skip it: " + e.getMessage();
        }
        if (!p.body().equals(n.body())) {
            String b = n.body();
            if (b.indexOf('\r') >= 0) {
                return "has carriage returns (import reads them as line ends)";
            }
            if (!new String(b.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8).equals(b)) {
                return "has unpaired surrogates (written as '?')";
            }
            if (!NoteFiles.dropBinary(b).equals(b)) {
                return "has a data URI or base64 run (import leaves it out)";
            }
            return "import reads its text differently";
        }
        if (!p.title().equals(n.title())) {
            return n.title().isBlank() ? "has no title (import takes the first heading or the file name)"
                    : "import reads its title differently";
        }
        if (!p.tags().equals(n.tags())) {
            return "import reads its tags differently";
        }
        if (!p.date().map(n.created()::equals).orElse(false)) {
            return "import reads its date differently";
        }
        return null;
    }
}
