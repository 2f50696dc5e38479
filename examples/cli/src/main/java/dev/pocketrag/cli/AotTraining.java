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
 * (hybrid and BM25), {@code delete} and a usage error; with {@code vector} also {@code import} and
 * {@code ask} without a chat model. It never touches
 * the user's notebook (every command gets {@code --dir}) and never the network; the launcher also
 * clears {@code POCKETRAG_MODEL} and points the config file at nothing, so {@code ask} loads no chat
 * model. Prints one summary line; exit code 1 if a command did not do what it should.
 */
final class AotTraining {
    private AotTraining() {}

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
        if (vector) {
            expect(0, new String[] {"ask", "--dir", dir, "How many clamshells should I do?"}, failed);
            expect(0, new String[] {"ask", "--dir", dir, "--json", "When does my car insurance renew?"}, failed);
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
