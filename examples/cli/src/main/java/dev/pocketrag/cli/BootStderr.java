package dev.pocketrag.cli;

import java.lang.reflect.Method;

/**
 * Gives the process its real stderr back after the JVM has booted.
 *
 * <p>The JVM prints {@code WARNING: Using incubator modules: jdk.incubator.vector} while it boots
 * whenever that module is in the boot layer, and it must be there for the Vector API kernels; no
 * option turns the line off. So the {@code ./pocketrag} launcher starts such a JVM with file descriptor
 * 2 on a pipe to a filter that drops exactly that line and passes everything else on, and with the
 * real stderr kept as another descriptor, named by {@code -Dpocketrag.stderr.fd=N}. The first thing
 * {@link Main#main} does is {@code dup2(N, 2)}: from then on error messages, progress bars and
 * native libraries write to the real stderr (a terminal stays a terminal, nothing is buffered), and
 * the filter sees end-of-file and exits.
 *
 * <p>{@code dup2} is reached through the JDK's own {@code sun.nio.ch.InheritedChannel} (the launcher
 * opens that package to us): 15-20 ms at start-up, where a Foreign Function downcall, whose first
 * use spins classes, took 110 ms (measured in a cold JVM). If that ever fails (another JDK), nothing
 * breaks: stderr stays on the filter, which passes everything after the warning through unchanged.
 */
final class BootStderr {
    static final String FD_PROPERTY = "pocketrag.stderr.fd";

    private BootStderr() {}

    /** Restores the real stderr if the launcher asked for it; returns whether it did. */
    static boolean restore() {
        String fd = System.getProperty(FD_PROPERTY);
        if (fd == null || !fd.matches("[3-9]|[1-9][0-9]{1,3}")) {
            return false;
        }
        int saved = Integer.parseInt(fd);
        System.clearProperty(FD_PROPERTY); // child JVMs (none today) must not try again
        try {
            Class<?> c = Class.forName("sun.nio.ch.InheritedChannel");
            Method dup2 = c.getDeclaredMethod("dup2", int.class, int.class);
            Method close = c.getDeclaredMethod("close0", int.class);
            dup2.setAccessible(true);
            close.setAccessible(true);
            System.err.flush();
            dup2.invoke(null, saved, 2);
            close.invoke(null, saved);
            return true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return false; // still on the launcher's filter: everything but the warning gets through
        }
    }
}
