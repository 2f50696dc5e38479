package dev.pocketrag.retrieval.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pocketrag.index.Chunk;
import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.IndexOptions;
import dev.pocketrag.index.Note;
import dev.pocketrag.index.NoteIndex;
import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.retrieval.ImportListener;
import dev.pocketrag.retrieval.ImportProgress;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The importer on a real index, with a stand-in for the embedder (one chunk per note, a fixed
 * unit vector): what it reads, keeps and deletes.
 */
class FolderImporterTest {
    @TempDir
    Path tmp;
    Path notes;
    NoteIndex index;
    final AtomicInteger parses = new AtomicInteger();
    final AtomicInteger embedded = new AtomicInteger();

    @BeforeEach
    void open() throws IOException {
        notes = Files.createDirectories(tmp.resolve("notes"));
        index = NoteIndex.open(tmp.resolve("index"), IndexOptions.of("test@1", 4));
    }

    @AfterEach
    void close() throws IOException {
        index.close();
    }

    List<ChunkedNote> chunkAndEmbed(List<Note> batch) {
        List<ChunkedNote> out = new ArrayList<>();
        for (Note n : batch) {
            embedded.incrementAndGet();
            n = n.withBoundedTitle();
            out.add(new ChunkedNote(n, List.of(new Chunk(0, 0, n.body().length(), n.body(), n.body())),
                    List.of(new float[] {1, 0, 0, 0})));
        }
        return out;
    }

    FolderImporter importer() {
        return new FolderImporter(index, this::chunkAndEmbed, (f, b) -> {
            parses.incrementAndGet();
            return NoteFiles.parse(f, b);
        }, Files::walkFileTree);
    }

    ImportProgress importWith(FolderImporter.Walker walker) throws IOException {
        return new FolderImporter(index, this::chunkAndEmbed, (f, b) -> {
            parses.incrementAndGet();
            return NoteFiles.parse(f, b);
        }, walker).run(notes, ImportListener.NONE);
    }

    ImportProgress importFolder() throws IOException {
        return importWith(Files::walkFileTree);
    }

    @Test
    void an_unchanged_file_is_not_parsed_again() throws Exception {
        Files.writeString(notes.resolve("a.md"), "# A\nalpha\n");
        Files.writeString(notes.resolve("b.html"), "<title>B</title><p>beta</p>");
        ImportProgress first = importFolder();
        assertEquals(2, first.added(), first::toString);
        assertEquals(2, parses.get());

        ImportProgress second = importFolder();
        assertEquals(2, second.unchanged(), second::toString);
        assertEquals(2, parses.get(), "the bytes' hash is checked before parsing");
        assertEquals(2, embedded.get());

        Files.writeString(notes.resolve("a.md"), "# A\nalpha, changed\n");
        ImportProgress third = importFolder();
        assertEquals(1, third.updated(), third::toString);
        assertEquals(3, parses.get());
    }

    @Test
    void a_note_imported_without_a_fingerprint_gets_one_without_being_embedded_again() throws Exception {
        Path file = notes.resolve("a.md");
        Files.writeString(file, "# A\nalpha\n");
        importFolder();
        // as an older version left it: the same note, no fingerprint
        index.put(index.getChunked(FolderImporter.noteId(file)).orElseThrow().withFingerprint(""));
        assertEquals("", index.fingerprint(FolderImporter.noteId(file)).orElseThrow());

        ImportProgress p = importFolder();
        assertEquals(1, p.unchanged(), p::toString);
        assertEquals(1, embedded.get(), "not embedded again");
        assertTrue(index.fingerprint(FolderImporter.noteId(file)).orElseThrow().startsWith(FolderImporter.FINGERPRINT_VERSION));
        importFolder();
        assertEquals(2, parses.get(), "parsed once to see it was the same, then never again");
    }

    @Test
    void a_note_is_dated_by_its_title_or_file_name_else_by_the_files_time() throws Exception {
        Path titled = notes.resolve("standup.md");
        Files.writeString(titled, "# Standup 3 March 2026\nalpha\n");
        Path named = notes.resolve("status-2026-04-29.md");
        Files.writeString(named, "# Site meeting, 28 April\nbeta\n");
        Path plain = notes.resolve("plan.md");
        Files.writeString(plain, "# Plan for 2027\ngamma\n");
        Instant mtime = Instant.parse("2026-05-10T08:00:00Z");
        for (Path f : List.of(titled, named, plain)) {
            Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.from(mtime));
        }
        importFolder();
        assertEquals(Instant.parse("2026-03-03T00:00:00Z"), index.get(FolderImporter.noteId(titled)).orElseThrow().created());
        assertEquals(Instant.parse("2026-04-29T00:00:00Z"), index.get(FolderImporter.noteId(named)).orElseThrow().created());
        assertEquals(mtime, index.get(FolderImporter.noteId(plain)).orElseThrow().created());
        assertEquals(mtime, index.get(FolderImporter.noteId(titled)).orElseThrow().updated());
    }

    @Test
    void a_note_imported_before_titles_gave_dates_gets_its_date_without_being_embedded_again() throws Exception {
        Path file = notes.resolve("status-2026-04-29.md");
        Files.writeString(file, "# Status\nalpha\n");
        importFolder();
        String id = FolderImporter.noteId(file);
        // as an older version left it: dated by the file's time, fingerprinted by that version
        ChunkedNote stored = index.getChunked(id).orElseThrow();
        Instant then = Instant.parse("2026-11-30T10:00:00Z");
        Note old = stored.note();
        index.put(new ChunkedNote(new Note(id, old.title(), old.body(), old.tags(), old.source(), then, then),
                stored.chunks(), stored.vectors(), "import-1 sha256:0"));
        index.commit();

        ImportProgress p = importFolder();
        assertEquals(1, p.unchanged(), p::toString);
        assertEquals(1, embedded.get(), "not embedded again");
        Note now = index.get(id).orElseThrow();
        assertEquals(Instant.parse("2026-04-29T00:00:00Z"), now.created(), "the file name's date");
        assertEquals(then, now.updated());
        assertTrue(index.fingerprint(id).orElseThrow().startsWith(FolderImporter.FINGERPRINT_VERSION));
    }

    @Test
    void a_changed_front_matter_date_moves_the_notes_date() throws Exception {
        Path file = notes.resolve("a.md");
        Files.writeString(file, "---\ndate: 2026-02-01\n---\n# A\nalpha\n");
        importFolder();
        Files.writeString(file, "---\ndate: 2026-02-03\n---\n# A\nalpha\n");
        importFolder();
        assertEquals(Instant.parse("2026-02-03T00:00:00Z"), index.get(FolderImporter.noteId(file)).orElseThrow().created());
        assertEquals(1, embedded.get(), "same text: not embedded again");
    }

    @Test
    void a_folder_replaced_by_a_link_to_it_is_followed_and_keeps_its_notes() throws Exception {
        Path real = Files.createDirectories(tmp.resolve("real"));
        Files.writeString(real.resolve("a.md"), "# A\nalpha\n");
        Files.writeString(real.resolve("b.txt"), "B\nbeta\n");
        Files.createDirectories(real.resolve("sub"));
        Files.writeString(real.resolve("sub/c.md"), "# C\ngamma\n");
        // first as a folder, then the same files through a link in its place
        Files.delete(notes);
        copy(real, notes);
        ImportProgress first = importFolder();
        assertEquals(3, first.added(), first::toString);
        deleteTree(notes);
        Files.createSymbolicLink(notes, real);

        ImportProgress again = importFolder();
        assertEquals(0, again.deleted(), again::toString);
        assertEquals(3, again.unchanged(), again::toString);
        assertEquals(3, index.stats().notes());
        assertEquals(notes.resolve("sub/c.md").toString(), index.get(FolderImporter.noteId(notes.resolve("sub/c.md")))
                .orElseThrow().source(), "the source is the path the user named");
    }

    @Test
    void an_unreadable_subfolder_counts_as_failed_and_its_notes_are_kept() throws Exception {
        Files.createDirectories(notes.resolve("private"));
        Files.writeString(notes.resolve("private/diary.md"), "# Diary\nsecret\n");
        Files.writeString(notes.resolve("open.md"), "# Open\npublic\n");
        assertEquals(2, importFolder().added());

        // the walk cannot open private/ (as a folder without read permission; root may read any)
        ImportProgress p = importWith((start, visitor) -> Files.walkFileTree(start, new Delegate(visitor) {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (dir.getFileName().toString().equals("private")) {
                    visitor.visitFileFailed(dir, new AccessDeniedException(dir.toString()));
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return visitor.preVisitDirectory(dir, attrs);
            }
        }));
        assertEquals(0, p.deleted(), p::toString);
        assertEquals(1, p.failed(), p::toString);
        assertEquals(2, index.stats().notes(), "the diary is kept");
        assertEquals(List.of(new ImportProgress.Problem("private/",
                "folder not readable (permission denied); its notes are kept", true)), p.problems());
    }

    @Test
    void a_folder_without_read_permission_keeps_its_notes() throws Exception {
        Path locked = Files.createDirectories(notes.resolve("locked"));
        Files.writeString(locked.resolve("x.md"), "# X\nx\n");
        assertEquals(1, importFolder().added());
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        try {
            assumeTrue(!Files.isReadable(locked), "skipped: this user (root?) reads a folder without permissions");
            ImportProgress p = importFolder();
            assertEquals(0, p.deleted(), p::toString);
            assertEquals(1, p.failed(), p::toString);
            assertEquals(1, index.stats().notes());
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void a_file_name_that_is_not_utf8_is_one_note_that_stays() throws Exception {
        // the name's bytes: "caf" 0xE9 ".md" (Latin-1), not valid UTF-8
        Path latin1 = Path.of(URI.create(notes.toUri() + "caf%E9.md"));
        Files.writeString(latin1, "# Cafe\nespresso at nine\n");
        ImportProgress first = importFolder();
        assertEquals(1, first.added(), first::toString);
        assertEquals(0, first.deleted(), first::toString);
        ImportProgress second = importFolder();
        assertEquals(1, second.unchanged(), second::toString);
        assertEquals(0, second.deleted(), second::toString);
        Note n = index.list(SearchFilter.NONE, 0, 10).get(0);
        assertEquals(notes + "/caf\uFFFD.md", n.source(), "undecodable bytes show as U+FFFD");
        assertEquals(1, index.stats().notes());
    }

    @Test
    void ids_are_the_sha256_of_the_path_bytes_whatever_the_locale() throws Exception {
        Path file = Path.of(URI.create(notes.toUri() + "caf%C3%A9.md")); // "café.md" in UTF-8
        byte[] bytes = (notes.toAbsolutePath() + "/caf").getBytes(StandardCharsets.US_ASCII);
        byte[] name = new byte[bytes.length + 5];
        System.arraycopy(bytes, 0, name, 0, bytes.length);
        System.arraycopy(new byte[] {(byte) 0xC3, (byte) 0xA9, '.', 'm', 'd'}, 0, name, bytes.length, 5);
        String expected = "file:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(name), 0, 12);
        assertEquals(expected, FolderImporter.noteId(file));
        assertEquals(notes.toAbsolutePath() + "/café.md", FolderImporter.source(file));
    }

    @Test
    void the_problems_say_what_was_skipped_and_why() throws Exception {
        Files.write(notes.resolve("photo.md"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1});
        Files.write(notes.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9});
        Files.writeString(notes.resolve("empty.md"), "");
        Files.writeString(notes.resolve("ok.md"), "# ok\n");
        ImportProgress p = importFolder();
        assertEquals(3, p.skipped(), p::toString);
        assertEquals(Set.of(
                new ImportProgress.Problem("empty.md", "empty", false),
                new ImportProgress.Problem("latin1.txt", "not UTF-8 text", false),
                new ImportProgress.Problem("photo.md", "binary (NUL byte at offset 4)", false)),
                Set.copyOf(p.problems()));
    }

    @Test
    void a_long_title_is_bounded_and_the_rest_kept_in_the_text() throws Exception {
        String title = "word ".repeat(200).strip(); // 999 characters
        Files.writeString(notes.resolve("long.md"), "---\ntitle: " + title + "\n---\nbody\n");
        importFolder();
        Note n = index.list(SearchFilter.NONE, 0, 1).get(0);
        assertTrue(n.title().length() <= Note.MAX_TITLE_LENGTH, n.title());
        assertTrue(n.body().endsWith("\n\nbody\n"), n.body());
        assertEquals(title, n.title().substring(0, n.title().length() - 1) + " "
                + n.body().substring(0, n.body().indexOf("\n\n")), "title and text together hold the whole title");
        ImportProgress again = importFolder();
        assertEquals(1, again.unchanged(), again::toString);
        assertFalse(again.updated() > 0);
    }

    @Test
    void documents_are_imported_and_the_bad_ones_skipped_with_their_reason() throws Exception {
        Files.write(notes.resolve("boiler.pdf"), DocumentsTest.pdf("Boiler", DocumentsTest.PAGES));
        Files.write(notes.resolve("scan.pdf"), DocumentsTest.pdf(null)); // no page at all is damaged
        Files.write(notes.resolve("garden.docx"), DocumentsTest.zip("word/document.xml",
                DocumentsTest.docxXml("<w:p><w:r><w:t>Sow in May.</w:t></w:r></w:p>")));
        byte[] whole = DocumentsTest.pdf("Boiler", DocumentsTest.PAGES);
        Files.write(notes.resolve("cut.pdf"), java.util.Arrays.copyOf(whole, whole.length / 2));
        Files.write(notes.resolve("photo.jpg.odt"), new byte[] {1, 2, 3});
        ImportProgress p = importFolder();
        assertEquals(5, p.total(), p::toString);
        assertEquals(2, p.added(), p::toString);
        assertEquals(3, p.skipped(), p::toString);
        assertEquals(Set.of("scan.pdf", "cut.pdf", "photo.jpg.odt"),
                Set.copyOf(p.problems().stream().map(ImportProgress.Problem::path).toList()));
        for (ImportProgress.Problem pr : p.problems()) {
            assertFalse(pr.failed(), pr::toString);
        }
        assertEquals("truncated or damaged PDF (no %%EOF at its end)", p.problems().stream()
                .filter(pr -> pr.path().equals("cut.pdf")).findFirst().orElseThrow().reason());
        Note pdf = index.get(FolderImporter.noteId(notes.resolve("boiler.pdf"))).orElseThrow();
        assertEquals("Boiler", pdf.title());
        assertTrue(pdf.body().contains("213 555 019"), pdf.body());

        ImportProgress again = importFolder();
        assertEquals(2, again.unchanged(), again::toString);
        assertEquals(2, embedded.get(), "unchanged documents are not embedded again");
    }

    @Test
    void a_note_fingerprinted_by_the_last_version_gets_its_sections_without_being_embedded_again() throws Exception {
        Path file = notes.resolve("bread.md");
        Files.writeString(file, "# Bread\n\n## Dough\n\nflour and water\n");
        importFolder();
        String id = FolderImporter.noteId(file);
        ChunkedNote stored = index.getChunked(id).orElseThrow();
        // as version 2 left it: no locations in the chunks
        List<Chunk> bare = stored.chunks().stream().map(c -> c.withLocation(0, "")).toList();
        index.put(new ChunkedNote(stored.note(), bare, stored.vectors(), "import-2 sha256:0"));
        index.commit();
        assertEquals("", index.chunks(id).get(0).section());

        ImportProgress p = importFolder();
        assertEquals(1, p.unchanged(), p::toString);
        assertEquals(1, embedded.get(), "not embedded again");
        assertEquals("Dough", index.chunks(id).get(0).section());
        assertTrue(index.fingerprint(id).orElseThrow().startsWith(FolderImporter.FINGERPRINT_VERSION));
    }

    @Test
    void a_renamed_file_keeps_its_note_id_and_vectors_and_later_edits_update_that_note() throws Exception {
        Path a = notes.resolve("a.md");
        Files.writeString(a, "# Alpha\nthe first note\n");
        importFolder();
        String id = FolderImporter.noteId(a);
        Path b = Files.createDirectories(notes.resolve("moved")).resolve("b.md");
        Files.move(a, b);
        List<dev.pocketrag.retrieval.FolderChange> told = new ArrayList<>();
        ImportProgress p = importer().onChange(told::add).run(notes, ImportListener.NONE);
        assertEquals(1, p.renamed(), p::toString);
        assertEquals(0, p.deleted(), p::toString);
        assertEquals(1, embedded.get(), "moved, not embedded again");
        assertEquals(FolderImporter.source(b), index.get(id).orElseThrow().source());
        assertEquals(List.of(new dev.pocketrag.retrieval.FolderChange(dev.pocketrag.retrieval.FolderChange.Kind.RENAMED,
                FolderImporter.source(b), FolderImporter.source(a), "")), told);

        Files.writeString(b, "# Alpha\nthe first note, edited\n");
        ImportProgress edit = importFolder();
        assertEquals(1, edit.updated(), edit::toString);
        assertEquals(0, edit.added(), edit::toString);
        assertTrue(index.get(id).orElseThrow().body().contains("edited"), "the same note was updated");
        assertEquals(1, index.stats().notes());
        assertEquals(1, importFolder().unchanged(), "a later import finds it by its source");

        // a new file where the renamed one was: its own note, the path's id being taken
        Files.writeString(a, "# Another alpha\nsomething else\n");
        ImportProgress again = importFolder();
        assertEquals(1, again.added(), again::toString);
        assertEquals(2, index.stats().notes());
        assertEquals(FolderImporter.source(b), index.get(id).orElseThrow().source(), "the renamed note is left alone");
        assertEquals(1, index.list(SearchFilter.NONE, 0, 10).stream()
                .filter(n -> n.source().equals(FolderImporter.source(a))).count());
    }

    @Test
    void a_renamed_file_whose_title_was_its_name_keeps_its_id_and_is_embedded_again() throws Exception {
        Path a = notes.resolve("groceries.md");
        Files.writeString(a, "milk and bread\n"); // no heading: the title is the file name
        importFolder();
        Files.move(a, notes.resolve("shopping.md"));
        ImportProgress p = importFolder();
        assertEquals(1, p.renamed(), p::toString);
        Note n = index.get(FolderImporter.noteId(a)).orElseThrow();
        assertEquals("shopping", n.title());
        assertEquals(2, embedded.get(), "the title is in the embedded text");
    }

    @Test
    void only_the_touched_paths_are_looked_at() throws Exception {
        Files.writeString(notes.resolve("a.md"), "# A\nalpha\n");
        Files.writeString(notes.resolve("b.md"), "# B\nbeta\n");
        importFolder();
        Files.delete(notes.resolve("a.md"));
        Files.delete(notes.resolve("b.md"));
        Path sub = Files.createDirectories(notes.resolve("sub"));
        Files.writeString(sub.resolve("c.md"), "# C\ngamma\n");
        ImportProgress p = importer().runPaths(notes, List.of(notes.resolve("a.md"), sub), ImportListener.NONE);
        assertEquals(1, p.added(), p::toString);
        assertEquals(1, p.deleted(), p::toString);
        assertTrue(index.get(FolderImporter.noteId(notes.resolve("b.md"))).isPresent(), "b was not touched");
        assertEquals(2, index.stats().notes());
    }

    @Test
    void a_file_changing_while_it_is_read_is_not_imported_and_is_named_busy() throws Exception {
        Path a = notes.resolve("a.md");
        Files.writeString(a, "# A\nhalf a ");
        Path gone = notes.resolve("gone.md");
        Files.writeString(gone, "# Gone\ngone\n");
        importFolder();
        Files.delete(gone);
        Files.writeString(a, "# A\nhalf a sentence, then");
        FolderImporter busy = importer().reader(f -> {
            byte[] b = Files.readAllBytes(f);
            Files.writeString(f, " more", java.nio.file.StandardOpenOption.APPEND); // the writer goes on
            return b;
        });
        ImportProgress p = busy.run(notes, ImportListener.NONE);
        assertEquals(List.of(a), busy.busy());
        assertEquals(List.of(new ImportProgress.Problem("a.md", "changing while read (being written); tried again later",
                true)), p.problems());
        assertEquals(1, p.failed(), p::toString);
        assertEquals(0, p.updated(), p::toString);
        assertFalse(index.get(FolderImporter.noteId(a)).orElseThrow().body().contains("sentence"), "the old note stays");
        assertEquals(0, p.deleted(), "deletions wait for the busy file (it may be a moved one)");
        assertEquals(List.of(gone), busy.deferred());

        ImportProgress later = importFolder();
        assertEquals(1, later.updated(), later::toString);
        assertEquals(1, later.deleted(), later::toString);
        assertTrue(index.get(FolderImporter.noteId(a)).orElseThrow().body().endsWith("then more"));
    }

    @Test
    void an_emptied_folder_is_refused_by_a_watcher_and_emptied_by_an_import() throws Exception {
        Files.writeString(notes.resolve("a.md"), "# A\nalpha\n");
        importFolder();
        Files.delete(notes.resolve("a.md"));
        FolderImporter.EmptyFolderException e = org.junit.jupiter.api.Assertions.assertThrows(
                FolderImporter.EmptyFolderException.class, () -> importer().refuseEmpty().run(notes, ImportListener.NONE));
        assertEquals(1, e.notes());
        assertEquals(1, index.stats().notes(), "nothing deleted");
        assertEquals(1, importFolder().deleted(), "import deletes the notes of files deleted under a folder that is there");
        assertEquals(0, index.stats().notes());
    }

    @Test
    void a_missing_folder_deletes_nothing() throws Exception {
        Files.writeString(notes.resolve("a.md"), "# A\nalpha\n");
        importFolder();
        deleteTree(notes);
        org.junit.jupiter.api.Assertions.assertThrows(java.nio.file.NoSuchFileException.class, this::importFolder);
        Files.writeString(tmp.resolve("notes"), "now a file");
        org.junit.jupiter.api.Assertions.assertThrows(java.nio.file.NotDirectoryException.class, this::importFolder);
        assertEquals(1, index.stats().notes());
    }

    private static void copy(Path from, Path to) throws IOException {
        try (var s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** A visitor that hands everything to another (override what should go differently). */
    static class Delegate implements FileVisitor<Path> {
        final FileVisitor<? super Path> v;

        Delegate(FileVisitor<? super Path> v) {
            this.v = v;
        }

        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
            return v.preVisitDirectory(dir, attrs);
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            return v.visitFile(file, attrs);
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
            return v.visitFileFailed(file, exc);
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
            return v.postVisitDirectory(dir, exc);
        }
    }
}
