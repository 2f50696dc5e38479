package dev.pocketrag.cli;

import dev.pocketrag.generation.Gguf;
import dev.pocketrag.generation.MemoryEstimate;
import dev.pocketrag.generation.gguf.GgmlType;
import dev.pocketrag.generation.gguf.GgufTensorInfo;
import dev.pocketrag.generation.gguf.GgufValue;
import dev.pocketrag.generation.gguf.GgufValueType;
import dev.pocketrag.server.Json;
import java.io.PrintWriter;
import java.lang.reflect.Array;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Describe a GGUF model file.",
                "Architecture, parameter count, context length, quant mix by bytes, tokenizer, chat template "
                        + "and all metadata (arrays longer than 16 elements are summarised)."})
final class InspectCommand implements Callable<Integer> {
    static final int ARRAY_SHOWN = 16;

    @Parameters(index = "0", paramLabel = "FILE.gguf", description = "The model file.")
    Path file;

    @Option(names = "--json", description = "One JSON object.")
    boolean json;

    @Option(names = "--tensors", description = "Also list every tensor (name, type, shape, offset, bytes).")
    boolean tensors;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (Gguf g = GgufFiles.open(file)) {
            Map<String, Object> o = describe(g, tensors);
            out.println(json ? Json.of(o) : human(g, o));
        }
        out.flush();
        return 0;
    }

    static Map<String, Object> describe(Gguf g, boolean withTensors) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("file", g.path().getFileName().toString());
        o.put("bytes", g.fileSize());
        o.put("version", g.version());
        o.put("alignment", g.alignment());
        String arch = g.getString("general.architecture", null);
        o.put("architecture", arch);
        o.put("name", g.getString("general.name", null));
        long params = 0;
        for (GgufTensorInfo t : g.tensors()) {
            params += t.elementCount();
        }
        o.put("parameters", params);
        o.put("context_length", arch == null || !g.has(arch + ".context_length") ? null : g.getLong(arch + ".context_length"));
        if (g.has("general.file_type")) {
            int ft = g.getInt("general.file_type");
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("id", ft);
            f.put("name", GgufFiles.fileTypeName(ft));
            o.put("file_type", f);
        } else {
            o.put("file_type", null);
        }
        if (arch != null && g.has(arch + ".block_count")) {
            Map<String, Object> shape = new LinkedHashMap<>();
            for (String k : List.of("block_count", "embedding_length", "feed_forward_length", "attention.head_count",
                    "attention.head_count_kv", "attention.key_length", "attention.value_length", "expert_count")) {
                if (g.has(arch + "." + k)) {
                    shape.put(k, jsonValue(g.get(arch + "." + k)));
                }
            }
            o.put("shape", shape);
        }
        Map<String, Object> tok = new LinkedHashMap<>();
        tok.put("model", g.getString("tokenizer.ggml.model", null));
        tok.put("pre", g.getString("tokenizer.ggml.pre", null));
        tok.put("tokens", g.has("tokenizer.ggml.tokens") ? g.getArrayLength("tokenizer.ggml.tokens") : 0);
        tok.put("merges", g.has("tokenizer.ggml.merges") ? g.getArrayLength("tokenizer.ggml.merges") : 0);
        tok.put("bos", g.getTokenId("tokenizer.ggml.bos_token_id").isPresent()
                ? g.getTokenId("tokenizer.ggml.bos_token_id").getAsInt() : null);
        tok.put("eos", g.getTokenId("tokenizer.ggml.eos_token_id").isPresent()
                ? g.getTokenId("tokenizer.ggml.eos_token_id").getAsInt() : null);
        tok.put("chat_template", g.has("tokenizer.chat_template"));
        o.put("tokenizer", tok);
        // quant mix by bytes, largest first
        Map<GgmlType, long[]> mix = new TreeMap<>();
        long total = 0;
        for (GgufTensorInfo t : g.tensors()) {
            long[] c = mix.computeIfAbsent(t.type(), k -> new long[2]);
            c[0]++;
            c[1] += t.byteSize();
            total += t.byteSize();
        }
        List<Map<String, Object>> mixOut = new ArrayList<>();
        long tot = total;
        mix.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1])).forEach(e -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", e.getKey().name());
            m.put("tensors", e.getValue()[0]);
            m.put("bytes", e.getValue()[1]);
            m.put("share", tot == 0 ? 0.0 : Math.round(1e4 * e.getValue()[1] / (double) tot) / 1e4);
            mixOut.add(m);
        });
        o.put("quant_mix", mixOut);
        o.put("tensor_count", g.tensors().size());
        Map<String, Object> md = new LinkedHashMap<>();
        for (String k : g.keys()) {
            md.put(k, jsonValue(g.get(k)));
        }
        o.put("metadata", md);
        if (withTensors) {
            List<Map<String, Object>> ts = new ArrayList<>();
            for (GgufTensorInfo t : g.tensors()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", t.name());
                m.put("type", t.type().name());
                m.put("ne", t.dims());
                m.put("offset", g.fileOffset(t));
                m.put("bytes", t.byteSize());
                ts.add(m);
            }
            o.put("tensors", ts);
        }
        return o;
    }

    /** A JSON-friendly value: numbers (unsigned read as such), strings, booleans; long arrays summarised. */
    static Object jsonValue(GgufValue v) {
        if (!v.isArray()) {
            return scalar(v.type(), v.value());
        }
        int n = v.length();
        if (n > ARRAY_SHOWN) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", v.describeType());
            m.put("length", n);
            return m;
        }
        List<Object> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            l.add(scalar(v.elementType(), Array.get(v.value(), i)));
        }
        return l;
    }

    private static Object scalar(GgufValueType t, Object v) {
        return switch (t) {
            case UINT8 -> Byte.toUnsignedInt((Byte) v);
            case UINT16 -> Short.toUnsignedInt((Short) v);
            case UINT32 -> Integer.toUnsignedLong((Integer) v);
            case UINT64 -> new java.math.BigInteger(Long.toUnsignedString((Long) v));
            default -> v;
        };
    }

    @SuppressWarnings("unchecked")
    private static String human(Gguf g, Map<String, Object> o) {
        StringBuilder sb = new StringBuilder();
        line(sb, "file", String.format(Locale.ROOT, "%s (%,d bytes, GGUF v%d, alignment %d)", o.get("file"),
                (Long) o.get("bytes"), (Integer) o.get("version"), (Long) o.get("alignment")));
        line(sb, "architecture", String.valueOf(o.get("architecture")));
        if (o.get("name") != null) {
            line(sb, "name", (String) o.get("name"));
        }
        long params = (Long) o.get("parameters");
        line(sb, "parameters", String.format(Locale.ROOT, "%s (%,d)", humanCount(params), params));
        line(sb, "context", String.valueOf(o.get("context_length")));
        Map<String, Object> ft = (Map<String, Object>) o.get("file_type");
        line(sb, "file type", ft == null ? "(not set)" : ft.get("id") + " (" + ft.get("name") + ")");
        Map<String, Object> shape = (Map<String, Object>) o.get("shape");
        if (shape != null) {
            StringBuilder s = new StringBuilder();
            shape.forEach((k, v) -> s.append(s.isEmpty() ? "" : ", ").append(k).append(' ').append(v));
            line(sb, "shape", s.toString());
        }
        Map<String, Object> tok = (Map<String, Object>) o.get("tokenizer");
        line(sb, "tokenizer", tok.get("model") == null ? "(none)" : String.format(Locale.ROOT,
                "%s%s, %s tokens, %s merges, bos %s, eos %s", tok.get("model"),
                tok.get("pre") == null ? "" : " (pre " + tok.get("pre") + ")", tok.get("tokens"), tok.get("merges"),
                tok.get("bos"), tok.get("eos")));
        line(sb, "chat template", (Boolean) tok.get("chat_template") ? "yes" : "no");
        StringBuilder mix = new StringBuilder();
        for (Map<String, Object> m : (List<Map<String, Object>>) o.get("quant_mix")) {
            mix.append(mix.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%s %.1f%% (%d tensors, %s)",
                    m.get("type"), 100 * (Double) m.get("share"), (Long) m.get("tensors"),
                    MemoryEstimate.human((Long) m.get("bytes"))));
        }
        line(sb, "quant mix", mix.isEmpty() ? "(no tensors)" : mix.toString());
        line(sb, "tensors", o.get("tensor_count") + (o.containsKey("tensors") ? "" : " (--tensors to list)"));
        sb.append("metadata (").append(g.keys().size()).append(" keys):\n");
        for (String k : g.keys()) {
            GgufValue v = g.get(k);
            String shown = v.isArray() && v.length() > ARRAY_SHOWN
                    ? v.describeType() + " of " + v.length() + " " + v.toDisplayString(4)
                    : v.toDisplayString(ARRAY_SHOWN);
            if (shown.length() > 200) {
                shown = shown.substring(0, 200).replace('\n', ' ') + "... (" + shown.length() + " chars)";
            }
            sb.append("  ").append(k).append(" = ").append(shown.replace("\n", "\\n")).append('\n');
        }
        if (o.containsKey("tensors")) {
            sb.append("tensors:\n");
            for (GgufTensorInfo t : g.tensors()) {
                sb.append(String.format(Locale.ROOT, "  %-40s %-7s %-22s @%-12d %,d B%n", t.name(), t.type(),
                        java.util.Arrays.toString(t.dims()), g.fileOffset(t), t.byteSize()));
            }
        }
        return sb.toString().stripTrailing();
    }

    private static void line(StringBuilder sb, String k, String v) {
        sb.append(String.format(Locale.ROOT, "%-14s %s%n", k + ":", v));
    }

    static String humanCount(long n) {
        if (n >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.2f B", n / 1e9);
        }
        if (n >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.2f M", n / 1e6);
        }
        if (n >= 1_000L) {
            return String.format(Locale.ROOT, "%.1f K", n / 1e3);
        }
        return Long.toString(n);
    }
}
