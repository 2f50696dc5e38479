package dev.pocketrag.generation.tensor;

import java.util.Locale;

/**
 * Whether the Vector API kernels run, decided once per JVM and logged: they do when the
 * {@code jdk.incubator.vector} module is present ({@code --add-modules jdk.incubator.vector}), the
 * preferred float vector has 4, 8 or 16 lanes (NEON or SSE, AVX2, AVX-512 class hardware) and the system property
 * {@code pocketrag.simd} is not {@code false}. Otherwise every kernel runs its scalar twin
 * ({@link MatMul}'s scalar loops, {@code model.Kernels}' scalar methods); the reason is logged at
 * WARNING once. The classes that use {@code jdk.incubator.vector} are only loaded when this says so,
 * so the engine runs on a JVM started without the module.
 */
public final class Simd {
    private Simd() {}

    private static final System.Logger LOG = System.getLogger(Simd.class.getName());

    /** Property that forces the scalar kernels when set to {@code false}. */
    public static final String PROPERTY = "pocketrag.simd";

    private static final String REASON = probe();
    private static final boolean ENABLED = REASON == null;
    private static volatile boolean logged;

    private static String probe() {
        if ("false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim())) {
            return "-D" + PROPERTY + "=false";
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return "module jdk.incubator.vector is not loaded (start java with --add-modules jdk.incubator.vector)";
        }
        try {
            int lanes = VectorProbe.floatLanes();
            if (lanes != 4 && lanes != 8 && lanes != 16) {
                return "the preferred float vector has " + lanes + " lanes (kernels need 4, 8 or 16)";
            }
        } catch (LinkageError e) {
            return "the Vector API is not usable: " + e;
        }
        return null;
    }

    /** Whether the Vector API kernels are used. Logs the decision on first call. */
    public static boolean enabled() {
        if (!logged) {
            logged = true;
            if (ENABLED) {
                LOG.log(System.Logger.Level.DEBUG, "pocketrag: Vector API kernels, " + describe());
            } else {
                LOG.log(System.Logger.Level.WARNING, "pocketrag: scalar kernels (slow): " + REASON);
            }
        }
        return ENABLED;
    }

    /** Why the scalar kernels run, or {@code null} when the vector kernels do. */
    public static String fallbackReason() {
        return REASON;
    }

    /** e.g. {@code "Vector API 512-bit (16 float lanes)"} or {@code "scalar (reason)"}. */
    public static String describe() {
        if (!ENABLED) {
            return "scalar (" + REASON + ")";
        }
        int lanes = VectorProbe.floatLanes();
        return String.format(Locale.ROOT, "Vector API %d-bit (%d float lanes)", lanes * 32, lanes);
    }

    /** Touches jdk.incubator.vector only when called. */
    private static final class VectorProbe {
        static int floatLanes() {
            return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        }
    }
}
