package dev.pocketrag.generation.tokenizer;

/**
 * One tokenization algorithm over a vocabulary's text fragments (the text between special tokens):
 * SentencePiece ({@link SpmEncoder}), byte-level BPE ({@link BpeEncoder}) or WordPiece
 * ({@link WpmEncoder}). {@link Tokenizer} cuts the text at special tokens and adds BOS/EOS around.
 */
interface Encoder {
    /** Appends the ids of {@code text} (a fragment without special tokens) to {@code out}. */
    void encode(String text, IntList out);
}
