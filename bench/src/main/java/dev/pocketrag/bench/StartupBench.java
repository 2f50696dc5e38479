package dev.pocketrag.bench;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code bench/run startup [--json] [--runs N]}: cold wall time of the commands a user types most,
 * each a new process started the way a user starts it, from {@code start()} to exit: {@code search
 * "kyoto hotel"}, {@code ask} without a chat model, {@code stats} and {@code --help}, on a notebook
 * made from {@code examples/notes} (in a temporary directory, through {@code POCKETRAG_DIR}; the
 * user's notebook and config file are not touched). Median (and minimum) of {@code --runs} (5) per
 * command and variant; the variants alternate run by run, so a burst of load elsewhere hits all of
 * them.
 *
 * <p>Variants: <b>launcher</b>, the real {@code ./pocketrag} with its AOT cache (made first, and
 * waited for), which starts all four without the Vector API module (ask has no chat model here);
 * <b>no AOT</b>, the same launcher with {@code POCKETRAG_AOT=0} (the peer: everything but the
 * cache); <b>plain java</b>, {@code java -cp} with the JVM flags every command had before the
 * launcher's profiles (the Vector API module included) and no launcher at all (no JDK lookup,
 * staleness check or stderr filter; no cache): the CLI as it started before this benchmark existed,
 * minus the old launcher's 0.2 s JDK probe. Also timed: the launcher's staleness check alone (its
 * {@code find} over the sources). "Cold" is a new JVM each run; the operating system's file cache
 * is warm (one untimed run of each first).
 *
 * <p>{@code --json}: one object per command and variant, {@code {"command", "variant", "wall_ms",
 * "min_ms", "runs_ms"}}, then {@code {"command": "find", "variant": "staleness check", ...}}.
 */
final class StartupBench {
    private StartupBench() {}

    /** The commands timed: a label and the arguments. */
    static final Map<String, List<String>> COMMANDS = commands();

    private static Map<String, List<String>> commands() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("search", List.of("search", "kyoto hotel"));
        m.put("ask (no model)", List.of("ask", "When does my car insurance renew?"));
        m.put("stats", List.of("stats"));
        m.put("--help", List.of("--help"));
        return m;
    }

    /** What each command's output must contain, so that a failing run is not timed as a fast one. */
    static final Map<String, String> EXPECT = Map.of(
            "search", "Kyoto", "ask (no model)", "1 September", "stats", "notes       60", "--help", "Usage: pocketrag");

    static final List<String> VARIANTS = List.of("launcher", "no AOT", "plain java");

    /** The JVM flags of every command before the launcher had profiles, for the plain-java variant. */
    static final List<String> JVM_FLAGS = List.of("--add-modules", "jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");

    static int run(String[] args) throws Exception {
        boolean json = false;
        int runs = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--json" -> json = true;
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: bench/run startup [--json] [--runs N]");
                    return 2;
                }
            }
        }
        if (runs < 1 || runs > 100) {
            System.err.println("error: --runs must be in 1..100; got " + runs);
            return 2;
        }
        Path root = checkout();
        Path work = Files.createTempDirectory("pocketrag-startup-bench-");
        try {
            return measure(root, work, runs, json);
        } finally {
            deleteTree(work);
        }
    }

    private static int measure(Path root, Path work, int runs, boolean json) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("POCKETRAG_DIR", work.resolve("notebook").toString());
        env.put("POCKETRAG_CONFIG", work.resolve("none.properties").toString());
        env.put("JAVA_HOME", System.getProperty("java.home"));
        log("machine: " + Runtime.getRuntime().availableProcessors() + " cores, Java " + Runtime.version()
                + ", load average " + loadAverage());
        // builds the CLI if needed and makes the AOT cache (of the launcher's base profile), waiting for it
        for (List<String> a : List.of(List.of("--version"))) {
            Result prep = launch(root, root, env, Map.of("POCKETRAG_AOT", "wait"), a);
            if (prep.exit != 0) {
                System.err.println("error: ./pocketrag " + String.join(" ", a) + " failed:\n" + prep.output);
                return 1;
            }
        }
        Result imported = launch(root, root, env, Map.of(), List.of("import", root.resolve("examples/notes").toString()));
        if (imported.exit != 0 || !imported.output.contains("60 added")) {
            System.err.println("error: importing examples/notes failed:\n" + imported.output);
            return 1;
        }
        Map<String, Map<String, List<Double>>> times = new LinkedHashMap<>();
        for (int round = -1; round < runs; round++) { // round -1: untimed, warms the file cache
            for (Map.Entry<String, List<String>> c : COMMANDS.entrySet()) {
                for (String variant : VARIANTS) {
                    Result r = switch (variant) {
                        case "launcher" -> launch(root, root, env, Map.of(), c.getValue());
                        case "no AOT" -> launch(root, root, env, Map.of("POCKETRAG_AOT", "0"), c.getValue());
                        default -> plainJava(root, env, c.getValue());
                    };
                    if (r.exit != 0 || !r.output.contains(EXPECT.get(c.getKey()))) {
                        System.err.println("error: " + variant + " " + c.getKey() + " failed (exit " + r.exit + "):\n"
                                + r.output);
                        return 1;
                    }
                    if (round >= 0) {
                        times.computeIfAbsent(c.getKey(), k -> new LinkedHashMap<>())
                                .computeIfAbsent(variant, k -> new ArrayList<>()).add(r.millis);
                    }
                }
            }
            if (round >= 0) {
                log("round " + (round + 1) + "/" + runs + " done");
            }
        }
        List<Double> find = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            find.add(stalenessCheck(root));
        }

        List<Map<String, Object>> rows = new ArrayList<>();
        for (var c : times.entrySet()) {
            for (var v : c.getValue().entrySet()) {
                rows.add(row(c.getKey(), v.getKey(), v.getValue()));
            }
        }
        rows.add(row("find", "staleness check", find));
        if (json) {
            rows.forEach(r -> System.out.println(Jsons.of(r)));
            return 0;
        }
        System.out.printf(Locale.ROOT, "%-16s %13s %13s %13s %9s %11s%n", "median (min) ms", "launcher",
                "no AOT", "plain java", "vs no AOT", "vs plain");
        for (var c : times.entrySet()) {
            Map<String, List<Double>> t = c.getValue();
            double ours = median(t.get("launcher"));
            System.out.printf(Locale.ROOT, "%-16s %13s %13s %13s %8.2fx %10.2fx%n", c.getKey(),
                    cell(t.get("launcher")), cell(t.get("no AOT")), cell(t.get("plain java")),
                    ours / median(t.get("no AOT")), ours / median(t.get("plain java")));
        }
        System.out.printf(Locale.ROOT, "launcher staleness check (find over the sources): %s ms%n", cell(find));
        System.out.println("(ratio < 1: the launcher with its AOT cache is faster; load average now " + loadAverage() + ")");
        return 0;
    }

    record Result(int exit, String output, double millis) {}

    /** Runs {@code ./pocketrag ARGS} in {@code dir}; stdout and stderr together. */
    static Result launch(Path root, Path dir, Map<String, String> env, Map<String, String> extra, List<String> args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(root.resolve("pocketrag").toString());
        cmd.addAll(args);
        return time(cmd, dir, env, extra);
    }

    /** {@code java FLAGS -cp CLI_JAR:lib/* dev.pocketrag.cli.Main ARGS}: no launcher, no AOT cache. */
    static Result plainJava(Path root, Map<String, String> env, List<String> args)
            throws IOException, InterruptedException {
        Path target = root.resolve("examples/cli/target");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM_FLAGS);
        cmd.add("-Dpocketrag.home=" + root);
        cmd.add("-cp");
        cmd.add(target.resolve("pocketrag-cli.jar") + ":" + target.resolve("lib") + "/*");
        cmd.add("dev.pocketrag.cli.Main");
        cmd.addAll(args);
        return time(cmd, root, env, Map.of());
    }

    private static Result time(List<String> cmd, Path dir, Map<String, String> env, Map<String, String> extra)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        Map<String, String> e = pb.environment();
        for (String k : List.of("POCKETRAG_MODEL", "POCKETRAG_AOT", "POCKETRAG_JAVA_OPTS", "JDK_JAVA_OPTIONS",
                "JAVA_TOOL_OPTIONS")) {
            e.remove(k);
        }
        e.putAll(env);
        e.putAll(extra);
        Path out = Files.createTempFile("pocketrag-startup-", ".txt");
        try {
            pb.redirectOutput(out.toFile());
            long t0 = System.nanoTime();
            Process p = pb.start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not finish in 10 minutes");
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), ms);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** The launcher's staleness check: the same {@code find} it runs before every command. */
    private static double stalenessCheck(Path root) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("find", root.resolve("pom.xml").toString()));
        for (String m : List.of("chat", "embedder", "index", "generation", "remote", "retrieval", "examples/server",
                "examples/cli")) {
            cmd.add(root.resolve(m).toString());
        }
        cmd.addAll(List.of("(", "-path", "*/target", "-prune", ")", "-o", "(", "-type", "f", "(", "-path",
                "*/src/main/*", "-o", "-name", "pom.xml", ")", "-newer",
                root.resolve("examples/cli/target/pocketrag-cli.jar").toString(), "-print", ")"));
        return time(cmd, root, Map.of(), Map.of()).millis;
    }

    private static Map<String, Object> row(String command, String variant, List<Double> ms) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("command", command);
        r.put("variant", variant);
        r.put("wall_ms", round1(median(ms)));
        r.put("min_ms", round1(ms.stream().min(Comparator.naturalOrder()).orElseThrow()));
        r.put("runs_ms", ms.stream().map(StartupBench::round1).toList());
        return r;
    }

    private static String cell(List<Double> ms) {
        return String.format(Locale.ROOT, "%.0f (%.0f)", median(ms), ms.stream().min(Comparator.naturalOrder())
                .orElseThrow());
    }

    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = a.length;
        return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    }

    private static double round1(double x) {
        return Math.round(x * 10) / 10.0;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** The checkout this bench jar was built in: {@code ROOT/bench/target/pocketrag-bench.jar}. */
    static Path checkout() throws URISyntaxException {
        Path jar = Path.of(StartupBench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        for (Path p = jar; p != null; p = p.getParent()) {
            if (Files.isExecutable(p.resolve("pocketrag")) && Files.isDirectory(p.resolve("examples/notes"))) {
                return p;
            }
        }
        throw new IllegalStateException("no ./pocketrag launcher above " + jar);
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void log(String s) {
        System.err.println(s);
    }
}
