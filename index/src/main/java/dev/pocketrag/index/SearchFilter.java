package dev.pocketrag.index;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which notes a search may return; applied inside the kNN search (a filtered HNSW traversal), not
 * to its results, so a filter never starves the top k.
 *
 * @param allTags a note must have every one of these tags (empty: no constraint)
 * @param anyTags a note must have at least one of these tags (empty: no constraint)
 * @param createdFrom inclusive lower bound of {@code created}, or null
 * @param createdTo exclusive upper bound of {@code created}, or null
 * @param updatedFrom inclusive lower bound of {@code updated}, or null
 * @param updatedTo exclusive upper bound of {@code updated}, or null
 */
public record SearchFilter(Set<String> allTags, Set<String> anyTags, Instant createdFrom, Instant createdTo,
        Instant updatedFrom, Instant updatedTo) {

    /** No constraint. */
    public static final SearchFilter NONE = new SearchFilter(Set.of(), Set.of(), null, null, null, null);

    public SearchFilter {
        allTags = Set.copyOf(new TreeSet<>(Objects.requireNonNull(allTags, "allTags")));
        anyTags = Set.copyOf(new TreeSet<>(Objects.requireNonNull(anyTags, "anyTags")));
        checkRange("created", createdFrom, createdTo);
        checkRange("updated", updatedFrom, updatedTo);
    }

    private static void checkRange(String what, Instant from, Instant to) {
        if (from != null && to != null && !from.isBefore(to)) {
            throw new IllegalArgumentException(what + " range is empty: from=" + from + " is not before to=" + to);
        }
    }

    /** Notes that have all of {@code tags}. */
    public static SearchFilter tags(String... tags) {
        return NONE.withAllTags(List.of(tags));
    }

    public SearchFilter withAllTags(java.util.Collection<String> tags) {
        return new SearchFilter(Set.copyOf(tags), anyTags, createdFrom, createdTo, updatedFrom, updatedTo);
    }

    public SearchFilter withAnyTags(java.util.Collection<String> tags) {
        return new SearchFilter(allTags, Set.copyOf(tags), createdFrom, createdTo, updatedFrom, updatedTo);
    }

    /** Notes created in {@code [from, to)}; either bound may be null. */
    public SearchFilter withCreated(Instant from, Instant to) {
        return new SearchFilter(allTags, anyTags, from, to, updatedFrom, updatedTo);
    }

    /** Notes updated in {@code [from, to)}; either bound may be null. */
    public SearchFilter withUpdated(Instant from, Instant to) {
        return new SearchFilter(allTags, anyTags, createdFrom, createdTo, from, to);
    }

    public boolean isEmpty() {
        return allTags.isEmpty() && anyTags.isEmpty() && createdFrom == null && createdTo == null
                && updatedFrom == null && updatedTo == null;
    }
}
