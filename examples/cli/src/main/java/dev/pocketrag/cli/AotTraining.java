package dev.pocketrag.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The training run of the JDK's AOT cache (JEP 483/514/515): the {@code ./pocketrag} launcher runs
 * this once after a build with {@code -XX:AOTCacheOutput=FILE}, and every later command starts with
 * the classes it loaded (parsed, linked, some initialised) and the method profiles it gathered.
 *
 * <p>It runs the common commands of one launcher profile ({@code args[1]}: {@code base}, the JVM
 * without the Vector API, or {@code vector}, with it) in one process, as a user would type them, on
 * a throwaway notebook made from three built-in notes in a new temporary directory under {@code
 * args[0]} (deleted at the end): help texts, {@code add}, {@code stats}, {@code list}, {@code search}
 * (hybrid and BM25), {@code ask} without a chat model, {@code delete} and a usage error; with {@code
 * vector} also {@code import}. It never touches
 * the user's notebook (every command gets {@code --dir}) and never the network; the launcher also
 * clears {@code POCKETRAG_MODEL} and points the config file at nothing, so {@code ask} loads no chat
 * model. Prints one summary line; exit code 1 if a command did not do what it should.
 *
 * <p>With a third argument it also unpacks into that directory what every cold start would otherwise
 * unpack again: the embedding model ({@link #MINILM_FILE}, for {@code
 * -Dpocketrag.embedder.miniLmFile}) and ONNX Runtime's native libraries (see {@link
 * #extractOnnxRuntime}).
 */
final class AotTraining {
    private AotTraining() {}

    /** Name of the unpacked embedding model in the training's third argument's directory. */
    static final String MINILM_FILE = "all-minilm-l6-v2-q.onnx";

    static final List<String[]> NOTES = List.of(
            new String[] {"kyoto.md", "# Kyoto trip\nWe stay at Hotel Kanra near Gojo station, 12-16 April. "
                    + "Check-in from 15:00; the booking code is KX-4471.\n"},
            new String[] {"car-insurance.md", "# Car insurance\nThe policy renews on 1 September; the premium is "
                    + "EUR 412 a year, paid by direct debit.\n"},
            new String[] {"knee.txt", "Physio: knee exercises\nClamshells 3 x 15 each side, every morning. "
                    + "Wall sits 3 x 30 seconds.\n"});

    public static void main(String[] args) throws IOException {
        Path parent = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir"));
        boolean vector = args.length > 1 && args[1].equals("vector");
        Files.createDirectories(parent);
        Path work = Files.createTempDirectory(parent, "aot-training-");
        long t0 = System.nanoTime();
        int failures;
        try {
            failures = run(work, vector);
        } finally {
            deleteTree(work);
        }
        System.out.printf(java.util.Locale.ROOT, "aot training: %s in %.1f s%n",
                failures == 0 ? "ok" : failures + " command(s) failed", (System.nanoTime() - t0) / 1e9);
        if (failures == 0 && args.length > 2) {
            Path unpacked = Path.of(args[2]);
            Files.createDirectories(unpacked);
            dev.pocketrag.embedder.Embedders.unpackMiniLm(unpacked.resolve(MINILM_FILE));
            System.out.println("onnxruntime native libraries: "
                    + (extractOnnxRuntime(unpacked) ? "in " + unpacked : "none for this platform"));
        }
        System.exit(failures == 0 ? 0 : 1);
    }

    /**
     * Runs the commands on a notebook under {@code work}, with those of the vector profile if
     * {@code vector}; returns how many did not exit as expected.
     */
    static int run(Path work, boolean vector) throws IOException {
        Path notes = Files.createDirectories(work.resolve("notes"));
        for (String[] n : NOTES) {
            Files.writeString(notes.resolve(n[0]), n[1], StandardCharsets.UTF_8);
        }
        String dir = work.resolve("notebook").toString();
        List<String> failed = new ArrayList<>();
        for (String[] a : new String[][] {
                {"--help"}, {"--version"}, {"search", "--help"}, {"stats", "--help"}, {"add", "--help"},
                {"list", "--help"}, {"delete", "--help"}, {"stats", "--dir", dir}}) {
            expect(0, a, failed);
        }
        if (vector) {
            expect(0, new String[] {"ask", "--help"}, failed);
            expect(0, new String[] {"import", "--dir", dir, notes.toString()}, failed);
        } else {
            for (String[] n : NOTES) {
                expect(0, new String[] {"add", "--dir", dir, "--file", notes.resolve(n[0]).toString()}, failed);
            }
        }
        String id = expect(0, new String[] {"add", "--dir", dir, "--title", "Dentist", "--tag", "health", "--",
            "Dentist appointment on 14 March at 09:30 with Dr. Sousa."}, failed).strip();
        for (String[] a : new String[][] {
                {"stats", "--dir", dir}, {"stats", "--dir", dir, "--json"},
                {"list", "--dir", dir}, {"list", "--dir", dir, "--json", "--tag", "health"},
                {"search", "--dir", dir, "kyoto hotel"}, {"search", "--dir", dir, "--json", "-k", "3", "when is the dentist"},
                {"search", "--dir", dir, "--mode", "bm25", "insurance"}}) {
            expect(0, a, failed);
        }
        expect(0, new String[] {"ask", "--dir", dir, "How many clamshells should I do?"}, failed);
        expect(0, new String[] {"ask", "--dir", dir, "--json", "When does my car insurance renew?"}, failed);
        if (vector) {
            expect(0, new String[] {"import", "--dir", dir, notes.toString()}, failed);
        }
        expect(0, new String[] {"delete", "--dir", dir, id}, failed);
        expect(0, new String[] {"stats", "--dir", dir}, failed);
        expect(2, new String[] {"search", "--dir", dir, "--no-such-flag", "x"}, failed);
        expect(2, new String[] {"delete", "--dir", dir, "no-such-note"}, failed);
        for (String f : failed) {
            System.out.println(f);
        }
        return failed.size();
    }

    /** Runs one command with its output captured; records it in {@code failed} unless it exits with {@code code}. */
    private static String expect(int code, String[] args, List<String> failed) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        if (exit != code) {
            failed.add("pocketrag " + String.join(" ", args) + ": exit " + exit + ", expected " + code + ": "
                    + err.toString().strip());
        }
        return out.toString();
    }

    /**
     * Copies ONNX Runtime's native libraries for this platform from its jar into {@code dir}, named
     * as ONNX Runtime looks for them under {@code -Donnxruntime.native.path=dir}; then writes the
     * file {@code complete}. Without that property ONNX Runtime writes both (21 MB on Linux x64)
     * into a new temporary directory on every start: 0.2 s of a cold search on 2 cores.
     *
     * @return false (and nothing written) if the jar has no libraries for this platform
     */
    static boolean extractOnnxRuntime(Path dir) throws IOException {
        // ONNX Runtime's own names for the platform (ai.onnxruntime.OnnxRuntime)
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(java.util.Locale.ROOT);
        String o = os.contains("mac") || os.contains("darwin") ? "osx" : os.contains("nux") ? "linux" : null;
        String a = arch.startsWith("amd64") || arch.startsWith("x86_64") ? "x64"
                : arch.startsWith("aarch64") ? "aarch64" : null;
        if (o == null || a == null) {
            return false;
        }
        List<String> names = List.of(System.mapLibraryName("onnxruntime"), System.mapLibraryName("onnxruntime4j_jni"));
        ClassLoader cl = AotTraining.class.getClassLoader();
        for (String n : names) {
            if (cl.getResource("ai/onnxruntime/native/" + o + "-" + a + "/" + n) == null) {
                return false;
            }
        }
        Files.createDirectories(dir);
        for (String n : names) {
            try (java.io.InputStream in = cl.getResourceAsStream("ai/onnxruntime/native/" + o + "-" + a + "/" + n)) {
                Files.copy(in, dir.resolve(n), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.writeString(dir.resolve("complete"), String.join("\n", names) + "\n");
        return true;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
