package dev.pocketrag.generation.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * Code point classification and byte mappings used by the tokenizers, following llama.cpp's
 * {@code unicode.cpp} conventions (which in turn follow Python's {@code regex} module):
 * <ul>
 * <li>categories: letter = {@code \p{L}}, number = {@code \p{N}}, accent mark = {@code \p{M}},
 *     punctuation = {@code \p{P}}, symbol = {@code \p{S}}, separator = {@code \p{Z}}, and "control" =
 *     {@code \p{C}}, which (as in the {@code regex} module) includes unassigned code points;</li>
 * <li>whitespace = the Unicode {@code White_Space} property (25 code points; not U+001C..U+001F);</li>
 * <li>the GPT-2 byte-to-unicode table that byte-level BPE vocabularies are written in.</li>
 * </ul>
 * Categories come from {@link Character#getType(int)} of the running JDK.
 */
final class Unicode {
    private Unicode() {}

    static final int NUMBER = 0x0002;
    static final int LETTER = 0x0004;
    static final int SEPARATOR = 0x0008;
    static final int ACCENT_MARK = 0x0010;
    static final int PUNCTUATION = 0x0020;
    static final int SYMBOL = 0x0040;
    static final int CONTROL = 0x0080;
    static final int WHITESPACE = 0x0100;

    /** Category bits plus {@link #WHITESPACE}; never 0 for a valid code point. */
    static int flags(int cp) {
        int f = switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK ->
                    ACCENT_MARK;
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                    Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                    Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION -> PUNCTUATION;
            case Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL,
                    Character.OTHER_SYMBOL -> SYMBOL;
            case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> SEPARATOR;
            default -> CONTROL; // Cc, Cf, Cs, Co and Cn (unassigned)
        };
        return isWhitespace(cp) ? f | WHITESPACE : f;
    }

    /** The Unicode White_Space property. */
    static boolean isWhitespace(int cp) {
        if (cp < 0x80) {
            return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
        }
        return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A)
                || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    static boolean isLetter(int flags) {
        return (flags & LETTER) != 0;
    }

    static boolean isNumber(int flags) {
        return (flags & NUMBER) != 0;
    }

    static boolean isSpace(int flags) {
        return (flags & WHITESPACE) != 0;
    }

    /** C's {@code isspace} in the "C" locale: the six ASCII whitespace characters. */
    static boolean isAsciiSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    /**
     * The code points of {@code s}; a lone surrogate becomes U+FFFD (what llama.cpp does with a byte
     * that is not valid UTF-8).
     */
    static int[] codePoints(CharSequence s, int from, int to) {
        int[] out = new int[to - from];
        int n = 0;
        for (int i = from; i < to; ) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(s.charAt(i + 1))) {
                out[n++] = Character.toCodePoint(c, s.charAt(i + 1));
                i += 2;
            } else {
                out[n++] = Character.isSurrogate(c) ? 0xFFFD : c;
                i++;
            }
        }
        return n == out.length ? out : java.util.Arrays.copyOf(out, n);
    }

    /** {@code s} with every lone surrogate replaced by U+FFFD (so that UTF-8 encoding is lossless). */
    static String wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length()
                        && Character.isLowSurrogate(s.charAt(i + 1));
                if (!pair) {
                    StringBuilder b = new StringBuilder(s.length());
                    int[] cps = codePoints(s, 0, s.length());
                    for (int cp : cps) {
                        b.appendCodePoint(cp);
                    }
                    return b.toString();
                }
                i++;
            }
        }
        return s;
    }

    /** Appends the UTF-8 encoding of {@code cp} to {@code out} at {@code n}; returns the new length. */
    static int utf8(int cp, byte[] out, int n) {
        if (cp < 0x80) {
            out[n++] = (byte) cp;
        } else if (cp < 0x800) {
            out[n++] = (byte) (0xC0 | (cp >> 6));
            out[n++] = (byte) (0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out[n++] = (byte) (0xE0 | (cp >> 12));
            out[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            out[n++] = (byte) (0x80 | (cp & 0x3F));
        } else {
            out[n++] = (byte) (0xF0 | (cp >> 18));
            out[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
            out[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            out[n++] = (byte) (0x80 | (cp & 0x3F));
        }
        return n;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- GPT-2 byte <-> unicode table ------------------------------------------------------------

    /**
     * GPT-2's {@code bytes_to_unicode}: the printable bytes {@code ! .. ~}, {@code ¡ .. ¬} and
     * {@code ® .. ÿ} stand for themselves; the other 68 bytes, in increasing order, are given the
     * characters U+0100, U+0101, ... (so a space is {@code Ġ} U+0120 and a newline {@code Ċ} U+010A).
     */
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Inverse of {@link #BYTE_TO_CHAR}, indexed by char (all of them are below U+0144); -1 = none. */
    private static final short[] CHAR_TO_BYTE = new short[0x144];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, (short) -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            char c = printable ? (char) b : (char) (256 + extra++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = (short) b;
        }
    }

    /** The character a byte is written as in a byte-level BPE vocabulary. */
    static char byteToChar(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte a byte-level BPE character stands for, or -1 if it is not one of the 256. */
    static int charToByte(int cp) {
        return cp >= 0 && cp < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[cp] : -1;
    }
}
