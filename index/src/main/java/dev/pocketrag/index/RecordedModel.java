package dev.pocketrag.index;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The embedding model an index's vectors were made with, as its commit records it ({@link
 * NoteIndex#recorded}), or as an opener asks for it ({@link IndexOptions}).
 *
 * @param modelId the model's id ({@code Embedder.modelId()}: file name and sha-256), 1 to 1000
 *     characters
 * @param dimension the vectors' dimension, 1 to {@value IndexOptions#MAX_DIMENSION}
 * @param recipe what turns the model's outputs into vectors, in the embedder's one canonical line
 *     ({@code Embedder.recipe()}: {@code pooling=mean normalize=true maxTokens=256 query="" passage=""});
 *     empty when not known: an index written before recipes were recorded, or an opener that does
 *     not say
 */
public record RecordedModel(String modelId, int dimension, String recipe) {

    public RecordedModel {
        Objects.requireNonNull(modelId, "modelId");
        Objects.requireNonNull(recipe, "recipe");
        if (dimension < 1 || dimension > IndexOptions.MAX_DIMENSION) {
            throw new IllegalArgumentException("dimension=" + dimension + ", must be in [1, "
                    + IndexOptions.MAX_DIMENSION + "]");
        }
    }

    /**
     * Whether vectors of {@code other} may go with these: the same model id and dimension, and the
     * same recipe unless one of the two does not say.
     */
    public boolean accepts(RecordedModel other) {
        return difference(other).isEmpty();
    }

    /**
     * What differs from {@code other}, in words ({@code "model id 'a' vs 'b'"}, {@code "recipe:
     * query prefix \"\" vs \"query: \""}), parts joined by {@code "; "}; empty when {@link
     * #accepts} holds. This side is named first.
     */
    public String difference(RecordedModel other) {
        List<String> parts = new ArrayList<>();
        if (!modelId.equals(other.modelId)) {
            parts.add("model id '" + modelId + "' vs '" + other.modelId + "'");
        }
        if (dimension != other.dimension) {
            parts.add("dimension " + dimension + " vs " + other.dimension);
        }
        if (!recipe.isEmpty() && !other.recipe.isEmpty() && !recipe.equals(other.recipe)) {
            parts.add("recipe: " + recipeDifference(recipe, other.recipe));
        }
        return String.join("; ", parts);
    }

    /** Words for the keys of a recipe line. */
    private static final Map<String, String> WORDS = Map.of("pooling", "pooling", "normalize", "normalisation",
            "maxTokens", "max tokens", "query", "query prefix", "passage", "passage prefix");

    /**
     * The settings two recipe lines differ in, e.g. {@code query prefix "" vs "query: "}; the lines
     * themselves when they cannot be read as {@code key=value} pairs.
     */
    static String recipeDifference(String a, String b) {
        Map<String, String> x = parse(a);
        Map<String, String> y = parse(b);
        if (x == null || y == null) {
            return "'" + a + "' vs '" + b + "'";
        }
        List<String> parts = new ArrayList<>();
        java.util.Set<String> keys = new java.util.LinkedHashSet<>(x.keySet());
        keys.addAll(y.keySet());
        for (String k : keys) {
            String u = x.getOrDefault(k, "(none)");
            String v = y.getOrDefault(k, "(none)");
            if (!u.equals(v)) {
                parts.add(WORDS.getOrDefault(k, k) + " " + u + " vs " + v);
            }
        }
        return parts.isEmpty() ? "'" + a + "' vs '" + b + "'" : String.join(", ", parts);
    }

    /**
     * The {@code key=value} pairs of a recipe line in order (a quoted value keeps its quotes and
     * escapes), or null if it is not such a line.
     */
    static Map<String, String> parse(String line) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        int n = line.length();
        while (i < n) {
            while (i < n && line.charAt(i) == ' ') {
                i++;
            }
            if (i == n) {
                break;
            }
            int eq = line.indexOf('=', i);
            if (eq <= i) {
                return null;
            }
            String key = line.substring(i, eq);
            if (key.indexOf(' ') >= 0) {
                return null;
            }
            int j = eq + 1;
            if (j < n && line.charAt(j) == '"') {
                j++;
                while (j < n && line.charAt(j) != '"') {
                    j += line.charAt(j) == '\\' ? 2 : 1;
                }
                if (j >= n) {
                    return null; // an open quote
                }
                j++;
            } else {
                while (j < n && line.charAt(j) != ' ') {
                    j++;
                }
            }
            out.put(key, line.substring(eq + 1, j));
            i = j;
        }
        return out;
    }

    /** {@code 'id' (384 dims, pooling=... )}, for messages. */
    public String describe() {
        return "'" + modelId + "' (" + dimension + " dims" + (recipe.isEmpty() ? ", no recipe recorded" : ", " + recipe) + ")";
    }
}
