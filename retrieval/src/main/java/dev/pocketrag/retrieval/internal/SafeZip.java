package dev.pocketrag.retrieval.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The entries of a ZIP archive held in memory (DOCX, ODT and EPUB are ZIPs), read with bounds
 * checked while inflating, so that a ZIP bomb is refused after a bounded amount of work:
 * <ul>
 *   <li>at most {@value #MAX_ENTRIES} entries;</li>
 *   <li>at most {@value #MAX_INFLATED} bytes inflated in all (entries kept or not);</li>
 *   <li>past the first {@value #RATIO_GRACE} inflated bytes, at most {@value #MAX_RATIO} bytes
 *       inflated per byte of the archive read so far (text XML compresses ten- to thirtyfold; a
 *       bomb a thousandfold and more);</li>
 *   <li>each kept entry at most {@value #MAX_ENTRY} bytes.</li>
 * </ul>
 * An archive must end with its end-of-central-directory record (a file cut short, or still being
 * written, is refused, though its first entries could be read). Entry names are only ever compared as strings (never turned into file paths). Entries are read
 * in the order of their local headers; the first of two entries with one name is kept.
 */
final class SafeZip {
    static final int MAX_ENTRIES = 10_000;
    static final long MAX_INFLATED = 256L << 20;
    static final long RATIO_GRACE = 1L << 20;
    static final int MAX_RATIO = 100;
    static final int MAX_ENTRY = 64 << 20;

    private SafeZip() {}

    /**
     * The entries whose names {@code keep} accepts, name to bytes, in archive order; throws {@link
     * NoteFiles.NotText} naming the bound passed or saying the bytes are not a ZIP archive.
     *
     * @param kind what the file should be, for messages ("DOCX")
     */
    static Map<String, byte[]> read(byte[] zip, Predicate<String> keep, String kind) throws NoteFiles.NotText {
        if (!hasEnd(zip)) {
            throw new NoteFiles.NotText("not " + article(kind) + " file (" + (zip.length >= 4 && zip[0] == 'P'
                    && zip[1] == 'K' ? "damaged ZIP archive: no end of central directory, truncated?" : "not a ZIP archive")
                    + ")");
        }
        CountingInput counted = new CountingInput(zip);
        Map<String, byte[]> out = new LinkedHashMap<>();
        long inflated = 0;
        int entries = 0;
        byte[] buf = new byte[8192];
        try (ZipInputStream in = new ZipInputStream(counted)) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                if (++entries > MAX_ENTRIES) {
                    throw new NoteFiles.NotText("ZIP bomb or damaged " + kind + ": more than " + MAX_ENTRIES
                            + " entries");
                }
                String name = e.getName();
                boolean kept = !e.isDirectory() && keep.test(name) && !out.containsKey(name);
                ByteArrayOutputStream entry = kept ? new ByteArrayOutputStream() : null;
                long size = 0;
                int n;
                while ((n = in.read(buf)) > 0) {
                    inflated += n;
                    size += n;
                    if (inflated > MAX_INFLATED) {
                        throw new NoteFiles.NotText("ZIP bomb or damaged " + kind + ": more than "
                                + (MAX_INFLATED >> 20) + " MiB inflated");
                    }
                    if (inflated > RATIO_GRACE && inflated > (long) MAX_RATIO * Math.max(1, counted.position)) {
                        throw new NoteFiles.NotText("ZIP bomb: " + kind + " entry '" + abbreviate(name)
                                + "' inflates more than " + MAX_RATIO + " times (" + inflated + " bytes from "
                                + counted.position + ")");
                    }
                    if (entry != null) {
                        if (size > MAX_ENTRY) {
                            throw new NoteFiles.NotText(kind + " entry '" + abbreviate(name) + "' is larger than "
                                    + (MAX_ENTRY >> 20) + " MiB");
                        }
                        entry.write(buf, 0, n);
                    }
                }
                if (entry != null) {
                    out.put(name, entry.toByteArray());
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            // ZipException (bad headers, a bad CRC), an EOF inside an entry, a name not in the charset
            String m = e.getMessage();
            throw new NoteFiles.NotText("not " + article(kind) + " file (damaged ZIP archive"
                    + (m == null ? "" : ": " + abbreviate(m)) + ")");
        }
        if (entries == 0) {
            throw new NoteFiles.NotText("not " + article(kind) + " file (not a ZIP archive)");
        }
        return out;
    }

    /**
     * True if the end-of-central-directory record (signature {@code PK 05 06}, 22 bytes plus a
     * comment of at most 65535) is in the archive's last 65557 bytes.
     */
    private static boolean hasEnd(byte[] b) {
        for (int i = b.length - 22; i >= 0 && i >= b.length - 22 - 65535; i--) {
            if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 5 && b[i + 3] == 6) {
                return true;
            }
        }
        return false;
    }

    /** "a DOCX", "an ODT", "an EPUB". */
    static String article(String kind) {
        return ("AEIOU".indexOf(kind.charAt(0)) >= 0 ? "an " : "a ") + kind;
    }

    static String abbreviate(String s) {
        String t = s.chars().anyMatch(Character::isISOControl) ? s.replaceAll("\\p{Cntrl}", "?") : s;
        return t.length() <= 80 ? t : t.substring(0, 77) + "...";
    }

    /** A byte array as a stream that knows how far it has been read. */
    private static final class CountingInput extends ByteArrayInputStream {
        long position;

        CountingInput(byte[] b) {
            super(b);
        }

        @Override
        public synchronized int read() {
            int r = super.read();
            if (r >= 0) {
                position++;
            }
            return r;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) {
            int r = super.read(b, off, len);
            if (r > 0) {
                position += r;
            }
            return r;
        }

        @Override
        public synchronized long skip(long n) {
            long r = super.skip(n);
            position += r;
            return r;
        }
    }
}
