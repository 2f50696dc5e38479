package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sample documents ({@code examples/documents}: a PDF made by groff, DOCX, ODT and EPUB made
 * by pandoc) imported through the CLI with the real MiniLM embedder, next to a truncated PDF and
 * a ZIP bomb named {@code .docx}; then the document questions of {@code examples/QUESTIONS.md}
 * (D1, D2 ...), whose expected page or section that file gives: {@code ask --json} must cite it.
 */
class DocumentsCommandsTest {
    static final Path DOCUMENTS = Path.of("../documents");
    static final Path QUESTIONS = Path.of("../QUESTIONS.md");

    @TempDir
    static Path tmp;
    static String dir;
    static CliRun imported;

    /** A question of the documents table: the file that holds the answer, and its page (0: by section) or section. */
    record Question(String id, String text, String file, int page, String section) {}

    static List<Question> questions() throws IOException {
        // | D2 | What number ...? | The claims line ... | `documents/home-contents-policy-2026-07-15.pdf` | page 3 |
        Pattern row = Pattern.compile("^\\| (D\\d+) \\| ([^|]+?) \\| [^|]+ \\| `documents/([^`]+)` \\| ([^|]+?) \\|$");
        List<Question> out = new ArrayList<>();
        for (String line : Files.readAllLines(QUESTIONS)) {
            Matcher m = row.matcher(line);
            if (m.matches()) {
                String where = m.group(4);
                boolean page = where.startsWith("page ");
                out.add(new Question(m.group(1), m.group(2), m.group(3),
                        page ? Integer.parseInt(where.substring(5)) : 0, page ? "" : where));
            }
        }
        return out;
    }

    @BeforeAll
    static void importTheDocuments() throws IOException {
        assumeTrue(Files.isDirectory(DOCUMENTS), "skipped: ../documents not found");
        Path in = Files.createDirectories(tmp.resolve("in"));
        for (String name : List.of("home-contents-policy-2026-07-15.pdf", "condominium-minutes-2026-06-09.docx",
                "moving-day-checklist.odt", "sunday-kitchen.epub")) {
            Files.copy(DOCUMENTS.resolve(name), in.resolve(name));
        }
        byte[] pdf = Files.readAllBytes(DOCUMENTS.resolve("home-contents-policy-2026-07-15.pdf"));
        Files.write(in.resolve("policy-cut.pdf"), Arrays.copyOf(pdf, pdf.length / 2));
        Files.write(in.resolve("bomb.docx"), bomb());
        dir = tmp.resolve("notebook").toString();
        imported = CliRun.of("import", "--dir", dir, in.toString());
    }

    /** A ZIP whose one entry, word/document.xml, is 32 MiB of spaces: about a thousandfold. */
    static byte[] bomb() throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(out)) {
            z.putNextEntry(new java.util.zip.ZipEntry("word/document.xml"));
            byte[] block = new byte[1 << 20];
            Arrays.fill(block, (byte) ' ');
            for (int i = 0; i < 32; i++) {
                z.write(block);
            }
            z.closeEntry();
        }
        return out.toByteArray();
    }

    @Test
    void import_counts_the_documents_and_says_why_it_skipped_the_bad_ones() {
        assertEquals(0, imported.exitCode(), imported::toString);
        assertTrue(imported.out().startsWith("6 files: 4 added, 0 updated, 0 unchanged, 0 deleted, 2 skipped, 0 failed"),
                imported::toString);
        assertTrue(imported.out().contains("\n  skipped policy-cut.pdf: truncated or damaged PDF (no %%EOF at its end)\n"),
                imported::toString);
        assertTrue(imported.out().contains("\n  skipped bomb.docx: ZIP bomb: DOCX entry 'word/document.xml' inflates more than"),
                imported::toString);
    }

    @Test
    void ask_json_cites_the_page_or_section_that_questions_md_expects() throws IOException {
        List<Question> qs = questions();
        assertTrue(qs.size() >= 5, "the documents table of QUESTIONS.md: " + qs);
        for (Question q : qs) {
            CliRun ask = CliRun.of("ask", "--dir", dir, "--json", q.text());
            assertEquals(0, ask.exitCode(), ask::toString);
            JsonObject a = JsonParser.parseString(ask.out()).getAsJsonObject();
            JsonObject first = a.getAsJsonArray("citations").get(0).getAsJsonObject();
            assertTrue(first.get("source").getAsString().endsWith("/" + q.file()), q + ": " + first);
            if (q.page() > 0) {
                assertEquals(q.page(), first.get("page").getAsInt(), q + ": " + first);
            } else {
                assertTrue(first.get("section").getAsString().startsWith(q.section()), q + ": " + first);
                assertTrue(first.get("page") == null, "not paged: " + first);
            }
        }
    }

    @Test
    void search_shows_the_page_of_a_pdf_passage() {
        CliRun search = CliRun.of("search", "--dir", dir, "-k", "1", "claims line phone number");
        assertEquals(0, search.exitCode(), search::toString);
        assertTrue(search.out().startsWith("1. Home Contents Insurance Policy · p. 3  [file:"), search::toString);
        CliRun json = CliRun.of("search", "--dir", dir, "--json", "-k", "3", "damage caused by pets");
        JsonElement top = JsonParser.parseString(json.out()).getAsJsonArray().get(0);
        assertEquals(4, top.getAsJsonObject().get("page").getAsInt(), json::toString);
    }
}
