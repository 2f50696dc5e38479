package dev.pocketrag.generation;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * The logits base of {@code perplexity --save-logits}: a model's log-probabilities at every scored
 * position of a text, in the compact form of {@link LogProbs#encode} (what llama.cpp saves for
 * {@code --kl-divergence-base}), with the tokens, window and vocabulary they were computed for, so that
 * a later {@code --kl-divergence-base} run compares another model on the same text. Unlike llama.cpp's
 * file, each row also keeps the exact log-likelihood of the next token: the codes floor
 * log-probabilities at 16 nats below the top one, which would understate the base's perplexity on
 * text it finds surprising.
 *
 * <h2>File format</h2>
 * Little-endian, written front to back to a temporary file beside the target and moved into place
 * when complete; read front to back (positions are used as they are read). Before any row is read,
 * the header is checked and the file's size must equal the size its counts give; the CRC is checked
 * after the last row.
 * <pre>
 * offset  size        field
 * 0       4           magic "PPLB" (0x50 0x50 0x4C 0x42)
 * 4       4           format version, {@value #VERSION}
 * 8       4           window: tokens per chunk, {@value #MIN_WINDOW} .. {@value #MAX_WINDOW}
 * 12      4           vocab: logits per position, 1 .. {@value #MAX_VOCAB}
 * 16      4           chunks, 1 .. {@value #MAX_CHUNKS}
 * 20      4           vocabulary fingerprint: CRC32 of the token texts (UTF-8, each followed by a 0 byte)
 * 24      4 c w       token ids of the text, chunk after chunk (each 0 .. vocab-1); the first of each
 *                     chunk as in the text (the model puts its BOS there when it has one)
 * ..      c r (12+2v) rows, chunk after chunk, r = window - 1 - window/2 per chunk (the scored
 *                     positions window/2 .. window-2, each predicting the token after it):
 *                       f32 scale (finite, 0 .. 1), f32 minLogProb (finite, &lt;= 0),
 *                       f32 nll: -log p(next token), exact (finite, &gt;= 0),
 *                       v u16 codes: log p(i) = scale * code[i] + minLogProb
 * end-4   4           CRC32 of every byte before it
 * </pre>
 */
final class LogitsBase {
    static final int MAGIC = 0x424C5050; // "PPLB" read as a little-endian int
    static final int VERSION = 1;
    static final int HEADER_BYTES = 24;
    static final int MIN_WINDOW = 4;
    static final int MAX_WINDOW = 1 << 20;
    static final int MAX_VOCAB = 1 << 24;
    static final int MAX_CHUNKS = 1 << 20;

    /**
     * What the base was computed for.
     *
     * @param window      tokens per chunk
     * @param vocab       logits per position
     * @param chunks      chunks of the text
     * @param vocabCrc    the vocabulary's fingerprint ({@link Perplexity#vocabularyFingerprint})
     */
    record Header(int window, int vocab, int chunks, int vocabCrc) {
        Header {
            if (window < MIN_WINDOW || window > MAX_WINDOW) {
                throw new IllegalArgumentException("window must be in " + MIN_WINDOW + ".." + MAX_WINDOW
                        + "; window=" + window);
            }
            if (vocab < 1 || vocab > MAX_VOCAB) {
                throw new IllegalArgumentException("vocab must be in 1.." + MAX_VOCAB + "; vocab=" + vocab);
            }
            if (chunks < 1 || chunks > MAX_CHUNKS) {
                throw new IllegalArgumentException("chunks must be in 1.." + MAX_CHUNKS + "; chunks=" + chunks);
            }
        }

        /** Scored positions per chunk. */
        int rowsPerChunk() {
            return window - 1 - window / 2;
        }

        /** Bytes of one row. */
        long rowBytes() {
            return 12 + 2L * vocab;
        }

        /** Bytes the whole file must have ({@link Long#MAX_VALUE} if that overflows). */
        long fileBytes() {
            try {
                long tokens = 4L * window * chunks;
                long rows = Math.multiplyExact((long) rowsPerChunk() * chunks, rowBytes());
                return Math.addExact(HEADER_BYTES + 4 + tokens, rows);
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
        }
    }

    private LogitsBase() {}

    /** Writes a base front to back; {@link #finish} moves it into place, {@link #close} without it deletes it. */
    static final class Writer implements AutoCloseable {
        private final Path target;
        private final Path tmp;
        private final Header header;
        private final OutputStream out;
        private final CRC32 crc = new CRC32();
        private final ByteBuffer row;
        private long rowsLeft;
        private boolean done;
        private boolean closed;

        /** Starts {@code target} with the header and the tokens ({@code window * chunks} of them). */
        Writer(Path target, Header header, int[] tokens) throws IOException {
            this.target = Objects.requireNonNull(target, "target");
            this.header = header;
            if (tokens.length < (long) header.window() * header.chunks()) {
                throw new IllegalArgumentException(tokens.length + " tokens; the base needs "
                        + (long) header.window() * header.chunks());
            }
            Path dir = target.toAbsolutePath().getParent();
            this.tmp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
            boolean ok = false;
            try {
                out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
                ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                h.putInt(MAGIC).putInt(VERSION).putInt(header.window()).putInt(header.vocab()).putInt(header.chunks())
                        .putInt(header.vocabCrc());
                put(h.array(), HEADER_BYTES);
                int n = header.window() * header.chunks();
                ByteBuffer t = ByteBuffer.allocate(4 * Math.min(n, 1 << 16)).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < n; i++) {
                    t.putInt(tokens[i]);
                    if (!t.hasRemaining() || i == n - 1) {
                        put(t.array(), t.position());
                        t.clear();
                    }
                }
                row = ByteBuffer.allocate((int) header.rowBytes()).order(ByteOrder.LITTLE_ENDIAN);
                rowsLeft = (long) header.rowsPerChunk() * header.chunks();
                ok = true;
            } finally {
                if (!ok) {
                    Files.deleteIfExists(tmp);
                }
            }
        }

        /** Appends one row: the compact log-probabilities of one scored position and its next token's nll. */
        void row(float scale, float minLogProb, float nll, short[] codes) throws IOException {
            if (rowsLeft == 0) {
                throw new IllegalStateException("all " + (long) header.rowsPerChunk() * header.chunks()
                        + " rows are written");
            }
            row.clear();
            row.putFloat(scale).putFloat(minLogProb).putFloat(nll);
            for (int i = 0; i < header.vocab(); i++) {
                row.putShort(codes[i]);
            }
            put(row.array(), row.position());
            rowsLeft--;
        }

        private void put(byte[] b, int n) throws IOException {
            out.write(b, 0, n);
            crc.update(b, 0, n);
        }

        /** Writes the CRC and moves the file into place; every row must have been written. */
        void finish() throws IOException {
            if (rowsLeft != 0) {
                throw new IllegalStateException(rowsLeft + " rows are still missing");
            }
            ByteBuffer c = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue());
            out.write(c.array());
            out.close();
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        }

        /** Closes; a base not {@link #finish finished} is deleted. Idempotent. */
        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            if (!done) {
                try {
                    out.close();
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
        }
    }

    /** Reads a base front to back, checking every count against the file's size first. */
    static final class Reader implements AutoCloseable {
        private final Path file;
        private final InputStream in;
        private final Header header;
        private final int[] tokens;
        private final CRC32 crc = new CRC32();
        private final byte[] rowBytes;
        private final ByteBuffer row;
        private long offset;
        private long rowsLeft;
        private boolean closed;

        /**
         * Opens {@code file} and reads its header and tokens.
         *
         * @throws LogitsBaseException if it is not a base, or its counts, size or tokens are inconsistent
         */
        Reader(Path file) throws IOException {
            this.file = file;
            long size = Files.size(file);
            this.in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
            boolean ok = false;
            try {
                if (size < HEADER_BYTES + 4) {
                    throw bad("the file has " + size + " bytes; a logits base has at least " + (HEADER_BYTES + 4));
                }
                ByteBuffer h = read(HEADER_BYTES);
                int magic = h.getInt();
                if (magic != MAGIC) {
                    throw bad(String.format("not a logits base (magic 0x%08x at offset 0, expected \"PPLB\")", magic));
                }
                int version = h.getInt();
                if (version != VERSION) {
                    throw bad("format version " + version + " at offset 4; this build reads version " + VERSION);
                }
                int window = h.getInt();
                int vocab = h.getInt();
                int chunks = h.getInt();
                int vocabCrc = h.getInt();
                try {
                    header = new Header(window, vocab, chunks, vocabCrc);
                } catch (IllegalArgumentException e) {
                    throw bad(e.getMessage() + " (header at offset 8)");
                }
                if (header.fileBytes() != size) {
                    throw bad("the header says window " + window + ", vocab " + vocab + " and " + chunks
                            + " chunks, which take " + header.fileBytes() + " bytes; the file has " + size + " bytes");
                }
                if ((long) window * chunks > Integer.MAX_VALUE - 8) {
                    throw bad(window + " x " + chunks + " tokens: more than this build reads");
                }
                int n = window * chunks;
                tokens = new int[n];
                for (int i = 0; i < n; i += 1 << 14) {
                    int m = Math.min(1 << 14, n - i);
                    long at = offset;
                    ByteBuffer t = read(4 * m);
                    for (int j = 0; j < m; j++) {
                        int id = t.getInt();
                        if (id < 0 || id >= vocab) {
                            throw bad("token " + (i + j) + " = " + id + " at offset " + (at + 4L * j)
                                    + ": must be 0.." + (vocab - 1));
                        }
                        tokens[i + j] = id;
                    }
                }
                rowBytes = new byte[(int) header.rowBytes()];
                row = ByteBuffer.wrap(rowBytes).order(ByteOrder.LITTLE_ENDIAN);
                rowsLeft = (long) header.rowsPerChunk() * chunks;
                ok = true;
            } finally {
                if (!ok) {
                    in.close();
                }
            }
        }

        Header header() {
            return header;
        }

        /** The token ids of the text ({@code window * chunks}); the array itself. */
        int[] tokens() {
            return tokens;
        }

        /**
         * Reads the next row into {@code codes[0..vocab)} and returns {@code {scale, minLogProb, nll}}.
         *
         * @throws LogitsBaseException if the row's scale, floor or nll is out of range
         */
        float[] next(short[] codes) throws IOException {
            if (rowsLeft == 0) {
                throw new IllegalStateException("all rows are read");
            }
            long at = offset;
            readFully(rowBytes, rowBytes.length);
            row.clear();
            float scale = row.getFloat();
            float minLogProb = row.getFloat();
            float nll = row.getFloat();
            if (!(scale >= 0 && scale <= 1)) { // NaN fails too; the range is at most 16 / 65535
                throw bad("scale " + scale + " at offset " + at + ": must be a number in 0..1");
            }
            if (!(minLogProb <= 0) || Float.isInfinite(minLogProb)) {
                throw bad("minimum log-probability " + minLogProb + " at offset " + (at + 4)
                        + ": must be a finite number <= 0");
            }
            if (!(nll >= 0) || Float.isInfinite(nll)) {
                throw bad("negative log-likelihood " + nll + " at offset " + (at + 8) + ": must be a finite number >= 0");
            }
            row.asShortBuffer().get(codes, 0, header.vocab());
            rowsLeft--;
            return new float[] {scale, minLogProb, nll};
        }

        /** Reads the rows not used, then checks the CRC and the end of the file. */
        void finish(short[] codes) throws IOException {
            while (rowsLeft > 0) {
                next(codes);
            }
            long expected = crc.getValue();
            byte[] c = new byte[4];
            int n = in.readNBytes(c, 0, 4);
            if (n != 4) {
                throw bad("truncated at offset " + (offset + n) + " (the CRC is missing)");
            }
            int stored = ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).getInt();
            if (stored != (int) expected) {
                throw bad(String.format("CRC32 0x%08x at offset %d, but the content's is 0x%08x: the file is damaged",
                        stored, offset, (int) expected));
            }
            if (in.read() != -1) {
                throw bad("bytes after the CRC at offset " + (offset + 4));
            }
        }

        private ByteBuffer read(int n) throws IOException {
            byte[] b = new byte[n];
            readFully(b, n);
            return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        }

        private void readFully(byte[] b, int n) throws IOException {
            int got = in.readNBytes(b, 0, n);
            if (got != n) {
                throw bad("truncated at offset " + (offset + got) + " (" + n + " bytes expected from offset "
                        + offset + ")");
            }
            crc.update(b, 0, n);
            offset += n;
        }

        private LogitsBaseException bad(String message) {
            return new LogitsBaseException(file, message);
        }

        /** Idempotent. */
        @Override
        public void close() throws IOException {
            if (!closed) {
                closed = true;
                in.close();
            }
        }
    }
}
