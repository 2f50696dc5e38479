package dev.pocketrag.retrieval.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
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
    void the_notes_date_is_the_front_matters_else_the_titles_else_the_file_names() throws Exception {
        Optional<Instant> apr28 = Optional.of(Instant.parse("2026-04-28T00:00:00Z"));
        Optional<Instant> apr29 = Optional.of(Instant.parse("2026-04-29T00:00:00Z"));
        Optional<Instant> mar3 = Optional.of(Instant.parse("2026-03-03T00:00:00Z"));
        assertEquals(apr28, parse("status-2026-04-29.md", "---\ndate: 2026-04-28\n---\n# Standup 3 March 2026\nx\n").date(),
                "front matter wins");
        assertEquals(mar3, parse("status-2026-04-29.md", "# Standup 3 March 2026\nx\n").date(), "then the title");
        assertEquals(apr29, parse("status-2026-04-29.md", "# Site meeting, 28 April\nx\n").date(),
                "a title day without a year is not read: the file name's");
        assertEquals(apr29, parse("status-2026-04-29.txt", "Standup\nx\n").date(), "text: the first line, then the name");
        assertEquals(mar3, parse("standup.txt", "Standup 3 March 2026\nx\n").date());
        assertEquals(apr29, parse("s.html", "<title>Sync 2026-04-29</title><p>x</p>").date());
        assertEquals(Optional.empty(), parse("plan-2027.md", "# Plan for 2027\nx\n").date(), "nothing certain: none");
        assertEquals(mar3, parse("x.md", "---\ndate: someday\n---\n# Standup 3 March 2026\nx\n").date(),
                "front matter that is no date does not count");
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

    @Test
    void a_nul_byte_anywhere_makes_a_file_binary() {
        byte[] bytes = new byte[100_000];
        Arrays.fill(bytes, (byte) 'a');
        bytes[99_000] = 0; // a binary may start with many kilobytes of text (an ELF's do not, a tar's may)
        var e = assertThrows(NoteFiles.NotText.class, () -> NoteFiles.parse(Path.of("x.txt"), bytes));
        assertEquals("binary (NUL byte at offset 99000)", e.getMessage());
    }

    static final String BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    static String base64(Random rnd, int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(BASE64.charAt(rnd.nextInt(64)));
        }
        return sb.toString();
    }

    @Test
    void data_uris_and_long_base64_runs_in_markdown_and_html_are_not_indexed() throws Exception {
        Random rnd = new Random(Long.getLong("test.seed", 1));
        String png = base64(rnd, 200_000);
        NoteFiles.Parsed md = parse("pic.md", "# Trip\nThe view: ![Kyoto](data:image/png;base64," + png
                + "==) and a key " + base64(rnd, 300) + "= here.\nA [link](data:text/plain,hello%20there) too.\n");
        assertEquals("# Trip\nThe view: ![Kyoto]([image]) and a key [data] here.\nA [link]([data]) too.\n", md.body());
        NoteFiles.Parsed html = parse("pic.html", "<p>The view: <img src=\"data:image/png;base64," + png + "\">"
                + " see data:image/gif;base64,R0lGODlhAQABAAAAACw= ok</p><pre>" + base64(rnd, 500) + "</pre>");
        assertEquals("The view: see [image] ok\n[data]", html.body());
        // prose, long words, URLs and hex are text; text files keep everything
        String text = "Donaudampfschifffahrtsgesellschaftskapitän https://example.com/a/b?c=d " + "0123456789abcdef".repeat(20);
        assertEquals(text, parse("t.md", text).body());
        String b = base64(rnd, 400);
        assertEquals(b, parse("k.txt", b).body());
    }

    @Test
    void yaml_quoted_values_read_back_exactly_what_was_quoted() throws Exception {
        Random rnd = new Random(Long.getLong("test.seed", 1));
        String alphabet = "aZ09 :\"'\\#-[],{}\n\t\r\u0001\u2028é\uD83D\uDE00";
        for (int i = 0; i < 500; i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = rnd.nextInt(20); k > 0; k--) {
                sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            }
            String v = sb.toString();
            String quoted = NoteFiles.quote(v);
            assertFalse(quoted.contains("\n"), quoted);
            assertEquals(v, NoteFiles.unquote(quoted), quoted);
        }
        assertEquals("C:\\Users\\x", NoteFiles.unquote("\"C:\\Users\\x\""), "an unknown escape is kept as written");
        assertEquals("it's", NoteFiles.unquote("'it''s'"));
        NoteFiles.Parsed p = parse("q.md", "---\ntitle: \"A \\\"quoted\\\" title\"\ncreated: 2026-05-02T09:30:15.250Z\n"
                + "tags:\n  - \"#hash\"\n  - \"a, b\"\n---\nbody");
        assertEquals("A \"quoted\" title", p.title());
        assertEquals(List.of("#hash", "a, b"), p.tags());
        assertEquals(Optional.of(Instant.parse("2026-05-02T09:30:15.250Z")), p.date());
    }

    @Test
    void html_is_read_in_time_linear_in_its_nesting_and_spacing() {
        // the old reader searched each text node's ancestors and ran backtracking regular
        // expressions over the text: minutes for this megabyte; now well under a second
        StringBuilder sb = new StringBuilder("<html><body>");
        for (int i = 0; i < 100_000; i++) {
            sb.append(i % 1000 == 0 ? "<pre>" : "<span>").append('x');
        }
        sb.append("<pre>").append(" ".repeat(300_000)).append("y</pre>");
        sb.append("<table><tr>").append("<td>c</td>".repeat(20_000)).append("</tr></table>");
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        NoteFiles.Parsed p = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> NoteFiles.parse(Path.of("deep.html"), bytes));
        assertTrue(p.body().startsWith("xxxx"), p.body().substring(0, 20));
        assertTrue(p.body().contains(" ".repeat(300_000) + "y"), "spacing in <pre> is kept");
        assertTrue(p.body().endsWith("c | c | c"), "cells joined");
    }
}
