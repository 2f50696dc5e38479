package dev.pocketrag.index;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded helpers for the index tests. */
final class TestSupport {
    private TestSupport() {}

    static final String MODEL = "test-model@1";
    static final int DIM = 16;

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

    /**
     * The index's tests' own chunker (the real one, retrieval's {@code Chunker}, is above this
     * module): windows of whole words (runs of non-space characters), at most
     * {@code (maxTokens - 2) / 2} words each (a word may count as more than one token) and
     * consecutive windows sharing {@code overlapWords}; an empty body gives one empty chunk. The embedding text is the title, a line break and the text.
     */
    static List<Chunk> split(Note note, int maxTokens, int overlapWords) {
        List<int[]> words = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\S+").matcher(note.body());
        while (m.find()) {
            words.add(new int[] {m.start(), m.end()});
        }
        String prefix = note.title().isBlank() ? "" : note.title().strip() + "\n";
        List<Chunk> chunks = new ArrayList<>();
        if (words.isEmpty()) {
            chunks.add(new Chunk(0, 0, 0, "", prefix.strip()));
            return chunks;
        }
        int window = Math.max(1, (maxTokens - 2) / 2); // a word may count as more than one token
        int step = Math.max(1, window - overlapWords);
        for (int from = 0; ; from += step) {
            int to = Math.min(words.size(), from + window);
            int start = words.get(from)[0];
            int end = words.get(to - 1)[1];
            String text = note.body().substring(start, end);
            chunks.add(new Chunk(chunks.size(), start, end, text, prefix + text));
            if (to == words.size()) {
                return chunks;
            }
        }
    }

    /** Chunks a note with the test chunker and gives every chunk the same vector. */
    static ChunkedNote chunked(Note note, float[] vector, int maxTokens) {
        List<Chunk> chunks = split(note, maxTokens, Math.min(8, (maxTokens - 3) / 4));
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
