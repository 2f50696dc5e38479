package dev.pocketrag.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The GGUF engine's boundary, as far as the consumers' compiler cannot see it: retrieval, the apps
 * and the bench are not modules, so {@code generation}'s module-info does not stop them from
 * importing its internal packages. This test does: no Java file outside {@code generation/} may name
 * {@code dev.pocketrag.generation.{tensor,model,tokenizer,chat}} (in an import or fully qualified),
 * and module-info exports exactly the API and format packages. It runs in the bench, the last
 * module of the reactor, over the sources of the whole checkout.
 */
class EngineBoundaryTest {
    /** A name in one of the engine's internal packages. */
    static final Pattern INTERNAL = Pattern.compile("\\bdev\\.pocketrag\\.generation\\.(tensor|model|tokenizer|chat)\\b");
    static final Set<String> EXPORTED = Set.of("dev.pocketrag.generation", "dev.pocketrag.generation.gguf");

    /** The checkout: the nearest folder above the working directory with generation/ and a pom.xml. */
    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("generation/src/main/java"))) {
                return p;
            }
        }
        throw new IllegalStateException("no checkout (a folder with pom.xml and generation/) above "
                + Path.of("").toAbsolutePath());
    }

    /** "path:line: text" for each line of {@code source} naming an internal package. */
    static List<String> violations(String path, String source) {
        List<String> out = new ArrayList<>();
        String[] lines = source.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = INTERNAL.matcher(lines[i]);
            if (m.find()) {
                out.add(path + ":" + (i + 1) + ": " + lines[i].strip());
            }
        }
        return out;
    }

    @Test
    void no_class_outside_generation_names_the_engines_internal_packages() throws IOException {
        Path root = root();
        List<String> found = new ArrayList<>();
        int files;
        try (Stream<Path> s = Files.walk(root)) {
            List<Path> sources = s.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> {
                        Path rel = root.relativize(p);
                        String first = rel.getName(0).toString();
                        return !first.equals("generation") && !first.startsWith(".")
                                && !rel.toString().contains("/target/") && !rel.startsWith("target");
                    }).toList();
            files = sources.size();
            for (Path p : sources) {
                try {
                    found.addAll(violations(root.relativize(p).toString(), Files.readString(p, StandardCharsets.UTF_8)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        // the walk really saw the consumers (a wrong root would pass with nothing to check)
        assertTrue(files > 50, "only " + files + " Java files found outside generation/ under " + root);
        assertTrue(Files.exists(root.resolve("examples/cli/src/main/java/dev/pocketrag/cli/TokenizeCommand.java")),
                "the CLI's sources are not under " + root);
        assertEquals(List.of(), found, "use the facades of dev.pocketrag.generation (or the gguf format types) instead");
    }

    @Test
    void the_check_catches_imports_and_qualified_names_of_internal_packages() {
        // written with "G." for the engine's package so that this file does not trip the scan itself
        String src = """
                package x;
                import G.tensor.Simd;
                import G.gguf.GgmlType;
                import G.Gguf;
                import static G.model.Sampler.greedy;
                class X { boolean b = t instanceof G.tokenizer.Tokenizer;
                  Object c = G.chat.ChatTemplate.class; Object d = dev.pocketrag.chat.ChatModel.class; }
                """.replace("G.", "dev.pocketrag.generation.");
        List<String> v = violations("X.java", src);
        assertEquals(4, v.size(), "tensor, model, tokenizer and chat are flagged; gguf, the API and dev.pocketrag.chat are not: " + v);
        assertTrue(v.get(0).startsWith("X.java:2: "), v.get(0));
    }

    @Test
    void module_info_exports_only_the_api_and_format_packages() throws IOException {
        String mi = Files.readString(root().resolve("generation/src/main/java/module-info.java"), StandardCharsets.UTF_8)
                .replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");
        Set<String> exported = new TreeSet<>();
        Matcher m = Pattern.compile("\\bexports\\s+([\\w.]+)\\s*(to\\s+[\\w.,\\s]+)?;").matcher(mi);
        while (m.find()) {
            assertEquals(null, m.group(2), "no qualified exports: " + m.group());
            exported.add(m.group(1));
        }
        assertEquals(new TreeSet<>(EXPORTED), exported);
        assertTrue(mi.contains("module dev.pocketrag.generation"), mi);
    }
}
