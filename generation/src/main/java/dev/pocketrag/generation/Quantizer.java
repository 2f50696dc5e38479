package dev.pocketrag.generation;

import dev.pocketrag.generation.gguf.FileType;
import dev.pocketrag.generation.gguf.GgmlType;
import dev.pocketrag.generation.gguf.GgufFormatException;
import dev.pocketrag.generation.gguf.GgufMetadata;
import dev.pocketrag.generation.gguf.GgufTensorInfo;
import dev.pocketrag.generation.gguf.GgufValue;
import dev.pocketrag.generation.gguf.GgufWriter;
import dev.pocketrag.generation.gguf.UnsupportedTensorTypeException;
import dev.pocketrag.generation.tensor.QuantMix;
import dev.pocketrag.generation.tensor.Tensors;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Quantizes GGUF models the way {@code llama-quantize} does without an importance matrix: the same
 * type per tensor ({@link QuantMix}: Q6_K output, Q6_K attn_v/ffn_down in the layers where llama.cpp
 * spends more bits, Q5_0/Q8_0 fallbacks for rows that are not a multiple of 256, ...), the same
 * reference quantizers (bit-exact with ggml's {@code quantize_row_*_ref}), the same tensor order
 * (by layer, then name), all metadata kept, {@code general.quantization_version} = 2 and
 * {@code general.file_type} set (both moved to the end, as llama.cpp does).
 *
 * <p>Tensors that already have their target type are copied byte for byte (no re-quantization);
 * others are decoded from any supported type and re-encoded, one tensor at a time, rows in parallel.
 * The output is written to a temporary file and moved into place only when complete.
 *
 * <pre>{@code
 * Quantizer.Plan plan = Quantizer.quantize(in, out, FileType.Q4_K_M, Quantizer.Progress.NONE);
 * }</pre>
 */
public final class Quantizer {
    private Quantizer() {}

    /** The {@code general.quantization_version} llama.cpp writes (GGML_QNT_VERSION). */
    public static final int QUANTIZATION_VERSION = 2;

    /**
     * One tensor of the output.
     *
     * @param name   tensor name
     * @param from   type in the input
     * @param to     type in the output
     * @param dims   ne[0..nDims-1]
     * @param bytes  byte size in the output
     */
    public record TensorPlan(String name, GgmlType from, GgmlType to, long[] dims, long bytes) {
        public TensorPlan {
            Objects.requireNonNull(name);
            dims = dims.clone();
        }

        @Override
        public long[] dims() {
            return dims.clone();
        }

        /** Whether the tensor is converted (otherwise its bytes are copied). */
        public boolean converts() {
            return from != to;
        }
    }

    /**
     * What {@link #quantize} writes.
     *
     * @param fileType the requested file type
     * @param tensors  the output tensors, in output order
     * @param metadata the output metadata
     */
    public record Plan(FileType fileType, List<TensorPlan> tensors, GgufMetadata metadata) {
        public Plan {
            tensors = List.copyOf(tensors);
        }

        /** Sum of the tensor byte sizes (without header and padding). */
        public long tensorBytes() {
            return tensors.stream().mapToLong(TensorPlan::bytes).sum();
        }

        /** The plan of tensor {@code name}. */
        public TensorPlan tensor(String name) {
            return tensors.stream().filter(t -> t.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no tensor '" + name + "' in the plan"));
        }
    }

    /** Progress callbacks (called from the writing thread). */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (index, count, tensor, doneBytes, totalBytes) -> { };

        /**
         * Tensor {@code index} (0-based) of {@code count} is about to be written.
         *
         * @param doneBytes  input bytes of the tensors before it
         * @param totalBytes input bytes of all tensors
         */
        void tensor(int index, int count, TensorPlan tensor, long doneBytes, long totalBytes);
    }

    /** Plans the quantization of {@code in} to {@code type} without writing anything. */
    public static Plan plan(Gguf in, FileType type) {
        List<GgufTensorInfo> order = new ArrayList<>(in.tensors());
        order.sort(Comparator.comparing(GgufTensorInfo::name, QuantMix::compareNames));
        QuantMix mix = new QuantMix(type, model(in), countAttentionV(order));
        List<TensorPlan> plans = new ArrayList<>(order.size());
        for (GgufTensorInfo t : order) {
            GgmlType to = t.type();
            if (QuantMix.isQuantizable(t.name(), t.ne())) {
                to = mix.choose(t.name(), t.ne());
            }
            if (to != t.type() && !Tensors.canQuantize(to)) {
                throw new UnsupportedTensorTypeException(to, t.name(), "quantize to", Tensors.quantizable());
            }
            if (to != t.type() && !t.type().isSupported()) {
                throw new UnsupportedTensorTypeException(t.type(), t.name(), "decode");
            }
            long bytes = GgufTensorInfo.byteSize(to, t.ne());
            plans.add(new TensorPlan(t.name(), t.type(), to, t.dims(), bytes));
        }
        GgufMetadata.Builder md = in.file().metadata().toBuilder();
        md.remove("split.no").remove("split.count").remove("split.tensors.count");
        md.remove("general.quantization_version").remove("general.file_type"); // re-added at the end
        md.put("general.quantization_version", GgufValue.ofUint32(QUANTIZATION_VERSION));
        md.put("general.file_type", GgufValue.ofUint32(type.id()));
        return new Plan(type, plans, md.build());
    }

    /**
     * Quantizes the model at {@code in} to {@code type} and writes it to {@code out} (temporary file,
     * then moved into place; {@code out} may equal {@code in}).
     *
     * @throws GgufFormatException            if {@code in} is not a valid GGUF file
     * @throws UnsupportedTensorTypeException if a tensor must be converted from or to a type that is not supported
     * @throws IOException                    on read/write failures
     */
    public static Plan quantize(Path in, Path out, FileType type, Progress progress) throws IOException {
        try (Gguf g = Gguf.open(in)) {
            Plan plan = plan(g, type);
            GgufWriter w = new GgufWriter().metadata(plan.metadata());
            long total = g.tensors().stream().mapToLong(GgufTensorInfo::byteSize).sum();
            AtomicLong done = new AtomicLong();
            int count = plan.tensors().size();
            for (int i = 0; i < count; i++) {
                TensorPlan tp = plan.tensors().get(i);
                GgufTensorInfo src = g.tensor(tp.name());
                int index = i;
                w.addTensor(tp.name(), tp.to(), tp.dims(), () -> {
                    progress.tensor(index, count, tp, done.get(), total);
                    MemorySegment data = convert(g, src, tp.to());
                    done.addAndGet(src.byteSize());
                    return data;
                });
            }
            w.write(out);
            return plan;
        }
    }

    /**
     * Encodes {@code n} floats of {@code src} from {@code srcOff} as {@code type} into {@code dst} at
     * byte {@code dstOff} with ggml's reference quantizer (the bytes {@code llama-quantize} and
     * llama.cpp's converter write): one row, or several whole rows back to back. For converters that
     * produce values themselves ({@code pocketrag convert}).
     *
     * @throws IllegalArgumentException       if {@code n} is not a positive multiple of the type's block
     *                                        size, or a range lies outside its array or segment
     * @throws UnsupportedTensorTypeException if {@code type} cannot be encoded
     */
    public static void quantizeRow(GgmlType type, float[] src, int srcOff, MemorySegment dst, long dstOff, int n) {
        Objects.requireNonNull(type, "type");
        if (!Tensors.canQuantize(type)) {
            throw new UnsupportedTensorTypeException(type, "(row)", "quantize to", Tensors.quantizable());
        }
        if (n <= 0 || n % type.blockSize() != 0) {
            throw new IllegalArgumentException("n=" + n + " must be a positive multiple of " + type
                    + "'s block size " + type.blockSize());
        }
        if (srcOff < 0 || srcOff > src.length - n) {
            throw new IllegalArgumentException("srcOff=" + srcOff + ", n=" + n + " outside a float[" + src.length + "]");
        }
        long bytes = type.rowBytes(n);
        if (dstOff < 0 || dstOff > dst.byteSize() - bytes) {
            throw new IllegalArgumentException("dstOff=" + dstOff + " + " + bytes + " bytes outside a segment of "
                    + dst.byteSize());
        }
        Tensors.quantize(type, src, srcOff, dst, dstOff, n, "(row)");
    }

    /** The bytes of {@code t} converted to {@code to} (the input bytes themselves when the type is unchanged). */
    static MemorySegment convert(Gguf g, GgufTensorInfo t, GgmlType to) {
        MemorySegment src = g.tensorData(t);
        if (to == t.type()) {
            return src;
        }
        long ne0 = t.ne(0);
        if (ne0 > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("tensor '" + t.name() + "': rows of " + ne0 + " values");
        }
        long rows = t.rowCount();
        long inRow = t.rowBytes();
        long outRow = to.rowBytes(ne0);
        MemorySegment dst = Arena.ofAuto().allocate(Math.multiplyExact(outRow, rows), 64);
        int n = (int) ne0;
        long rowsPerTask = Math.max(1, (1 << 16) / n);
        long tasks = (rows + rowsPerTask - 1) / rowsPerTask;
        IntStream.range(0, Math.toIntExact(tasks)).parallel().forEach(task -> {
            float[] buf = new float[n];
            long r0 = task * rowsPerTask;
            long r1 = Math.min(rows, r0 + rowsPerTask);
            for (long r = r0; r < r1; r++) {
                Tensors.dequantize(t.type(), src, r * inRow, buf, 0, n, t.name());
                Tensors.quantize(to, buf, 0, dst, r * outRow, n, t.name());
            }
        });
        return dst;
    }

    static QuantMix.Model model(Gguf g) {
        String arch = g.getString("general.architecture", "");
        int nLayer = arch.isEmpty() ? 0 : g.getInt(arch + ".block_count", 0);
        int nExpert = arch.isEmpty() ? 0 : g.getInt(arch + ".expert_count", 0);
        int nHead = scalarOrFirst(g, arch + ".attention.head_count", 0);
        int nHeadKv = scalarOrFirst(g, arch + ".attention.head_count_kv", nHead);
        return new QuantMix.Model(arch, nLayer, nExpert, nHead, nHeadKv, g.hasTensor("output.weight"));
    }

    private static int scalarOrFirst(Gguf g, String key, int def) {
        if (!g.has(key)) {
            return def;
        }
        if (g.get(key).isArray()) {
            int[] a = g.getIntArray(key);
            return a.length == 0 ? def : a[0];
        }
        return g.getInt(key);
    }

    private static int countAttentionV(List<GgufTensorInfo> tensors) {
        int n = 0;
        for (GgufTensorInfo t : tensors) {
            String s = t.name();
            if (s.contains("attn_v.weight") || s.contains("attn_qkv.weight") || s.contains("attn_kv_b.weight")) {
                n++;
            }
        }
        return n;
    }
}
