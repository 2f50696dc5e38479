package dev.pocketrag.cluster;

import dev.pocketrag.index.Chunk;
import dev.pocketrag.index.ChunkedNote;
import dev.pocketrag.index.Note;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The demo notes of {@code examples/notes}, read, chunked and embedded for the cluster tests without
 * the notebook (whose module brings Lucene 10, which the test JVM's Solr nodes cannot share):
 * front matter's tags and date, the first {@code #} heading as title, paragraphs joined into chunks
 * of at most 600 characters, and for each chunk a 64-dimensional unit vector of its hashed words
 * (a bag of words: not a language model, but the same text always gives the same vector and notes
 * that share words are near).
 */
final class DemoNotes {
    static final int DIM = 64;
    private static final Pattern TAGS = Pattern.compile("(?m)^tags:\\s*\\[(.*)]\\s*$");
    private static final Pattern DATE = Pattern.compile("(?m)^date:\\s*(\\d{4}-\\d{2}-\\d{2})\\s*$");
    private static final Pattern TITLE = Pattern.compile("(?m)^# (.+)$");

    private DemoNotes() {}

    /** The notes folder of the checkout (the tests run in cluster/). */
    static Path folder() {
        return Path.of("..", "examples", "notes").toAbsolutePath().normalize();
    }

    /** Every {@code .md} note under {@code dir}, sorted by path; ids are the paths relative to it, without {@code .md}. */
    static List<ChunkedNote> read(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(p -> p.toString().endsWith(".md")).sorted().toList();
        }
        List<ChunkedNote> out = new ArrayList<>();
        for (Path f : files) {
            String id = dir.relativize(f).toString().replace('\\', '/').replaceAll("\\.md$", "");
            out.add(note(id, Files.readString(f)));
        }
        return out;
    }

    static ChunkedNote note(String id, String text) {
        List<String> tags = new ArrayList<>();
        Instant created = Instant.parse("2026-01-01T00:00:00Z");
        String body = text;
        if (text.startsWith("---\n")) {
            int end = text.indexOf("\n---\n", 4);
            String front = text.substring(4, end);
            body = text.substring(end + 5);
            Matcher m = TAGS.matcher(front);
            if (m.find()) {
                for (String t : m.group(1).split(",")) {
                    if (!t.isBlank()) {
                        tags.add(t.strip());
                    }
                }
            }
            m = DATE.matcher(front);
            if (m.find()) {
                created = LocalDate.parse(m.group(1)).atStartOfDay().toInstant(ZoneOffset.UTC);
            }
        }
        Matcher t = TITLE.matcher(body);
        String title = t.find() ? t.group(1).strip() : id;
        Note note = new Note(id, title, body, tags, "file:" + id + ".md", created, created);
        List<Chunk> chunks = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        Matcher para = Pattern.compile("\\S[\\s\\S]*?(?=\\n\\s*\\n|\\s*$)").matcher(body);
        int start = -1;
        int end = -1;
        while (para.find()) {
            if (start >= 0 && para.end() - start > 600) {
                add(note, chunks, vectors, start, end);
                start = -1;
            }
            if (start < 0) {
                start = para.start();
            }
            end = para.end();
        }
        if (start < 0) {
            start = 0;
            end = 0;
        }
        add(note, chunks, vectors, start, end);
        return new ChunkedNote(note, chunks, vectors);
    }

    private static void add(Note n, List<Chunk> chunks, List<float[]> vectors, int start, int end) {
        String text = n.body().substring(start, end);
        chunks.add(new Chunk(chunks.size(), start, end, text, n.title() + "\n" + text));
        vectors.add(embed(n.title() + "\n" + text));
    }

    /** A unit vector of the text's lower-cased words, each hashed to one of {@value #DIM} dimensions. */
    static float[] embed(String text) {
        float[] v = new float[DIM];
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (!w.isEmpty()) {
                v[Math.floorMod(w.hashCode(), DIM)] += 1;
            }
        }
        double sq = 0;
        for (float x : v) {
            sq += x * x;
        }
        if (sq == 0) {
            v[0] = 1;
            return v;
        }
        float inv = (float) (1 / Math.sqrt(sq));
        for (int i = 0; i < DIM; i++) {
            v[i] *= inv;
        }
        return v;
    }
}
