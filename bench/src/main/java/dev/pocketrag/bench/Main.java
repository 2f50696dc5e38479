package dev.pocketrag.bench;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Entry point of {@code bench/run NAME [ARGS...]}. Each benchmark is a class with a
 * {@code static int run(String[] args)} registered in {@link #BENCHMARKS}.
 */
public final class Main {
    private Main() {}

    /** A benchmark program: takes the arguments after its name, returns the exit code. */
    @FunctionalInterface
    interface Benchmark {
        int run(String[] args) throws Exception;
    }

    private static final Map<String, Benchmark> BENCHMARKS = new TreeMap<>();

    static {
        // name -> program; one line per benchmark
        BENCHMARKS.put("embed", EmbedBench::run);
        BENCHMARKS.put("index", IndexBench::run);
        BENCHMARKS.put("generation", GenerationBench::run);
        BENCHMARKS.put("attention", AttentionBench::run);
        BENCHMARKS.put("ask", AskBench::run);
        BENCHMARKS.put("startup", StartupBench::run);
        BENCHMARKS.put("followups", FollowupsBench::run);
        BENCHMARKS.put("watch", WatchBench::run);
        BENCHMARKS.put("perplexity", PerplexityBench::run);
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--list") || args[0].equals("--help")) {
            System.out.println("usage: bench/run NAME [ARGS...]");
            System.out.println("benchmarks: " + String.join(", ", BENCHMARKS.keySet()));
            System.exit(args.length == 0 ? 2 : 0);
        }
        Benchmark b = BENCHMARKS.get(args[0]);
        if (b == null) {
            System.err.println("error: unknown benchmark '" + args[0] + "'; known: "
                    + String.join(", ", BENCHMARKS.keySet()));
            System.exit(2);
        }
        System.exit(b.run(Arrays.copyOfRange(args, 1, args.length)));
    }
}
