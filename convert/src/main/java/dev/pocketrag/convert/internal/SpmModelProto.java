package dev.pocketrag.convert.internal;

import dev.pocketrag.convert.ConvertException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A SentencePiece {@code tokenizer.model}: the protocol buffer {@code ModelProto} of
 * sentencepiece_model.proto, read by hand in one linear pass with every length checked against the
 * bytes that remain.
 *
 * <h2>Layout read</h2>
 * A protobuf message is a sequence of fields, each a varint key {@code (field_number << 3) | wire_type}
 * and a value: wire type 0 a varint (at most 10 bytes, little-endian groups of 7 bits), 1 eight
 * bytes, 2 a varint length and that many bytes, 5 four bytes (little-endian). Wire types 3 and 4
 * (groups) and 6, 7 do not occur in this file and are rejected.
 * <table>
 * <caption>fields used (every other field is skipped)</caption>
 * <tr><th>message</th><th>field</th><th>wire</th><th>meaning</th></tr>
 * <tr><td>ModelProto</td><td>1 {@code pieces}</td><td>2</td><td>repeated SentencePiece, in id order</td></tr>
 * <tr><td>ModelProto</td><td>2 {@code trainer_spec}</td><td>2</td><td>TrainerSpec</td></tr>
 * <tr><td>ModelProto</td><td>3 {@code normalizer_spec}</td><td>2</td><td>NormalizerSpec</td></tr>
 * <tr><td>SentencePiece</td><td>1 {@code piece}</td><td>2</td><td>the piece, UTF-8 (required)</td></tr>
 * <tr><td>SentencePiece</td><td>2 {@code score}</td><td>5</td><td>float32 (default 0)</td></tr>
 * <tr><td>SentencePiece</td><td>3 {@code type}</td><td>0</td><td>1 NORMAL (default), 2 UNKNOWN, 3 CONTROL,
 *     4 USER_DEFINED, 5 UNUSED, 6 BYTE</td></tr>
 * <tr><td>TrainerSpec</td><td>3 {@code model_type}</td><td>0</td><td>1 UNIGRAM (default), 2 BPE, 3 WORD, 4 CHAR</td></tr>
 * <tr><td>TrainerSpec</td><td>35 {@code byte_fallback}</td><td>0</td><td>bool</td></tr>
 * <tr><td>NormalizerSpec</td><td>3 {@code add_dummy_prefix}</td><td>0</td><td>bool (default true)</td></tr>
 * </table>
 * Like SentencePiece when it loads a model, a file without pieces, a piece without text and two
 * pieces with the same text are rejected.
 *
 * @param pieces         the pieces by id
 * @param modelType      {@code trainer_spec.model_type} (1 if absent)
 * @param byteFallback   {@code trainer_spec.byte_fallback}
 * @param addDummyPrefix {@code normalizer_spec.add_dummy_prefix}
 */
record SpmModelProto(List<Piece> pieces, int modelType, boolean byteFallback, boolean addDummyPrefix) {

    /** SentencePiece's piece types ({@code SentencePiece.Type}). */
    static final int NORMAL = 1;
    static final int UNKNOWN = 2;
    static final int CONTROL = 3;
    static final int USER_DEFINED = 4;
    static final int UNUSED = 5;
    static final int BYTE = 6;

    /** One vocabulary entry. */
    record Piece(String piece, float score, int type) {
        Piece {
            if (type < NORMAL || type > BYTE) {
                throw new IllegalArgumentException("piece type " + type + " is not 1..6");
            }
        }
    }

    SpmModelProto {
        pieces = List.copyOf(pieces);
    }

    /**
     * Parses a {@code tokenizer.model}.
     *
     * @param file the file name, for messages
     * @throws ConvertException naming the file, the byte offset and the bad value
     */
    static SpmModelProto parse(byte[] data, String file) throws ConvertException {
        Reader top = new Reader(data, 0, data.length, file);
        List<Piece> pieces = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        int modelType = 1;
        boolean byteFallback = false;
        boolean addDummyPrefix = true;
        while (top.more()) {
            long key = top.key();
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 1 && wire == 2) {
                Piece p = piece(top.message(), pieces.size());
                Integer before = seen.putIfAbsent(p.piece(), pieces.size());
                if (before != null) {
                    throw new ConvertException(file + ": pieces " + before + " and " + pieces.size()
                            + " are both " + VocabJson.quote(p.piece()) + " (SentencePiece refuses duplicate pieces)");
                }
                pieces.add(p);
            } else if (field == 2 && wire == 2) {
                Reader t = top.message();
                while (t.more()) {
                    long k = t.key();
                    if (k == (3 << 3)) {
                        modelType = (int) t.varint();
                    } else if (k == (35 << 3)) {
                        byteFallback = t.varint() != 0;
                    } else {
                        t.skip(k);
                    }
                }
            } else if (field == 3 && wire == 2) {
                Reader n = top.message();
                while (n.more()) {
                    long k = n.key();
                    if (k == (3 << 3)) {
                        addDummyPrefix = n.varint() != 0;
                    } else {
                        n.skip(k);
                    }
                }
            } else if (field <= 3) {
                throw new ConvertException(file + ": field " + field + " of ModelProto has wire type " + wire
                        + ", not 2 (a message)");
            } else {
                top.skip(key);
            }
        }
        if (pieces.isEmpty()) {
            throw new ConvertException(file + ": no pieces (not a SentencePiece model, or an empty one)");
        }
        return new SpmModelProto(pieces, modelType, byteFallback, addDummyPrefix);
    }

    private static Piece piece(Reader r, int id) throws ConvertException {
        String text = null;
        float score = 0f;
        long type = NORMAL;
        while (r.more()) {
            long k = r.key();
            if (k == ((1 << 3) | 2)) {
                text = r.utf8("piece " + id);
            } else if (k == ((2 << 3) | 5)) {
                score = Float.intBitsToFloat(r.fixed32());
            } else if (k == (3 << 3)) {
                long at = r.pos;
                type = r.varint();
                if (type < NORMAL || type > BYTE) {
                    throw new ConvertException(r.file + ": piece " + id + " has type " + type
                            + " at byte " + at + ": SentencePiece types are 1..6");
                }
            } else {
                r.skip(k);
            }
        }
        if (text == null) {
            throw new ConvertException(r.file + ": piece " + id + " (ending at byte " + r.limit + ") has no text");
        }
        return new Piece(text, score, (int) type);
    }

    /** A bounded view of the bytes of one message. */
    private static final class Reader {
        final byte[] data;
        final int limit;
        final String file;
        int pos;

        Reader(byte[] data, int pos, int limit, String file) {
            this.data = data;
            this.pos = pos;
            this.limit = limit;
            this.file = file;
        }

        boolean more() {
            return pos < limit;
        }

        /** A field key; field number 0 is invalid. */
        long key() throws ConvertException {
            int at = pos;
            long k = varint();
            if ((k >>> 3) == 0 || (k >>> 3) > 0x1FFF_FFFFL) {
                throw new ConvertException(file + ": bad field number " + (k >>> 3) + " at byte " + at);
            }
            return k;
        }

        long varint() throws ConvertException {
            int at = pos;
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= limit) {
                    throw new ConvertException(file + ": varint at byte " + at + " runs past the end of its message"
                            + " (byte " + limit + ")");
                }
                int b = data[pos++] & 0xFF;
                if (shift == 63 && b > 1) {
                    throw new ConvertException(file + ": varint at byte " + at + " is longer than 64 bits");
                }
                v |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
            throw new ConvertException(file + ": varint at byte " + at + " is longer than 10 bytes");
        }

        int fixed32() throws ConvertException {
            need(4, "a 4-byte value");
            int v = (data[pos] & 0xFF) | (data[pos + 1] & 0xFF) << 8 | (data[pos + 2] & 0xFF) << 16
                    | (data[pos + 3] & 0xFF) << 24;
            pos += 4;
            return v;
        }

        /** The length-delimited value at {@code pos} as a sub-reader; {@code pos} moves past it. */
        Reader message() throws ConvertException {
            int len = length();
            Reader r = new Reader(data, pos, pos + len, file);
            pos += len;
            return r;
        }

        String utf8(String what) throws ConvertException {
            int at = pos;
            int len = length();
            CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            try {
                String s = d.decode(ByteBuffer.wrap(data, pos, len)).toString();
                pos += len;
                return s;
            } catch (CharacterCodingException e) {
                throw new ConvertException(file + ": " + what + " at byte " + at + " is not valid UTF-8", e);
            }
        }

        private int length() throws ConvertException {
            int at = pos;
            long len = varint();
            if (len < 0 || len > limit - pos) {
                throw new ConvertException(file + ": length " + Long.toUnsignedString(len) + " at byte " + at
                        + " runs past the end of its message (" + (limit - pos) + " bytes remain)");
            }
            return (int) len;
        }

        private void need(int n, String what) throws ConvertException {
            if (limit - pos < n) {
                throw new ConvertException(file + ": " + what + " at byte " + pos + " runs past the end of its message ("
                        + (limit - pos) + " bytes remain)");
            }
        }

        void skip(long key) throws ConvertException {
            int wire = (int) (key & 7);
            int at = pos;
            switch (wire) {
                case 0 -> varint();
                case 1 -> {
                    need(8, "an 8-byte value");
                    pos += 8;
                }
                case 2 -> {
                    int len = length(); // before the addition: length() moves pos past the varint
                    pos += len;
                }
                case 5 -> {
                    need(4, "a 4-byte value");
                    pos += 4;
                }
                default -> throw new ConvertException(file + ": wire type " + wire + " of field " + (key >>> 3)
                        + " before byte " + at + " is not used by SentencePiece models (groups and types 6-7 are refused)");
            }
        }
    }
}
