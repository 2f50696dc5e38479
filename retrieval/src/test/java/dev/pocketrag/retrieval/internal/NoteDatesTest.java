package dev.pocketrag.retrieval.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NoteDatesTest {
    static Optional<LocalDate> day(String y, int m, int d) {
        return Optional.of(LocalDate.of(Integer.parseInt(y), m, d));
    }

    @Test
    void reads_a_whole_day_in_a_title_in_each_form() {
        assertEquals(day("2026", 4, 28), NoteDates.inTitle("Site meeting, 2026-04-28"));
        assertEquals(day("2026", 3, 3), NoteDates.inTitle("Standup 3 March 2026"));
        assertEquals(day("2026", 3, 3), NoteDates.inTitle("Standup 3rd Mar, 2026"));
        assertEquals(day("2026", 9, 1), NoteDates.inTitle("Renewal: Sept 1, 2026"));
        assertEquals(day("2026", 3, 3), NoteDates.inTitle("Standup, March 3rd 2026"));
        assertEquals(day("2026", 4, 29), NoteDates.inTitle("Retro 29/04/2026"), "29 can only be the day");
        assertEquals(day("2026", 4, 29), NoteDates.inTitle("Retro 04/29/2026"), "29 can only be the day");
        assertEquals(day("2026", 4, 29), NoteDates.inTitle("Retro 29.04.2026."));
        assertEquals(day("2026", 12, 31), NoteDates.inTitle("2026.12.31 year end"));
        assertEquals(day("2026", 1, 5), NoteDates.inTitle("Tuesday 5 JANUARY 2026 standup"));
    }

    @Test
    void reads_a_whole_day_in_a_file_name() {
        assertEquals(day("2026", 4, 29), NoteDates.inFileName("atlas-status-2026-04-29.md"));
        assertEquals(day("2026", 4, 18), NoteDates.inFileName("groceries_2026_04_18.txt"));
        assertEquals(day("2026", 3, 3), NoteDates.inFileName("standup-3-march-2026.md"));
        assertEquals(day("2026", 4, 29), NoteDates.inFileName("2026-04-29.md"));
        assertEquals(Optional.empty(), NoteDates.inFileName("notes-2026.04.md"), "the extension is not a day");
    }

    @Test
    void a_year_a_month_or_a_day_without_its_year_is_not_the_notes_date() {
        for (String t : List.of("Plan for 2027", "Q3 2026 planning", "Blood tests, 2026-02", "March 2026 budget",
                "Site meeting with Armando, 28 April", "Atlas weekly sync, 29 April: cut-over date moved",
                "1:1 with João, 4 March", "Reading list 2026", "Budget 2026-2027", "")) {
            assertEquals(Optional.empty(), NoteDates.inTitle(t), t);
        }
        assertEquals(Optional.empty(), NoteDates.inFileName("blood-test-results-2026-02.md"));
    }

    @Test
    void a_numeric_date_whose_order_is_not_certain_is_ignored() {
        assertEquals(Optional.empty(), NoteDates.inTitle("Meeting 03/04/2026"), "3 April or 4 March?");
        assertEquals(Optional.empty(), NoteDates.inTitle("Meeting 03.04.2026"));
        assertEquals(Optional.empty(), NoteDates.inTitle("Meeting 29/04/26"), "two-digit year");
        // and it makes a text that names another day ambiguous
        assertEquals(Optional.empty(), NoteDates.inTitle("Review 2026-04-29 (from 03/04/2026)"));
    }

    @Test
    void a_text_naming_several_days_gives_none_but_the_same_day_twice_is_one() {
        for (String t : List.of("Kyoto trip: full itinerary (30 Sep - 11 Oct 2026)", "Trip 15-18 May 2026",
                "Trip 15 to 18 May 2026", "Sprint 2026-04-29 to 2026-05-13", "Moved from 4 May 2026 to 18 May 2026",
                "Call 2026-04-29 about the 3 May move")) {
            assertEquals(Optional.empty(), NoteDates.inTitle(t), t);
        }
        assertEquals(day("2026", 4, 29), NoteDates.inTitle("Standup 2026-04-29 (29 April 2026)"));
        assertEquals(day("2026", 4, 29), NoteDates.inTitle("Standup 29 April 2026 (Wed 29 April)"));
    }

    @Test
    void days_that_do_not_exist_run_on_digits_and_far_years_are_not_dates() {
        assertEquals(Optional.empty(), NoteDates.inTitle("Report 2026-02-30"));
        assertEquals(Optional.empty(), NoteDates.inTitle("Report 31 April 2026"));
        assertEquals(Optional.empty(), NoteDates.inTitle("Invoice 120260429"));
        assertEquals(Optional.empty(), NoteDates.inTitle("Invoice 2026-04-291"));
        assertEquals(Optional.empty(), NoteDates.inTitle("Letters, 3 March 1850"));
        assertEquals(Optional.empty(), NoteDates.inTitle("Letters, 3 March 2250"));
        assertEquals(day("1970", 1, 1), NoteDates.inTitle("Epoch 1970-01-01"));
        assertEquals(day("2028", 2, 29), NoteDates.inTitle("Leap day 2028-02-29"));
    }
}
