package dev.pocketrag.convert;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.pocketrag.convert.internal.Checkpoint;
import dev.pocketrag.convert.internal.HfModel;
import dev.pocketrag.convert.internal.HfVocabulary;
import dev.pocketrag.convert.internal.SafetensorsFile;
import dev.pocketrag.generation.Quantizer;
import dev.pocketrag.generation.gguf.FileType;
import dev.pocketrag.generation.gguf.GgmlType;
import dev.pocketrag.generation.gguf.GgufTensorInfo;
import dev.pocketrag.generation.gguf.GgufValue;
import dev.pocketrag.generation.gguf.GgufWriter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.channels.FileChannel;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Converts a Hugging Face model folder to one GGUF file that the engine and llama.cpp load, the
 * way llama.cpp's {@code convert_hf_to_gguf.py} does, in Java.
 *
 * <pre>{@code
 * HfConverter.Result r = HfConverter.convert(Path.of("SmolLM2-135M-Instruct"), Path.of("smollm2.gguf"),
 *         HfConverter.OutType.F16, false, HfConverter.Progress.NONE);
 * }</pre>
 *
 * <p>Read: {@code config.json} (architecture and hyper-parameters), {@code model.safetensors} or the
 * shards of {@code model.safetensors.index.json} (memory-mapped; every header length and offset
 * checked), and the tokenizer files (the {@code tokenizer.*} keys). Supported:
 * {@code LlamaForCausalLM} (Llama 2/3.x, SmolLM, TinyLlama), {@code Qwen2ForCausalLM},
 * {@code Qwen3ForCausalLM}, {@code Phi3ForCausalLM}, {@code Gemma2ForCausalLM}.
 *
 * <p>Written: {@code general.architecture}, {@code general.type}, {@code general.name} (the folder
 * name), the {@code <arch>.*} keys llama.cpp writes, {@code general.file_type},
 * {@code general.quantization_version}, the tokenizer keys, then the tensors in checkpoint order.
 * Types follow llama.cpp's converter: 1-D tensors, norms and biases stay F32; the other tensors get
 * the output type, Q8_0 falling back to F16 for rows that are not a multiple of 32.
 *
 * <p>Streaming: one tensor is on the heap at a time (as floats), the output goes to
 * {@code OUT.tmp-*} in the target folder and is renamed at the end; on any error nothing is left at
 * {@code out} (an existing file there is kept unless {@code overwrite}) and the temporary file is
 * deleted.
 */
public final class HfConverter {

    /** The tensor type of the converted weights ({@code --outtype}). */
    public enum OutType {
        F32(FileType.ALL_F32),
        F16(FileType.F16),
        BF16(FileType.BF16),
        Q8_0(FileType.Q8_0);

        private final FileType fileType;

        OutType(FileType fileType) {
            this.fileType = fileType;
        }

        /** The {@code general.file_type} written. */
        public FileType fileType() {
            return fileType;
        }

        /** The type of the weight matrices: the file type's. */
        public GgmlType type() {
            return fileType.defaultType();
        }

        /** {@code f16}, {@code bf16}, {@code f32} or {@code q8_0}, any case. */
        public static OutType parse(String s) {
            for (OutType t : values()) {
                if (t.name().equalsIgnoreCase(s.trim())) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown output type '" + s + "'; allowed: f16, bf16, f32, q8_0");
        }
    }

    /** Progress callbacks, from the writing thread. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (index, count, name, doneBytes, totalBytes) -> { };

        /**
         * Tensor {@code index} (0-based) of {@code count} is about to be converted.
         *
         * @param doneBytes  checkpoint bytes of the tensors before it
         * @param totalBytes checkpoint bytes of all tensors
         */
        void tensor(int index, int count, String name, long doneBytes, long totalBytes);
    }

    /**
     * What was written.
     *
     * @param architecture {@code general.architecture}
     * @param outType      the requested type
     * @param tensors      the tensors as written (name, type, shape, offset)
     * @param metadata     every key written, in order
     */
    public record Result(String architecture, OutType outType, List<GgufTensorInfo> tensors,
                         Map<String, GgufValue> metadata) {
        public Result {
            tensors = List.copyOf(tensors);
            metadata = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }

        /** How many tensors of each type. */
        public Map<GgmlType, Integer> typeCounts() {
            Map<GgmlType, Integer> m = new EnumMap<>(GgmlType.class);
            tensors.forEach(t -> m.merge(t.type(), 1, Integer::sum));
            return m;
        }
    }

    /** The step that reads the tokenizer files (tests replace it). */
    @FunctionalInterface
    interface VocabularyReader {
        LinkedHashMap<String, GgufValue> read(Path dir, JsonObject config, String arch) throws ConvertException;
    }

    private HfConverter() {}

    /**
     * Converts the model in {@code dir} to {@code out}.
     *
     * @param overwrite replace an existing {@code out}; without it an existing file is an error
     * @throws ConvertException naming the file and the bad value, when the model cannot be converted
     * @throws IOException      when reading or writing fails
     */
    public static Result convert(Path dir, Path out, OutType type, boolean overwrite, Progress progress)
            throws IOException {
        return convert(dir, out, type, overwrite, progress, HfVocabulary::read);
    }

    static Result convert(Path dir, Path out, OutType type, boolean overwrite, Progress progress,
                          VocabularyReader vocabulary) throws IOException {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(progress, "progress");
        if (!Files.isDirectory(dir)) {
            throw new ConvertException(dir + " is not a folder (expected a Hugging Face model folder)");
        }
        Path target = out.toAbsolutePath();
        Path folder = target.getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            throw new ConvertException("cannot write " + out + ": " + folder + " is not a folder");
        }
        if (!overwrite && Files.exists(target)) {
            throw new FileAlreadyExistsException(out.toString(), null, "exists; pass --force to overwrite it");
        }
        JsonObject config = readConfig(dir.resolve("config.json"));
        HfModel.archOf(config); // an unsupported architecture is the first thing said
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            HfModel model = HfModel.plan(config, ckpt);
            String arch = model.arch().ggufName();
            LinkedHashMap<String, GgufValue> md = new LinkedHashMap<>();
            md.put("general.architecture", GgufValue.ofString(arch));
            md.put("general.type", GgufValue.ofString("model"));
            Path name = dir.toAbsolutePath().normalize().getFileName();
            md.put("general.name", GgufValue.ofString(name == null ? arch : name.toString()));
            md.putAll(model.metadata());
            md.put("general.file_type", GgufValue.ofUint32(type.fileType().id()));
            md.put("general.quantization_version", GgufValue.ofUint32(Quantizer.QUANTIZATION_VERSION));
            LinkedHashMap<String, GgufValue> vocab = vocabulary.read(dir, config, arch);
            for (var e : vocab.entrySet()) {
                if (!e.getKey().startsWith("tokenizer.")) {
                    throw new ConvertException("the vocabulary step returned the key '" + e.getKey()
                            + "', which is not a tokenizer.* key");
                }
                md.put(e.getKey(), e.getValue());
            }
            if (vocab.containsKey("tokenizer.ggml.tokens")
                    && vocab.get("tokenizer.ggml.tokens").length() != model.vocabRows()) {
                throw new ConvertException(dir + ": the tokenizer has " + vocab.get("tokenizer.ggml.tokens").length()
                        + " tokens, the embedding matrix " + model.vocabRows() + " rows");
            }

            GgufWriter w = new GgufWriter();
            md.forEach(w::put);
            List<HfModel.OutTensor> tensors = model.tensors();
            long total = 0;
            for (HfModel.OutTensor t : tensors) {
                total += t.hfName() == null ? 4L * t.elementCount() : ckpt.get(t.hfName()).tensor().end()
                        - ckpt.get(t.hfName()).tensor().begin();
            }
            long totalBytes = total;
            long[] done = {0};
            Arena[] current = {null};
            for (int i = 0; i < tensors.size(); i++) {
                HfModel.OutTensor t = tensors.get(i);
                GgmlType to = typeOf(t, type);
                int index = i;
                w.addTensor(t.name(), to, t.dims(), () -> {
                    if (current[0] != null) {
                        current[0].close(); // the previous tensor has been written
                        current[0] = null;
                    }
                    progress.tensor(index, tensors.size(), t.name(), done[0], totalBytes);
                    Checkpoint.Entry e = t.hfName() == null ? null : ckpt.get(t.hfName());
                    done[0] += e == null ? 4L * t.elementCount() : e.tensor().end() - e.tensor().begin();
                    if (e != null && t.transform() == HfModel.Transform.NONE && sameType(e.tensor().dtype(), to)) {
                        return e.file().data(e.tensor()); // the mapped bytes as they are
                    }
                    current[0] = Arena.ofConfined();
                    if (e == null || t.dims().length == 1) { // computed, or a vector of a few KB
                        float[] v = e == null ? t.computed() : model.transform(t, e.file().readFloats(e.tensor()));
                        return encode(v, t, to, current[0]);
                    }
                    return encodeRows(model, e, t, to, current[0]);
                });
            }
            List<GgufTensorInfo> planned = w.plannedTensors();
            try {
                write(w, target, overwrite);
            } finally {
                if (current[0] != null) {
                    current[0].close(); // the last tensor's buffer, also when writing failed
                }
            }
            return new Result(arch, type, planned, md);
        }
    }

    /** The type {@code t} gets in a file of {@code type}, by llama.cpp's converter's rules. */
    static GgmlType typeOf(HfModel.OutTensor t, OutType type) {
        if (t.staysF32()) {
            return GgmlType.F32;
        }
        if (type == OutType.Q8_0 && t.dims()[0] % GgmlType.Q8_0.blockSize() != 0) {
            return GgmlType.F16; // llama.cpp falls back to F16 when the rows do not split into blocks
        }
        return type.type();
    }

    private static boolean sameType(SafetensorsFile.Dtype d, GgmlType t) {
        return switch (d) {
            case F32 -> t == GgmlType.F32;
            case F16 -> t == GgmlType.F16;
            case BF16 -> t == GgmlType.BF16;
        };
    }

    private static MemorySegment encode(float[] v, HfModel.OutTensor t, GgmlType to, Arena arena) {
        int rowLen = (int) t.dims()[0];
        long rows = v.length / Math.max(1, rowLen);
        long rowBytes = to.rowBytes(rowLen);
        MemorySegment dst = arena.allocate(Math.multiplyExact(rowBytes, rows), 64);
        for (long r = 0; r < rows; r++) {
            Quantizer.quantizeRow(to, v, (int) (r * rowLen), dst, r * rowBytes, rowLen);
        }
        return dst;
    }

    /**
     * Encodes a matrix row by row from the mapped checkpoint (rows permuted or shifted as the model
     * says): the heap holds a few rows (about 64 KB), the output one tensor.
     */
    private static MemorySegment encodeRows(HfModel model, Checkpoint.Entry e, HfModel.OutTensor t, GgmlType to,
                                            Arena arena) {
        long[] dims = t.dims();
        if (dims[0] > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor '" + t.name() + "': rows of " + dims[0] + " values");
        }
        int rowLen = (int) dims[0];
        long rows = t.elementCount() / rowLen;
        long rowBytes = to.rowBytes(rowLen);
        MemorySegment dst = arena.allocate(Math.multiplyExact(rowBytes, rows), 64);
        int batch = (int) Math.max(1, Math.min(rows, (1 << 14) / rowLen)); // rows encoded per call, ~64 KB of floats
        float[] buf = new float[Math.multiplyExact(batch, rowLen)];
        boolean addOne = t.transform() == HfModel.Transform.ADD_ONE;
        for (long r0 = 0; r0 < rows; r0 += batch) {
            int count = (int) Math.min(batch, rows - r0);
            for (int k = 0; k < count; k++) {
                e.file().readFloats(e.tensor(), model.sourceRow(t, r0 + k) * rowLen, buf, k * rowLen, rowLen);
            }
            if (addOne) {
                for (int i = 0; i < count * rowLen; i++) {
                    buf[i] += 1f;
                }
            }
            Quantizer.quantizeRow(to, buf, 0, dst, r0 * rowBytes, count * rowLen);
        }
        return dst;
    }

    private static void write(GgufWriter w, Path target, boolean overwrite) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1));
        boolean ok = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                w.write(ch);
                ch.force(true);
            }
            if (!overwrite && Files.exists(target)) {
                throw new FileAlreadyExistsException(target.toString(), null, "appeared while converting");
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            ok = true;
        } finally {
            if (!ok) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static JsonObject readConfig(Path p) throws ConvertException {
        if (!Files.isRegularFile(p)) {
            throw new ConvertException(p + " is missing (not a Hugging Face model folder?)");
        }
        try {
            if (Files.size(p) > (16 << 20)) {
                throw new ConvertException(p + ": " + Files.size(p) + " bytes, too large for a config");
            }
            JsonElement e = JsonParser.parseString(Files.readString(p));
            if (!e.isJsonObject()) {
                throw new ConvertException(p + ": not a JSON object");
            }
            return e.getAsJsonObject();
        } catch (ConvertException e) {
            throw e;
        } catch (IOException | JsonParseException e) {
            throw new ConvertException(p + ": cannot read: " + e.getMessage(), e);
        }
    }
}
