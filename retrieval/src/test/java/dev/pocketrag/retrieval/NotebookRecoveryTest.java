package dev.pocketrag.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import dev.pocketrag.index.IndexCheck;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.SearchFilter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** export, check and repair through the notebook; read-only opens. */
class NotebookRecoveryTest {
    static Embedder embedder;

    @BeforeAll
    static void load() {
        embedder = Embedders.miniLm();
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    static final Instant T = Instant.parse("2025-04-01T08:15:30.123Z");

    static Note note(String id, String title, String body, List<String> tags, int minutes) {
        return new Note(id, title, body, tags, "/old/" + id + ".md", T.plusSeconds(60L * minutes),
                T.plusSeconds(60L * minutes + 3600));
    }

    /** Notes that try the front matter and the file names; all read back the same. */
    static List<Note> tricky() {
        return List.of(
                note("plain", "Porto weekend", "Train at 08:05 from Lisbon.\nHotel near Ribeira.\n",
                        List.of("travel"), 1),
                note("quotes", "She said \"hi\": C:\\temp\\x #1", "No newline at the end", List.of("a, b", "#hash", "\"q\""), 2),
                note("fence", "Fences", "---\ntitle: not this\n---\n\n# Heading\n\n---\nmore ---\n", List.of(), 3),
                note("lead", "Leading blanks", "\n\n   indented first line\n\ttab\n", List.of("x"), 4),
                note("unicode", "Caf\u00e9 \u00e0 S\u00e3o Paulo \u2014 \uD83D\uDE00", "\uFEFFBOM-led text, \u2028 separators, "
                        + "\u00e9\u0301 combining, emoji \uD83D\uDE00, CJK \u6771\u4eac\n", List.of("\u00e9t\u00e9"), 5),
                note("dup1", "Same title", "first of two", List.of(), 6),
                note("dup2", "Same title", "second of two", List.of(), 7),
                note("dup3", "same TITLE", "third, differs in case only", List.of(), 8),
                note("punct", "???", "a title with no letters", List.of(), 9),
                note("con", "CON", "a name Windows reserves", List.of(), 10));
    }

    @Test
    void export_then_import_gives_back_the_same_notes_and_the_text_byte_for_byte(@TempDir Path tmp) throws Exception {
        List<Note> notes = new ArrayList<>(tricky());
        Note crlf = note("crlf", "Windows lines", "one\r\ntwo\r\n", List.of(), 20);
        Note image = note("image", "Pasted image", "see ![x](data:image/png;base64," + "QUJD".repeat(100) + ")",
                List.of(), 21);
        Note untitled = note("untitled", "", "# A heading\ntext", List.of(), 22);
        notes.addAll(List.of(crlf, image, untitled));
        Path out = tmp.resolve("export");
        ExportSummary s;
        try (Notebook nb = Notebook.builder(tmp.resolve("nb")).embedder(embedder).build()) {
            nb.addAll(notes);
            s = nb.export(out);
        }
        assertEquals(notes.size(), s.notes());
        List<Path> files;
        try (Stream<Path> l = Files.list(out)) {
            files = l.sorted().toList();
        }
        assertEquals(notes.size(), files.size());
        assertTrue(files.stream().map(f -> f.getFileName().toString()).toList().containsAll(List.of(
                "porto-weekend.md", "same-title.md", "same-title-2.md", "same-title-3.md", "note.md", "con-note.md",
                "cafe-a-sao-paulo.md")), files::toString);
        assertEquals(3, s.differingCount(), s::toString);
        assertTrue(s.differing().contains("windows-lines.md: has carriage returns (import reads them as line ends)"), s::toString);
        assertTrue(s.differing().contains("pasted-image.md: has a data URI or base64 run (import leaves it out)"), s::toString);
        assertTrue(s.differing().contains("note-2.md: has no title (import takes the first heading or the file name)")
                || s.differing().contains("note.md: has no title (import takes the first heading or the file name)"), s::toString);

        // every file holds its note's text byte for byte after the front matter
        Map<String, byte[]> byId = new HashMap<>();
        long bytes = 0;
        for (Path f : files) {
            byte[] b = Files.readAllBytes(f);
            bytes += b.length;
            String text = new String(b, StandardCharsets.UTF_8);
            String id = text.lines().filter(l -> l.startsWith("id: ")).findFirst().orElseThrow().substring(5);
            byId.put(id.substring(0, id.length() - 1), b);
        }
        assertEquals(s.bytes(), bytes);
        for (Note n : notes) {
            byte[] file = byId.get(n.id());
            byte[] body = n.body().getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(body, java.util.Arrays.copyOfRange(file, file.length - body.length, file.length), n.id());
            String head = new String(file, 0, file.length - body.length, StandardCharsets.UTF_8);
            assertTrue(head.startsWith("---\n") && head.endsWith("\n---\n"), head);
        }

        // import gives back title, text, tags and both dates
        try (Notebook again = Notebook.builder(tmp.resolve("again")).embedder(embedder).build()) {
            ImportProgress p = again.importFolder(out, ImportListener.NONE);
            assertEquals(notes.size(), p.added(), p::toString);
            Map<String, Note> byTitleAndBody = new HashMap<>();
            for (Note n : again.list(SearchFilter.NONE, 0, 100)) {
                byTitleAndBody.put(n.title() + "\0" + n.body(), n);
            }
            for (Note n : notes) {
                if (n == crlf || n == image || n == untitled) {
                    continue;
                }
                Note back = byTitleAndBody.get(n.title() + "\0" + n.body());
                assertTrue(back != null, () -> "not read back as it was: " + n);
                assertEquals(n.tags(), back.tags(), n.id());
                assertEquals(n.created(), back.created(), n.id());
                assertEquals(n.updated(), back.updated(), n.id());
                assertTrue(back.source().startsWith(out.toString()), back.source());
            }
        }
    }

    @Test
    void export_refuses_a_folder_that_is_not_empty(@TempDir Path tmp) throws Exception {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.writeString(out.resolve("mine.md"), "keep me");
        try (Notebook nb = Notebook.builder(tmp.resolve("nb")).embedder(embedder).build()) {
            var e = assertThrows(IllegalArgumentException.class, () -> nb.export(out));
            assertEquals("export folder " + out + " is not empty; name a new or empty folder", e.getMessage());
        }
        assertEquals("keep me", Files.readString(out.resolve("mine.md")));
    }

    @Test
    void repair_then_export_gives_back_every_readable_note_byte_for_byte(@TempDir Path tmp) throws Exception {
        long seed = Long.getLong("pocketrag.seed", 14L);
        System.out.println("NotebookRecoveryTest seed=" + seed);
        Random rnd = new Random(seed);
        Path dir = tmp.resolve("nb");
        List<Note> notes = new ArrayList<>();
        try (Notebook nb = Notebook.builder(dir).embedder(embedder).build()) {
            for (int batch = 0; batch < 2; batch++) { // two segments, one commit each
                List<Note> some = new ArrayList<>();
                for (int i = 0; i < 15; i++) {
                    String id = "n" + batch + "-" + i;
                    StringBuilder body = new StringBuilder();
                    for (int w = 0, n = 20 + rnd.nextInt(400); w < n; w++) {
                        body.append(WORDS[rnd.nextInt(WORDS.length)]).append(rnd.nextInt(12) == 0 ? ".\n" : " ");
                    }
                    some.add(note(id, "Note " + id, body.toString(), List.of("t" + (i % 3)), batch * 100 + i));
                }
                nb.addAll(some);
                notes.addAll(some);
            }
        }
        Path index = dir.resolve("index");
        Path victim;
        try (Stream<Path> l = Files.list(index)) {
            victim = l.filter(p -> p.getFileName().toString().startsWith("_1."))
                    .max(java.util.Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
        }
        byte[] b = Files.readAllBytes(victim);
        int at = b.length / 2 + rnd.nextInt(b.length / 4);
        b[at] ^= 0x04;
        Files.write(victim, b);
        System.out.println("flipped a bit at byte " + at + " of " + victim.getFileName());

        IndexCheck c = Notebook.builder(dir).embedder(embedder).check();
        assertFalse(c.healthy(), c::toString);
        assertEquals(15, c.sound(), "the first segment's notes are sound: " + c);
        Path backup = tmp.resolve("backup");
        IndexCheck r = Notebook.builder(dir).embedder(embedder).repair(backup);
        assertEquals(c.rebuilt(), r.rebuilt(), r::toString);
        assertEquals(c.lost(), r.lost(), r::toString);
        assertTrue(Files.isRegularFile(backup.resolve(victim.getFileName())), "the backup was written first");
        assertTrue(Notebook.builder(dir).embedder(embedder).check().healthy(), "healthy after the repair");

        Path out = tmp.resolve("export");
        try (Notebook nb = Notebook.builder(dir).embedder(embedder).readOnly().build()) {
            ExportSummary s = nb.export(out);
            assertEquals(r.notes(), s.notes(), s::toString);
            assertEquals(0, s.differingCount(), s::toString);
        }
        Map<String, byte[]> files = new HashMap<>();
        try (Stream<Path> l = Files.list(out)) {
            for (Path f : l.toList()) {
                files.put(f.getFileName().toString(), Files.readAllBytes(f));
            }
        }
        int found = 0;
        for (Note n : notes) {
            boolean lost = r.lostNotes().stream().anyMatch(x -> x.id().equals(n.id()));
            byte[] file = files.get(n.title().toLowerCase(java.util.Locale.ROOT).replace(' ', '-') + ".md");
            assertEquals(!lost, file != null, n.id() + " lost=" + lost);
            if (file != null) {
                byte[] body = n.body().getBytes(StandardCharsets.UTF_8);
                assertArrayEquals(body, java.util.Arrays.copyOfRange(file, file.length - body.length, file.length), n.id());
                found++;
            }
        }
        assertEquals(r.notes(), found);
    }

    @Test
    void a_read_only_notebook_reads_while_another_holds_it_and_in_a_read_only_folder(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("nb");
        try (Notebook writer = Notebook.builder(dir).embedder(embedder).build()) {
            writer.add(note("kyoto", "Kyoto hotel", "Hotel Kanra in Kyoto, booking reference KX-4471.", List.of(), 0));
            writer.describeHolder("a test: wait for it");
            var busy = assertThrows(dev.pocketrag.index.IndexInUseException.class,
                    () -> Notebook.builder(dir).embedder(embedder).build());
            assertTrue(busy.getMessage().endsWith(": a test: wait for it)"), busy.getMessage());
            try (Notebook reader = Notebook.builder(dir).embedder(embedder).readOnly().build()) {
                assertEquals("kyoto", reader.search("where do we stay", SearchOptions.defaults()).get(0).noteId());
                assertEquals(1, reader.stats().notes());
                assertThrows(IllegalStateException.class, () -> reader.delete("kyoto"));
            }
        }
        boolean locked = dir.toFile().setWritable(false) && dir.resolve("index").toFile().setWritable(false)
                && !Files.isWritable(dir.resolve("index"));
        try (Notebook reader = Notebook.builder(dir).embedder(embedder).readOnly().build()) {
            assertEquals(1, reader.list(SearchFilter.NONE, 0, 10).size(), "locked=" + locked);
        } finally {
            dir.resolve("index").toFile().setWritable(true);
            dir.toFile().setWritable(true);
        }
    }

    static final String[] WORDS = ("the garden needs water on sunday and the roses want a trim before the frost "
            + "invoice renewal dentist kyoto train bread flour salt starter meeting budget deadline review").split(" ");
}
