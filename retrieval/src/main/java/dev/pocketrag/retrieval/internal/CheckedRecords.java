package dev.pocketrag.retrieval.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * The layout of the notebook's small binary sidecar files (conversation threads, watched folders):
 * int32 magic, int32 version, the body, and an int64 CRC-32 of everything before it; a string is
 * an int32 length in bytes (bounded) and its UTF-8 bytes. Each file type says what its body holds
 * and turns {@link Damaged} into its own exception (which names its file).
 */
final class CheckedRecords {
    private CheckedRecords() {}

    /** What is wrong with a file's bytes, in a few words. */
    static final class Damaged extends Exception {
        private static final long serialVersionUID = 1L;

        Damaged(String why) {
            super(why, null, false, false);
        }
    }

    /** Writes a body after the magic and version. */
    interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    /** magic, version, {@code body}, CRC-32. */
    static byte[] encode(int magic, int version, Body body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(magic);
            out.writeInt(version);
            body.write(out);
            CRC32 crc = new CRC32();
            crc.update(bytes.toByteArray());
            out.writeLong(crc.getValue());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    /** Writes {@code s}, cut on a character boundary to at most {@code maxBytes} of UTF-8 (its start kept). */
    static void string(DataOutputStream out, int maxBytes, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > maxBytes) {
            String cut = s;
            while (cut.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
                cut = cut.substring(0, cut.length() * 3 / 4);
            }
            b = cut.getBytes(StandardCharsets.UTF_8);
        }
        out.writeInt(b.length);
        out.write(b);
    }

    /** {@code n} if it is in {@code 0..max}. */
    static int count(int n, int max, String what) throws Damaged {
        if (n < 0 || n > max) {
            throw new Damaged(what + " " + n + " (0.." + max + " allowed)");
        }
        return n;
    }

    /**
     * A body to read: the magic, version and checksum checked. Reading past its end throws
     * {@link java.nio.BufferUnderflowException} (the caller's "truncated").
     */
    static final class Reader {
        /** The body, from after the version to before the checksum. */
        final ByteBuffer in;
        /** The version the file was written in. */
        final int version;
        private final int maxStringBytes;

        private Reader(ByteBuffer in, int version, int maxStringBytes) {
            this.in = in;
            this.version = version;
            this.maxStringBytes = maxStringBytes;
        }

        /**
         * @param kind what the file is, for the message ({@code "thread file"})
         * @param firstVersion the oldest version this code reads
         * @param lastVersion the version it writes
         */
        static Reader open(byte[] bytes, int magic, String kind, int firstVersion, int lastVersion, int maxStringBytes)
                throws Damaged {
            if (bytes.length < 20) {
                throw new Damaged("only " + bytes.length + " bytes");
            }
            ByteBuffer in = ByteBuffer.wrap(bytes, 0, bytes.length - 8);
            CRC32 crc = new CRC32();
            crc.update(bytes, 0, bytes.length - 8);
            long stored = ByteBuffer.wrap(bytes, bytes.length - 8, 8).getLong();
            int m = in.getInt();
            if (m != magic) {
                throw new Damaged(String.format("not a %s (magic 0x%08x)", kind, m));
            }
            int version = in.getInt();
            if (version < firstVersion || version > lastVersion) {
                throw new Damaged("version " + version + " (this pocketrag reads "
                        + (firstVersion == lastVersion ? "version " + lastVersion
                                : "versions " + firstVersion + " to " + lastVersion) + ")");
            }
            if (stored != crc.getValue()) {
                throw new Damaged(String.format("checksum 0x%08x, expected 0x%08x", crc.getValue(), stored));
            }
            return new Reader(in, version, maxStringBytes);
        }

        /** A string of at most the reader's bound. */
        String string() throws Damaged {
            int n = in.getInt();
            if (n < 0 || n > maxStringBytes || n > in.remaining()) {
                throw new Damaged("a string of " + n + " bytes with " + in.remaining() + " left");
            }
            byte[] b = new byte[n];
            in.get(b);
            return new String(b, StandardCharsets.UTF_8);
        }

        /** A byte that must be 0 or 1. */
        boolean flag(String what) throws Damaged {
            byte b = in.get();
            if (b != 0 && b != 1) {
                throw new Damaged(what + " flag " + b + " (0 or 1 allowed)");
            }
            return b == 1;
        }

        /** Checks that nothing follows the last {@code what}. */
        void end(String what) throws Damaged {
            if (in.hasRemaining()) {
                throw new Damaged(in.remaining() + " bytes after the last " + what);
            }
        }
    }
}
