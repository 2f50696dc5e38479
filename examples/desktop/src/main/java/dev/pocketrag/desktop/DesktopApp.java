package dev.pocketrag.desktop;

import dev.pocketrag.retrieval.Settings;
import java.awt.GraphicsEnvironment;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import javax.swing.SwingUtilities;

/**
 * The pocketrag desktop app: a window over a notebook, for searching notes as you type, editing
 * them and asking questions answered with citations. Started by {@code ./pocketrag desktop}
 * (the CLI calls {@link #launch} by name, as it does not depend on this module) or directly with
 * {@link #main}.
 *
 * <p>It uses the CLI's notebook directory and config file (see {@link dev.pocketrag.retrieval.Settings}), holds the
 * notebook only while it works on it, and waits, saying so, while another process holds it.
 */
public final class DesktopApp {
    private DesktopApp() {}

    /**
     * Opens the window and returns when the user has closed it and the notebook is released.
     *
     * @param dir the notebook directory ({@code --dir}); null for the default
     * @param model the chat model file ({@code --model}); null for the configured one, if any
     * @param ctx the chat model's context size ({@code --ctx}); 0 for the configured one or the
     *     model's own
     * @return 0
     * @throws IllegalStateException if there is no display
     * @throws IllegalArgumentException if the config file cannot be read or {@code ctx} is negative
     */
    public static int launch(Path dir, Path model, int ctx) throws InterruptedException {
        if (ctx < 0) {
            throw new IllegalArgumentException("--ctx must be 0 (the model's own) or positive; ctx=" + ctx);
        }
        checkDisplay();
        AppOptions options = AppOptions.resolve(Settings.load(), dir, model, ctx);
        MainWindow w = open(options);
        w.awaitClosed();
        return 0;
    }

    /** {@code java dev.pocketrag.desktop.DesktopApp [--dir DIR] [--model FILE.gguf] [--ctx N]}. */
    public static void main(String[] args) throws InterruptedException {
        Path dir = null;
        Path model = null;
        int ctx = 0;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--dir" -> dir = Path.of(value(args, ++i, "--dir"));
                    case "--model" -> model = Path.of(value(args, ++i, "--model"));
                    case "--ctx" -> ctx = parseCtx(value(args, ++i, "--ctx"));
                    case "-h", "--help" -> {
                        System.out.println("usage: DesktopApp [--dir DIR] [--model FILE.gguf] [--ctx N]");
                        return;
                    }
                    default -> throw new IllegalArgumentException("unknown argument '" + args[i]
                            + "' (expected --dir, --model or --ctx)");
                }
            }
            System.exit(launch(dir, model, ctx));
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }

    private static int parseCtx(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--ctx '" + s + "' is not a number", e);
        }
    }

    /** Fails with a one-line message when there is no screen to show a window on. */
    static void checkDisplay() {
        if (GraphicsEnvironment.isHeadless()) {
            String display = System.getenv("DISPLAY");
            throw new IllegalStateException("the desktop app needs a display, and this session has none"
                    + (isLinux() && (display == null || display.isBlank()) ? " (DISPLAY is not set)" : "")
                    + (Boolean.getBoolean("java.awt.headless") ? " (java.awt.headless=true)" : ""));
        }
    }

    private static boolean isLinux() {
        return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");
    }

    /** Builds and shows the window on the event thread; returns it once shown. */
    static MainWindow open(AppOptions options) {
        AtomicReference<MainWindow> w = new AtomicReference<>();
        try {
            SwingUtilities.invokeAndWait(() -> {
                Theme.apply(options.dark());
                MainWindow m = new MainWindow(options);
                m.start();
                w.set(m);
            });
        } catch (InvocationTargetException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("cannot open the window: " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening the window", e);
        }
        return w.get();
    }
}
