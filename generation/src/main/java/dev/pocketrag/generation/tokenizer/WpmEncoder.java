package dev.pocketrag.generation.tokenizer;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * WordPiece (llama.cpp's {@code llm_tokenizer_wpm}, BERT vocabularies as converted to GGUF, where a
 * word-initial piece carries a U+2581 prefix instead of continuation pieces carrying {@code ##}).
 * The text is lower-cased, accents are removed (each code point is replaced by the first code
 * point of its NFD form, then marks are dropped), control characters are dropped, and it is split
 * at whitespace and around punctuation, ASCII symbols and CJK ideographs. Each word, with U+2581 in
 * front, is cut greedily into the longest vocabulary entries; a word that cannot be cut completely
 * becomes the unknown token.
 */
final class WpmEncoder implements Encoder {
    private final TokenIndex index;
    private final int unk;
    /** The longest token, in UTF-8 bytes (llama.cpp bounds the search window in bytes). */
    private final int maxTokenBytes;

    WpmEncoder(TokenIndex index, int unk, String[] texts) {
        this.index = index;
        this.unk = unk;
        int max = 0;
        for (String t : texts) {
            max = Math.max(max, t.getBytes(StandardCharsets.UTF_8).length);
        }
        this.maxTokenBytes = max;
    }

    @Override
    public void encode(String text, IntList out) {
        for (String word : words(text)) {
            String w = "\u2581" + word;
            char[] buf = w.toCharArray();
            // byte offset of every char boundary
            int[] byteAt = new int[buf.length + 1];
            for (int i = 0; i < buf.length; i++) {
                char c = buf[i];
                int b = c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
                byteAt[i + 1] = byteAt[i] + b;
            }
            int n = buf.length;
            int before = out.size();
            IntList pieces = new IntList();
            boolean ok = true;
            for (int i = 0; i < n; ) {
                int limit = byteAt[i] + maxTokenBytes + 1;
                int found = -1;
                int foundEnd = -1;
                for (int j = n; j > i; j--) {
                    if (byteAt[j] > limit || (j < n && Character.isLowSurrogate(buf[j]))) {
                        continue;
                    }
                    int id = index.get(buf, i, j);
                    if (id >= 0) {
                        found = id;
                        foundEnd = j;
                        break;
                    }
                }
                if (found < 0) {
                    ok = false;
                    break;
                }
                pieces.add(found);
                i = foundEnd;
            }
            if (ok) {
                for (int k = 0; k < pieces.size(); k++) {
                    out.add(pieces.get(k));
                }
            }
            if (out.size() == before && unk >= 0) {
                out.add(unk);
            }
        }
    }

    /** llama.cpp's WPM {@code preprocess}: normalised words. */
    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int[] cps = Unicode.codePoints(text, 0, text.length());
        for (int cp0 : cps) {
            int cp = firstOfNfd(cp0);
            int f = Unicode.flags(cp);
            if (Unicode.isSpace(f)) {
                if (!cur.isEmpty()) {
                    words.add(cur.toString());
                    cur.setLength(0);
                }
                continue;
            }
            if (cp == 0 || cp == 0xFFFD || (f & Unicode.CONTROL) != 0) {
                continue;
            }
            if ((f & Unicode.ACCENT_MARK) != 0) {
                continue;
            }
            int lower = Character.toLowerCase(cp);
            if ((f & Unicode.PUNCTUATION) != 0 || (cp < 0x7F && (f & Unicode.SYMBOL) != 0) || isChinese(cp)) {
                if (!cur.isEmpty()) {
                    words.add(cur.toString());
                    cur.setLength(0);
                }
                words.add(new String(Character.toChars(lower)));
            } else {
                cur.appendCodePoint(lower);
            }
        }
        if (!cur.isEmpty()) {
            words.add(cur.toString());
        }
        return words;
    }

    private static int firstOfNfd(int cp) {
        if (cp < 0xC0) {
            return cp;
        }
        String s = new String(Character.toChars(cp));
        String d = Normalizer.normalize(s, Normalizer.Form.NFD);
        return d.codePointAt(0);
    }

    private static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B920 && cp <= 0x2CEAF) || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
