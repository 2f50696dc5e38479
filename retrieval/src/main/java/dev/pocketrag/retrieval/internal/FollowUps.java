package dev.pocketrag.retrieval.internal;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rule-based standalone query of a follow-up question, for a notebook without a chat model.
 *
 * <p>A question is read as a follow-up of the previous turn when it
 * <ul>
 *   <li>points back: a pronoun or pro-form ({@code it}, {@code they}, {@code that}, {@code there},
 *       {@code then}, ...), unless it has three or more content words none of which the previous
 *       turn used (then it is a new question that happens to say "it");</li>
 *   <li>is elliptical: starts like a continuation ({@code and}, {@code what about}, {@code what if},
 *       {@code also}, ...) or has at most one content word ("Why?", "The deadline?");</li>
 *   <li>or stays on the topic: at least half of its content words (stemmed) occur in the previous
 *       turn (its query, answer, cited notes' titles and passages), as "Who owns the rollback?"
 *       after an answer from the cut-over runbook.</li>
 * </ul>
 * A question with new words whose best passage alone is weak ({@link #CONFIDENT_SIMILARITY}) is
 * a vague follow-up too ("How much should I take each day?"). Anything else is a topic switch
 * and carries nothing. A follow-up's query is the question, then the content words of the
 * previous turn's query that it lacks (numbers left out; at most {@link #MAX_CARRIED}, so a chain
 * of follow-ups does not grow without bound), then, when that query gave fewer than two words,
 * the words of the title of the note the previous answer cited first.
 */
public final class FollowUps {
    /** The most words carried over from the previous turn. */
    public static final int MAX_CARRIED = 12;

    private FollowUps() {}

    /**
     * The previous turn as the rules read it.
     *
     * @param query what it searched for (its own standalone query)
     * @param answer its answer's text
     * @param citedTitles the titles of the notes its answer cited, first cited first
     * @param citedText the text of the passages it cited
     */
    public record Previous(String query, String answer, List<String> citedTitles, String citedText) {
        public Previous {
            Objects.requireNonNull(query, "query");
            Objects.requireNonNull(answer, "answer");
            citedTitles = List.copyOf(citedTitles);
            Objects.requireNonNull(citedText, "citedText");
        }
    }

    /** Why a question was or was not read as a follow-up (for tests and the bench). */
    public enum Reason { NO_PREVIOUS_TURN, POINTS_BACK, ELLIPTICAL, SAME_TOPIC, VAGUE, NEW_TOPIC }

    /**
     * The cosine similarity (MiniLM) of the best passage for a question alone at which it counts
     * as answerable on its own: a question with new words whose best passage is less similar is
     * too vague to be a new topic ("How much should I take each day?") and is read as a
     * follow-up. Topic switches of the follow-up bench score 0.50 to 0.69, the vague follow-ups
     * 0.25 to 0.33.
     */
    public static final double CONFIDENT_SIMILARITY = 0.45;

    /**
     * The standalone query and why.
     *
     * @param query what to search for ({@code question} itself unless it is a follow-up)
     * @param reason the rule that decided
     */
    public record Rewrite(String query, Reason reason) {
        /** Whether the previous turn's context was carried. */
        public boolean followUp() {
            return reason != Reason.NO_PREVIOUS_TURN && reason != Reason.NEW_TOPIC;
        }
    }

    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+(?:[-'’][\\p{L}\\p{N}]+)*");

    private static final Set<String> POINTING = Set.of("it", "its", "it's", "itself", "they", "them", "their",
            "theirs", "he", "she", "him", "her", "his", "hers", "that", "this", "those", "these", "there", "then",
            "same", "else");

    private static final List<String> CONTINUATIONS = List.of("and", "but", "also", "so", "or", "what about",
            "how about", "what if", "and if", "and what", "as for", "then");

    private static final Set<String> STOP = Set.copyOf(List.of("a", "an", "the", "and", "or", "but", "so", "of", "to", "in",
            "on", "at", "for", "by", "with", "from", "about", "as", "into", "is", "are", "was", "were", "be", "been",
            "being", "am", "do", "does", "did", "done", "have", "has", "had", "will", "would", "shall", "should",
            "can", "could", "may", "might", "must", "what", "what's", "whats", "when", "when's", "where", "where's",
            "who", "who's", "whom", "whose", "which", "why", "how", "i", "me", "my", "mine", "we", "us", "our",
            "you", "your", "it", "its", "it's", "itself", "they", "them", "their", "theirs", "he", "she", "him",
            "her", "his", "hers", "this", "that", "these", "those", "there", "then", "than", "also", "too", "again",
            "any", "some", "all", "not", "no", "yes", "if", "else", "one", "ones", "same", "more", "much", "many",
            "get", "got", "please", "tell", "know", "still", "just", "now", "up", "out", "there's", "that's",
            "ok", "okay", "else", "anything", "something", "need", "is", "s", "does", "say", "said", "happen",
            "happens", "going", "go", "way", "thing", "things", "again", "exactly", "actually", "really", "other"));

    /**
     * The standalone query of {@code question} after {@code previous} (null: the first turn).
     */
    public static Rewrite rewrite(String question, Previous previous) {
        return rewrite(question, previous, () -> Double.POSITIVE_INFINITY);
    }

    /**
     * The standalone query of {@code question} after {@code previous} (null: the first turn).
     *
     * @param aloneSimilarity the similarity of the best passage for the question alone (asked only
     *     when the words say it is a new topic); below {@link #CONFIDENT_SIMILARITY} it is a vague
     *     follow-up instead
     */
    public static Rewrite rewrite(String question, Previous previous, java.util.function.DoubleSupplier aloneSimilarity) {
        Objects.requireNonNull(question, "question");
        String q = question.strip();
        if (previous == null) {
            return new Rewrite(q, Reason.NO_PREVIOUS_TURN);
        }
        List<String> words = words(q);
        // numbers ("15:00") say little about the topic: they neither count as known nor as new
        List<String> content = content(words).stream().filter(w -> !w.chars().allMatch(Character::isDigit)).toList();
        Set<String> context = new LinkedHashSet<>();
        for (String w : content(words(previous.query() + " " + previous.answer() + " "
                + String.join(" ", previous.citedTitles()) + " " + previous.citedText()))) {
            context.add(stem(w));
        }
        int known = 0;
        for (String w : content) {
            if (context.contains(stem(w))) {
                known++;
            }
        }
        Reason reason;
        if (words.stream().anyMatch(w -> POINTING.contains(w.toLowerCase(Locale.ROOT))) && !(content.size() >= 3 && known == 0)) {
            reason = Reason.POINTS_BACK;
        } else if (startsWithContinuation(q) || content.size() <= 1) {
            reason = Reason.ELLIPTICAL;
        } else if (known * 2 >= content.size()) {
            reason = Reason.SAME_TOPIC;
        } else if (aloneSimilarity.getAsDouble() < CONFIDENT_SIMILARITY) {
            reason = Reason.VAGUE;
        } else {
            return new Rewrite(q, Reason.NEW_TOPIC);
        }
        Set<String> have = new LinkedHashSet<>();
        for (String w : content) {
            have.add(stem(w));
        }
        List<String> carried = new ArrayList<>();
        for (String w : content(words(previous.query()))) {
            // numbers belong to the question that asked them ("step 3"), not to the topic
            if (carried.size() < MAX_CARRIED && !w.chars().allMatch(Character::isDigit) && have.add(stem(w))) {
                carried.add(w);
            }
        }
        // the cited note's title only when the previous query says little: a title often names
        // what else that note is about ("weekly sync 29 April: date moved") and pulls toward it
        if (carried.size() < 2 && !previous.citedTitles().isEmpty()) {
            for (String w : content(words(previous.citedTitles().get(0)))) {
                if (carried.size() < 6 && have.add(stem(w))) {
                    carried.add(w);
                }
            }
        }
        String query = carried.isEmpty() ? q : q + " " + String.join(" ", carried);
        return new Rewrite(query, reason);
    }

    /**
     * Whether a model's rewrite is grounded in the conversation: it shares at least one content
     * word (stemmed) with the question or the recent turns' text. A rewrite that does not (a small
     * model's invention, or noise) is not used.
     */
    public static boolean grounded(String rewrite, String conversation) {
        Set<String> known = new java.util.HashSet<>();
        for (String w : content(words(conversation))) {
            known.add(stem(w));
        }
        for (String w : content(words(rewrite))) {
            if (known.contains(stem(w))) {
                return true;
            }
        }
        return false;
    }

    private static boolean startsWithContinuation(String q) {
        String lower = q.toLowerCase(Locale.ROOT);
        for (String c : CONTINUATIONS) {
            if (lower.startsWith(c) && (lower.length() == c.length() || !Character.isLetterOrDigit(lower.charAt(c.length())))) {
                return true;
            }
        }
        return false;
    }

    /** The words of {@code text} as written, apostrophes normalised. */
    static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            out.add(m.group().replace('’', '\''));
        }
        return out;
    }

    /** The words that carry meaning (as written): not function words, not single letters. */
    static List<String> content(List<String> words) {
        List<String> out = new ArrayList<>();
        for (String w : words) {
            String lower = w.toLowerCase(Locale.ROOT);
            String base = lower.endsWith("'s") ? w.substring(0, w.length() - 2) : w;
            if (base.length() > 1 && !STOP.contains(lower) && !STOP.contains(base.toLowerCase(Locale.ROOT))) {
                out.add(base);
            }
        }
        return out;
    }

    /** A crude English stem, lower case, enough to match "owns" with "owner" and "renew" with "renewal". */
    static String stem(String w) {
        String s = w.toLowerCase(Locale.ROOT);
        if (s.length() > 4 && s.endsWith("ies")) {
            s = s.substring(0, s.length() - 3) + "y";
        } else if (s.length() > 3 && s.endsWith("s") && !s.endsWith("ss")) {
            s = s.substring(0, s.length() - 1);
        }
        for (String suffix : new String[] {"ing", "ed", "er", "al", "ment"}) {
            if (s.length() > suffix.length() + 3 && s.endsWith(suffix)) {
                s = s.substring(0, s.length() - suffix.length());
                break;
            }
        }
        return s;
    }
}
