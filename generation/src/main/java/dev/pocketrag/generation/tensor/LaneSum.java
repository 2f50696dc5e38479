package dev.pocketrag.generation.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a float vector's lanes in a fixed pairwise order (halves, then quarters, ...), the one
 * the vector kernels of both packages use. Not {@code reduceLanes}, whose order differs between the
 * interpreter and JIT-compiled code: this gives the same bits whenever it runs. Loaded only when
 * SIMD is enabled; for the preferred species of 4, 8 or 16 float lanes.
 */
public final class LaneSum {
    private LaneSum() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorShuffle<Float> R8 = F.length() == 16 ? VectorShuffle.iota(F, 8, 1, true) : null;
    private static final VectorShuffle<Float> R4 = F.length() >= 8 ? VectorShuffle.iota(F, 4, 1, true) : null;
    private static final VectorShuffle<Float> R2 = VectorShuffle.iota(F, 2, 1, true);
    private static final VectorShuffle<Float> R1 = VectorShuffle.iota(F, 1, 1, true);

    /** Lane 0 of the rotate-and-add steps: ((v0 + v8) + (v4 + v12)) + ((v2 + v10) + (v6 + v14)) + (odd lanes alike). */
    public static float of(FloatVector v) {
        if (F.length() == 16) {
            v = v.add(v.rearrange(R8));
        }
        if (F.length() >= 8) {
            v = v.add(v.rearrange(R4));
        }
        v = v.add(v.rearrange(R2));
        v = v.add(v.rearrange(R1));
        return v.lane(0);
    }
}
