package dev.pocketrag.retrieval.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pocketrag.index.Chunk;
import dev.pocketrag.retrieval.Chunker;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentInformation;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.pdmodel.graphics.image.LosslessFactory;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Documents read into notes: PDFs written here with PDFBox's writer (known text per page), and
 * DOCX, ODT and EPUB files made by pandoc ({@code examples/documents}, see its README) or written
 * here with {@code java.util.zip} where a structure is needed; then the files that must be
 * refused (encrypted, image-only, truncated, too large, ZIP bombs, damaged), each with its reason,
 * never with another exception.
 */
class DocumentsTest {
    static final Path EXAMPLES = Path.of("../examples/documents");
    static final long SEED = Long.getLong("pocketrag.seed", 18L);

    @TempDir
    Path dir;

    static final String[] PAGES = {
        "Boiler service record\nThe boiler was serviced on 3 March by Aquecer Lda.",
        "The technician replaced the pressure valve. Next service due in March 2027.",
        "Warranty: parts for two years, labour for one year. Call 213 555 019 for repairs.",
    };

    /** A PDF with one page per text (lines at 14 pt), written with PDFBox. */
    static byte[] pdf(String title, String... pages) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            if (title != null) {
                PDDocumentInformation info = new PDDocumentInformation();
                info.setTitle(title);
                doc.setDocumentInformation(info);
            }
            for (String text : pages) {
                PDPage page = new PDPage();
                doc.addPage(page);
                try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
                    cs.beginText();
                    cs.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 11);
                    cs.setLeading(14);
                    cs.newLineAtOffset(72, 720);
                    for (String line : text.split("\n")) {
                        cs.showText(line);
                        cs.newLine();
                    }
                    cs.endText();
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.save(out);
            return out.toByteArray();
        }
    }

    static NoteFiles.Parsed parse(String name, byte[] bytes) throws NoteFiles.NotText {
        return NoteFiles.parse(Path.of(name), bytes);
    }

    static String refused(String name, byte[] bytes) {
        return assertThrows(NoteFiles.NotText.class, () -> parse(name, bytes), name).getMessage();
    }

    /** Words as tokens (+2 special tokens): a stand-in counter for the chunker. */
    static int words(String s) {
        String t = s.strip();
        return 2 + (t.isEmpty() ? 0 : t.split("\\s+").length);
    }

    @Test
    void a_pdf_gives_its_text_page_by_page_and_every_chunk_knows_its_page() throws Exception {
        NoteFiles.Parsed p = parse("boiler.pdf", pdf("Boiler and heating", PAGES));
        assertEquals("Boiler and heating", p.title(), "the metadata's title");
        String[] pages = p.body().split("\f", -1);
        assertEquals(4, pages.length, "three pages, each ended by a form feed: " + p.body());
        for (int i = 0; i < 3; i++) {
            for (String line : PAGES[i].split("\n")) {
                assertTrue(pages[i].contains(line), "page " + (i + 1) + " has '" + line + "': " + pages[i]);
            }
        }
        // a budget of 20 words: several chunks; none crosses a page, each says its page
        List<Chunk> chunks = new Chunker(DocumentsTest::words, 20, 4).split(p.title(), p.body());
        assertTrue(chunks.size() >= 3, chunks::toString);
        for (Chunk c : chunks) {
            assertFalse(c.text().contains("\f"), "a chunk crosses a page: " + c);
            int page = c.page();
            assertTrue(page >= 1 && page <= 3, c.toString());
            assertTrue(PAGES[page - 1].replace('\n', ' ').contains(c.text().replace('\n', ' ').split(" ")[0]),
                    "chunk on page " + page + " is from that page: " + c.text());
        }
        Chunk warranty = chunks.stream().filter(c -> c.text().contains("213 555 019")).findFirst().orElseThrow();
        assertEquals(3, warranty.page());
        assertEquals(1, chunks.get(0).page());
    }

    @Test
    void a_pdf_without_a_title_takes_its_first_heading_like_line_else_the_file_name() throws Exception {
        assertEquals("Boiler service record", parse("scan-0042.pdf", pdf(null, PAGES)).title());
        assertEquals("boiler notes", parse("boiler-notes.pdf",
                pdf(null, "The boiler was serviced on 3 March by Aquecer Lda.")).title(), "a sentence is not a title");
    }

    @Test
    void an_encrypted_pdf_is_read_only_when_the_empty_password_opens_it_and_copying_is_allowed() throws Exception {
        byte[] plain = pdf("Boiler", PAGES);
        String needs = refused("locked.pdf", encrypt(plain, "owner", "secret", true));
        assertTrue(needs.startsWith("encrypted: needs a password"), needs);

        String forbidden = refused("no-copy.pdf", encrypt(plain, "owner", "", false));
        assertTrue(forbidden.contains("encrypted") && forbidden.contains("forbid"), forbidden);

        NoteFiles.Parsed open = parse("statement.pdf", encrypt(plain, "owner", "", true));
        assertTrue(open.body().contains("213 555 019"), "an empty user password opens it: " + open.body());
    }

    static byte[] encrypt(byte[] pdf, String owner, String user, boolean canCopy) throws IOException {
        try (PDDocument doc = org.apache.pdfbox.Loader.loadPDF(pdf)) {
            AccessPermission ap = new AccessPermission();
            ap.setCanExtractContent(canCopy);
            StandardProtectionPolicy policy = new StandardProtectionPolicy(owner, user, ap);
            policy.setEncryptionKeyLength(128);
            doc.protect(policy);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.save(out);
            return out.toByteArray();
        }
    }

    @Test
    void an_image_only_pdf_says_ocr_is_not_supported() throws Exception {
        byte[] scan;
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage();
            doc.addPage(page);
            BufferedImage img = new BufferedImage(60, 40, BufferedImage.TYPE_INT_RGB);
            for (int x = 0; x < 60; x++) {
                img.setRGB(x, x % 40, 0xFFFFFF);
            }
            PDImageXObject image = LosslessFactory.createFromImage(doc, img);
            try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
                cs.drawImage(image, 72, 500, 300, 200);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.save(out);
            scan = out.toByteArray();
        }
        assertEquals("no text layer: OCR not supported", refused("scan.pdf", scan));
    }

    @Test
    void a_truncated_pdf_is_refused_not_read_in_part() throws Exception {
        byte[] whole = pdf("Boiler", PAGES);
        String why = refused("cut.pdf", Arrays.copyOf(whole, whole.length * 2 / 3));
        assertTrue(why.startsWith("truncated or damaged PDF"), why);
        assertEquals("not a PDF (no %PDF- header)", refused("fake.pdf", "hello\n%%EOF\n".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void a_pdf_with_more_pages_than_the_bound_is_refused() throws Exception {
        String[] pages = new String[PdfText.MAX_PAGES + 1];
        Arrays.fill(pages, "x");
        String why = refused("huge.pdf", pdf(null, pages));
        assertEquals("too large: " + (PdfText.MAX_PAGES + 1) + " pages, at most " + PdfText.MAX_PAGES, why);
    }

    @Test
    void a_pandoc_docx_keeps_headings_and_list_items_and_its_title() throws Exception {
        Path f = EXAMPLES.resolve("condominium-minutes-2026-06-09.docx");
        assumeTrue(Files.exists(f), "skipped: " + f + " not found");
        NoteFiles.Parsed p = NoteFiles.parse(f, Files.readAllBytes(f));
        assertEquals("Minutes of the condominium meeting, Rua Pascoal de Melo 84", p.title());
        assertTrue(p.body().contains("\n# Roof waterproofing\n"), p.body());
        assertTrue(p.body().contains("\n- Cobertura Lisboa: 8,600 EUR, membrane only, 5-year guarantee\n"), p.body());
        List<Chunk> chunks = new Chunker(DocumentsTest::words, 40, 4).split(p.title(), p.body());
        Chunk share = chunks.stream().filter(c -> c.text().contains("214 EUR")).findFirst().orElseThrow();
        assertEquals("Roof waterproofing", share.section());
        assertEquals(0, share.page(), "not paged");
    }

    @Test
    void a_pandoc_odt_keeps_headings_and_list_items_and_its_title() throws Exception {
        Path f = EXAMPLES.resolve("moving-day-checklist.odt");
        assumeTrue(Files.exists(f), "skipped: " + f + " not found");
        NoteFiles.Parsed p = NoteFiles.parse(f, Files.readAllBytes(f));
        assertEquals("Moving day checklist: Graça to Arroios", p.title());
        assertTrue(p.body().contains("\n# On the day\n"), p.body());
        assertTrue(p.body().contains("\n- Defrost the freezer the night before.\n"), p.body());
        assertTrue(p.body().contains("Mudanças Tejo, truck and three people from 08:00"), p.body());
    }

    @Test
    void a_pandoc_epub_gives_its_chapters_in_spine_order_as_sections() throws Exception {
        Path f = EXAMPLES.resolve("sunday-kitchen.epub");
        assumeTrue(Files.exists(f), "skipped: " + f + " not found");
        NoteFiles.Parsed p = NoteFiles.parse(f, Files.readAllBytes(f));
        assertEquals("Sunday Kitchen", p.title());
        String b = p.body();
        assertTrue(b.indexOf("# Focaccia") < b.indexOf("# Moqueca") && b.indexOf("# Moqueca") < b.indexOf("# Pastéis de nata"),
                b);
        assertFalse(b.contains("Table of contents") || b.contains("<nav"), "the navigation document is left out: " + b);
        // a chapter starts a chunk: no chunk holds text of two chapters, each says its chapter
        List<Chunk> chunks = new Chunker(DocumentsTest::words, 60, 4).split(p.title(), b);
        for (Chunk c : chunks) {
            long chapters = List.of("Focaccia", "Moqueca", "Pastéis de nata").stream()
                    .filter(h -> c.text().contains("# " + h + "\n")).count();
            assertTrue(chapters <= 1, "a chunk crosses a chapter: " + c.text());
        }
        Chunk dough = chunks.stream().filter(c -> c.text().contains("80% hydration")).findFirst().orElseThrow();
        assertTrue(dough.section().startsWith("Focaccia"), dough.toString());
        Chunk method = chunks.stream().filter(c -> c.text().contains("Marinate the fish")).findFirst().orElseThrow();
        assertTrue(method.section().startsWith("Moqueca"), method.toString());
        List<Chunk> small = new Chunker(DocumentsTest::words, 12, 2).split(p.title(), b);
        Chunk custard = small.stream().filter(c -> c.text().startsWith("Boil 250 g sugar")).findFirst().orElseThrow();
        assertEquals("Pastéis de nata > Custard", custard.section());
    }

    // ------------------------------------------------------------------ ZIPs written here

    /** A ZIP of name, content pairs (DEFLATED). */
    static byte[] zip(String... nameContent) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (int i = 0; i < nameContent.length; i += 2) {
                z.putNextEntry(new ZipEntry(nameContent[i]));
                z.write(nameContent[i + 1].getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }

    static String docxXml(String body) {
        return "<?xml version=\"1.0\"?><w:document xmlns:w=\"" + OfficeText.W + "\"><w:body>" + body
                + "</w:body></w:document>";
    }

    @Test
    void a_docx_heading_is_found_by_its_styles_name_or_outline_level_and_a_table_is_one_line_per_row() throws Exception {
        String styles = "<w:styles xmlns:w=\"" + OfficeText.W + "\">"
                + "<w:style w:styleId=\"berschrift1\"><w:name w:val=\"heading 1\"/></w:style>"
                + "<w:style w:styleId=\"Kapitel\"><w:name w:val=\"Kapitel\"/><w:pPr><w:outlineLvl w:val=\"1\"/></w:pPr></w:style>"
                + "</w:styles>";
        String doc = docxXml("<w:p><w:pPr><w:pStyle w:val=\"berschrift1\"/></w:pPr><w:r><w:t>Garden</w:t></w:r></w:p>"
                + "<w:p><w:pPr><w:pStyle w:val=\"Kapitel\"/></w:pPr><w:r><w:t>Tomatoes</w:t></w:r></w:p>"
                + "<w:p><w:r><w:t xml:space=\"preserve\">Water them </w:t></w:r><w:r><w:t>daily.</w:t></w:r></w:p>"
                + "<w:p><w:pPr><w:numPr><w:ilvl w:val=\"1\"/><w:numId w:val=\"3\"/></w:numPr></w:pPr><w:r><w:t>stakes</w:t></w:r></w:p>"
                + "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>May</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>sow</w:t></w:r></w:p></w:tc></w:tr>"
                + "<w:tr><w:tc><w:p><w:r><w:t>July</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>pick</w:t></w:r></w:p></w:tc></w:tr></w:tbl>");
        NoteFiles.Parsed p = parse("garden.docx", zip("word/document.xml", doc, "word/styles.xml", styles));
        assertEquals("# Garden\n\n## Tomatoes\n\nWater them daily.\n\n  - stakes\n\nMay | sow\nJuly | pick\n", p.body());
        assertEquals("Garden", p.title(), "no metadata title: the first heading");
        List<Chunk> chunks = new Chunker(DocumentsTest::words, 14, 2).split(p.title(), p.body());
        assertEquals("Tomatoes", chunks.stream().filter(c -> c.text().contains("daily")).findFirst().orElseThrow().section(),
                "the top heading equal to the title is left out of the path");
    }

    @Test
    void a_zip_bomb_named_docx_is_refused_after_bounded_work() throws Exception {
        // 64 MiB of one character deflates about a thousandfold: refused at the ratio bound, after
        // little more than the first MiB is inflated
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry("word/document.xml"));
            byte[] block = new byte[1 << 20];
            Arrays.fill(block, (byte) 'a');
            for (int i = 0; i < 64; i++) {
                z.write(block);
            }
            z.closeEntry();
        }
        byte[] bomb = out.toByteArray();
        assertTrue(bomb.length < 200_000, "a real bomb: " + bomb.length + " bytes");
        String why = refused("minutes.docx", bomb);
        assertTrue(why.startsWith("ZIP bomb: DOCX entry 'word/document.xml' inflates more than " + SafeZip.MAX_RATIO + " times"),
                why);
    }

    @Test
    void a_zip_with_too_many_entries_is_refused() throws Exception {
        String[] entries = new String[2 * (SafeZip.MAX_ENTRIES + 1)];
        for (int i = 0; i <= SafeZip.MAX_ENTRIES; i++) {
            entries[2 * i] = "e" + i;
            entries[2 * i + 1] = "";
        }
        assertEquals("ZIP bomb or damaged ODT: more than " + SafeZip.MAX_ENTRIES + " entries",
                refused("many.odt", zip(entries)));
    }

    @Test
    void an_external_entity_is_never_read() throws Exception {
        Path secret = dir.resolve("secret.txt");
        Files.writeString(secret, "TOP-SECRET-CONTENT");
        String doc = "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"" + secret.toUri() + "\">]>"
                + "<w:document xmlns:w=\"" + OfficeText.W + "\"><w:body><w:p><w:r><w:t>a &x; b</w:t></w:r></w:p>"
                + "</w:body></w:document>";
        try {
            NoteFiles.Parsed p = parse("xxe.docx", zip("word/document.xml", doc));
            assertFalse(p.body().contains("TOP-SECRET"), p.body());
        } catch (NoteFiles.NotText e) {
            assertTrue(e.getMessage().startsWith("damaged DOCX file (bad XML in word/document.xml"), e.getMessage());
        }
    }

    @Test
    void an_epub_href_that_climbs_out_of_the_archive_is_ignored() {
        assertEquals(null, EpubText.resolve("OEBPS/", "../../etc/passwd"));
        assertEquals("OEBPS/text/ch 1.xhtml", EpubText.resolve("OEBPS/", "text/ch%201.xhtml#start"));
        assertEquals("ch.xhtml", EpubText.resolve("OEBPS/", "../ch.xhtml"));
        assertEquals(null, EpubText.resolve("", "http://example.com/ch.xhtml"));
    }

    // ------------------------------------------------------------------ the malformed-file table

    record Case(String name, String file, byte[] bytes, String reason) {}

    static final String CONTAINER = "<?xml version=\"1.0\"?><container xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\">"
            + "<rootfiles><rootfile full-path=\"OEBPS/book.opf\"/></rootfiles></container>";

    static List<Case> cases(Random r) throws IOException {
        byte[] noise = new byte[200 + r.nextInt(2000)];
        r.nextBytes(noise);
        byte[] good = pdf("Boiler", PAGES);
        byte[] goodDocx = zip("word/document.xml", docxXml("<w:p><w:r><w:t>text</w:t></w:r></w:p>"));
        byte[] garbledPdf = Arrays.copyOf(good, good.length);
        // overwrite a random stretch in the middle (the objects), keep the header and %%EOF
        int from = 200 + r.nextInt(good.length / 2);
        for (int i = from; i < Math.min(good.length - 1100, from + 3000); i++) {
            garbledPdf[i] = (byte) r.nextInt(256);
        }
        byte[] cutZip = Arrays.copyOf(goodDocx, goodDocx.length / 2 + r.nextInt(goodDocx.length / 4));
        List<Case> out = new ArrayList<>();
        out.add(new Case("random bytes as PDF", "noise.pdf", noise, "not a PDF (no %PDF- header)"));
        out.add(new Case("random bytes as DOCX", "noise.docx", noise, "not a DOCX file ("));
        out.add(new Case("random bytes as ODT", "noise.odt", noise, "not an ODT file ("));
        out.add(new Case("random bytes as EPUB", "noise.epub", noise, "not an EPUB file ("));
        out.add(new Case("empty PDF", "empty.pdf", new byte[0], "empty"));
        out.add(new Case("PDF header only", "head.pdf", "%PDF-1.7\n%%EOF\n".getBytes(StandardCharsets.US_ASCII),
                "damaged PDF ("));
        out.add(new Case("PDF garbled inside", "garbled.pdf", garbledPdf, null)); // read in part or refused, never thrown
        out.add(new Case("truncated DOCX", "cut.docx", cutZip, "not a DOCX file (damaged ZIP archive"));
        out.add(new Case("DOCX without document.xml", "nodoc.docx", zip("word/styles.xml", "<x/>"),
                "not a DOCX file (no word/document.xml in the ZIP archive)"));
        out.add(new Case("DOCX with broken XML", "badxml.docx", zip("word/document.xml", "<w:document><w:body>"),
                "damaged DOCX file (bad XML in word/document.xml"));
        out.add(new Case("DOCX without text", "blank.docx", zip("word/document.xml", docxXml("<w:p/>")),
                "no text in the DOCX file"));
        out.add(new Case("ODT without content.xml", "nocontent.odt", zip("mimetype", "application/vnd.oasis.opendocument.text"),
                "not an ODT file (no content.xml in the ZIP archive)"));
        out.add(new Case("EPUB without a package document", "nopkg.epub", zip("mimetype", "application/epub+zip"),
                "not an EPUB file (no package document"));
        out.add(new Case("EPUB whose spine names nothing there", "hollow.epub", zip("META-INF/container.xml", CONTAINER,
                "OEBPS/book.opf", "<package xmlns=\"http://www.idpf.org/2007/opf\"><manifest>"
                        + "<item id=\"c\" href=\"../../../etc/passwd\" media-type=\"application/xhtml+xml\"/></manifest>"
                        + "<spine><itemref idref=\"c\"/><itemref idref=\"missing\"/></spine></package>"),
                "no text in the EPUB file"));
        out.add(new Case("EPUB with a broken package document", "badopf.epub", zip("META-INF/container.xml", CONTAINER,
                "OEBPS/book.opf", "<package><manifest"), "damaged EPUB file (bad XML in OEBPS/book.opf"));
        return out;
    }

    @TestFactory
    List<DynamicTest> every_malformed_document_is_refused_with_its_reason() throws IOException {
        System.out.println("DocumentsTest seed=" + SEED + " (rerun with -Dpocketrag.seed=" + SEED + ")");
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases(new Random(SEED))) {
            tests.add(DynamicTest.dynamicTest(c.name, () -> {
                try {
                    NoteFiles.Parsed p = NoteFiles.parse(dir.resolve(c.file), c.bytes);
                    if (c.reason != null) {
                        fail(c.name + ": read as a note, expected '" + c.reason + "': " + p);
                    }
                } catch (NoteFiles.NotText e) {
                    if (c.reason != null) {
                        assertTrue(e.getMessage().startsWith(c.reason), c.name + ": " + e.getMessage());
                    }
                    assertFalse(e.getMessage().isBlank());
                }
            }));
        }
        return tests;
    }
}
