package dev.pocketrag.index;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded helpers for the index tests. */
final class TestSupport {
    private TestSupport() {}

    static final String MODEL = "test-model@1";
    static final int DIM = 16;

    /**
     * A stand-in for a word-piece tokenizer: 2 special tokens plus one token per run of letters or
     * digits and one per other non-space character.
     */
    static int countTokens(String s) {
        int n = 2;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (Character.isLetterOrDigit(c)) {
                while (i < s.length() && Character.isLetterOrDigit(s.charAt(i))) {
                    i++;
                }
                n++;
            } else {
                i++;
                n++;
            }
        }
        return n;
    }

    static float[] randomUnit(Random rnd, int dim) {
        float[] v = new float[dim];
        double sq = 0;
        for (int i = 0; i < dim; i++) {
            v[i] = (float) rnd.nextGaussian();
            sq += v[i] * v[i];
        }
        float inv = (float) (1 / Math.sqrt(sq));
        for (int i = 0; i < dim; i++) {
            v[i] *= inv;
        }
        return v;
    }

    /** A unit vector along axis {@code axis} (plus a little of axis+1 so it is not degenerate). */
    static float[] axis(int axis, int dim) {
        float[] v = new float[dim];
        v[axis % dim] = 0.96f;
        v[(axis + 1) % dim] = 0.28f; // 0.96^2 + 0.28^2 = 1
        return v;
    }

    /** Chunks a note with the test tokenizer and gives every chunk the same vector. */
    static ChunkedNote chunked(Note note, float[] vector, int maxTokens) {
        Chunker chunker = new Chunker(TestSupport::countTokens, maxTokens, Math.min(8, (maxTokens - 3) / 2));
        List<Chunk> chunks = chunker.split(note);
        List<float[]> vectors = new ArrayList<>();
        for (int i = 0; i < chunks.size(); i++) {
            vectors.add(vector);
        }
        return new ChunkedNote(note, chunks, vectors);
    }

    static String words(Random rnd, int n) {
        String[] vocab = {"alpha", "beta", "gamma", "delta", "river", "mountain", "cloud", "engine", "protein",
            "market", "garden", "signal", "window", "quartz", "violin", "harbor", "lantern", "meadow"};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(i % 9 == 0 ? ". " : " ");
            }
            sb.append(vocab[rnd.nextInt(vocab.length)]);
        }
        return sb.append('.').toString();
    }
}
