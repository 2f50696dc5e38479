package dev.pocketrag.retrieval.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NoteFilesTest {
    static NoteFiles.Parsed parse(String name, String text) throws NoteFiles.NotText {
        return NoteFiles.parse(Path.of("notes", name), text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void markdown_front_matter_gives_title_tags_and_date_and_is_not_part_of_the_body() throws Exception {
        NoteFiles.Parsed p = parse("trip.md", "---\ntitle: \"Porto weekend\"\ntags: [travel, 'porto']\ndate: 2026-05-02\n---\n# Heading\nTrain at 08:05.\n");
        assertEquals("Porto weekend", p.title());
        assertEquals(List.of("travel", "porto"), p.tags());
        assertEquals(Optional.of(Instant.parse("2026-05-02T00:00:00Z")), p.date());
        assertEquals("# Heading\nTrain at 08:05.\n", p.body());
        NoteFiles.Parsed list = parse("x.md", "---\ntags:\n  - a\n  - b\n---\nbody\n");
        assertEquals(List.of("a", "b"), list.tags());
        assertEquals("x", list.title(), "no heading: the file name");
    }

    @Test
    void markdown_title_is_the_first_heading_and_text_title_the_first_short_line() throws Exception {
        assertEquals("Dentist", parse("d.md", "Some intro\n# Dentist\n14 March").title());
        assertEquals("Groceries", parse("g.txt", "\n  Groceries \nrice, tomatoes\n").title());
        assertEquals("long line", parse("long-line.txt", "x".repeat(200) + "\nsecond").title());
    }

    @Test
    void html_gives_the_visible_text_one_line_per_block_and_the_page_title() throws Exception {
        String html = "<!doctype html><html><head><title>Kyoto hotel</title><style>p{color:red}</style>"
                + "<script>var x = 1;</script></head><body><h1>Booking</h1>"
                + "<p>Hotel <b>Kanra</b> Kyoto,\n   check-in <i>15:00</i>.</p>"
                + "<ul><li>ref KX-4471</li><li>breakfast included</li></ul>"
                + "<table><tr><td>in</td><td>1 Oct</td></tr></table><pre>  keep\n  spacing</pre></body></html>";
        NoteFiles.Parsed p = parse("kyoto.html", html);
        assertEquals("Kyoto hotel", p.title());
        assertEquals("Booking\nHotel Kanra Kyoto, check-in 15:00.\n- ref KX-4471\n- breakfast included\nin | 1 Oct\n  keep\n  spacing",
                p.body());
        assertEquals("Only heading", parse("h.htm", "<h1>Only heading</h1><p>text</p>").title());
        assertThrows(NoteFiles.NotText.class, () -> parse("empty.html", "<html><body><script>x()</script></body></html>"));
    }

    @Test
    void binary_empty_and_non_utf8_files_are_refused_with_a_reason() {
        var e = assertThrows(NoteFiles.NotText.class,
                () -> NoteFiles.parse(Path.of("a.md"), new byte[] {'a', 0, 'b'}));
        assertEquals("binary (NUL byte at offset 1)", e.getMessage());
        assertEquals("not UTF-8 text", assertThrows(NoteFiles.NotText.class,
                () -> NoteFiles.parse(Path.of("a.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9})).getMessage());
        assertEquals("empty", assertThrows(NoteFiles.NotText.class,
                () -> NoteFiles.parse(Path.of("a.txt"), new byte[0])).getMessage());
        assertEquals("blank", assertThrows(NoteFiles.NotText.class, () -> parse("b.md", " \n\t\n")).getMessage());
    }
}
