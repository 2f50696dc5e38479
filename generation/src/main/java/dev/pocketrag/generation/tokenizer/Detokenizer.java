package dev.pocketrag.generation.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * Token ids back to bytes and text, as llama.cpp's {@code llama_vocab} does it: the rendering of
 * every token (llama.cpp's {@code token_to_piece} with {@code special = true}, computed once and
 * kept end to end in one byte array), {@code decode}, llama.cpp's {@code llama_detokenize} with its
 * clean-up of spaces, and the pieces the {@link StreamingDecoder} appends. The decoding half of
 * {@link Tokenizer}, which checks ids before it calls in here.
 *
 * <p>Immutable and thread-safe once the tokenizer is made. {@code attrs} is the tokenizer's own
 * array: llama.cpp applies its per-model token attributes after the renderings are cached, and
 * decoding sees them (the renderings do not), so this class shares the array rather than copying it.
 */
final class Detokenizer {
    /** Tokens that render as nothing unless special tokens are asked for. */
    private static final int HIDDEN = Tokenizer.ATTR_UNKNOWN | Tokenizer.ATTR_CONTROL;

    private final int[] attrs;
    /** The rendering of every token with special = true: bytes [pieceStart[i], pieceStart[i+1]). */
    private final byte[] pieceBytes;
    private final int[] pieceStart;
    private final boolean addSpacePrefix;
    private final boolean cleanSpaces;
    /** BOS if the model adds it, else -1 (what {@code removeSpecial} drops first). */
    private final int bos;
    /** EOS if the model adds it, else -1 (what {@code removeSpecial} drops last). */
    private final int eos;

    /**
     * @param texts the token texts by id
     * @param attrs the token attributes by id ({@code Tokenizer.ATTR_*} bits), shared, see above
     * @param addSpacePrefix whether SentencePiece put a space in front of the text (dropped again)
     * @param cleanSpaces llama.cpp's {@code clean_spaces} for this vocabulary
     * @param bos the BOS id if the model adds BOS, else -1
     * @param eos the EOS id if the model adds EOS, else -1
     */
    Detokenizer(Tokenizer.Kind kind, String[] texts, int[] attrs, boolean addSpacePrefix, boolean cleanSpaces,
            int bos, int eos) {
        this.attrs = attrs;
        this.addSpacePrefix = addSpacePrefix;
        this.cleanSpaces = cleanSpaces;
        this.bos = bos;
        this.eos = eos;
        int n = texts.length;
        byte[][] pieces = new byte[n][];
        for (int i = 0; i < n; i++) {
            pieces[i] = render(kind, texts[i], attrs[i]);
        }
        pieceStart = new int[n + 1];
        pieceBytes = concat(pieces, pieceStart);
    }

    /** {@code pieces} end to end; {@code start[i]} (n + 1 entries) is where piece i begins. */
    private static byte[] concat(byte[][] pieces, int[] start) {
        int total = 0;
        for (byte[] p : pieces) {
            total += p.length;
        }
        byte[] all = new byte[total];
        for (int i = 0, off = 0; i < pieces.length; i++) {
            start[i] = off;
            System.arraycopy(pieces[i], 0, all, off, pieces[i].length);
            off += pieces[i].length;
            start[i + 1] = off;
        }
        return all;
    }

    /** llama.cpp's {@code token_to_piece(id, special = true)}: the bytes a token stands for. */
    private static byte[] render(Tokenizer.Kind kind, String t, int a) {
        if ((a & (Tokenizer.ATTR_UNKNOWN | Tokenizer.ATTR_CONTROL | Tokenizer.ATTR_USER_DEFINED)) != 0) {
            return t.getBytes(StandardCharsets.UTF_8);
        }
        if ((a & Tokenizer.ATTR_NORMAL) != 0) {
            if (kind == Tokenizer.Kind.BPE) {
                return decodeByteLevel(t);
            }
            return t.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
        }
        if ((a & Tokenizer.ATTR_BYTE) != 0 && kind != Tokenizer.Kind.WPM) {
            return new byte[] {(byte) parseHexByte(t)};
        }
        return new byte[0];
    }

    /** The two hex digits of {@code <0xXX>} (as C's strtol would read them; 0 if none). */
    private static int parseHexByte(String t) {
        int v = 0;
        for (int i = 3; i < Math.min(5, t.length()); i++) {
            int d = Character.digit(t.charAt(i), 16);
            if (d < 0) {
                break;
            }
            v = v * 16 + d;
        }
        return v;
    }

    /** A byte-level BPE token text back to its bytes (llama.cpp's {@code llama_decode_text}). */
    private static byte[] decodeByteLevel(String t) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(t.length());
        for (int i = 0; i < t.length(); ) {
            int cp = t.codePointAt(i);
            i += Character.charCount(cp);
            int b = Unicode.charToByte(cp);
            if (b >= 0) {
                out.write(b);
            } else {
                StringBuilder s = new StringBuilder("[UNK_BYTE_0x");
                for (byte x : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    s.append(String.format(Locale.ROOT, "%02x", x & 0xFF));
                }
                s.append(t).append(']');
                out.writeBytes(s.toString().getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }

    /**
     * The bytes token {@code id} stands for (llama.cpp's {@code llama_token_to_piece} without
     * lstrip). CONTROL and UNKNOWN tokens render as their text with {@code special}, else as nothing;
     * a byte token is one byte, possibly part of a multi-byte character.
     */
    byte[] pieceBytes(int id, boolean special) {
        if (!special && (attrs[id] & HIDDEN) != 0) {
            return new byte[0];
        }
        return Arrays.copyOfRange(pieceBytes, pieceStart[id], pieceStart[id + 1]);
    }

    /**
     * The text of token {@code id} as a user would see it: {@code " Hello"} for SentencePiece's
     * {@code "▁Hello"} and byte-level BPE's {@code "ĠHello"}; control tokens as their text; bytes that
     * are not a whole UTF-8 character as U+FFFD.
     */
    String tokenPiece(int id) {
        return new String(pieceBytes, pieceStart[id], pieceStart[id + 1] - pieceStart[id], StandardCharsets.UTF_8);
    }

    /**
     * The text of {@code ids}: the inverse of {@link Tokenizer#encode} for text without special tokens.
     * Pieces are concatenated as bytes (CONTROL and UNKNOWN tokens render as nothing) and decoded as
     * UTF-8 (invalid bytes become U+FFFD); for SentencePiece the space put in front of the text is
     * removed. Spaces are kept exactly, unlike {@link #detokenizeBytes}.
     */
    String decode(int[] ids) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(ids.length * 4);
        boolean strip = addSpacePrefix;
        for (int id : ids) {
            if ((attrs[id] & HIDDEN) != 0) {
                continue;
            }
            int from = pieceStart[id];
            int to = pieceStart[id + 1];
            if (strip && from < to) {
                if (pieceBytes[from] == ' ') {
                    from++;
                }
                strip = false;
            }
            out.write(pieceBytes, from, to - from);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * llama.cpp's {@code llama_detokenize(vocab, ids, removeSpecial, unparseSpecial)}: the pieces of
     * the tokens, the first one without its leading space when the vocabulary adds a space prefix,
     * and, for vocabularies with llama.cpp's {@code clean_spaces} (most byte-level BPE ones but not
     * Qwen2 or DeepSeek), {@code " ?"}, {@code " !"}, {@code " ."}, {@code " ,"}, {@code " ' "},
     * {@code " 's"}, {@code " 'm"}, {@code " 're"} and {@code " 've"} lose their space.
     *
     * @param removeSpecial  drop a leading BOS and a trailing EOS if the model adds them
     * @param unparseSpecial render CONTROL and UNKNOWN tokens as their text
     * @return the UTF-8 bytes of the text
     */
    byte[] detokenizeBytes(int[] ids, boolean removeSpecial, boolean unparseSpecial) {
        int from = 0;
        int to = ids.length;
        boolean removeSpace = addSpacePrefix;
        if (removeSpecial && bos >= 0 && to > from && ids[from] == bos) {
            removeSpace = false;
            from++;
        }
        if (removeSpecial && eos >= 0 && to > from && ids[to - 1] == eos) {
            to--;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = from; i < to; i++) {
            int id = ids[i];
            if (!unparseSpecial && (attrs[id] & HIDDEN) != 0) {
                removeSpace = false;
                continue;
            }
            int a = pieceStart[id];
            int b = pieceStart[id + 1];
            if (removeSpace && a < b && pieceBytes[a] == ' ') {
                a++;
            }
            removeSpace = false;
            out.write(pieceBytes, a, b - a);
        }
        byte[] text = out.toByteArray();
        int total = text.length;
        if (cleanSpaces) {
            total = cleanSpaces(text, total);
        }
        return Arrays.copyOf(text, total);
    }

    /** llama.cpp's three clean-up passes, in place over the bytes; returns the new length. */
    private static int cleanSpaces(byte[] text, int length) {
        // 1: " ?", " !", " .", " ,"  lose the space
        int total1 = length;
        int total = total1 > 0 ? 1 : 0;
        for (int i = 1; i < total1; i++) {
            byte x = text[i];
            if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) {
                total--;
            }
            text[total++] = x;
        }
        // 2: " ' " becomes "'"
        int total2 = total;
        total = total2 > 0 ? 1 : 0;
        for (int i = 1; i < total2; i++) {
            byte x = text[i];
            if (x == '\'' && i + 1 < total2 && text[i - 1] == ' ' && text[i + 1] == ' ') {
                total--;
                text[++i] = 0;
            }
            text[total++] = x;
        }
        // 3: " 's", " 'm", " 're", " 've" lose the space (" 't", " 'd", " 'll" keep it)
        int total3 = total;
        total = total3 > 0 ? 1 : 0;
        for (int i = 1; i < total3; i++) {
            byte x = text[i];
            if (text[i - 1] == ' ' && x == '\'' && i + 1 < total3) {
                byte x1 = text[i + 1];
                if (x1 == 's' || x1 == 'm') {
                    total--;
                } else if (x1 != 't' && x1 != 'd' && i + 2 < total3) {
                    byte x2 = text[i + 2];
                    if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) {
                        total--;
                    }
                }
            }
            text[total++] = x;
        }
        return total;
    }

    /** Appends the bytes of {@code id} to {@code out} (for the streaming decoder). */
    void appendPiece(int id, boolean special, java.io.ByteArrayOutputStream out) {
        if (!special && (attrs[id] & HIDDEN) != 0) {
            return;
        }
        out.write(pieceBytes, pieceStart[id], pieceStart[id + 1] - pieceStart[id]);
    }
}
