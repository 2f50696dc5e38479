package dev.pocketrag.generation.model;

import dev.pocketrag.generation.tensor.Half;
import dev.pocketrag.generation.tensor.Kernels;
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
 * <p>Laid out for attention ({@link Kernels#scores4}, {@link Kernels#weightedSum4}): each KV head's
 * keys and values are contiguous, and keys are stored in tiles of {@code tile} positions with the
 * positions of a tile side by side, so one vector holds one dimension of {@code tile} keys and a
 * query's scores against them are {@code headDim} FMAs into one accumulator, no lane reduction.
 * With {@code tiles = ceil(context / tile)} and {@code padded = tiles * tile}:
 * <pre>
 * keys[layer]:   kvHeads x tiles x headDim x tile f16    key(g, p, i)   = ((g tiles + p / tile) headDim + i) tile + p % tile
 * values[layer]: kvHeads x padded x headDimV f16         value(g, p, d) = (g padded + p) headDimV + d
 * </pre>
 * The layout is private to this process: {@link #readRow} and {@link #writeRow} move one position
 * in the model's own order ({@code kDim} keys then {@code vDim} values, head by head), which is what
 * a saved prefix holds.
 */
final class KvCache implements AutoCloseable {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT;

    final int layers;
    final int context;
    final int kvHeads;
    final int headDim;
    final int headDimV;
    final int tile;
    final int tiles;
    final int padded;
    final MemorySegment[] keys;
    final MemorySegment[] values;
    private final Arena arena;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param tile positions per key tile ({@link Kernels#TILE} for the attention kernels)
     */
    KvCache(int layers, int context, int kvHeads, int headDim, int headDimV, int tile) {
        if (layers < 1 || context < 1 || kvHeads < 1 || headDim < 1 || headDimV < 1 || tile < 1) {
            throw new IllegalArgumentException("KV cache shape must be positive; layers=" + layers + ", context="
                    + context + ", kvHeads=" + kvHeads + ", headDim=" + headDim + ", headDimV=" + headDimV
                    + ", tile=" + tile);
        }
        this.layers = layers;
        this.context = context;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.headDimV = headDimV;
        this.tile = tile;
        this.tiles = (context + tile - 1) / tile;
        this.padded = tiles * tile;
        this.arena = Arena.ofShared();
        boolean ok = false;
        try {
            keys = new MemorySegment[layers];
            values = new MemorySegment[layers];
            for (int l = 0; l < layers; l++) {
                keys[l] = arena.allocate((long) kvHeads * padded * headDim * 2, 64);
                values[l] = arena.allocate((long) kvHeads * padded * headDimV * 2, 64);
            }
            ok = true;
        } finally {
            if (!ok) {
                arena.close();
            }
        }
    }

    /** Bytes of the whole cache (positions 0..context-1; the last key tile's padding not counted). */
    static long bytes(int layers, int context, int kDim, int vDim) {
        return (long) layers * context * (kDim + vDim) * 2;
    }

    /** Element index of key dimension {@code i} of KV head {@code g} at position {@code p}. */
    long keyIndex(int g, int p, int i) {
        return ((long) (g * tiles + p / tile) * headDim + i) * tile + p % tile;
    }

    /** Element index of value dimension {@code d} of KV head {@code g} at position {@code p}. */
    long valueIndex(int g, int p, int d) {
        return ((long) g * padded + p) * headDimV + d;
    }

    /**
     * Stores {@code k[ko..ko+kDim)} and {@code v[vo..vo+vDim)} (head after head) as position {@code pos}
     * of {@code layer}, rounded to f16.
     */
    void store(int layer, int pos, float[] k, int ko, float[] v, int vo) {
        MemorySegment ks = keys[layer];
        MemorySegment vs = values[layer];
        for (int g = 0; g < kvHeads; g++) {
            long kb = 2 * keyIndex(g, pos, 0);
            int ki = ko + g * headDim;
            for (int i = 0; i < headDim; i++) {
                ks.set(F16, kb + 2L * i * tile, Half.f32ToF16(k[ki + i]));
            }
            long vb = 2 * valueIndex(g, pos, 0);
            int vi = vo + g * headDimV;
            for (int d = 0; d < headDimV; d++) {
                vs.set(F16, vb + 2L * d, Half.f32ToF16(v[vi + d]));
            }
        }
    }

    /** Values of one position in one layer: {@code kvHeads * (headDim + headDimV)}. */
    int rowLength() {
        return kvHeads * (headDim + headDimV);
    }

    /**
     * Copies position {@code pos} of {@code layer} to {@code dst[off ..off + rowLength())}: the keys
     * head by head, then the values head by head (f16 bits).
     */
    void readRow(int layer, int pos, short[] dst, int off) {
        MemorySegment ks = keys[layer];
        MemorySegment vs = values[layer];
        int o = off;
        for (int g = 0; g < kvHeads; g++) {
            long kb = 2 * keyIndex(g, pos, 0);
            for (int i = 0; i < headDim; i++) {
                dst[o++] = ks.get(F16, kb + 2L * i * tile);
            }
        }
        for (int g = 0; g < kvHeads; g++) {
            long vb = 2 * valueIndex(g, pos, 0);
            for (int d = 0; d < headDimV; d++) {
                dst[o++] = vs.get(F16, vb + 2L * d);
            }
        }
    }

    /** The inverse of {@link #readRow}. */
    void writeRow(int layer, int pos, short[] src, int off) {
        MemorySegment ks = keys[layer];
        MemorySegment vs = values[layer];
        int o = off;
        for (int g = 0; g < kvHeads; g++) {
            long kb = 2 * keyIndex(g, pos, 0);
            for (int i = 0; i < headDim; i++) {
                ks.set(F16, kb + 2L * i * tile, src[o++]);
            }
        }
        for (int g = 0; g < kvHeads; g++) {
            long vb = 2 * valueIndex(g, pos, 0);
            for (int d = 0; d < headDimV; d++) {
                vs.set(F16, vb + 2L * d, src[o++]);
            }
        }
    }

    /** Frees the cache; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }
}
