package dev.pocketrag.cli;

import dev.pocketrag.generation.MemoryEstimate;
import dev.pocketrag.generation.Quantizer;
import dev.pocketrag.generation.gguf.FileType;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Quantize a GGUF model (Q8_0, Q4_0, Q4_K_M, ...).",
                "Works the way llama-quantize does (same per-tensor types, same bytes), keeping all metadata. "
                        + "TYPE: Q8_0, Q4_0, Q4_K_M (also F16, BF16, Q4_1, Q5_0, Q5_1, Q4_K_S, Q5_K_S, Q5_K_M, "
                        + "Q6_K). The output is written to a temporary file and moved into place when complete."})
final class QuantizeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN.gguf", description = "The model to quantize.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT.gguf", description = "Where to write the result.")
    Path out;

    @Parameters(index = "2", paramLabel = "TYPE", description = "Target type, e.g. Q4_K_M.")
    String type;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        FileType ft = FileType.parse(type);
        if (!Files.exists(in)) {
            throw new NoSuchFileException(in.toString());
        }
        if (!Files.isRegularFile(in)) {
            throw new UserException(in + " is not a file");
        }
        OutputFiles.requireFolder(out);
        long inBytes = Files.size(in);
        Quantizer.Plan plan;
        try (MibProgress progress = new MibProgress("quantizing (MiB)", inBytes >= MibProgress.MIN_BYTES)) {
            plan = Quantizer.quantize(in, out, ft, (i, n, t, done, total) -> progress.update(done, total));
            progress.finish();
        }
        Map<String, long[]> mix = new TreeMap<>();
        int converted = 0;
        for (Quantizer.TensorPlan t : plan.tensors()) {
            long[] c = mix.computeIfAbsent(t.to().name(), k -> new long[2]);
            c[0]++;
            c[1] += t.bytes();
            converted += t.converts() ? 1 : 0;
        }
        PrintWriter o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "wrote %s: %s (file type %d), %d tensors (%d converted, %d copied), %s -> %s%n", out,
                ft.name(), ft.id(), plan.tensors().size(), converted, plan.tensors().size() - converted,
                MemoryEstimate.human(inBytes), MemoryEstimate.human(Files.size(out)));
        StringBuilder sb = new StringBuilder();
        mix.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append(" x").append(v[0]));
        o.println("types: " + sb);
        o.flush();
        return 0;
    }
}
