package dev.pocketrag.generation.tokenizer;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pocketrag.generation.gguf.GgufFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The shared vocabulary files and llama.cpp's test vector format; tokenizers are built once per JVM. */
final class VocabFiles {
    private VocabFiles() {}

    static final String SEPARATOR = "\n__ggml_vocab_test__\n";
    private static final Map<Path, Tokenizer> CACHE = new ConcurrentHashMap<>();

    /** {@code ../shared} (system property {@code pocketrag.shared}); skips the test when it is absent. */
    static Path shared() {
        String s = System.getProperty("pocketrag.shared");
        assumeTrue(s != null && Files.isDirectory(Path.of(s)),
                "pocketrag.shared is not set or not a directory: skipping tests on the shared vocabularies");
        return Path.of(s);
    }

    static Tokenizer tokenizer(Path gguf) {
        return CACHE.computeIfAbsent(gguf, p -> {
            try {
                try (GgufFile f = GgufFile.open(p)) {
                    return GgufVocabulary.tokenizer(f.metadata(), f.source());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** The test texts of an {@code .inp} file: each text is followed by the separator. */
    static List<String> inputs(Path inp) throws IOException {
        String all = Files.readString(inp, StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>(Arrays.asList(all.split(SEPARATOR, -1)));
        if (!out.isEmpty() && out.getLast().isEmpty()) {
            out.removeLast();
        }
        return out;
    }

    /** The expected ids of an {@code .out} file: one line per text, {@code " id id ..."}. */
    static List<int[]> outputs(Path out) throws IOException {
        List<int[]> res = new ArrayList<>();
        for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            String t = line.strip();
            res.add(t.isEmpty() ? new int[0] : Arrays.stream(t.split(" +")).mapToInt(Integer::parseInt).toArray());
        }
        return res;
    }

    /** Java-escaped text for messages. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            switch (cp) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
                        b.append(String.format("\\u%04x", cp));
                    } else {
                        b.appendCodePoint(cp);
                    }
                }
            }
        });
        return b.append('"').toString();
    }
}
