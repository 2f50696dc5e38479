package dev.pocketrag.generation.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns generated token ids into text as they arrive. A token may end in the middle of a UTF-8
 * character (byte-fallback tokens, byte-level BPE pieces of an emoji): its bytes are held back and
 * {@link #accept} returns only complete characters; the rest comes with the token that completes
 * it. Bytes that can never form a character become U+FFFD. Not thread-safe: one per stream.
 *
 * <pre>{@code
 * StreamingDecoder d = tokenizer.newDecoder();
 * for (int id : generated) System.out.print(d.accept(id));
 * System.out.print(d.finish());
 * }</pre>
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final boolean renderSpecial;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final ByteArrayOutputStream piece = new ByteArrayOutputStream();
    private ByteBuffer pending = ByteBuffer.allocate(0);

    StreamingDecoder(Tokenizer tokenizer, boolean renderSpecial) {
        this.tokenizer = tokenizer;
        this.renderSpecial = renderSpecial;
    }

    /**
     * Adds one token; returns the text it completes (possibly empty, never {@code null}).
     *
     * @throws IllegalArgumentException if {@code id} is not in the vocabulary
     */
    public String accept(int id) {
        piece.reset();
        tokenizer.appendPiece(id, renderSpecial, piece);
        if (piece.size() == 0) {
            return "";
        }
        byte[] bytes = piece.toByteArray();
        ByteBuffer in = ByteBuffer.allocate(pending.remaining() + bytes.length);
        in.put(pending).put(bytes).flip();
        CharBuffer out = CharBuffer.allocate(in.remaining() + 2);
        utf8.decode(in, out, false); // leaves an incomplete trailing sequence in 'in'
        pending = in.slice();
        return out.flip().toString();
    }

    /** Whether bytes of an incomplete character are held back. */
    public boolean hasPending() {
        return pending.hasRemaining();
    }

    /**
     * Ends the stream: returns U+FFFD for bytes still held back (a character that never completed),
     * else the empty string, and makes the decoder ready for a new stream.
     */
    public String finish() {
        CharBuffer out = CharBuffer.allocate(pending.remaining() + 2);
        utf8.decode(pending, out, true);
        utf8.flush(out);
        utf8.reset();
        pending = ByteBuffer.allocate(0);
        return out.flip().toString();
    }
}
