package dev.pocketrag.generation.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@code *.inp}/{@code *.out} pair of ../shared/models/vocab, ../shared/reference/vocab and
 * its {@code extra/} directory: llama.cpp's ids for each text, which our tokenizer must reproduce
 * line by line. The plain sets were made with {@code add_special=false, parse_special=false} (no
 * BOS); the {@code .special.} sets with {@code add_special=true, parse_special=true}.
 */
class TestVectorsTest {

    record Case(String name, Path gguf, Path inp, Path out, boolean special) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() throws IOException {
        Path shared = VocabFiles.shared();
        List<Case> cases = new ArrayList<>();
        for (Path dir : List.of(shared.resolve("models/vocab"), shared.resolve("reference/vocab"))) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path inp : s.filter(p -> p.toString().endsWith(".gguf.inp")).sorted().toList()) {
                    String base = inp.getFileName().toString().replace(".inp", "");
                    cases.add(new Case(base, dir.resolve(base), inp, dir.resolve(base + ".out"), false));
                }
            }
            Path extra = dir.resolve("extra");
            if (Files.isDirectory(extra)) {
                try (Stream<Path> s = Files.list(extra)) {
                    for (Path inp : s.filter(p -> p.toString().endsWith(".inp")).sorted().toList()) {
                        String name = inp.getFileName().toString().replace(".inp", "");
                        String vocab = name.substring(0, name.indexOf('.')) + ".gguf";
                        cases.add(new Case("extra/" + name, dir.resolve(vocab), inp,
                                extra.resolve(name + ".out"), name.contains(".special")));
                    }
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void reproduces_every_line_of_llama_cpp_test_vectors(Case c) throws IOException {
        Tokenizer tok = VocabFiles.tokenizer(c.gguf());
        List<String> texts = VocabFiles.inputs(c.inp());
        List<int[]> expected = VocabFiles.outputs(c.out());
        assertEquals(expected.size(), texts.size(), c.name() + ": number of texts vs lines in .out");
        long t0 = System.nanoTime();
        int mismatches = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < texts.size(); i++) {
            int[] got = tok.encode(texts.get(i), c.special(), c.special());
            if (!Arrays.equals(expected.get(i), got)) {
                if (mismatches++ == 0) {
                    first.append("line ").append(i + 1).append(": text ").append(VocabFiles.escape(texts.get(i)))
                            .append("\n  expected ").append(Arrays.toString(expected.get(i)))
                            .append("\n  actual   ").append(Arrays.toString(got));
                }
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("%s: %d texts in %d ms%n", c.name(), texts.size(), ms);
        if (mismatches > 0) {
            fail(c.name() + ": " + mismatches + " of " + texts.size() + " texts differ; first at " + first);
        }
    }
}
