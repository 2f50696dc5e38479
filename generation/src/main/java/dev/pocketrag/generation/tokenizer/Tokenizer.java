package dev.pocketrag.generation.tokenizer;

import dev.pocketrag.generation.gguf.UnsupportedTokenizerException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Text to token ids and back, as llama.cpp's {@code llama_vocab} does it for the vocabulary of a
 * GGUF model. Immutable and thread-safe; build one per model with {@link #of(Vocabulary)} (or from
 * a GGUF file through the generation facade) and share it.
 *
 * <h2>Kinds</h2>
 * <ul>
 * <li>{@code llama} — SentencePiece: spaces become U+2581, a space is put in front of the text
 *     ({@code add_space_prefix}, default on) and after each special token, pieces are merged by score,
 *     unknown characters fall back to {@code <0xXX>} byte tokens; BOS is added by default.</li>
 * <li>{@code gpt2} — byte-level BPE: a pre-tokenizer chosen by {@code tokenizer.ggml.pre} (see
 *     {@link PreTokenizer}) splits the text, each word's bytes are merged by rank.</li>
 * <li>{@code bert} — WordPiece: lower-cased, accents stripped, split at spaces and punctuation,
 *     longest-match-first; {@code [CLS]} ... {@code [SEP]} with {@code addSpecial}.</li>
 * </ul>
 *
 * <h2>Special tokens</h2>
 * Before the model's algorithm runs, the text is cut at occurrences of special tokens, longest
 * first: USER_DEFINED tokens always, CONTROL and UNKNOWN tokens only with {@code parseSpecial}.
 * UNUSED tokens are never matched. So {@code "<|eot_id|>"} in user text stays text unless the
 * caller asks for it.
 *
 * <h2>Decoding</h2>
 * {@link #decode(int[])} is the inverse of {@link #encode}: the bytes of the pieces (control
 * tokens render as nothing), with the leading space that SentencePiece adds removed.
 * {@link #detokenize(int[], boolean, boolean)} is llama.cpp's {@code llama_detokenize}, including
 * its clean-up of spaces before punctuation for vocabularies that ask for it.
 * {@link #newDecoder()} decodes a stream of generated tokens, holding back the bytes of a character
 * that is not complete yet.
 */
public final class Tokenizer {

    /** The algorithm of a vocabulary. */
    public enum Kind {
        /** SentencePiece-style BPE over scores ({@code tokenizer.ggml.model = "llama"}). */
        SPM,
        /** Byte-level BPE over merge ranks ({@code "gpt2"}). */
        BPE,
        /** WordPiece ({@code "bert"}). */
        WPM
    }

    // token attributes (llama.cpp's llama_token_attr bits)
    static final int ATTR_UNKNOWN = 1;
    static final int ATTR_UNUSED = 1 << 1;
    static final int ATTR_NORMAL = 1 << 2;
    static final int ATTR_CONTROL = 1 << 3;
    static final int ATTR_USER_DEFINED = 1 << 4;
    static final int ATTR_BYTE = 1 << 5;
    static final int ATTR_LSTRIP = 1 << 7;
    static final int ATTR_RSTRIP = 1 << 8;

    private static final int[] TYPE_TO_ATTR = {
        0, ATTR_NORMAL, ATTR_UNKNOWN, ATTR_CONTROL, ATTR_USER_DEFINED, ATTR_UNUSED, ATTR_BYTE,
    };

    /** Token texts llama.cpp takes for end-of-turn when {@code eot_token_id} is absent. */
    private static final List<String> EOT_NAMES = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>",
            "<end_of_utterance>");
    private static final List<String> EOM_NAMES = List.of("<|eom_id|>");
    private static final List<String> FIM_PAD_NAMES = List.of("<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]");
    private static final List<String> FIM_REP_NAMES = List.of("<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>",
            "<reponame>");
    private static final List<String> FIM_SEP_NAMES = List.of("<|file_sep|>");
    /**
     * Token texts llama.cpp treats as end-of-generation wherever they are in the vocabulary. Newer
     * llama.cpp also lists {@code </s>} (for PaddleOCR); it is left out here because byte-level
     * vocabularies such as Qwen's have {@code </s>} as ordinary text (an HTML end tag), which the
     * reference commit did not stop on. Where {@code </s>} is the model's EOS it is EOG as such.
     */
    private static final List<String> EOG_NAMES = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>",
            "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>",
            "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>",
            "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[");

    private final Kind kind;
    private final String model;
    private final String pre;
    private final String[] texts;
    private final float[] scores;
    private final int[] attrs;
    private final TokenIndex index;

    private final int bos;
    private final int eos;
    private final int eot;
    private final int eom;
    private final int unk;
    private final int sep;
    private final int pad;
    private final boolean addBos;
    private final boolean addEos;
    private final boolean addSpacePrefix;
    private final BitSet eog = new BitSet();

    /** Ids of CONTROL, USER_DEFINED and UNKNOWN tokens, longest text first. */
    private final int[] specials;
    /** Ids back to bytes and text: the rendering of every token, llama.cpp's decoding rules. */
    private final Detokenizer detokenizer;

    /** The algorithm of {@link #kind}: SentencePiece, byte-level BPE or WordPiece. */
    private final Encoder encoder;

    /**
     * llama.cpp's defaults for a vocabulary kind, which the file's metadata overrides.
     *
     * @param preConfig the BPE pre-tokenizer (null for SPM and WPM)
     */
    private record Defaults(Kind kind, int bos, int eos, int unk, int sep, int pad, boolean addBos, boolean addEos,
            boolean addSpacePrefix, boolean cleanSpaces, PreTokenizer.Config preConfig) {}

    private Tokenizer(Vocabulary v) {
        this.model = v.model();
        int n = v.size();
        Defaults d = defaults(v);
        this.kind = d.kind();
        this.pre = kind == Kind.BPE ? (v.pre() == null ? "default" : v.pre()) : null;

        // ---- tokens: texts, scores, attributes by id, and the text -> id index
        texts = new String[n];
        scores = new float[n];
        attrs = new int[n];
        float[] vs = v.scores();
        int[] vt = v.tokenTypes();
        for (int i = 0; i < n; i++) {
            String t = v.tokens().get(i);
            texts[i] = t.isEmpty() ? "[EMPTY_" + i + "]" : t;
            scores[i] = vs == null ? 0f : vs[i];
            attrs[i] = vt == null ? ATTR_NORMAL : TYPE_TO_ATTR[vt[i]];
        }
        index = new TokenIndex(texts);
        for (int i = 0; i < n; i++) {
            int first = index.get(texts[i]);
            if (first != i) {
                throw new IllegalArgumentException("duplicate token in vocabulary: '" + texts[i] + "' has ids "
                        + first + " and " + i);
            }
        }

        // ---- special ids: the metadata wins over the defaults (defaults outside the vocabulary are off)
        bos = special(v.bosId(), d.bos(), n);
        eos = special(v.eosId(), d.eos(), n);
        unk = special(v.unkId(), d.unk(), n);
        sep = special(v.sepId(), d.sep(), n);
        pad = special(v.padId(), d.pad(), n);
        addBos = v.addBos() != null ? v.addBos() : d.addBos();
        addEos = v.addEos() != null ? v.addEos() : d.addEos();
        addSpacePrefix = v.addSpacePrefix() != null ? v.addSpacePrefix() : d.addSpacePrefix();
        if (addBos && bos < 0) {
            throw new IllegalArgumentException("add_bos_token is true, but bos_token_id is not set");
        }
        if (addEos && eos < 0) {
            throw new IllegalArgumentException("add_eos_token is true, but eos_token_id is not set");
        }
        eot = v.eotId() >= 0 ? v.eotId() : findByName(EOT_NAMES);
        eom = v.eomId() >= 0 ? v.eomId() : findByName(EOM_NAMES);
        markSpecialTokens();

        // ---- caches: special tokens longest first, the rendering of every token (the detokenizer
        // reads attrs, which the per-model rules below may still change, as llama.cpp's does)
        specials = specialsLongestFirst(texts, attrs);
        detokenizer = new Detokenizer(kind, texts, attrs, addSpacePrefix, d.cleanSpaces(), addBos ? bos : -1,
                addEos ? eos : -1);

        // ---- per-model token attributes llama.cpp sets by name (after the caches, as it does)
        applyModelRules(v.modelName());

        // ---- the algorithm
        encoder = switch (kind) {
            case SPM -> new SpmEncoder(index, scores, byteTokens());
            case BPE -> new BpeEncoder(index, v.merges(), new PreTokenizer(d.preConfig().type()),
                    d.preConfig().ignoreMerges());
            case WPM -> new WpmEncoder(index, unk, texts);
        };
    }

    /** The kind of {@code v} and llama.cpp's defaults for it (BPE: those of its pre-tokenizer). */
    private static Defaults defaults(Vocabulary v) {
        return switch (v.model()) {
            case "llama" -> new Defaults(Kind.SPM, 1, 2, 0, -1, -1, true, false, true, false, null);
            case "gpt2" -> {
                PreTokenizer.Config preConfig = PreTokenizer.config(v.pre());
                if (preConfig == null) {
                    throw new UnsupportedTokenizerException("unsupported pre-tokenizer type '" + v.pre()
                            + "' (tokenizer.ggml.pre) for tokenizer model 'gpt2'");
                }
                if (v.merges() == null) {
                    throw new IllegalArgumentException("tokenizer model 'gpt2' needs merges (tokenizer.ggml.merges)");
                }
                yield new Defaults(Kind.BPE, 11, 11, -1, -1, -1, preConfig.addBos(), false, false,
                        preConfig.cleanSpaces(), preConfig);
            }
            case "bert" -> new Defaults(Kind.WPM, 101, -1, 100, 102, 0, true, false, false, true, null);
            default -> throw new UnsupportedTokenizerException("unsupported tokenizer model '" + v.model()
                    + "' (tokenizer.ggml.model): supported are 'llama' (SentencePiece), 'gpt2' (byte-level BPE)"
                    + " and 'bert' (WordPiece)");
        };
    }

    /**
     * llama.cpp's special-token rules by name: unused CONTROL tokens, the end-of-generation set
     * (FIM tokens, known end names, EOS/EOT/EOM), gpt-oss's always-rendered markers, and harmony's
     * {@code <|end|>} that is not an end.
     */
    private void markSpecialTokens() {
        int fimPad = findByName(FIM_PAD_NAMES);
        int fimRep = findByName(FIM_REP_NAMES);
        int fimSep = findByName(FIM_SEP_NAMES);
        for (int i = 0; i < texts.length; i++) {
            if ((attrs[i] & ATTR_CONTROL) != 0 && (attrs[i] & ATTR_UNUSED) == 0 && texts[i].contains("unused")) {
                attrs[i] |= ATTR_UNUSED;
            }
        }
        for (int id : new int[] {fimPad, fimRep, fimSep}) {
            if (id >= 0) {
                eog.set(id);
            }
        }
        for (String name : EOG_NAMES) {
            int id = index.get(name);
            if (id >= 0) {
                eog.set(id);
                attrs[id] |= ATTR_CONTROL;
            }
        }
        for (String name : List.of("<|channel|>", "<|message|>", "<|start|>", "<|constrain|>")) {
            int id = index.get(name);
            if (id >= 0) {
                attrs[id] = ATTR_USER_DEFINED; // llama.cpp's gpt-oss rule: always rendered
            }
        }
        for (int id : new int[] {eos, eot, eom}) {
            if (id >= 0) {
                eog.set(id);
            }
        }
        // harmony / solar-open: "<|end|>" is not the end when "<|return|>" and "<|call|>" exist
        int end = index.get("<|end|>");
        if (end >= 0 && eog.get(end) && ((inEog("<|return|>") && inEog("<|call|>", "<|calls|>"))
                || (inEog("<|call|>", "<|calls|>") && inEog("<|flush|>")))) {
            eog.clear(end);
            attrs[end] = ATTR_USER_DEFINED;
        }
    }

    /** Ids of CONTROL, USER_DEFINED and UNKNOWN tokens, longest text first (ties: lower id first). */
    private static int[] specialsLongestFirst(String[] texts, int[] attrs) {
        List<Integer> sp = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            if ((attrs[i] & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN)) != 0) {
                sp.add(i);
            }
        }
        sp.sort(Comparator.comparingInt((Integer i) -> -texts[i].length()).thenComparingInt(i -> i));
        return sp.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Token attributes llama.cpp sets for some models by {@code general.name} (Phi-3: rstrip). */
    private void applyModelRules(String modelName) {
        String name = modelName == null ? "" : modelName.toLowerCase(Locale.ROOT);
        if (name.contains("phi-3") || name.contains("phi3")) {
            for (int id : specials) {
                attrs[id] |= ATTR_RSTRIP;
            }
            setAttr("</s>", ATTR_RSTRIP, true);
            for (String t : List.of("<unk>", "<s>", "<|endoftext|>")) {
                setAttr(t, ATTR_RSTRIP, false);
            }
        }
    }

    /** SentencePiece's byte fallback: the token of each byte ({@code <0xXX>}, else the ASCII character, else UNK). */
    private int[] byteTokens() {
        int[] byteTokens = new int[256];
        for (int b = 0; b < 256; b++) {
            int id = index.get(String.format(Locale.ROOT, "<0x%02X>", b));
            if (id < 0 && b < 0x80) {
                id = index.get(String.valueOf((char) b));
            }
            byteTokens[b] = id >= 0 ? id : unk;
        }
        return byteTokens;
    }

    /**
     * Builds the tokenizer of a vocabulary: lookup tables, merge table and piece cache, once.
     *
     * @throws UnsupportedTokenizerException for a model or pre-tokenizer this class does not implement
     * @throws IllegalArgumentException for an inconsistent vocabulary (duplicate token, add_bos
     *                                  without a BOS token, BPE without merges)
     */
    public static Tokenizer of(Vocabulary vocabulary) {
        return new Tokenizer(Objects.requireNonNull(vocabulary, "vocabulary"));
    }

    private static int special(int given, int dflt, int n) {
        if (given >= 0) {
            return given;
        }
        return dflt >= 0 && dflt < n ? dflt : -1;
    }

    /**
     * The first of {@code names} that is in the vocabulary (made CONTROL), or -1. Where several are,
     * llama.cpp takes whichever its hash map yields first; the order of its list is the deterministic
     * choice ({@code <|eot_id|>} before {@code <|end_of_text|>}, {@code <|im_end|>} before
     * {@code <|endoftext|>}).
     */
    private int findByName(List<String> names) {
        for (String s : names) {
            int id = index.get(s);
            if (id >= 0) {
                attrs[id] |= ATTR_CONTROL;
                return id;
            }
        }
        return -1;
    }

    private boolean inEog(String... names) {
        for (String s : names) {
            int id = index.get(s);
            if (id >= 0 && eog.get(id)) {
                return true;
            }
        }
        return false;
    }

    private void setAttr(String token, int attr, boolean on) {
        int id = index.get(token);
        if (id >= 0) {
            attrs[id] = on ? attrs[id] | attr : attrs[id] & ~attr;
        }
    }

    // =============================================================================================
    // encoding

    /**
     * The token ids of {@code text}, as llama.cpp's {@code llama_tokenize(vocab, text, addSpecial,
     * parseSpecial)}.
     *
     * @param addSpecial   add the BOS (and EOS, CLS/SEP) tokens the model asks for
     * @param parseSpecial recognise CONTROL tokens written in the text (e.g. a chat template's
     *                     {@code <|im_start|>}); USER_DEFINED tokens are always recognised
     */
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        Objects.requireNonNull(text, "text");
        String s = Unicode.wellFormed(text);
        return encodeFragments(s, partition(s, parseSpecial, null, null), addSpecial);
    }

    /**
     * The token ids of a chat prompt whose characters in {@code content} came from messages (text
     * of users, notes, documents) and the rest from the chat template: special tokens are
     * recognised in the template's markup, and never inside a message - there no CONTROL or
     * UNKNOWN token, no end-of-generation token and no token the markup itself uses is matched
     * (other USER_DEFINED tokens are, as in any text: {@code encode(text, addSpecial, false)}).
     * Text without special-token strings gets exactly the ids of {@code encode(text, addSpecial,
     * true)}: the fragments between special tokens are the same, only fewer cuts are made.
     *
     * @param content character ranges of {@code text} that are message text, as pairs
     *                {@code [start, end)} in increasing order (see
     *                {@code ChatTemplate.Prompt#content()})
     * @throws IllegalArgumentException if the ranges are not pairs in order within {@code text}
     */
    public int[] encodePrompt(String text, boolean addSpecial, int[] content) {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(content, "content");
        if (content.length % 2 != 0) {
            throw new IllegalArgumentException("content ranges come in pairs; got " + content.length + " ints");
        }
        int last = 0;
        for (int i = 0; i < content.length; i++) {
            if (content[i] < last || content[i] > text.length()) {
                throw new IllegalArgumentException("content range bound " + content[i] + " at index " + i
                        + " is out of order or outside 0.." + text.length());
            }
            last = content[i];
        }
        String s = Unicode.wellFormed(text); // same length: a lone surrogate becomes one U+FFFD
        // the special tokens the markup uses: never matched inside content either
        BitSet markers = new BitSet();
        int from = 0;
        for (int i = 0; i <= content.length; i += 2) {
            int to = i < content.length ? content[i] : s.length();
            if (to > from) {
                for (int[] f : partition(s.substring(from, to), true, null, null)) {
                    if (f[0] >= 0) {
                        markers.set(f[0]);
                    }
                }
            }
            if (i < content.length) {
                from = content[i + 1];
            }
        }
        return encodeFragments(s, partition(s, true, content, markers), addSpecial);
    }

    /** The ids of {@code s} cut into {@code fragments} by {@link #partition}. */
    private int[] encodeFragments(String s, List<int[]> fragments, boolean addSpecial) {
        IntList out = new IntList(Math.max(16, s.length() / 3));
        switch (kind) {
            case SPM -> {
                if (addSpecial && addBos) {
                    out.add(bos);
                }
                boolean prevSpecial = true;
                for (int[] f : fragments) {
                    if (f[0] >= 0) {
                        out.add(f[0]);
                        prevSpecial = true;
                        continue;
                    }
                    String raw = s.substring(f[1], f[2]);
                    String t = (addSpacePrefix && prevSpecial ? " " + raw : raw).replace(' ', '\u2581');
                    encoder.encode(t, out);
                    prevSpecial = false;
                }
                if (addSpecial && addEos) {
                    out.add(eos);
                }
            }
            case BPE -> {
                if (addSpecial && addBos) {
                    out.add(bos);
                }
                for (int[] f : fragments) {
                    if (f[0] >= 0) {
                        out.add(f[0]);
                    } else {
                        encoder.encode(s.substring(f[1], f[2]), out);
                    }
                }
                if (addSpecial && addEos) {
                    out.add(eos);
                }
            }
            case WPM -> {
                if (addSpecial) {
                    if (bos < 0) {
                        throw new IllegalStateException("vocabulary has no BOS/CLS token to add");
                    }
                    out.add(bos);
                }
                for (int[] f : fragments) {
                    if (f[0] >= 0) {
                        out.add(f[0]);
                    } else {
                        encoder.encode(s.substring(f[1], f[2]), out);
                    }
                }
                if (addSpecial) {
                    if (sep < 0) {
                        throw new IllegalStateException("vocabulary has no SEP token to add");
                    }
                    out.add(sep);
                }
            }
        }
        return out.toArray();
    }

    /** {@code encode(text, true, false)}: the model's BOS if it wants one; special-token text stays text. */
    public int[] encode(String text) {
        return encode(text, true, false);
    }

    /** The number of tokens of {@code text} on its own: {@code encode(text, false, false).length}. */
    public int countTokens(String text) {
        return encode(text, false, false).length;
    }

    /**
     * Cuts {@code s} at special tokens (llama.cpp's {@code tokenizer_st_partition}): a list of
     * {@code {tokenId, -1, -1}} and {@code {-1, start, end}} (raw text) fragments, in order.
     */
    private List<int[]> partition(String s, boolean parseSpecial, int[] content, BitSet markers) {
        List<int[]> frags = new ArrayList<>();
        if (s.isEmpty()) {
            return frags;
        }
        frags.add(new int[] {-1, 0, s.length()});
        long[] present = null; // chars of s, and hashed pairs of adjacent chars: a cheap "cannot occur" test
        for (int id : specials) {
            int a = attrs[id];
            if (!parseSpecial && (a & (ATTR_CONTROL | ATTR_UNKNOWN)) != 0) {
                continue;
            }
            String t = texts[id];
            if (t.length() > s.length()) {
                continue;
            }
            // in a prompt: control, end-of-generation and markup tokens only outside message text
            int[] guard = content != null && content.length > 0 && ((a & (ATTR_CONTROL | ATTR_UNKNOWN)) != 0
                    || eog.get(id) || markers.get(id)) ? content : null;
            if (present == null) {
                present = presence(s);
            }
            if (!mayOccur(t, present)) {
                continue;
            }
            List<int[]> next = null;
            for (int fi = 0; fi < frags.size(); fi++) {
                int[] f = frags.get(fi);
                if (f[0] >= 0) {
                    if (next != null) {
                        next.add(f);
                    }
                    continue;
                }
                int base = f[1];
                int end = f[2];
                int match = find(s, t, base, end, guard);
                if (match < 0) {
                    if (next != null) {
                        next.add(f);
                    }
                    continue;
                }
                if (next == null) {
                    next = new ArrayList<>(frags.subList(0, fi));
                }
                while (match >= 0) {
                    int leftEnd = match;
                    if ((a & ATTR_LSTRIP) != 0) {
                        while (leftEnd > base && Unicode.isAsciiSpace(s.charAt(leftEnd - 1))) {
                            leftEnd--;
                        }
                    }
                    if (leftEnd > base) {
                        next.add(new int[] {-1, base, leftEnd});
                    }
                    next.add(new int[] {id, -1, -1});
                    base = match + t.length();
                    if ((a & ATTR_RSTRIP) != 0) {
                        while (base < end && Unicode.isAsciiSpace(s.charAt(base))) {
                            base++;
                        }
                    }
                    match = base < end ? find(s, t, base, end, guard) : -1;
                }
                if (base < end) {
                    next.add(new int[] {-1, base, end});
                }
            }
            if (next != null) {
                frags = next;
            }
        }
        return frags;
    }

    /**
     * The first occurrence of {@code t} in {@code s[from, end)} that overlaps none of the ranges
     * {@code guard} (pairs {@code [start, end)} in order; null: none), or -1.
     */
    private static int find(String s, String t, int from, int end, int[] guard) {
        int m = s.indexOf(t, from, end);
        while (guard != null && m >= 0) {
            int e = m + t.length();
            // the first range that ends after m: binary search over the range ends
            int lo = 0;
            int hi = guard.length / 2;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (guard[2 * mid + 1] <= m) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            boolean overlaps = false;
            for (int k = lo; k < guard.length / 2 && guard[2 * k] < e; k++) {
                if (guard[2 * k] < guard[2 * k + 1]) { // a non-empty range that starts before e and ends after m
                    overlaps = true;
                    break;
                }
            }
            if (!overlaps) {
                return m;
            }
            m = m + 1 < end ? s.indexOf(t, m + 1, end) : -1;
        }
        return m;
    }

    /** Bits 0..65535: the chars of {@code s}; bits 65536..131071: hashes of its adjacent char pairs. */
    private static long[] presence(String s) {
        long[] bits = new long[2048];
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            bits[c >>> 6] |= 1L << c;
            if (i > 0) {
                int h = 0x10000 | pairHash(s.charAt(i - 1), c);
                bits[h >>> 6] |= 1L << h;
            }
        }
        return bits;
    }

    private static int pairHash(char a, char b) {
        return ((a * 0x9E37) ^ b) & 0xFFFF;
    }

    /** False if {@code t} cannot occur in the text {@code bits} describes. */
    private static boolean mayOccur(String t, long[] bits) {
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if ((bits[c >>> 6] & (1L << c)) == 0) {
                return false;
            }
            if (i > 0) {
                int h = 0x10000 | pairHash(t.charAt(i - 1), c);
                if ((bits[h >>> 6] & (1L << h)) == 0) {
                    return false;
                }
            }
        }
        return true;
    }

    // =============================================================================================
    // decoding

    /**
     * The bytes token {@code id} stands for (llama.cpp's {@code llama_token_to_piece} without
     * lstrip). CONTROL and UNKNOWN tokens render as their text with {@code special}, else as nothing;
     * a byte token is one byte, possibly part of a multi-byte character.
     */
    public byte[] pieceBytes(int id, boolean special) {
        checkId(id);
        return detokenizer.pieceBytes(id, special);
    }

    /**
     * The text of token {@code id} as a user would see it: {@code " Hello"} for SentencePiece's
     * {@code "▁Hello"} and byte-level BPE's {@code "ĠHello"}; control tokens as their text; bytes that
     * are not a whole UTF-8 character as U+FFFD.
     */
    public String tokenPiece(int id) {
        checkId(id);
        return detokenizer.tokenPiece(id);
    }

    /** The token string as stored in the vocabulary ({@code "▁Hello"}, {@code "ĠHello"}, {@code "<0x0A>"}). */
    public String tokenText(int id) {
        checkId(id);
        return texts[id];
    }

    /** The score of token {@code id} (SentencePiece log-probability; 0 when the file has none). */
    public float tokenScore(int id) {
        checkId(id);
        return scores[id];
    }

    /**
     * The type of token {@code id} after llama.cpp's adjustments (e.g. end-of-generation tokens are
     * CONTROL even if the file says otherwise).
     */
    public TokenType tokenType(int id) {
        checkId(id);
        int a = attrs[id];
        if ((a & ATTR_CONTROL) != 0) {
            return TokenType.CONTROL;
        }
        if ((a & ATTR_USER_DEFINED) != 0) {
            return TokenType.USER_DEFINED;
        }
        if ((a & ATTR_UNKNOWN) != 0) {
            return TokenType.UNKNOWN;
        }
        if ((a & ATTR_BYTE) != 0) {
            return TokenType.BYTE;
        }
        if ((a & ATTR_UNUSED) != 0) {
            return TokenType.UNUSED;
        }
        if ((a & ATTR_NORMAL) != 0) {
            return TokenType.NORMAL;
        }
        return TokenType.UNDEFINED;
    }

    /** The id of {@code text} if it is exactly one vocabulary entry, else -1. */
    public int tokenId(String text) {
        return index.get(Objects.requireNonNull(text, "text"));
    }

    /**
     * The text of {@code ids}: the inverse of {@link #encode} for text without special tokens.
     * Pieces are concatenated as bytes (CONTROL and UNKNOWN tokens render as nothing) and decoded as
     * UTF-8 (invalid bytes become U+FFFD); for SentencePiece the space put in front of the text is
     * removed. Spaces are kept exactly, unlike {@link #detokenize}.
     */
    public String decode(int[] ids) {
        checkIds(ids);
        return detokenizer.decode(ids);
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
     */
    public String detokenize(int[] ids, boolean removeSpecial, boolean unparseSpecial) {
        return new String(detokenizeBytes(ids, removeSpecial, unparseSpecial), StandardCharsets.UTF_8);
    }

    /** The bytes of {@link #detokenize} (before UTF-8 decoding). */
    byte[] detokenizeBytes(int[] ids, boolean removeSpecial, boolean unparseSpecial) {
        checkIds(ids);
        return detokenizer.detokenizeBytes(ids, removeSpecial, unparseSpecial);
    }

    /** A decoder for a stream of generated tokens (CONTROL tokens render as nothing). */
    public StreamingDecoder newDecoder() {
        return new StreamingDecoder(this, false);
    }

    /** A decoder for a stream of generated tokens; with {@code renderSpecial} CONTROL tokens render as their text. */
    public StreamingDecoder newDecoder(boolean renderSpecial) {
        return new StreamingDecoder(this, renderSpecial);
    }

    /** Appends the bytes of {@code id} to {@code out} (for the streaming decoder). */
    void appendPiece(int id, boolean special, java.io.ByteArrayOutputStream out) {
        checkId(id);
        detokenizer.appendPiece(id, special, out);
    }

    // =============================================================================================
    // vocabulary facts

    /** The algorithm. */
    public Kind kind() {
        return kind;
    }

    /** {@code tokenizer.ggml.model}. */
    public String model() {
        return model;
    }

    /** The BPE pre-tokenizer name ({@code "default"} when the file has none), or {@code null} for other kinds. */
    public String preTokenizer() {
        return pre;
    }

    /** The number of tokens; ids are {@code 0 .. vocabSize() - 1}. */
    public int vocabSize() {
        return texts.length;
    }

    /** Beginning-of-sequence token, or -1. */
    public int bosId() {
        return bos;
    }

    /** End-of-sequence token, or -1. */
    public int eosId() {
        return eos;
    }

    /** End-of-turn token ({@code <|eot_id|>}, {@code <|im_end|>}, ...), or -1. */
    public int eotId() {
        return eot;
    }

    /** Unknown token, or -1. */
    public int unkId() {
        return unk;
    }

    /** Padding token, or -1. */
    public int padId() {
        return pad;
    }

    /** Separator token (BERT's {@code [SEP]}), or -1. */
    public int sepId() {
        return sep;
    }

    /** Whether {@code encode(text, true, ...)} puts BOS first. */
    public boolean addsBos() {
        return addBos;
    }

    /** Whether {@code encode(text, true, ...)} puts EOS last. */
    public boolean addsEos() {
        return addEos;
    }

    /** Whether SentencePiece puts a space in front of the text. */
    public boolean addsSpacePrefix() {
        return addSpacePrefix;
    }

    /**
     * Whether generation should stop at token {@code id}: EOS, EOT, EOM and the tokens llama.cpp
     * recognises by name ({@code <|end_of_text|>}, {@code <|im_end|>}, {@code <|endoftext|>},
     * {@code <end_of_turn>}, {@code <|end|>}, ...). False for ids outside the vocabulary.
     */
    public boolean isEndOfGeneration(int id) {
        return id >= 0 && id < texts.length && eog.get(id);
    }

    /** The end-of-generation ids, ascending. */
    public int[] endOfGenerationIds() {
        return eog.stream().toArray();
    }

    /** Whether token {@code id} is a CONTROL token (not rendered by {@link #decode}). */
    public boolean isControl(int id) {
        checkId(id);
        return (attrs[id] & ATTR_CONTROL) != 0;
    }

    private void checkIds(int[] ids) {
        for (int id : ids) {
            checkId(id);
        }
    }

    private void checkId(int id) {
        if (id < 0 || id >= texts.length) {
            throw new IllegalArgumentException("token id = " + id + ": must be 0.." + (texts.length - 1));
        }
    }

    @Override
    public String toString() {
        return "Tokenizer[" + model + (pre != null ? "/" + pre : "") + ", " + texts.length + " tokens, bos=" + bos
                + ", eos=" + eos + (eot >= 0 ? ", eot=" + eot : "") + ", addBos=" + addBos + "]";
    }
}
