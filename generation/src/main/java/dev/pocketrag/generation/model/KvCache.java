package dev.pocketrag.generation.model;

import dev.pocketrag.generation.tensor.Half;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The key/value cache: for every layer, the keys and values of positions {@code 0 .. context-1},
 * stored as IEEE binary16 like llama.cpp's default F16 cache (half the memory of F32, and the same
 * rounding llama.cpp applies). Off-heap (one shared arena), so a large context does not need a
 * large Java heap.
 *
 * <pre>
 * keys[layer]:   context rows of kDim f16 values, row p = position p, head g at g * headDim
 * values[layer]: context rows of vDim f16 values
 * </pre>
 */
final class KvCache implements AutoCloseable {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT;

    final int context;
    final int kDim;
    final int vDim;
    final MemorySegment[] keys;
    final MemorySegment[] values;
    private final Arena arena;
    private final AtomicBoolean closed = new AtomicBoolean();

    KvCache(int layers, int context, int kDim, int vDim) {
        this.context = context;
        this.kDim = kDim;
        this.vDim = vDim;
        this.arena = Arena.ofShared();
        boolean ok = false;
        try {
            keys = new MemorySegment[layers];
            values = new MemorySegment[layers];
            for (int l = 0; l < layers; l++) {
                keys[l] = arena.allocate((long) context * kDim * 2, 64);
                values[l] = arena.allocate((long) context * vDim * 2, 64);
            }
            ok = true;
        } finally {
            if (!ok) {
                arena.close();
            }
        }
    }

    /** Bytes of the whole cache. */
    static long bytes(int layers, int context, int kDim, int vDim) {
        return (long) layers * context * (kDim + vDim) * 2;
    }

    /** Stores {@code k[ko..ko+kDim)} and {@code v[vo..vo+vDim)} as position {@code pos} of {@code layer}. */
    void store(int layer, int pos, float[] k, int ko, float[] v, int vo) {
        MemorySegment ks = keys[layer];
        long kb = (long) pos * kDim * 2;
        for (int i = 0; i < kDim; i++) {
            ks.set(F16, kb + 2L * i, Half.f32ToF16(k[ko + i]));
        }
        MemorySegment vs = values[layer];
        long vb = (long) pos * vDim * 2;
        for (int i = 0; i < vDim; i++) {
            vs.set(F16, vb + 2L * i, Half.f32ToF16(v[vo + i]));
        }
    }

    /** Key value {@code i} (0..kDim-1) of position {@code pos}. */
    static float get(MemorySegment s, long index) {
        return Half.f16ToF32(s.get(F16, 2 * index));
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }
}
