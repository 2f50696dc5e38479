package dev.pocketrag.cli;

import dev.pocketrag.convert.HfConverter;
import dev.pocketrag.generation.MemoryEstimate;
import dev.pocketrag.generation.gguf.GgmlType;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a Hugging Face model folder to GGUF (as llama.cpp's convert_hf_to_gguf.py does, in Java).",
                "Reads config.json, model.safetensors (or the shards of model.safetensors.index.json) and the "
                        + "tokenizer files. Architectures: LlamaForCausalLM (Llama 2/3.x, SmolLM, TinyLlama), "
                        + "Qwen2ForCausalLM, Qwen3ForCausalLM, Phi3ForCausalLM, Gemma2ForCausalLM. "
                        + "Norms, biases and other 1-D tensors stay F32. The output is written to a temporary file "
                        + "beside OUT.gguf and renamed when complete; then `pocketrag quantize` makes Q4_K_M and friends."})
final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "HF_DIR", description = "The Hugging Face model folder.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT.gguf", description = "Where to write the GGUF file.")
    Path out;

    @Option(names = "--outtype", paramLabel = "TYPE", defaultValue = "f16",
            description = "Type of the weight matrices: f16 (default), bf16, f32 or q8_0.")
    String outType;

    @Option(names = "--force", description = "Overwrite OUT.gguf if it exists.")
    boolean force;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        HfConverter.OutType type = HfConverter.OutType.parse(outType);
        if (!Files.exists(in)) {
            throw new NoSuchFileException(in.toString());
        }
        if (!Files.isDirectory(in)) {
            throw new UserException(in + " is not a folder (expected a Hugging Face model folder with config.json)");
        }
        OutputFiles.requireFolder(out);
        if (Files.exists(out) && !force) {
            throw new UserException(out + " exists; pass --force to overwrite it");
        }
        HfConverter.Result r;
        try (MibProgress progress = new MibProgress("converting (MiB)")) {
            r = HfConverter.convert(in, out, type, force, (i, n, name, done, total) -> progress.update(done, total));
            progress.finish();
        }
        PrintWriter o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "wrote %s: %s, %s (file type %d), %d tensors, %d metadata keys, %s%n", out,
                r.architecture(), type.name(), type.fileType().id(), r.tensors().size(), r.metadata().size(),
                MemoryEstimate.human(Files.size(out)));
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<GgmlType, Integer> e : r.typeCounts().entrySet()) {
            sb.append(sb.isEmpty() ? "" : ", ").append(e.getKey().name()).append(" x").append(e.getValue());
        }
        o.println("types: " + sb);
        o.flush();
        return 0;
    }
}
