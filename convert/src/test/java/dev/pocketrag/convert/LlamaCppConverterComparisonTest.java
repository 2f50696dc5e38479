package dev.pocketrag.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pocketrag.convert.ConvertedLogitsTest.Model;
import dev.pocketrag.generation.Gguf;
import dev.pocketrag.generation.gguf.GgufTensorInfo;
import dev.pocketrag.generation.gguf.GgufValue;
import dev.pocketrag.generation.gguf.GgufValueType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convert --outtype f16} against llama.cpp's own converter: the golden files in
 * {@code src/test/resources/llamacpp/} are dumps (keys with types and values, tensors with types
 * and shapes, no tensor data) of what {@code convert_hf_to_gguf.py --outtype f16} wrote for the
 * checkpoints this test writes (the same configs and shapes; see the README there for the
 * provenance and how to regenerate them: {@code -Dpocketrag.llamacpp.checkpoints=DIR} writes the
 * folders). Our output must have every tensor with the same name, shape and type, and every
 * metadata key with the same type and value, but the tokenizer keys (written by the vocabulary
 * step, compared where it is tested) and the differences listed in {@link #KNOWN}, each with its reason.
 */
class LlamaCppConverterComparisonTest {
    /** Fixed: the golden files were made from checkpoints written with it. */
    static final long SEED = 20261203L;

    @TempDir
    Path tmp;

    /**
     * Keys whose difference from llama.cpp is deliberate, by architecture ("*" = all): key, and what
     * is allowed (ours absent, theirs absent, or a different value), with the reason.
     */
    record Known(String arch, String key, String allowed, String why) {}

    static final List<Known> KNOWN = List.of(
            new Known("*", "general.size_label", "ours absent",
                    "llama.cpp's model-card heuristics (parameter count label); the engine does not read it"),
            new Known("*", "general.basename", "ours absent", "llama.cpp's heuristics from the folder name"),
            new Known("*", "general.finetune", "ours absent", "llama.cpp's heuristics from the folder name"),
            new Known("*", "general.version", "ours absent", "llama.cpp's heuristics from the folder name"),
            new Known("*", "general.name", "value", "llama.cpp title-cases the folder name; we keep it as is"),
            new Known("gemma2", "gemma2.rope.freq_base", "theirs absent",
                    "llama.cpp drops gemma2's rope_theta (readers assume 10000); we keep config.json's value"));

    static final Map<String, Function<Random, Model>> MODELS = Map.of(
            "llama", ConvertedLogitsTest::llama,
            "llama3", ConvertedLogitsTest::llama3,
            "qwen2", ConvertedLogitsTest::qwen2,
            "qwen3", ConvertedLogitsTest::qwen3,
            "phi3", ConvertedLogitsTest::phi3,
            "gemma2", ConvertedLogitsTest::gemma2);

    /** One line per key and tensor, sorted: {@code key NAME TYPE VALUE}, {@code tensor NAME TYPE [ne0, ne1]}. */
    static List<String> dump(Gguf g) {
        List<String> out = new ArrayList<>();
        for (String k : new TreeSet<>(g.keys())) {
            GgufValue v = g.get(k);
            String value;
            if (v.isArray()) {
                value = "len=" + v.length();
            } else if (v.type() == GgufValueType.FLOAT32 || v.type() == GgufValueType.FLOAT64) {
                value = Double.toString(((Number) v.value()).doubleValue());
            } else {
                value = v.toDisplayString(0).replace("\n", "\\n");
            }
            out.add("key " + k + " " + v.describeType() + " " + value);
        }
        for (GgufTensorInfo t : g.tensors().stream().sorted((a, b) -> a.name().compareTo(b.name())).toList()) {
            out.add("tensor " + t.name() + " " + t.type() + " " + Arrays.toString(t.dims()));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama3", "qwen2", "qwen3", "phi3", "gemma2"})
    void f16_output_agrees_with_llama_cpp(String arch) throws Exception {
        Model m = MODELS.get(arch).apply(new Random(SEED));
        Path dir = tmp.resolve(arch);
        HfCheckpoints.write(dir, m.config(), m.tensors(), 1, "F32");
        String where = System.getProperty("pocketrag.llamacpp.checkpoints");
        if (where != null) {
            HfCheckpoints.write(Path.of(where, arch), m.config(), m.tensors(), 1, "F32");
        }
        Path out = tmp.resolve(arch + ".gguf");
        HfConverter.convert(dir, out, HfConverter.OutType.F16, false, HfConverter.Progress.NONE,
                ConvertedLogitsTest.NO_VOCAB);
        if (where != null) {
            Files.copy(out, Path.of(where, arch + "-pocketrag.gguf"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Map<String, String[]> theirs = parse(read("llamacpp/" + arch + ".txt"));
        Map<String, String[]> ours;
        try (Gguf g = Gguf.open(out)) {
            ours = parse(String.join("\n", dump(g)));
        }
        String ggufArch = ours.get("key general.architecture")[1];
        List<String> problems = new ArrayList<>();
        TreeSet<String> all = new TreeSet<>(theirs.keySet());
        all.addAll(ours.keySet());
        for (String item : all) {
            if (item.startsWith("key tokenizer.")) {
                continue; // the vocabulary step's keys
            }
            String[] a = ours.get(item);
            String[] b = theirs.get(item);
            String key = item.substring(item.indexOf(' ') + 1);
            Known known = KNOWN.stream().filter(k -> (k.arch.equals("*") || k.arch.equals(ggufArch))
                    && k.key.equals(key)).findFirst().orElse(null);
            if (a == null || b == null) {
                String allowed = a == null ? "ours absent" : "theirs absent";
                if (known == null || !known.allowed.equals(allowed)) {
                    problems.add(item + ": " + allowed + (a != null ? " (ours: " + String.join(" ", a) + ")"
                            : " (theirs: " + String.join(" ", b) + ")"));
                }
                continue;
            }
            if (!same(a, b) && (known == null || !known.allowed.equals("value"))) {
                problems.add(item + ": ours " + String.join(" ", a) + ", llama.cpp " + String.join(" ", b));
            }
        }
        if (!problems.isEmpty()) {
            fail(arch + ": differences from llama.cpp's converter:\n  " + String.join("\n  ", problems));
        }
        long tensors = theirs.keySet().stream().filter(k -> k.startsWith("tensor ")).count();
        assertTrue(tensors >= 15, arch + ": only " + tensors + " tensors in the golden file");
        assertEquals(tensors, ours.keySet().stream().filter(k -> k.startsWith("tensor ")).count());
    }

    /** Same type and value; floats compared as the float32 they are stored as. */
    static boolean same(String[] a, String[] b) {
        if (!a[0].equals(b[0])) {
            return false;
        }
        if (a[0].equals("FLOAT32")) {
            return (float) Double.parseDouble(a[1]) == (float) Double.parseDouble(b[1]);
        }
        return a[1].equals(b[1]);
    }

    /** "key NAME" or "tensor NAME" -> {type, value-or-shape}. */
    static Map<String, String[]> parse(String text) {
        Map<String, String[]> m = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] p = line.split(" ", 4);
            m.put(p[0] + " " + p[1], new String[] {p[2], p.length > 3 ? p[3] : ""});
        }
        return m;
    }

    static String read(String resource) throws IOException {
        try (InputStream in = LlamaCppConverterComparisonTest.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("missing test resource " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
