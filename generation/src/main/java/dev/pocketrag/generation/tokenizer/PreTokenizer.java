package dev.pocketrag.generation.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the words that byte-level BPE merges within, as llama.cpp does for each value
 * of {@code tokenizer.ggml.pre}. A pre-tokenizer is a list of expressions applied one after the
 * other: each splits every piece left by the previous one into its matches and the text between
 * them (nothing is dropped).
 *
 * <p>Three kinds of splitter, chosen the way llama.cpp chooses them:
 * <ul>
 * <li>the GPT-2 expression {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)}
 *     and the Llama 3 expression are hand-written scanners over code point categories
 *     ({@link #gpt2}, {@link #llama3});</li>
 * <li>an expression using {@code \p{..}} classes runs on a <em>collapsed</em> text with one char per
 *     code point: ASCII stays itself, other whitespace becomes U+000B, a letter U+00D2, a number
 *     U+00D1, punctuation U+00D3, an accent mark U+00D4, a symbol U+00D5 and anything else U+00D0;
 *     {@code \p{L}} becomes {@code [\x{D2}A-Za-z]} and so on. So {@code \p{P}} and {@code \p{S}} only
 *     know the ASCII characters llama.cpp lists (it leaves out {@code ~}), and {@code \s} is ASCII
 *     whitespace plus U+000B;</li>
 * <li>any other expression runs on the code points themselves, with non-ASCII whitespace replaced by
 *     U+000B (C++'s {@code std::wregex} does not know it as {@code \s}).</li>
 * </ul>
 */
final class PreTokenizer {

    // The expressions are llama.cpp's (src/llama-vocab.cpp, llm_tokenizer_bpe), in ECMAScript syntax.
    static final String GPT2_RE = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    static final String LLAMA3_RE = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2_RE = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String CJK = "[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+";
    /** DeepSeek LLM's letter class (from its tokenizer.json), as code point ranges. */
    private static final int[][] DEEPSEEK_RANGES = deepseekRanges();
    private static final String DEEPSEEK_LETTERS = rangesClass(DEEPSEEK_RANGES);

    /** The pre-tokenizer types llama.cpp distinguishes, with the expressions of each. */
    enum Type {
        DEFAULT("[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2_RE, "\\p{N}+", "[0-9][0-9][0-9]"),
        LLAMA3(LLAMA3_RE),
        DEEPSEEK_LLM("[\r\n]", "\\s?" + DEEPSEEK_LETTERS + "+",
                "\\s?[!-/:-~\uff01-\uff0f\uff1a-\uff5e\u2018-\u201f\u3000-\u3002]+", "\\s+$", CJK, "\\p{N}+"),
        DEEPSEEK_CODER("[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", CJK, "\\p{N}"),
        FALCON("[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2_RE, "[0-9][0-9][0-9]"),
        STARCODER("\\p{N}", GPT2_RE),
        GPT2(GPT2_RE),
        QWEN2(QWEN2_RE),
        BLOOM(" ?[^(\\s|.,!?\u2026\u3002\uff0c\u3001\u0964\u06d4\u060c)]+");

        final List<String> expressions;

        Type(String... expressions) {
            this.expressions = List.of(expressions);
        }
    }

    /** What a {@code tokenizer.ggml.pre} name selects, with the vocabulary flags llama.cpp ties to it. */
    record Config(Type type, boolean ignoreMerges, boolean cleanSpaces, boolean addBos) {}

    /**
     * The configuration for a {@code tokenizer.ggml.pre} value ({@code null} or absent = "default"),
     * or {@code null} if this implementation does not know the name.
     */
    static Config config(String pre) {
        if (pre == null) {
            return new Config(Type.DEFAULT, false, true, false);
        }
        return switch (pre) {
            case "default" -> new Config(Type.DEFAULT, false, true, false);
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral" -> new Config(Type.LLAMA3, true, true, true);
            case "dbrx", "smaug-bpe" -> new Config(Type.LLAMA3, false, true, false);
            case "deepseek-llm" -> new Config(Type.DEEPSEEK_LLM, false, false, false);
            case "deepseek-coder" -> new Config(Type.DEEPSEEK_CODER, false, false, false);
            case "falcon" -> new Config(Type.FALCON, false, true, false);
            case "starcoder", "refact", "codeshell", "exaone", "minerva-7b" -> new Config(Type.STARCODER, false, true, false);
            case "command-r", "smollm" -> new Config(Type.STARCODER, false, false, false);
            case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "mpt", "olmo", "jais" ->
                    new Config(Type.GPT2, false, true, false);
            case "qwen2", "deepseek-r1-qwen" -> new Config(Type.QWEN2, false, false, false);
            case "stablelm2", "megrez" -> new Config(Type.QWEN2, false, true, false);
            case "bloom", "gpt3-finnish" -> new Config(Type.BLOOM, false, true, false);
            case "poro-chat" -> new Config(Type.BLOOM, false, false, false);
            default -> null;
        };
    }

    // ---- splitting ------------------------------------------------------------------------------

    /** One expression: maps piece lengths (in code points) to finer piece lengths. */
    private interface Splitter {
        IntList split(Text text, IntList pieces);
    }

    /** The text being split, with its views built on first use. */
    static final class Text {
        final int[] cps;
        private int[] flags;
        private String collapsed;
        private String wide;
        private int[] wideCharToCp;

        Text(int[] cps) {
            this.cps = cps;
        }

        int[] flags() {
            if (flags == null) {
                flags = new int[cps.length];
                for (int i = 0; i < cps.length; i++) {
                    flags[i] = Unicode.flags(cps[i]);
                }
            }
            return flags;
        }

        String collapsed() {
            if (collapsed == null) {
                int[] f = flags();
                char[] c = new char[cps.length];
                for (int i = 0; i < cps.length; i++) {
                    int cp = cps[i];
                    if (cp < 0x80) {
                        c[i] = (char) cp;
                    } else if (Unicode.isSpace(f[i])) {
                        c[i] = 0x0B;
                    } else {
                        c[i] = switch (f[i] & 0xFF) {
                            case Unicode.NUMBER -> 0xD1;
                            case Unicode.LETTER -> 0xD2;
                            case Unicode.PUNCTUATION -> 0xD3;
                            case Unicode.ACCENT_MARK -> 0xD4;
                            case Unicode.SYMBOL -> 0xD5;
                            default -> 0xD0;
                        };
                    }
                }
                collapsed = new String(c);
            }
            return collapsed;
        }

        String wide() {
            if (wide == null) {
                StringBuilder b = new StringBuilder(cps.length + 8);
                int[] map = new int[cps.length * 2 + 1];
                for (int i = 0; i < cps.length; i++) {
                    int cp = cps[i];
                    if (cp > 0x7F && Unicode.isWhitespace(cp)) {
                        cp = 0x0B;
                    }
                    map[b.length()] = i;
                    if (Character.isSupplementaryCodePoint(cp)) {
                        map[b.length() + 1] = i;
                    }
                    b.appendCodePoint(cp);
                }
                map[b.length()] = cps.length;
                wide = b.toString();
                wideCharToCp = map;
            }
            return wide;
        }
    }

    private final List<Splitter> splitters;

    PreTokenizer(Type type) {
        this(type.expressions, true);
    }

    /**
     * A pre-tokenizer for the given ECMAScript expressions; with {@code scanners} false every
     * expression runs through {@code java.util.regex} (tests compare the two).
     */
    PreTokenizer(List<String> expressions, boolean scanners) {
        List<Splitter> list = new ArrayList<>();
        for (String e : expressions) {
            list.add(scanners ? splitter(e) : regexSplitter(e));
        }
        this.splitters = List.copyOf(list);
    }

    /** Lengths, in code points, of the consecutive words of {@code cps}; they add up to its length. */
    IntList split(int[] cps) {
        IntList pieces = new IntList(4);
        if (cps.length == 0) {
            return pieces;
        }
        pieces.add(cps.length);
        Text text = new Text(cps);
        for (Splitter s : splitters) {
            pieces = s.split(text, pieces);
        }
        return pieces;
    }

    private static Splitter splitter(String expression) {
        if (expression.equals("\\s?" + DEEPSEEK_LETTERS + "+")) {
            return new SpaceAndRunSplitter(DEEPSEEK_RANGES); // same matches, without an 84-range regex class
        }
        if (expression.equals(GPT2_RE)) {
            return PreTokenizer::gpt2;
        }
        if (expression.equals(LLAMA3_RE)) {
            return PreTokenizer::llama3;
        }
        return regexSplitter(expression);
    }

    private static Splitter regexSplitter(String expression) {
        boolean categories = expression.contains("\\p{");
        if (categories) {
            if (!expression.chars().allMatch(c -> c < 0x80)) {
                throw new IllegalStateException("expression mixes \\p{..} classes and non-ASCII characters: " + expression);
            }
            return new RegexSplitter(Pattern.compile(collapse(expression)), true);
        }
        return new RegexSplitter(Pattern.compile(endAnchor(expression)), false);
    }

    /** Class members standing for a Unicode category in the collapsed text (Java syntax). */
    private static String collapsedClass(String category) {
        return switch (category) {
            case "\\p{N}" -> "\\x{D1}0-9";
            case "\\p{L}", "\\p{Lu}", "\\p{Ll}", "\\p{Lt}", "\\p{Lm}", "\\p{Lo}" -> "\\x{D2}A-Za-z";
            case "\\p{P}" -> "\\x{D3}!-#%-*,-/:-;?-@\\[-\\]_\\{\\}";
            case "\\p{M}" -> "\\x{D4}";
            case "\\p{S}" -> "\\x{D5}\\$\\+<->\\^`\\|";
            default -> null;
        };
    }

    /** Rewrites {@code \p{X}} into classes over the collapsed characters (llama.cpp's collapsing). */
    static String collapse(String expression) {
        StringBuilder out = new StringBuilder(expression.length() * 2);
        boolean inside = false;
        for (int i = 0; i < expression.length(); i++) {
            char c = expression.charAt(i);
            if (c == '[' && (i == 0 || expression.charAt(i - 1) != '\\')) {
                out.append('[');
                inside = true;
                continue;
            }
            if (inside && c == ']' && expression.charAt(i - 1) != '\\') {
                out.append(']');
                inside = false;
                continue;
            }
            if (c == '\\' && i + 3 < expression.length() && expression.charAt(i + 1) == 'p'
                    && expression.charAt(i + 2) == '{') {
                int close = expression.indexOf('}', i + 3);
                if (close >= 0) {
                    String members = collapsedClass(expression.substring(i, close + 1));
                    if (members != null) {
                        out.append(inside ? members : "[" + members + "]");
                        i = close;
                        continue;
                    }
                }
            }
            out.append(c);
        }
        return endAnchor(out.toString());
    }

    /** ECMAScript's {@code $} (no multiline) is the end of the input: Java's {@code \z}. */
    private static String endAnchor(String expression) {
        if (expression.endsWith("$") && !expression.endsWith("\\$")) {
            return expression.substring(0, expression.length() - 1) + "\\z";
        }
        return expression;
    }

    /** An expression run with {@code find()} inside each piece (opaque, anchoring region bounds). */
    private record RegexSplitter(Pattern pattern, boolean collapsed) implements Splitter {
        @Override
        public IntList split(Text text, IntList pieces) {
            String s = collapsed ? text.collapsed() : text.wide();
            int[] charToCp = collapsed ? null : text.wideCharToCp;
            Matcher m = pattern.matcher(s);
            IntList out = new IntList(pieces.size() * 4);
            int start = 0;
            int charStart = 0;
            for (int p = 0; p < pieces.size(); p++) {
                int end = start + pieces.get(p);
                int charEnd = collapsed ? end : charIndex(s, charStart, end - start);
                m.region(charStart, charEnd);
                int last = start;
                while (m.find()) {
                    int ms = collapsed ? m.start() : charToCp[m.start()];
                    int me = collapsed ? m.end() : charToCp[m.end()];
                    if (me <= ms) {
                        continue;
                    }
                    if (ms > last) {
                        out.add(ms - last);
                    }
                    out.add(me - ms);
                    last = me;
                }
                if (last < end) {
                    out.add(end - last);
                }
                start = end;
                charStart = charEnd;
            }
            return out;
        }

        private static int charIndex(String s, int charStart, int codePoints) {
            return s.offsetByCodePoints(charStart, codePoints);
        }
    }

    // ---- the two hand-written scanners ----------------------------------------------------------

    /**
     * GPT-2: {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+},
     * scanned by category as llama.cpp's {@code unicode_regex_split_custom_gpt2} does.
     */
    static IntList gpt2(Text text, IntList pieces) {
        int[] cps = text.cps;
        int[] fl = text.flags();
        IntList out = new IntList(pieces.size() * 4);
        int start = 0;
        for (int p = 0; p < pieces.size(); p++) {
            final int ini = start;
            final int end = start + pieces.get(p);
            start = end;
            int pos = ini;
            while (pos < end) {
                int cpt = cps[pos];
                int f = fl[pos];
                if (cpt == '\'' && pos + 1 < end) {
                    int next = cps[pos + 1];
                    if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                        out.add(2);
                        pos += 2;
                        continue;
                    }
                    if (pos + 2 < end) {
                        int next2 = cps[pos + 2];
                        if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l')) {
                            out.add(3);
                            pos += 3;
                            continue;
                        }
                    }
                }
                int from = pos;
                int f2 = cpt == ' ' ? flagsAt(fl, pos + 1, end) : f;
                if (Unicode.isLetter(f2)) {
                    pos += cpt == ' ' ? 1 : 0;
                    while (Unicode.isLetter(flagsAt(fl, pos, end))) {
                        pos++;
                    }
                    out.add(pos - from);
                    continue;
                }
                if (Unicode.isNumber(f2)) {
                    pos += cpt == ' ' ? 1 : 0;
                    while (Unicode.isNumber(flagsAt(fl, pos, end))) {
                        pos++;
                    }
                    out.add(pos - from);
                    continue;
                }
                if (isOther(f2)) {
                    pos += cpt == ' ' ? 1 : 0;
                    while (isOther(flagsAt(fl, pos, end))) {
                        pos++;
                    }
                    out.add(pos - from);
                    continue;
                }
                int spaces = 0;
                while (Unicode.isSpace(flagsAt(fl, pos + spaces, end))) {
                    spaces++;
                }
                if (spaces > 1 && pos + spaces < end) {
                    pos += spaces - 1; // \s+(?!\S): leave the last space to the next word
                } else if (spaces > 0) {
                    pos += spaces;
                } else {
                    pos++;
                }
                out.add(pos - from);
            }
        }
        return out;
    }

    /**
     * Llama 3: {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+},
     * scanned by category as llama.cpp's {@code unicode_regex_split_custom_llama3} does.
     */
    static IntList llama3(Text text, IntList pieces) {
        int[] cps = text.cps;
        int[] fl = text.flags();
        IntList out = new IntList(pieces.size() * 4);
        int start = 0;
        for (int p = 0; p < pieces.size(); p++) {
            final int ini = start;
            final int end = start + pieces.get(p);
            start = end;
            int pos = ini;
            while (pos < end) {
                int cpt = cps[pos];
                int f = fl[pos];
                if (cpt == '\'' && pos + 1 < end) {
                    int next = lower(cps[pos + 1]);
                    if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                        out.add(2);
                        pos += 2;
                        continue;
                    }
                    if (pos + 2 < end) {
                        int next2 = lower(cps[pos + 2]);
                        if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l')) {
                            out.add(3);
                            pos += 3;
                            continue;
                        }
                    }
                }
                int from = pos;
                // [^\r\n\p{L}\p{N}]?\p{L}+
                if (!(cpt == '\r' || cpt == '\n' || Unicode.isNumber(f))) {
                    if (Unicode.isLetter(f) || Unicode.isLetter(flagsAt(fl, pos + 1, end))) {
                        pos++;
                        while (Unicode.isLetter(flagsAt(fl, pos, end))) {
                            pos++;
                        }
                        out.add(pos - from);
                        continue;
                    }
                }
                // \p{N}{1,3}
                if (Unicode.isNumber(f)) {
                    int group = pos;
                    while (Unicode.isNumber(flagsAt(fl, pos, end))) {
                        pos++;
                        if (pos - group >= 3) {
                            out.add(pos - group);
                            group = pos;
                        }
                    }
                    if (pos > group) {
                        out.add(pos - group);
                    }
                    continue;
                }
                // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
                int f2 = cpt == ' ' ? flagsAt(fl, pos + 1, end) : f;
                if ((f2 & (Unicode.WHITESPACE | Unicode.LETTER | Unicode.NUMBER)) == 0) {
                    pos += cpt == ' ' ? 1 : 0;
                    while (isOther(flagsAt(fl, pos, end))) {
                        pos++;
                    }
                    while (pos < end && (cps[pos] == '\r' || cps[pos] == '\n')) {
                        pos++;
                    }
                    out.add(pos - from);
                    continue;
                }
                int spaces = 0;
                int lastNewline = -1;
                while (Unicode.isSpace(flagsAt(fl, pos + spaces, end))) {
                    int c = cps[pos + spaces];
                    if (c == '\r' || c == '\n') {
                        lastNewline = pos + spaces + 1;
                    }
                    spaces++;
                }
                if (lastNewline >= 0) {
                    pos = lastNewline; // \s*[\r\n]+
                } else if (spaces > 1 && pos + spaces < end) {
                    pos += spaces - 1; // \s+(?!\S)
                } else if (spaces > 0) {
                    pos += spaces; // \s+
                } else {
                    pos++;
                }
                out.add(pos - from);
            }
        }
        return out;
    }

    /** The flags of position {@code pos}, or 0 outside the current piece. */
    private static int flagsAt(int[] fl, int pos, int end) {
        return pos < end ? fl[pos] : 0;
    }

    /** {@code [^\s\p{L}\p{N}]} within the piece (flags 0 = past its end). */
    private static boolean isOther(int f) {
        return f != 0 && (f & (Unicode.WHITESPACE | Unicode.LETTER | Unicode.NUMBER)) == 0;
    }

    private static int lower(int cp) {
        return Character.toLowerCase(cp);
    }

    /**
     * {@code \s?[set]+} where the set is given as code point ranges, on the text where non-ASCII
     * whitespace stands for U+000B (so {@code \s} is exactly Unicode White_Space): a match starts at
     * a member, or at a whitespace character followed by a member, and runs over the members.
     */
    private static final class SpaceAndRunSplitter implements Splitter {
        private final java.util.BitSet set = new java.util.BitSet();

        SpaceAndRunSplitter(int[][] ranges) {
            for (int[] r : ranges) {
                set.set(r[0], r[1] + 1);
            }
        }

        @Override
        public IntList split(Text text, IntList pieces) {
            int[] cps = text.cps;
            IntList out = new IntList(pieces.size() * 4);
            int start = 0;
            for (int p = 0; p < pieces.size(); p++) {
                int end = start + pieces.get(p);
                int last = start;
                int pos = start;
                while (pos < end) {
                    int m;
                    if (set.get(cps[pos])) {
                        m = pos;
                    } else if (Unicode.isWhitespace(cps[pos]) && pos + 1 < end && set.get(cps[pos + 1])) {
                        m = pos;
                        pos++;
                    } else {
                        pos++;
                        continue;
                    }
                    while (pos < end && set.get(cps[pos])) {
                        pos++;
                    }
                    if (m > last) {
                        out.add(m - last);
                    }
                    out.add(pos - m);
                    last = pos;
                }
                if (last < end) {
                    out.add(end - last);
                }
                start = end;
            }
            return out;
        }
    }

    // ---- DeepSeek LLM letter class ---------------------------------------------------------------

    /** {@code [...]} of code point ranges, in Java syntax. */
    private static String rangesClass(int[][] ranges) {
        StringBuilder b = new StringBuilder("[");
        for (int[] r : ranges) {
            b.append(String.format(Locale.ROOT, "\\x{%X}", r[0]));
            if (r[1] != r[0]) {
                b.append(String.format(Locale.ROOT, "-\\x{%X}", r[1]));
            }
        }
        return b.append(']').toString();
    }

    /**
     * {@code [A-Za-zµÀ-ÖØ-öø-ƺ...]}: the letter class of DeepSeek LLM's pre-tokenizer (the cased
     * letters Lu, Ll, Lt of an older Unicode), written as code point ranges so that no look-alike
     * character (Kelvin sign, Ohm sign, Greek oxia forms) can slip in.
     */
    private static int[][] deepseekRanges() {
        return new int[][] {
            {'A', 'Z'}, {'a', 'z'}, {0xB5, 0xB5}, {0xC0, 0xD6}, {0xD8, 0xF6}, {0xF8, 0x1BA}, {0x1BC, 0x1BF},
            {0x1C4, 0x293}, {0x295, 0x2AF}, {0x370, 0x373}, {0x376, 0x377}, {0x37B, 0x37D}, {0x37F, 0x37F},
            {0x386, 0x386}, {0x388, 0x38A}, {0x38C, 0x38C}, {0x38E, 0x3A1}, {0x3A3, 0x3F5}, {0x3F7, 0x481},
            {0x48A, 0x52F}, {0x531, 0x556}, {0x10A0, 0x10C5}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD},
            {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF}, {0x1D00, 0x1D2B}, {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A},
            {0x1E00, 0x1F15}, {0x1F18, 0x1F1D}, {0x1F20, 0x1F45}, {0x1F48, 0x1F4D}, {0x1F50, 0x1F57},
            {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B}, {0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4},
            {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE}, {0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3},
            {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC}, {0x2102, 0x2102},
            {0x2107, 0x2107}, {0x210A, 0x2113}, {0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124},
            {0x2126, 0x2126}, {0x2128, 0x2128}, {0x212A, 0x212D}, {0x212F, 0x2134}, {0x2139, 0x2139},
            {0x213C, 0x213F}, {0x2145, 0x2149}, {0x214E, 0x214E}, {0x2183, 0x2184}, {0x2C00, 0x2C7B},
            {0x2C7E, 0x2CE4}, {0x2CEB, 0x2CEE}, {0x2CF2, 0x2CF3}, {0xA640, 0xA66D}, {0xA680, 0xA69B},
            {0xA722, 0xA76F}, {0xA771, 0xA787}, {0xA78B, 0xA78E}, {0xAB70, 0xABBF}, {0xFB00, 0xFB06},
            {0xFB13, 0xFB17}, {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A}, {0x10400, 0x1044F}, {0x104B0, 0x104D3},
            {0x104D8, 0x104FB}, {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
        };
    }
}
