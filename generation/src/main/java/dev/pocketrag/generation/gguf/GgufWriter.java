package dev.pocketrag.generation.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Writes GGUF v3 files (layout on {@link GgufFile}) the way ggml's
 * {@code gguf_write_to_file} does: metadata in insertion order, tensor infos in insertion order with
 * offsets packed in that order, each tensor's data padded with zeros to the alignment
 * ({@code general.alignment} if set, else 32), the header padded to the alignment before the data.
 *
 * <p>{@link #write(Path)} writes to a temporary file beside the target and moves it into place
 * only when complete, so a failure never leaves a partial file under the target name.
 *
 * <p>Tensor data comes from a {@link TensorSource}, asked once, in order, while the file is
 * written, so a quantizer can produce one tensor at a time.
 */
public final class GgufWriter {

    /** Supplies the bytes of one tensor when the writer reaches it. */
    @FunctionalInterface
    public interface TensorSource {
        /** Exactly the tensor's byte size. */
        MemorySegment data() throws IOException;
    }

    private record Pending(GgufTensorInfo info, TensorSource source) {}

    private GgufMetadata.Builder metadata = GgufMetadata.builder();
    private final List<Pending> tensors = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    /** Use {@code Gguf.writer()}. */
    public GgufWriter() {}

    /** Replaces all metadata with {@code m} (in its order). */
    public GgufWriter metadata(GgufMetadata m) {
        metadata = m.toBuilder();
        return this;
    }

    /** Adds or replaces one key. */
    public GgufWriter put(String key, GgufValue value) {
        metadata.put(key, value);
        return this;
    }

    /** Removes one key. */
    public GgufWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    /** Sets {@code general.alignment} (a power of two, at most 2^30). */
    public GgufWriter alignment(long alignment) {
        checkAlignment(alignment);
        metadata.put(GgufReader.ALIGNMENT_KEY, GgufValue.ofUint32(alignment));
        return this;
    }

    /** Adds a tensor whose bytes are produced later by {@code data}. {@code dims} = ne[0..n-1]. */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, TensorSource data) {
        Objects.requireNonNull(data, "data");
        GgufTensorInfo info = GgufTensorInfo.of(name, type, 0, dims);
        if (!names.add(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        tensors.add(new Pending(info, data));
        return this;
    }

    /** Adds a tensor with its bytes. */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, MemorySegment data) {
        long want = GgufTensorInfo.of(name, type, 0, dims).byteSize();
        if (data.byteSize() != want) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.byteSize() + " bytes given, "
                    + type + " " + java.util.Arrays.toString(dims) + " needs " + want);
        }
        return addTensor(name, type, dims, () -> data);
    }

    /** Adds a tensor with its bytes. */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, byte[] data) {
        return addTensor(name, type, dims, MemorySegment.ofArray(data));
    }

    /** Adds an F32 tensor. */
    public GgufWriter addTensor(String name, long[] dims, float[] data) {
        MemorySegment s = MemorySegment.ofArray(new byte[Math.multiplyExact(data.length, 4)]);
        for (int i = 0; i < data.length; i++) {
            s.set(LE_FLOAT, 4L * i, data[i]);
        }
        return addTensor(name, GgmlType.F32, dims, s);
    }

    /** The alignment this writer will use. */
    public long alignment() {
        GgufMetadata m = metadata.build();
        if (!m.has(GgufReader.ALIGNMENT_KEY)) {
            return GgufReader.DEFAULT_ALIGNMENT;
        }
        GgufValue v = m.get(GgufReader.ALIGNMENT_KEY);
        if (v.type() != GgufValueType.UINT32) {
            throw new IllegalArgumentException(GgufReader.ALIGNMENT_KEY + " must be UINT32, is " + v.describeType());
        }
        long a = Integer.toUnsignedLong((Integer) v.value());
        checkAlignment(a);
        return a;
    }

    /** The tensor infos as they will be written (offsets assigned). */
    public List<GgufTensorInfo> plannedTensors() {
        long align = alignment();
        List<GgufTensorInfo> out = new ArrayList<>(tensors.size());
        long off = 0;
        for (Pending p : tensors) {
            out.add(p.info.withOffset(off));
            off = GgufReader.alignUp(Math.addExact(off, p.info.byteSize()), align);
        }
        return out;
    }

    /** Writes the file (to a temporary file, then moved into place). */
    public void write(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = Files.createTempFile(dir, abs.getFileName().toString() + ".", ".tmp");
        boolean ok = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                write(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            ok = true;
        } finally {
            if (!ok) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Writes the file to {@code ch} from its current position. */
    public void write(FileChannel ch) throws IOException {
        long align = alignment();
        List<GgufTensorInfo> planned = plannedTensors();
        GgufMetadata m = metadata.build();

        Out out = new Out();
        out.bytes(new byte[] {'G', 'G', 'U', 'F'});
        out.u32(3);
        out.u64(planned.size());
        out.u64(m.size());
        for (var e : m.asMap().entrySet()) {
            out.string(e.getKey());
            GgufValue v = e.getValue();
            out.u32(v.type().id());
            if (v.isArray()) {
                out.u32(v.elementType().id());
                out.u64(v.length());
                writeArray(out, v.elementType(), v.value());
            } else {
                writeScalar(out, v.type(), v.value());
            }
        }
        for (GgufTensorInfo t : planned) {
            out.string(t.name());
            out.u32(t.nDims());
            for (int d = 0; d < t.nDims(); d++) {
                out.u64(t.ne(d));
            }
            out.u32(t.type().id());
            out.u64(t.offset());
        }
        long headerLen = out.size();
        long padded = GgufReader.alignUp(headerLen, align);
        out.zeros(padded - headerLen);
        writeFully(ch, ByteBuffer.wrap(out.buf(), 0, out.size()));

        long written = 0;
        for (int i = 0; i < planned.size(); i++) {
            GgufTensorInfo t = planned.get(i);
            MemorySegment data = tensors.get(i).source.data();
            if (data.byteSize() != t.byteSize()) {
                throw new IllegalStateException("tensor '" + t.name() + "': source gave " + data.byteSize()
                        + " bytes, expected " + t.byteSize());
            }
            long chunk = 1L << 30;
            for (long o = 0; o < data.byteSize(); o += chunk) {
                writeFully(ch, data.asSlice(o, Math.min(chunk, data.byteSize() - o)).asByteBuffer());
            }
            written += t.byteSize();
            long pad = GgufReader.alignUp(written, align) - written;
            writeFully(ch, ByteBuffer.allocate((int) pad));
            written += pad;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static void checkAlignment(long a) {
        if (a <= 0 || a > (1L << 30) || Long.bitCount(a) != 1) {
            throw new IllegalArgumentException("alignment " + a + " must be a power of two in [1, 2^30]");
        }
    }

    private static void writeScalar(Out out, GgufValueType t, Object v) {
        switch (t) {
            case UINT8, INT8 -> out.u8((Byte) v);
            case UINT16, INT16 -> out.u16((Short) v);
            case UINT32, INT32 -> out.u32((Integer) v);
            case UINT64, INT64 -> out.u64((Long) v);
            case FLOAT32 -> out.u32(Float.floatToRawIntBits((Float) v));
            case FLOAT64 -> out.u64(Double.doubleToRawLongBits((Double) v));
            case BOOL -> out.u8((Boolean) v ? 1 : 0);
            case STRING -> out.string((String) v);
            case ARRAY -> throw new IllegalArgumentException("nested array");
        }
    }

    private static void writeArray(Out out, GgufValueType et, Object a) {
        switch (et) {
            case UINT8, INT8 -> out.bytes((byte[]) a);
            case UINT16, INT16 -> {
                for (short s : (short[]) a) {
                    out.u16(s);
                }
            }
            case UINT32, INT32 -> {
                for (int s : (int[]) a) {
                    out.u32(s);
                }
            }
            case UINT64, INT64 -> {
                for (long s : (long[]) a) {
                    out.u64(s);
                }
            }
            case FLOAT32 -> {
                for (float s : (float[]) a) {
                    out.u32(Float.floatToRawIntBits(s));
                }
            }
            case FLOAT64 -> {
                for (double s : (double[]) a) {
                    out.u64(Double.doubleToRawLongBits(s));
                }
            }
            case BOOL -> {
                for (boolean s : (boolean[]) a) {
                    out.u8(s ? 1 : 0);
                }
            }
            case STRING -> {
                for (String s : (String[]) a) {
                    out.string(s);
                }
            }
            case ARRAY -> throw new IllegalArgumentException("nested array");
        }
    }

    private static final java.lang.foreign.ValueLayout.OfFloat LE_FLOAT =
            java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A little-endian byte sink for the header. */
    private static final class Out extends ByteArrayOutputStream {
        Out() {
            super(1 << 16);
        }

        void u8(int v) {
            write(v);
        }

        void u16(int v) {
            write(v);
            write(v >>> 8);
        }

        void u32(int v) {
            for (int i = 0; i < 4; i++) {
                write(v >>> (8 * i));
            }
        }

        void u64(long v) {
            for (int i = 0; i < 8; i++) {
                write((int) (v >>> (8 * i)));
            }
        }

        void bytes(byte[] b) {
            write(b, 0, b.length);
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            bytes(b);
        }

        void zeros(long n) {
            for (long i = 0; i < n; i++) {
                write(0);
            }
        }

        byte[] buf() {
            return buf;
        }
    }
}
