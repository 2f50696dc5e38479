package dev.pocketrag.langchain4j;

import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.store.embedding.filter.Filter;
import dev.langchain4j.store.embedding.filter.comparison.IsEqualTo;
import dev.langchain4j.store.embedding.filter.comparison.IsGreaterThan;
import dev.langchain4j.store.embedding.filter.comparison.IsGreaterThanOrEqualTo;
import dev.langchain4j.store.embedding.filter.comparison.IsIn;
import dev.langchain4j.store.embedding.filter.comparison.IsLessThan;
import dev.langchain4j.store.embedding.filter.comparison.IsLessThanOrEqualTo;
import dev.langchain4j.store.embedding.filter.logical.And;
import dev.langchain4j.store.embedding.filter.logical.Or;
import dev.pocketrag.index.SearchFilter;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * LangChain4j metadata {@link Filter}s to the index's {@link SearchFilter}, which is applied inside
 * the kNN search. What maps:
 *
 * <ul>
 *   <li>{@code IsEqualTo("tag", "x")} (or key {@code "tags"}): the note has tag x; several under
 *       {@code And}: all of them.</li>
 *   <li>{@code IsIn("tag", [x, y])}, or an {@code Or} of such equalities and {@code IsIn}s: at least
 *       one of them (one such group per filter).</li>
 *   <li>{@code IsGreaterThan[OrEqualTo]} / {@code IsLessThan[OrEqualTo]} on {@code "created"} or
 *       {@code "updated"}, with an ISO-8601 instant ({@code "2026-04-29T00:00:00Z"}) or epoch
 *       milliseconds: a time range; under {@code And} the tightest bounds.</li>
 *   <li>{@code And} of the above.</li>
 * </ul>
 *
 * Anything else ({@code Not}, {@code IsNotEqualTo}, {@code ContainsString}, an {@code Or} across keys,
 * another key) throws {@link UnsupportedFeatureException} naming the filter.
 */
final class Filters {
    private Filters() {}

    static SearchFilter toSearchFilter(Filter filter) {
        if (filter == null) {
            return SearchFilter.NONE;
        }
        Builder b = new Builder(filter);
        b.add(filter);
        return b.build();
    }

    private static final class Builder {
        final Filter whole;
        final Set<String> all = new LinkedHashSet<>();
        Set<String> any;
        Instant createdFrom, createdTo, updatedFrom, updatedTo;

        Builder(Filter whole) {
            this.whole = whole;
        }

        void add(Filter f) {
            switch (f) {
                case And and -> {
                    add(and.left());
                    add(and.right());
                }
                case IsEqualTo eq when isTagKey(eq.key()) -> all.add(tag(eq.comparisonValue(), f));
                case IsIn in when isTagKey(in.key()) -> anyOf(f);
                case Or or -> anyOf(or);
                case IsGreaterThanOrEqualTo c -> lower(c.key(), instant(c.comparisonValue(), f), f);
                case IsGreaterThan c -> lower(c.key(), instant(c.comparisonValue(), f).plusMillis(1), f);
                case IsLessThan c -> upper(c.key(), instant(c.comparisonValue(), f), f);
                case IsLessThanOrEqualTo c -> upper(c.key(), instant(c.comparisonValue(), f).plusMillis(1), f);
                default -> throw unsupported(f);
            }
        }

        private void anyOf(Filter f) {
            if (any != null) {
                throw unsupported(f, "only one group of alternative tags (IsIn or Or) per filter");
            }
            any = new LinkedHashSet<>();
            collectAlternatives(f);
        }

        private void collectAlternatives(Filter f) {
            switch (f) {
                case Or or -> {
                    collectAlternatives(or.left());
                    collectAlternatives(or.right());
                }
                case IsEqualTo eq when isTagKey(eq.key()) -> any.add(tag(eq.comparisonValue(), f));
                case IsIn in when isTagKey(in.key()) -> {
                    for (Object v : in.comparisonValues()) {
                        any.add(tag(v, f));
                    }
                }
                default -> throw unsupported(f, "an Or may only join tag equalities (IsEqualTo/IsIn on \"tag\")");
            }
        }

        private void lower(String key, Instant t, Filter f) {
            switch (key) {
                case PocketragEmbeddingStore.CREATED -> createdFrom = max(createdFrom, t);
                case PocketragEmbeddingStore.UPDATED -> updatedFrom = max(updatedFrom, t);
                default -> throw unsupported(f);
            }
        }

        private void upper(String key, Instant t, Filter f) {
            switch (key) {
                case PocketragEmbeddingStore.CREATED -> createdTo = min(createdTo, t);
                case PocketragEmbeddingStore.UPDATED -> updatedTo = min(updatedTo, t);
                default -> throw unsupported(f);
            }
        }

        SearchFilter build() {
            try {
                return new SearchFilter(all, any == null ? Set.of() : any, createdFrom, createdTo, updatedFrom, updatedTo);
            } catch (IllegalArgumentException e) { // an empty time range
                throw new IllegalArgumentException("filter " + whole + " matches nothing: " + e.getMessage(), e);
            }
        }

        private UnsupportedFeatureException unsupported(Filter f) {
            return unsupported(f, "supported: IsEqualTo/IsIn on \"tag\", comparisons on \"created\"/\"updated\", And, "
                    + "Or of tag equalities");
        }

        private UnsupportedFeatureException unsupported(Filter f, String why) {
            String part = f == whole ? "" : " (in " + whole + ")";
            return new UnsupportedFeatureException("pocketrag's note index cannot apply the filter " + f + part + "; " + why);
        }

        private String tag(Object value, Filter f) {
            if (!(value instanceof String s) || s.isEmpty()) {
                throw new IllegalArgumentException("filter " + f + ": a tag must be a non-empty string, got " + value);
            }
            return s;
        }

        private static Instant instant(Object value, Filter f) {
            return switch (value) {
                case Number n when !(n instanceof Double) && !(n instanceof Float) -> Instant.ofEpochMilli(n.longValue());
                case String s -> {
                    try {
                        yield Instant.parse(s);
                    } catch (DateTimeParseException e) {
                        throw new IllegalArgumentException("filter " + f + ": '" + s
                                + "' is not an ISO-8601 instant such as 2026-04-29T00:00:00Z", e);
                    }
                }
                default -> throw new IllegalArgumentException("filter " + f + ": a time must be an ISO-8601 instant "
                        + "string or epoch milliseconds (Long), got " + value);
            };
        }

        private static boolean isTagKey(String key) {
            return key.equals("tag") || key.equals(PocketragEmbeddingStore.TAGS);
        }

        private static Instant max(Instant a, Instant b) {
            return a == null || b.isAfter(a) ? b : a;
        }

        private static Instant min(Instant a, Instant b) {
            return a == null || b.isBefore(a) ? b : a;
        }
    }
}
