package dev.pocketrag.retrieval.internal;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The date a note's title or file name gives it ({@code atlas-status-2026-04-29.md},
 * {@code # Site meeting, 2026-04-28}, {@code Standup 3 March 2026}), when it gives one without
 * doubt.
 *
 * <p>Read as a date: a whole day, with its year, in one of these forms (month names in English,
 * full or the first three letters, {@code Sept} too, any case; an ordinal suffix {@code 3rd} is
 * allowed):
 * <ul>
 *   <li>year first: {@code 2026-04-29}, {@code 2026_04_29}, {@code 2026.04.29}, {@code 2026/04/29};</li>
 *   <li>day, month name, year: {@code 3 March 2026}, {@code 3rd Mar, 2026}, {@code 03-mar-2026};</li>
 *   <li>month name, day, year: {@code March 3, 2026}, {@code mar-3-2026};</li>
 *   <li>numbers, day and month in either order, only where the order is certain: {@code 29/04/2026}
 *       and {@code 04/29/2026} (29 cannot be a month), also with {@code .} or {@code -}.</li>
 * </ul>
 * Not read (the note's date then comes from elsewhere, see {@link NoteFiles}):
 * <ul>
 *   <li>a year alone or a month and year: {@code Plan for 2027}, {@code 2026-02}, {@code March 2026};</li>
 *   <li>a day without its year: {@code Site meeting, 28 April} (which year?);</li>
 *   <li>numbers whose order is not certain: {@code 03/04/2026} (3 April or 4 March?), and two-digit
 *       years ({@code 29/04/26});</li>
 *   <li>a day that does not exist ({@code 2026-02-30}), or a year before 1970 or after 2199;</li>
 *   <li>a text that names more than one day, counting days without a year: {@code Kyoto trip
 *       (30 Sep - 11 Oct 2026)}, {@code 15-18 May 2026}, {@code 2026-04-29 to 2026-05-03} - which of
 *       them would be the note's? The same day named twice is one day.</li>
 *   <li>digits run into the date: {@code 120260429} or {@code 2026-04-291} are not dates.</li>
 * </ul>
 * A date in a title is taken to be the day the note was written (a meeting, a status, a daily
 * note); a title that names an event's day instead ("Half marathon, 15 November 2026") misleads
 * it, which is why front matter, when present, wins (see {@link NoteFiles}).
 */
public final class NoteDates {
    /** Years outside this range are not read as a note's date. */
    static final int MIN_YEAR = 1970;
    static final int MAX_YEAR = 2199;

    private static final Map<String, Integer> MONTHS = Map.ofEntries(
            Map.entry("jan", 1), Map.entry("january", 1), Map.entry("feb", 2), Map.entry("february", 2),
            Map.entry("mar", 3), Map.entry("march", 3), Map.entry("apr", 4), Map.entry("april", 4),
            Map.entry("may", 5), Map.entry("jun", 6), Map.entry("june", 6), Map.entry("jul", 7),
            Map.entry("july", 7), Map.entry("aug", 8), Map.entry("august", 8), Map.entry("sep", 9),
            Map.entry("sept", 9), Map.entry("september", 9), Map.entry("oct", 10), Map.entry("october", 10),
            Map.entry("nov", 11), Map.entry("november", 11), Map.entry("dec", 12), Map.entry("december", 12));
    private static final String MONTH = "(january|february|march|april|may|june|july|august|september|october"
            + "|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)";
    /** Between the parts of a date written with a month name. */
    private static final String SEP = "[\\s,._-]+";
    private static final String DAY = "(\\d{1,2})(?:st|nd|rd|th)?";
    /** Not preceded by a letter or digit (a word boundary that treats {@code _} as a separator). */
    private static final String START = "(?<![\\p{L}\\p{N}])";
    /** Not followed by a letter or digit. */
    private static final String END = "(?![\\p{L}\\p{N}])";

    private static final Pattern YEAR_FIRST = Pattern.compile(
            "(?<!\\d)(\\d{4})([-_./])(\\d{2})\\2(\\d{2})(?!\\d)");
    private static final Pattern DAY_MONTH_YEAR = Pattern.compile(
            START + DAY + SEP + MONTH + "(?:" + SEP + "(\\d{4}))?" + END, Pattern.CASE_INSENSITIVE);
    private static final Pattern MONTH_DAY_YEAR = Pattern.compile(
            START + MONTH + SEP + DAY + "(?:" + SEP + "(\\d{4}))?" + END, Pattern.CASE_INSENSITIVE);
    private static final Pattern NUMERIC = Pattern.compile(
            "(?<![\\d./-])(\\d{1,2})([./-])(\\d{1,2})\\2(\\d{4})(?![\\d./-]*\\d)");
    /** A day number and a range mark just before a date: {@code 15-} of {@code 15-18 May 2026}. */
    private static final Pattern RANGE_BEFORE = Pattern.compile(
            "(?i)\\d{1,2}(?:st|nd|rd|th)?\\s*(?:[-\u2013\u2014]|to|until|till)\\s*$");

    private NoteDates() {}

    /** The day a title gives the note, if it names exactly one day, with its year (see the class comment). */
    public static Optional<LocalDate> inTitle(String title) {
        return single(title);
    }

    /**
     * The day a file name gives the note ({@code standup-2026-04-29.md}), by the same rules as a
     * title; the extension is not read.
     */
    public static Optional<LocalDate> inFileName(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return single(dot > 0 ? fileName.substring(0, dot) : fileName);
    }

    /** A day named in a text; {@code year} 0 when the text gives none. */
    private record Mention(int start, int end, int year, int month, int day) {
        boolean complete() {
            return year != 0;
        }
    }

    private static Optional<LocalDate> single(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        List<Mention> found = mentions(text);
        LocalDate date = null;
        for (Mention m : found) {
            if (!m.complete()) {
                continue;
            }
            LocalDate d;
            try {
                d = LocalDate.of(m.year(), m.month(), m.day());
            } catch (DateTimeException e) {
                return Optional.empty(); // 2026-02-30 is no day; and the text meant something by it
            }
            if (date != null && !date.equals(d) || RANGE_BEFORE.matcher(text.substring(0, m.start())).find()) {
                return Optional.empty();
            }
            date = d;
        }
        if (date == null || date.getYear() < MIN_YEAR || date.getYear() > MAX_YEAR) {
            return Optional.empty();
        }
        for (Mention m : found) { // a day without a year is another day, unless it is this one
            if (m.month() == 0 || m.month() != date.getMonthValue() || m.day() != date.getDayOfMonth()) {
                return Optional.empty();
            }
        }
        return Optional.of(date);
    }

    /**
     * Every day the text names, complete or not, without overlaps (the first form to claim a span
     * keeps it); a numeric date whose order is not certain counts as a mention of no day
     * ({@code month} 0), so that it makes the text ambiguous.
     */
    private static List<Mention> mentions(String text) {
        List<Mention> out = new ArrayList<>();
        Matcher m = YEAR_FIRST.matcher(text);
        while (m.find()) {
            add(out, new Mention(m.start(), m.end(), Integer.parseInt(m.group(1)), Integer.parseInt(m.group(3)),
                    Integer.parseInt(m.group(4))));
        }
        m = NUMERIC.matcher(text);
        while (m.find()) {
            int a = Integer.parseInt(m.group(1));
            int b = Integer.parseInt(m.group(3));
            int year = Integer.parseInt(m.group(4));
            Mention mention;
            if (a > 12 && b >= 1 && b <= 12) {
                mention = new Mention(m.start(), m.end(), year, b, a); // day first
            } else if (b > 12 && a >= 1 && a <= 12) {
                mention = new Mention(m.start(), m.end(), year, a, b); // month first
            } else {
                mention = new Mention(m.start(), m.end(), 0, 0, 0); // 03/04/2026: either
            }
            add(out, mention);
        }
        m = DAY_MONTH_YEAR.matcher(text);
        while (m.find()) {
            add(out, named(m, m.group(1), m.group(2), m.group(3)));
        }
        m = MONTH_DAY_YEAR.matcher(text);
        while (m.find()) {
            add(out, named(m, m.group(2), m.group(1), m.group(3)));
        }
        return out;
    }

    private static Mention named(Matcher m, String day, String month, String year) {
        int d = Integer.parseInt(day);
        int mo = MONTHS.get(month.toLowerCase(Locale.ROOT));
        return new Mention(m.start(), m.end(), year == null ? 0 : Integer.parseInt(year), mo, d);
    }

    private static void add(List<Mention> out, Mention m) {
        for (Mention o : out) {
            if (m.start() < o.end() && o.start() < m.end()) {
                return;
            }
        }
        if (m.month() != 0 && (m.day() < 1 || m.day() > 31)) {
            return; // "May 2026" read as day 2026, "Sept 40": not a day
        }
        out.add(m);
    }
}
