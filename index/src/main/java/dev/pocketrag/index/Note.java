package dev.pocketrag.index;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * One note: what a user writes and what a search returns a part of.
 *
 * <pre>{@code
 * Note n = Note.of("Dentist", "Appointment on 14 March at 09:30.", List.of("health")); // random id, now
 * Note k = Note.of("kyoto", "Kyoto hotel", "Booking reference KY-2291.");             // your own id
 * Note dated = new Note("trip-2026", "Trip", "Flight LH 714 on 3 May.", List.of("travel"),
 *         "file:///home/me/notes/trip.md", Instant.parse("2026-04-29T08:00:00Z"), Instant.now());
 * notebook.add(n);
 * notebook.update(n.withBody("Moved to 21 March at 10:00.", Instant.now()));  // same id: replaced
 * }</pre>
 *
 * @param id unique key, 1 to {@value #MAX_ID_LENGTH} characters without control characters;
 *     {@link #of} generates a random UUID
 * @param title may be empty, never null; an index takes at most {@value #MAX_TITLE_LENGTH}
 *     characters ({@link #withBoundedTitle()} makes a longer one fit)
 * @param body the text; may be empty, never null
 * @param tags sorted, duplicate-free, each 1 to {@value #MAX_TAG_LENGTH} characters without
 *     control characters
 * @param source where the note came from (a path or URL), empty when unknown
 * @param created when the note was first written (kept to the millisecond: finer parts are
 *     dropped)
 * @param updated when it was last changed; not before {@code created} (to the millisecond)
 */
public record Note(String id, String title, String body, List<String> tags, String source,
        Instant created, Instant updated) {

    /** The longest id accepted. */
    public static final int MAX_ID_LENGTH = 512;
    /** The longest tag accepted. */
    public static final int MAX_TAG_LENGTH = 256;
    /**
     * The longest title an index takes: a title is stored with every chunk and read with every
     * hit, so one of half a megabyte would grow the index fifty-fold.
     */
    public static final int MAX_TITLE_LENGTH = 300;

    public Note {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(tags, "tags");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(updated, "updated");
        checkKey("id", id, MAX_ID_LENGTH);
        created = created.truncatedTo(ChronoUnit.MILLIS);
        updated = updated.truncatedTo(ChronoUnit.MILLIS);
        TreeSet<String> sorted = new TreeSet<>();
        for (String t : tags) {
            checkKey("tag", Objects.requireNonNull(t, "tag"), MAX_TAG_LENGTH);
            sorted.add(t);
        }
        tags = List.copyOf(sorted);
        if (updated.isBefore(created)) {
            throw new IllegalArgumentException("note '" + id + "': updated=" + updated
                    + " is before created=" + created);
        }
    }

    /** A new note with a random id, created and updated now. */
    public static Note of(String title, String body, Collection<String> tags) {
        Instant now = Instant.now();
        return new Note(UUID.randomUUID().toString(), title, body, List.copyOf(tags), "", now, now);
    }

    /** A new note with the given id, no tags, no source, created and updated now. */
    public static Note of(String id, String title, String body) {
        Instant now = Instant.now();
        return new Note(id, title, body, List.of(), "", now, now);
    }

    /** This note with another body and {@code updated} set to {@code when}. */
    public Note withBody(String newBody, Instant when) {
        return new Note(id, title, newBody, tags, source, created, when);
    }

    /** This note with other tags. */
    public Note withTags(Collection<String> newTags) {
        return new Note(id, title, body, List.copyOf(newTags), source, created, updated);
    }

    /**
     * This note if its title has at most {@link #MAX_TITLE_LENGTH} characters; else the note with
     * the title cut (at a space near the limit, if there is one, never inside a surrogate pair) and
     * ending in "…", and, unless the body already holds the whole title, the rest of the title
     * on its own line at the start of the body: nothing the title said is lost.
     */
    public Note withBoundedTitle() {
        if (title.length() <= MAX_TITLE_LENGTH) {
            return this;
        }
        int cut = MAX_TITLE_LENGTH - 1; // room for the ellipsis
        if (Character.isLowSurrogate(title.charAt(cut)) && Character.isHighSurrogate(title.charAt(cut - 1))) {
            cut--;
        }
        for (int i = cut; i > cut - 60; i--) {
            if (Character.isWhitespace(title.charAt(i))) {
                cut = i;
                break;
            }
        }
        String head = title.substring(0, cut).strip();
        String rest = title.substring(cut).strip();
        String newBody = body.contains(title) || rest.isEmpty() ? body
                : body.isEmpty() ? rest : rest + "\n\n" + body;
        return new Note(id, head + "…", newBody, tags, source, created, updated);
    }

    /** The tags as a set (for membership tests). */
    public Set<String> tagSet() {
        return Set.copyOf(tags);
    }

    static void checkKey(String what, String value, int maxLength) {
        if (value.isEmpty() || value.length() > maxLength) {
            throw new IllegalArgumentException(what + " must have 1 to " + maxLength
                    + " characters, got " + value.length()
                    + (value.isEmpty() ? "" : ": '" + abbreviate(value) + "'"));
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new IllegalArgumentException(what + " '" + abbreviate(value)
                        + "' has a control character (U+" + String.format("%04X", (int) value.charAt(i))
                        + ") at offset " + i);
            }
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
